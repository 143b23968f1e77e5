"""A real Celery worker process on Redis and PostgreSQL; the broker going away and coming back."""

from pathlib import Path

import pytest

from confsite import outbox
from confsite.models import OutboxEmail, PeriodicRun
from confsite.tasks import run_due_work
from tests.conftest import free_port, redis_url, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def queue(recipient: str, key: str) -> OutboxEmail:
    return outbox.queue_email(
        purpose="test.worker", object_key=key, recipient=recipient, subject=f"Hello {recipient}", body_text="Body"
    )


def mail_files(worker) -> list[str]:
    """The messages the worker wrote, one string each. Django's file backend names a file by the second
    and the backend object's id(), so two messages sent within one second by backends at the same
    address share a file, separated by a line of 79 dashes: count messages, not files."""
    folder = Path(worker.mail_dir)
    if not folder.exists():
        return []
    messages = []
    for path in folder.glob("*.log"):
        messages += [m.strip() for m in path.read_text().split("-" * 79) if m.strip()]
    return sorted(messages)


def test_a_real_worker_sends_an_outbox_email_through_redis(start_worker, celery_broker):
    queue_name = celery_broker(redis_url())
    worker = start_worker(queue_name)

    row = queue("minji@example.org", "order:1")

    sent = wait_for(lambda: OutboxEmail.objects.filter(pk=row.pk, status=OutboxEmail.Status.SENT).first())
    assert sent.attempts == 1
    files = mail_files(worker)
    assert len(files) == 1
    assert "Subject: Hello minji@example.org" in files[0]
    assert "send_outbox_email[" in worker.output()


def test_emails_written_while_the_broker_is_down_are_sent_once_it_is_back(start_worker, celery_broker):
    # The broker is unreachable: the order's transaction still commits its e-mails.
    celery_broker(f"redis://127.0.0.1:{free_port()}/14")
    rows = [queue(f"person{i}@example.org", f"order:{i}") for i in range(3)]
    assert [OutboxEmail.objects.get(pk=r.pk).status for r in rows] == ["pending"] * 3
    assert [OutboxEmail.objects.get(pk=r.pk).attempts for r in rows] == [0, 0, 0]

    # The broker is back and a worker runs: the periodic task (what beat sends every 30 s) sweeps.
    queue_name = celery_broker(redis_url())
    worker = start_worker(queue_name)
    run_due_work.delay()

    wait_for(lambda: OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 3)
    assert sorted(OutboxEmail.objects.values_list("attempts", flat=True)) == [1, 1, 1]
    assert len(mail_files(worker)) == 3
    assert PeriodicRun.objects.get(name="outbox").last_error == ""
