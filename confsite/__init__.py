"""Confsite: the Django project package and the core app (editions, outbox, consent ledger, health)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
