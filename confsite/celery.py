"""The Celery application.

On the embedded default (no REDIS_URL) the broker is kombu's filesystem transport, so `make run`
runs a real worker with beat without any server; with REDIS_URL set, Redis is the broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "confsite.settings")

app = Celery("confsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
