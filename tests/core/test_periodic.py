"""Deferred work runs from one periodic task over registered sweepers."""

import pytest

from confsite import periodic
from confsite.models import PeriodicRun
from confsite.tasks import run_due_work


@pytest.fixture
def isolated_sweepers(monkeypatch):
    monkeypatch.setattr(periodic, "_sweepers", {})
    return periodic


def test_the_outbox_sweep_is_registered():
    assert "outbox" in periodic.registered()


@pytest.mark.django_db
def test_a_failing_sweeper_does_not_stop_the_others(isolated_sweepers):
    ran = []

    @periodic.sweeper("a-broken")
    def broken():
        raise ValueError("boom")

    @periodic.sweeper("b-fine")
    def fine():
        ran.append("fine")

    assert run_due_work.delay().get() == {"a-broken": "error", "b-fine": "ok"}
    assert ran == ["fine"]
    assert PeriodicRun.objects.get(name="a-broken").last_error == "ValueError('boom')"
    fine_run = PeriodicRun.objects.get(name="b-fine")
    assert fine_run.last_error == "" and fine_run.last_finished_at is not None


def test_beat_runs_the_due_work_every_thirty_seconds(settings):
    assert settings.CELERY_BEAT_SCHEDULE["run-due-work"] == {"task": "confsite.tasks.run_due_work", "schedule": 30.0}
