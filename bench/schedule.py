"""Public programme pages and exports on the ICML-sized demo, against gunicorn on PostgreSQL.

Not a test: it prints numbers. See bench/README.md. In short:

    .venv/bin/python bench/schedule.py                 # everything, about 5 minutes on 2 CPUs
    .venv/bin/python bench/schedule.py --skip-startup --seconds 10

What it measures:

1. the ICML-sized demo (3,300 papers) loaded into a fresh PostgreSQL database (`load_demo`, timed);
2. **uncached server time** of the largest poster-session page, the day grid, the day list, a search
   and each export: each URL requested `--repeat` times with a session cookie, which makes the
   response personal and so bypasses the shared cache (schedule/caching.py); prints the median;
3. **throughput**: `--clients` (50) threads with keep-alive connections, anonymous, each URL for
   `--seconds`; prints requests/s of 200 answers and p50/p95/p99. No conditional headers are sent,
   so no 304s are counted; a second, short run per URL sends the ETag back and counts the 304s
   separately;
4. gunicorn worker memory (VmRSS) after the runs;
5. the import of `--papers` (5,000) generated OpenReview-style papers with `manage.py import_papers`
   into an empty edition, timed (and a re-import of the same file: nothing changes);
6. how long `make run` takes until the home page answers, in a fresh clone whose virtualenv is
   already installed (a symlink to this checkout's `.venv`): migrate + load_demo + worker + server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLEAN_ENV = dict(os.environ)  # before this script sets the benchmark's production settings
DATABASE = "confsite_bench_schedule"
PG = "postgres://postgres@127.0.0.1:5432"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15, help="throughput run per URL (default 15 s)")
    parser.add_argument("--repeat", type=int, default=7, help="uncached requests per URL (default 7)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--papers", type=int, default=5000, help="papers in the import run (default 5000)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="cache + broker (db 13)")
    parser.add_argument("--no-gzip", action="store_true",
                        help="throughput clients do not send Accept-Encoding: gzip (browsers and calendar apps do)")
    parser.add_argument("--skip-startup", action="store_true", help="do not time `make run`")
    parser.add_argument("--skip-import", action="store_true", help="do not time the import")
    return parser.parse_args()


def env_for(args, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "confsite.settings",
        "CONFSITE_VAR_DIR": str(var_dir), "STATIC_ROOT": str(var_dir / "static"),
        "DATABASE_URL": f"{PG}/{DATABASE}", "REDIS_URL": args.redis, "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false",
        "CELERY_QUEUE": "bench-schedule-unconsumed", "STAFF_REQUIRE_MFA": "false",
    })
    return env


def psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],  # noqa: S603,S607 - fixed programs, arguments from this script
                   check=True, capture_output=True)


def psql_db(sql: str) -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-c", sql],  # noqa: S603,S607
                   check=True, capture_output=True)


def manage(env: dict, *argv: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", *argv], cwd=ROOT, env=env, check=True,  # noqa: S603,S607 - fixed programs, arguments from this script
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {seconds} s")


def rss_mib(master: int) -> list[float]:
    out = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


def get(conn: http.client.HTTPConnection, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    return response.status, body, dict(response.getheaders())


def uncached(port: int, path: str, repeat: int) -> tuple[float, int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times, size, status = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        status, body, _headers = get(conn, path, {"Cookie": "sessionid=bench-personal-bypasses-cache"})
        times.append(time.perf_counter() - started)
        size = len(body)
    conn.close()
    return statistics.median(times) * 1000, size, status


def hammer(port: int, path: str, clients: int, seconds: float, conditional: bool = False,
           gzip_ok: bool = True) -> dict:
    base = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    etag = None
    if conditional:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        etag = get(conn, path, base)[2].get("ETag")
        conn.close()
    headers = {**base, "If-None-Match": etag} if etag else base
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status = get(conn, path, headers)[0]
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0.0

    counted = statuses.get(304 if conditional else 200, 0)
    return {"rps": counted / wall, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "statuses": statuses}


def import_papers(env: dict, count: int) -> tuple[float, float]:
    """Time `import_papers` of `count` generated papers into an empty edition, then a re-import."""
    rng = random.Random(5000)
    rows = []
    for i in range(count):
        n = rng.randint(2, 7)
        ids = [f"~Bench_Author{rng.randint(1, count * 3)}" for _ in range(n)]
        ids = list(dict.fromkeys(ids))
        rows.append({
            "id": f"bench{i:05d}", "title": f"Benchmark paper {i} on scalable méthodes",
            "authors": [f"Author {x[14:]}" for x in ids], "authorids": ids,
            "affiliations": ["KAIST"] * len(ids), "keywords": ["optimization", "deep learning"],
            "decision": "poster", "abstract": "We measure. " * 20,
        })
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(rows, handle)
        path = handle.name
    try:
        first = manage(env, "import_papers", "--edition", "icml2025", "--format", "json", path)
        again = manage(env, "import_papers", "--edition", "icml2025", "--format", "json", path)
    finally:
        os.unlink(path)
    return first, again


def make_run_startup() -> float:
    """Seconds from `make run` in a fresh clone (virtualenv already installed) to the first 200."""
    workdir = Path(tempfile.mkdtemp(prefix="confsite-startup-"))
    clone = workdir / "confsite"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)  # noqa: S603,S607 - fixed programs, arguments from this script
    (clone / ".venv").symlink_to(ROOT / ".venv")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env["PORT"] = str(port)
    started = time.perf_counter()
    process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=subprocess.DEVNULL,  # noqa: S603,S607 - fixed programs, arguments from this script
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_http(port, "/", 180, process)
        return time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="confsite-bench-schedule-"))
    env = env_for(args, var_dir)
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    gunicorn = None
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        demo_seconds = manage(env, "load_demo")
        psql_db("ANALYZE")
        print(f"load_demo (ICML-sized programme, PostgreSQL): {demo_seconds:.1f} s")

        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "confsite.settings")
        import django

        django.setup()
        from django.db.models import Count

        from schedule.models import Session

        largest = (Session.objects.filter(conference__slug="icml2026", kind="poster")
                   .annotate(n=Count("presentations")).order_by("-n").first())
        print(f"largest poster session: {largest.title}, {largest.n} posters")
        urls = {
            "poster session page": f"/icml2026/programme/sessions/{largest.code}/",
            "day grid": "/icml2026/programme/?day=2026-07-07",
            "day list": "/icml2026/programme/?day=2026-07-07&view=list",
            "search 'muller'": "/icml2026/programme/search/?q=muller",
            "schedule.ics": "/icml2026/programme/schedule.ics",
            "schedule.xml": "/icml2026/programme/schedule.xml",
            "schedule.json": "/icml2026/programme/schedule.json",
        }
        port = free_port()
        gunicorn = subprocess.Popen(  # noqa: S603,S607 - fixed programs, arguments from this script
            [str(ROOT / ".venv/bin/gunicorn"), "confsite.wsgi", "-w", str(args.workers), "-k", "gthread",
             "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--timeout", "120",
             "--log-level", "warning"], cwd=ROOT, env=env)
        wait_http(port, "/healthz", 60, gunicorn)
        print(f"gunicorn -w {args.workers} -k gthread --threads {args.threads}; load average before: "
              f"{os.getloadavg()[0]:.2f}")
        print("\nUncached server time (median of", args.repeat, "requests, personal cookie bypasses the cache):")
        for label, path in urls.items():
            ms, size, status = uncached(port, path, args.repeat)
            print(f"  {label:22} {ms:8.1f} ms  {size / 1024:8.1f} KiB  HTTP {status}")
        encoding = "identity" if args.no_gzip else "Accept-Encoding: gzip"
        print(f"\nThroughput, {args.clients} anonymous clients, {encoding}, {args.seconds:.0f} s per URL "
              f"(200s only; no 304s):")
        for label, path in urls.items():
            r = hammer(port, path, args.clients, args.seconds, gzip_ok=not args.no_gzip)
            print(f"  {label:22} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
                  f"p99 {r['p99']:7.1f} ms  {r['statuses']}")
        print(f"\nConditional requests (If-None-Match with the ETag), {args.clients} clients, 5 s per URL (304s):")
        for label, path in urls.items():
            r = hammer(port, path, args.clients, 5, conditional=True, gzip_ok=not args.no_gzip)
            print(f"  {label:22} {r['rps']:8.1f} 304/s  p95 {r['p95']:7.1f} ms  {r['statuses']}")
        print(f"\ngunicorn worker RSS: {', '.join(f'{m:.0f} MiB' for m in rss_mib(gunicorn.pid))}; "
              f"load average after: {os.getloadavg()[0]:.2f}")
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        gunicorn = None

        if not args.skip_import:
            first, again = import_papers(env, args.papers)
            print(f"\nimport_papers of {args.papers} papers (JSON, PostgreSQL): {first:.1f} s; "
                  f"re-import of the same file: {again:.1f} s (process start included)")
        if not args.skip_startup:
            print(f"\n`make run` to first page (fresh clone, installed virtualenv, SQLite): "
                  f"{make_run_startup():.1f} s")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001,S110 - Django may not be set up yet
            pass
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
