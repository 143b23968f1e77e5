"""What the benchmarks share: a throw-away PostgreSQL database and the production-like environment
that runs Django against it, and the statistics they print. Scripts run as `python bench/<name>.py`,
so this module is importable as `_pg` from their own directory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def create_database(name: str) -> None:
    """A fresh, empty database `name` (a leftover one is dropped first)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_env(database: str, var_dir: Path) -> dict:
    """Production settings (DEBUG off) on `database`, files under `var_dir`, no mail or broker."""
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "REDIS_URL")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "confsite.settings", "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false", "STAFF_REQUIRE_MFA": "false",
        "CONFSITE_VAR_DIR": str(var_dir), "STATIC_ROOT": str(var_dir / "static"),
    })
    return env


@contextmanager
def django_on_fresh_database(database: str, *, keep: bool = False, env: dict | None = None) -> Iterator[dict]:
    """Create `database`, migrate it, collect the static files and set Django up on it in this
    process with production settings (`env` adds to them); yield the environment. Afterwards close
    the connections and drop the database, unless `keep`."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"{database}-"))
    (var_dir / "static").mkdir()
    environment = {**django_env(database, var_dir), **(env or {})}
    created = False
    try:
        create_database(database)
        created = True
        for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
            subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", *command],  # noqa: S603 - fixed program
                           cwd=ROOT, env=environment, check=True)
        os.environ.update(environment)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        yield environment
        from django.db import connections

        connections.close_all()
    finally:
        if created and not keep:
            drop_database(database)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds consumed so far by process `pid` (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")  # PostgreSQL in another machine or container
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile of `values`."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]
