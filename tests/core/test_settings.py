"""Configuration from the environment, checked in fresh processes with production-like values."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Yq-8vN!x2pR9zL@wT5mC7hJ4bF6dS1gA0eU_Qy-only-for-this-test",
    "ALLOWED_HOSTS": "icml.confsite.example",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.confsite.example:587",
}


def run(code_or_args, env_overrides, tmp_path):
    # A clean environment: none of the test settings' own variables leak into the child process.
    leaked = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT",
              "DJANGO_ALLOW_ASYNC_UNSAFE", "CONFSITE_VAR_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in leaked}
    env.update({"DJANGO_SETTINGS_MODULE": "confsite.settings", "CONFSITE_VAR_DIR": str(tmp_path)}, **env_overrides)
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = run("import django; django.setup()", {"DEBUG": "false"}, tmp_path)
    assert result.returncode == 1
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_values_turn_on_https_cookies_hsts_and_smtp(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.STAFF_REQUIRE_MFA, s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_USE_TLS, s.DEV_MAILBOX)"
    )
    result = run(code, PRODUCTION, tmp_path)
    assert result.stdout.split() == [
        "True", "True", "True", "31536000", "True",
        "django.core.mail.backends.smtp.EmailBackend", "smtp.confsite.example", "True", "False",
    ]


def test_the_embedded_default_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; from django.conf import settings as s; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print(connection.vendor, c.fetchone()[0], connection.transaction_mode, "
        "s.DATABASES['default']['OPTIONS']['timeout'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.DEV_MAILBOX)"
    )
    result = run(code, {"DEBUG": "true"}, tmp_path)
    assert result.stdout.split() == [
        "sqlite", "wal", "IMMEDIATE", "20", "filesystem://", "django.core.mail.backends.filebased.EmailBackend", "True",
    ]
    assert (tmp_path / "confsite.sqlite3").exists()


def test_database_and_redis_urls_select_postgresql_and_a_redis_broker(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'], s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])"
    )
    result = run(code, {"DEBUG": "true", "DATABASE_URL": "postgres://app@db.internal:5432/confsite",
                        "REDIS_URL": "redis://cache.internal:6379/2"}, tmp_path)
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "confsite", "db.internal", "redis://cache.internal:6379/2",
        "django.core.cache.backends.redis.RedisCache",
    ]


@pytest.mark.django_db
def test_migrations_match_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_code_is_ruff_clean():
    result = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout


def test_collectstatic_writes_hashed_and_compressed_files(tmp_path):
    static_root = tmp_path / "static"
    result = run(["manage.py", "collectstatic", "--noinput", "-v0"], {**PRODUCTION, "STATIC_ROOT": str(static_root)}, tmp_path)
    assert result.returncode == 0, result.stderr
    hashed = sorted(p.name for p in (static_root / "css").glob("site.*.css"))
    assert len(hashed) == 1 and re.fullmatch(r"site\.[0-9a-f]{12}\.css", hashed[0])
    assert (static_root / "css" / (hashed[0] + ".gz")).exists()
    code = "import django; django.setup(); from django.templatetags.static import static; print(static('css/site.css'))"
    url = run(code, {**PRODUCTION, "STATIC_ROOT": str(static_root)}, tmp_path).stdout.strip()
    assert url == f"/static/css/{hashed[0]}"
