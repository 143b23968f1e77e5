"""Shared fixtures: factories, database-specific markers, and a real Celery worker on Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import pools as kombu_pools

from confsite.celery import app as celery_app
from tests.factories import ConferenceFactory, UserFactory, VerifiedUserFactory

ROOT = Path(__file__).resolve().parent.parent
# Tests that touch Redis use their own database number, so a stray worker never takes their tasks.
TEST_REDIS_DB = 14


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_redis = bool(os.environ.get("REDIS_URL"))
    skip_pg = pytest.mark.skip(reason="only meaningful on PostgreSQL: run with DATABASE_URL=postgres://…")
    skip_redis = pytest.mark.skip(reason="needs a real Redis broker: run with REDIS_URL=redis://…")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not has_redis:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps rate-limit counters in the cache; no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def conference(db):
    return ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)


@pytest.fixture
def user(db):
    return VerifiedUserFactory()


@pytest.fixture
def staff_user(db):
    return VerifiedUserFactory(email="staff@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def user_factory(db):
    return UserFactory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_url(db_number: int = TEST_REDIS_DB) -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{db_number}", "", ""))


def use_broker(url: str, queue: str) -> None:
    """Point this process's Celery app at `url`, publishing to `queue`, with real (not eager) sends."""
    celery_app.conf.broker_url = url
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    forget_connections()


def forget_connections() -> None:
    """Drop kombu's global connection/producer pools and Celery's cached router."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)


@pytest.fixture
def celery_broker():
    """Yield a function that re-points the app at a broker; restore eager mode afterwards."""
    saved = (celery_app.conf.broker_url, celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    queue = f"confsite-test-{uuid.uuid4().hex[:10]}"
    yield lambda url: use_broker(url, queue) or queue
    celery_app.conf.broker_url, celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = saved
    forget_connections()


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path, mail_dir: Path):
        self.process, self.log, self.mail_dir = process, log, mail_dir

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_worker(tmp_path, transactional_db):
    """Start a real `celery worker` process on the test database and a private Redis queue."""
    started: list[Worker] = []

    def start(queue: str) -> Worker:
        db = connection.settings_dict
        database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        var_dir = tmp_path / "worker-var"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "confsite.settings",
            "DEBUG": "false",
            "SECRET_KEY": "worker-test-secret-key-0123456789-0123456789-0123456789",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url(),
            "CELERY_QUEUE": queue,
            "CONFSITE_VAR_DIR": str(var_dir),
            "OUTBOX_SWEEP_GRACE_SECONDS": "0",
        }
        env.pop("EMAIL_URL", None)
        log = tmp_path / f"worker-{queue}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "confsite", "worker", "--pool=solo", "-Q", queue,
             "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )
        worker = Worker(process, log, var_dir / "mail")
        started.append(worker)
        deadline = time.monotonic() + 60
        while "ready." not in worker.output():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{worker.output()}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in started:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
