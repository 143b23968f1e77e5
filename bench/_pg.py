"""What the benchmarks share: a throw-away PostgreSQL database and the production-like environment
that runs Django against it. Scripts run as `python bench/<name>.py`, so this module is importable
as `_pg` from their own directory."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

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
