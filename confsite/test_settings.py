"""Settings for the test suite: the real settings, with fast hashing, eager tasks and in-memory mail.

Tests that are about the broker or the worker switch eagerness off for themselves and talk to a
real Redis (see tests/conftest.py).
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks-000")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CONFSITE_VAR_DIR", tempfile.mkdtemp(prefix="confsite-test-"))
_static_root = tempfile.mkdtemp(prefix="confsite-static-")
# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from .settings import *  # noqa: E402, F403
from .settings import BASE_DIR, STORAGES, TEMPLATES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEV_MAILBOX = True
STAFF_REQUIRE_MFA = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]
STATIC_ROOT = _static_root
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
