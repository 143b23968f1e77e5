"""Deferred work, run by one periodic task.

Anything that must happen later (expiring unpaid orders, lapsing waiting-list offers, the outbox
sweep, change digests) is stored as rows with a due time; each app registers a sweeper here that
finds the rows that are due and acts on them. Beat runs `run_due_work` every 30 seconds, so no
deferred work depends on a Celery countdown that a restart could lose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone

logger = logging.getLogger(__name__)

_sweepers: dict[str, Callable[[], object]] = {}


def sweeper(name: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register `fn` to run on every tick of the periodic task."""

    def register(fn: Callable[[], object]) -> Callable[[], object]:
        _sweepers[name] = fn
        return fn

    return register


def registered() -> dict[str, Callable[[], object]]:
    return dict(_sweepers)


def run_due_work() -> dict[str, str]:
    """Run every registered sweeper; one failing sweeper never stops the others."""
    from .models import PeriodicRun

    outcome: dict[str, str] = {}
    for name, fn in sorted(_sweepers.items()):
        PeriodicRun.objects.update_or_create(name=name, defaults={"last_started_at": timezone.now()})
        try:
            fn()
        except Exception as exc:
            logger.exception("periodic job %s failed", name)
            PeriodicRun.objects.filter(name=name).update(last_error=repr(exc)[:2000])
            outcome[name] = "error"
        else:
            PeriodicRun.objects.filter(name=name).update(last_finished_at=timezone.now(), last_error="")
            outcome[name] = "ok"
    return outcome
