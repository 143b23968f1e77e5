"""Orders per second through POST /api/<edition>/orders/, against gunicorn (3 sync workers) on PostgreSQL.

Not a test: it prints numbers. See bench/README.md. In short:

    .venv/bin/python bench/orders.py              # both runs, about a minute
    .venv/bin/python bench/orders.py --orders 500 --clients 20

Run 1 (throughput): `--clients` threads, each request from a different attendee with their own API
token, each registering themselves with one full pass, until `--orders` orders or `--seconds` have
passed. Prints successful orders/s, latency percentiles, errors by status and code, and each
gunicorn worker's resident memory.

Run 2 (capacity): a second edition whose venue holds `--quota` seats; `--attempts` attendees try to
register at once. Prints how many got a seat, the oversell (registrations holding a venue seat minus
the quota's size, which must be 0) and whether the quota's `held` counter equals those registrations.

Everything happens on 127.0.0.1: a fresh database (dropped at the end), a gunicorn started and
stopped here, Redis database 13 as the broker with a private queue that no worker consumes (the
outbox e-mails are published, never sent; the queue is deleted at the end).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from _pg import create_database, drop_database  # bench/_pg.py

ROOT = Path(__file__).resolve().parent.parent
PROFILE = {"legal_name": "Bench Attendee", "affiliation": "KAIST", "position": "engineer", "country": "KR"}


@dataclass
class Result:
    started: float
    latency: float
    status: int
    code: str


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="run 1: orders to place (default 2000)")
    parser.add_argument("--seconds", type=float, default=120, help="run 1: stop after this long (default 120)")
    parser.add_argument("--warmup", type=int, default=100, help="orders placed before measuring (default 100)")
    parser.add_argument("--pass", dest="pass_kind", default="full",
                        help="run 1: pass kind (default full; 'virtual' draws on no quota, so no row lock)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--quota", type=int, default=50, help="run 2: venue seats (default 50)")
    parser.add_argument("--attempts", type=int, default=500, help="run 2: attendees trying (default 500)")
    # As in production (README: sync workers); three on two cores beat two (a worker waiting on the
    # database leaves its core to another) and four (more switching) by 12-15 %.
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker, for --worker-class gthread (default 1; more turns sync into gthread)")
    parser.add_argument("--database", default="confsite_bench", help="database to create and drop")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="broker; '' for the filesystem")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores only (it is created and dropped)")
    return args


# --- Set-up --------------------------------------------------------------------------------------

def server_env(args, var_dir: Path, queue: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "confsite.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CONFSITE_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "CELERY_QUEUE": queue,
    }
    env.pop("EMAIL_URL", None)
    if args.redis:
        env["REDIS_URL"] = args.redis
    else:
        env.pop("REDIS_URL", None)
    return env


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build_edition(slug: str, prefix: str, venue_seats: int):
    from django.utils import timezone

    from confsite.models import Conference
    from registration.catalogue import build_standard_catalogue

    edition = Conference.objects.create(
        name=f"Benchmark {slug}", short_name=slug.upper(), slug=slug, city="Seoul", country="KR", venue="COEX",
        time_zone="Asia/Seoul", start_date=timezone.now().date() + timedelta(days=200),
        end_date=timezone.now().date() + timedelta(days=205), currency="USD", contact_email="bench@example.org",
        code_of_conduct="Be kind.",
    )
    today = timezone.now().date()
    build_standard_catalogue(edition, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
                             venue_seats=venue_seats, social_seats=10, order_prefix=prefix)
    return edition


def create_attendees(prefix: str, count: int) -> list[tuple[str, str]]:
    """`count` users with API tokens, in bulk: (e-mail, token key)."""
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from confsite.models import User

    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"{prefix}-{n}@bench.example.org", password=unusable) for n in range(count)], batch_size=1000
    )
    tokens = Token.objects.bulk_create([Token(user=user, key=Token.generate_key()) for user in users], batch_size=1000)
    return [(token.user.email, token.key) for token in tokens]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args, env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - fixed program, arguments from this script
        [str(ROOT / ".venv/bin/gunicorn"), "confsite.wsgi", "-w", str(args.workers), "-k", args.worker_class,
         "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_memory(master_pid: int) -> list[tuple[int, int, int]]:
    """(pid, VmRSS KiB, VmHWM KiB) of each gunicorn worker: the master's child processes."""
    children_file = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children_file.exists():
        pids = [int(p) for p in children_file.read_text().split()]
    else:
        pids = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()
                and _status(int(d.name)).get("PPid") == str(master_pid)]
    out = []
    for pid in sorted(pids):
        status = _status(pid)
        out.append((pid, int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])))
    return out


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds consumed so far by each of `pids` (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_backends(database: str) -> list[int]:
    """Server processes of connections to `database` (titled "postgres: [cluster:] user database host …")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
            except OSError:
                continue
            if title[:1] == ["postgres:"] and database in title[1:5]:
                pids.append(int(entry.name))
    return pids


def _status(pid: int) -> dict:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


# --- Load ----------------------------------------------------------------------------------------

def fire(port: int, edition: str, attendees: list[tuple[str, str]], clients: int, seconds: float,
         product_kind: str = "full") -> tuple[list[Result], float]:
    """Each attendee places one order for themselves; `clients` threads, one connection each (kept alive
    unless the server closes it, as sync workers do after every response)."""
    lock = threading.Lock()
    position = 0
    results: list[Result] = []
    deadline = time.monotonic() + seconds

    def next_attendee():
        nonlocal position
        with lock:
            if position >= len(attendees) or time.monotonic() > deadline:
                return None
            position += 1
            return attendees[position - 1]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while (item := next_attendee()) is not None:
            email, token = item
            payload = json.dumps({
                "attendees": [{"email": email, "category": "non_academic", "pass": product_kind, "addons": [],
                               "badge_name": email.split("@")[0], **PROFILE}],
                "accept_code_of_conduct": True,
            })
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                       "Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                conn.request("POST", f"/api/{edition}/orders/", body=payload, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
                code = ""
                if status >= 400:
                    try:
                        code = json.loads(body).get("code", "") if body.startswith(b"{") else ""
                    except ValueError:
                        code = "unparsable"
            except (OSError, http.client.HTTPException) as exc:
                status, code = 0, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(Result(started, time.perf_counter() - started, status, code))
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - began


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]  # nearest rank


def report_load(results: list[Result], wall: float) -> dict:
    ok = [r for r in results if r.status == 201]
    latencies = [r.latency * 1000 for r in results]
    errors = Counter(f"{r.status} {r.code}".strip() for r in results if r.status != 201)
    summary = {
        "requests": len(results), "orders": len(ok), "seconds": wall, "orders_per_s": len(ok) / wall if wall else 0,
        "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
        "mean": statistics.fmean(latencies), "max": max(latencies), "errors": dict(errors),
    }
    print(f"  requests            {summary['requests']} in {wall:.1f} s")
    print(f"  successful orders   {summary['orders']}  ({summary['orders_per_s']:.1f} orders/s)")
    print(f"  latency ms          p50 {summary['p50']:.0f}  p95 {summary['p95']:.0f}  p99 {summary['p99']:.0f}  "
          f"mean {summary['mean']:.0f}  max {summary['max']:.0f}  (p99/p50 = {summary['p99'] / summary['p50']:.2f})")
    print(f"  errors by status    {dict(sorted(errors.items())) or 'none'}")
    return summary


def report_memory(master_pid: int) -> list[tuple[int, int, int]]:
    workers = worker_memory(master_pid)
    for pid, rss, peak in workers:
        print(f"  worker {pid}        VmRSS {rss / 1024:.1f} MiB  (peak VmHWM {peak / 1024:.1f} MiB)")
    return workers


def check_capacity(edition_slug: str) -> dict:
    from registration.models import Quota, Registration

    quota = Quota.objects.get(conference__slug=edition_slug, name="Venue (in person)")
    holding = Registration.objects.filter(
        conference__slug=edition_slug, status=Registration.Status.ACTIVE, pass_product__quotas=quota
    ).count()
    return {"size": quota.size, "held": quota.held, "holding": holding, "oversell": max(holding - quota.size, 0)}


# --- Main ----------------------------------------------------------------------------------------

def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="confsite-bench-"))
    (var_dir / "static").mkdir()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = server_env(args, var_dir, queue)
    gunicorn = None
    created = False
    try:
        print(f"Database {args.database} on 127.0.0.1:5432; broker {args.redis or 'filesystem'} (queue {queue}, not consumed)")
        create_database(args.database)
        created = True
        migrate = [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # noqa: S603 - fixed program
        setup_django(env)
        from django.db import connection, connections
        from django.test.utils import CaptureQueriesContext

        from registration.models import Quota

        build_edition("bench1", "BENCH1", venue_seats=1_000_000)
        build_edition("bench2", "BENCH2", venue_seats=args.quota)
        started = time.perf_counter()
        run1 = create_attendees("run1", args.warmup + args.orders)
        run2 = create_attendees("run2", args.attempts)
        print(f"Set-up: 2 editions, {len(run1) + len(run2)} attendees with tokens in {time.perf_counter() - started:.1f} s")
        connections.close_all()

        port = free_port()
        gunicorn = start_gunicorn(args, env, port, var_dir / "gunicorn.log")
        print(f"gunicorn confsite.wsgi -w {args.workers} -k {args.worker_class} --threads {args.threads} on 127.0.0.1:{port}, "
              f"{args.clients} clients, {os.cpu_count()} CPUs shared by server, database and clients")

        cpu_before = time.process_time()
        fire(port, "bench1", run1[:args.warmup], args.clients, args.seconds, args.pass_kind)
        print(f"\nRun 1: {args.orders} orders, {args.pass_kind} pass (after {args.warmup} warm-up orders), "
              f"at most {args.seconds:.0f} s")
        workers = [pid for pid, _rss, _peak in worker_memory(gunicorn.pid)]
        server_before, load_before = cpu_seconds(workers), os.getloadavg()[0]
        pg_before = cpu_seconds(postgres_backends(args.database))
        results, wall = fire(port, "bench1", run1[args.warmup:], args.clients, args.seconds, args.pass_kind)
        server_cpu = cpu_used(server_before, cpu_seconds(workers))
        pg_cpu = cpu_used(pg_before, cpu_seconds(postgres_backends(args.database)))
        client_cpu = time.process_time() - cpu_before
        summary = report_load(results, wall)
        per_order = 1000 * (server_cpu + pg_cpu) / max(summary["orders"], 1)
        print(f"  CPU per order       gunicorn {1000 * server_cpu / max(summary['orders'], 1):.1f} ms + PostgreSQL "
              f"{1000 * pg_cpu / max(summary['orders'], 1):.1f} ms = {per_order:.1f} ms: at most "
              f"{1000 * (os.cpu_count() or 1) / per_order:.0f} orders/s on {os.cpu_count()} idle CPUs")
        print(f"  load generator CPU  {client_cpu:.1f} s (of {wall:.1f} s wall, warm-up included); machine load "
              f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        report_memory(gunicorn.pid)
        held = Quota.objects.get(conference__slug="bench1", name="Venue (in person)").held
        ok1 = sum(r.status == 201 for r in results)
        if args.pass_kind != "virtual":
            print(f"  venue quota held    {held} (= {args.warmup} warm-up + {ok1} measured: {held == args.warmup + ok1})")

        print(f"\nRun 2: {args.attempts} attendees for {args.quota} seats")
        results, wall = fire(port, "bench2", run2, args.clients, args.seconds)
        report_load(results, wall)
        capacity = check_capacity("bench2")
        ok2 = sum(r.status == 201 for r in results)
        print(f"  seats held          {capacity['held']} of {capacity['size']}; active in-person registrations "
              f"{capacity['holding']}; orders answered 201: {ok2}")
        print(f"  oversell            {capacity['oversell']}")
        print(f"  quota.held == active in-person registrations: {capacity['held'] == capacity['holding']}")
        report_memory(gunicorn.pid)

        # Where the time goes: the queries of one order, placed in-process through the same view.
        from rest_framework.test import APIClient

        # The first order of a process reads the edition's catalogue into its snapshot; the second is
        # what every later order costs.
        for n, (email, token) in enumerate(create_attendees("probe", 2)):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            with CaptureQueriesContext(connection) as queries:
                response = client.post("/api/bench1/orders/", {"attendees": [
                    {"email": email, "category": "non_academic", "pass": "full", "badge_name": "Probe", **PROFILE}],
                    "accept_code_of_conduct": True}, format="json", HTTP_HOST="127.0.0.1")
            statements = [q["sql"].split()[0] for q in queries.captured_queries]
            which = "first order of a process" if n == 0 else "every later order"
            print(f"{'' if n else chr(10)}One order through the API ({which}): {len(statements)} SQL statements "
                  f"(status {response.status_code}): {dict(Counter(statements))}")
        connections.close_all()
        return 0
    finally:
        stop(gunicorn)
        if created:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: S110 - Django may not be set up yet
                pass
            drop_database(args.database)
        if args.redis:
            import redis

            broker = redis.Redis.from_url(args.redis)
            for key in broker.scan_iter(f"*{queue}*"):
                broker.delete(key)
        shutil.rmtree(var_dir, ignore_errors=True)
        print(f"\nCleaned up: gunicorn stopped, database {args.database} dropped, queue {queue} deleted.")


if __name__ == "__main__":
    sys.exit(main())
