"""Time `manage.py import_papers` with 5,000 generated papers on PostgreSQL (prints numbers; not a test).

    .venv/bin/python bench/import_papers.py [--papers 5000] [--database confsite_bench_import]

Creates the database (dropping a leftover one), migrates it, creates one edition, writes an
OpenReview-like JSON export (1–70 authors per paper, mean about 6, drawn from a shared pool so that
authors recur across papers; some Hangul and accented names) and times four runs of the command:
the first import, a dry run of the same file, a re-import of the same file (all unchanged), and a
re-import where 10 % of the papers changed title or author list. Drops the database at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
GIVEN = ["Wei", "Minji", "José", "Ana", "Hana", "Seoyeon", "Jürgen", "Chloé", "Ravi", "Yuki", "Olga", "Kwame"]
FAMILY = ["Zhang", "Kim", "Álvarez", "Müller", "Lee", "Park", "Øster", "Nguyễn", "Singh", "Tanaka", "Ivanova"]
HANGUL = ["김민지", "이서연", "박지훈", "최유나", "정하늘"]


def export(papers: int, seed: int = 7, changed: float = 0.0) -> list[dict]:
    rng = random.Random(seed)
    pool = []
    for n in range(papers * 4):
        name = rng.choice(HANGUL) if n % 17 == 0 else f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        pool.append((name, f"~{name.replace(' ', '_')}{n}" if n % 9 else f"author{n}@example.org"))
    change = random.Random(seed + 1)
    items = []
    for i in range(papers):
        size = 70 if i % 500 == 0 else max(1, min(69, int(rng.expovariate(1 / 5)) + 1))
        people = rng.sample(pool, size)
        title = f"Generated paper {i}: on learning things at scale"
        if changed and change.random() < changed:
            if change.random() < 0.5:
                title += " (revised)"
            else:
                people = people[::-1]
        items.append({
            "id": f"bench{i:05d}", "title": title, "abstract": "We study things. " * 20,
            "authors": [p[0] for p in people], "authorids": [p[1] for p in people],
            "affiliations": [rng.choice(["KAIST", "Seoul National University", "ETH Zürich", "MIT"]) for _ in people],
            "keywords": ["learning", f"topic {i % 40}"], "decision": rng.choice(["Accept (poster)"] * 8 + ["Accept (oral)"]),
            "primary_area": f"Area {i % 25}",
        })
    return items


def psql(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--database", default="confsite_bench_import")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores only (it is created and dropped)")
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}", "DEBUG": "true"}
    python = str(ROOT / ".venv/bin/python")
    psql(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{args.database}"')
    try:
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        setup = ("from datetime import date; from confsite.models import Conference; "
                 "Conference.objects.create(slug='bench', short_name='Bench', name='Bench', city='Seoul', country='KR', "
                 "venue='COEX', time_zone='Asia/Seoul', start_date=date(2026,7,6), end_date=date(2026,7,11), "
                 "contact_email='b@example.org', code_of_conduct='Be kind.')")
        subprocess.run([python, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True)  # noqa: S603
        with tempfile.TemporaryDirectory() as tmp:
            first = Path(tmp) / "papers.json"
            first.write_text(json.dumps(export(args.papers)))
            second = Path(tmp) / "changed.json"
            second.write_text(json.dumps(export(args.papers, changed=0.10)))
            items = json.loads(first.read_text())
            print(f"{args.papers} papers, {sum(len(i['authors']) for i in items)} authorships, "
                  f"{len({a for i in items for a in i['authorids']})} distinct authors, "
                  f"{first.stat().st_size / 1e6:.1f} MB")
            for label, path, extra in [("first import", first, []), ("dry run, same file", first, ["--dry-run"]),
                                       ("re-import, unchanged", first, []), ("re-import, 10% changed", second, [])]:
                started = time.monotonic()
                done = subprocess.run([python, "manage.py", "import_papers", "--edition", "bench", str(path),  # noqa: S603
                                       "--no-progress", "-v", "2", *extra], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True)
                wall = time.monotonic() - started
                took = next(line for line in done.stdout.splitlines() if line.startswith("Took"))
                print(f"{label:24} {took[5:].rstrip('.'):>8} in the import, {wall:5.1f} s with the process  "
                      f"{done.stdout.splitlines()[0]}")
    finally:
        psql(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
