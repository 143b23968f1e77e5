"""The e-mail outbox: one row per event, sent after commit, once, with retries."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from confsite import outbox
from confsite.models import OutboxEmail
from tests.conftest import free_port


def queue(**overrides):
    fields = {
        "purpose": "test.hello",
        "object_key": "thing:1",
        "recipient": "Minji@Example.org",
        "subject": "Hello",
        "body_text": "Plain body",
        "body_html": "<p>HTML body</p>",
    }
    fields.update(overrides)
    return outbox.queue_email(**fields)


def dead_smtp():
    """A real SMTP client pointed at a port where nothing listens: every send fails."""
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()
    )


@pytest.mark.django_db(transaction=True)
def test_it_sends_a_queued_email_once_with_both_bodies():
    row = queue()
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT
    assert row.attempts == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["minji@example.org"]
    assert message.subject == "Hello"
    assert message.body == "Plain body"
    assert message.alternatives[0].content == "<p>HTML body</p>"
    assert message.extra_headers["X-Confsite-Outbox-Id"] == str(row.pk)


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_row_per_purpose_object_and_recipient():
    first = queue()
    second = queue(subject="Hello again")
    assert first.pk == second.pk
    assert OutboxEmail.objects.count() == 1
    assert len(mail.outbox) == 1
    queue(recipient="someone.else@example.org")
    assert OutboxEmail.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_it_writes_nothing_when_the_causing_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the order could not be placed")
    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_queues_the_send_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = queue()
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.PENDING
    callbacks[0]()
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_it_never_sends_a_sent_row_again():
    row = queue()
    assert outbox.deliver(row.pk) == "skipped"
    assert outbox.sweep(grace=timedelta(0)) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_it_retries_smtp_failures_with_exponential_backoff():
    with dead_smtp():
        before = timezone.now()
        row = queue()
        row.refresh_from_db()
        assert row.status == OutboxEmail.Status.PENDING
        assert row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        first_delay = row.next_attempt_at - before
        assert timedelta(seconds=60) <= first_delay < timedelta(seconds=65)

        # Not due yet: a delivery attempt now does nothing.
        assert outbox.deliver(row.pk) == "skipped"
        OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        assert outbox.deliver(row.pk) == "retry"
        row.refresh_from_db()
        assert row.attempts == 2
        assert timedelta(seconds=120) <= row.next_attempt_at - before < timedelta(seconds=125)


@pytest.mark.django_db(transaction=True)
@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_it_marks_a_row_failed_after_the_last_attempt():
    with dead_smtp():
        row = queue()
        for _ in range(2):
            OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
            outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED
    assert row.attempts == 3
    assert outbox.sweep(grace=timedelta(0)) == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_what_is_due_once_smtp_is_back():
    with dead_smtp():
        row = queue()
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert outbox.sweep() == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT
    assert row.attempts == 2
    assert row.last_error == ""
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_leaves_fresh_rows_to_the_send_queued_at_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queue()
    assert outbox.sweep() == 0
    assert outbox.sweep(now=timezone.now() + timedelta(seconds=31)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweep_returns_rows_of_a_dead_worker_to_the_queue():
    row = queue()
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxEmail.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=16),
        next_attempt_at=timezone.now() - timedelta(minutes=16),
    )
    assert outbox.sweep() == 1
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.SENT
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_a_row_that_a_live_worker_holds():
    row = queue()
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxEmail.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=1),
        next_attempt_at=timezone.now() - timedelta(minutes=1),
    )
    assert outbox.sweep() == 0
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.SENDING


@pytest.mark.django_db(transaction=True)
def test_a_template_is_rendered_in_the_recipients_language():
    # Django's own Korean catalogue translates "Welcome," and "Home"; the test template uses them.
    korean = outbox.queue_templated_email(
        purpose="test.greeting", object_key="x:1", recipient="a@example.org",
        template_prefix="tests/email/greeting", context={"name": "Minji"}, language="ko",
    )
    assert korean.language == "ko"
    assert korean.subject == "[Confsite] 환영합니다, Minji"
    assert korean.body_text == "홈: Minji\n"
    assert korean.body_html == ""
    english = outbox.queue_templated_email(
        purpose="test.greeting", object_key="x:1", recipient="b@example.org",
        template_prefix="tests/email/greeting", context={"name": "Ada"}, language="",
    )
    assert english.subject == "[Confsite] Welcome, Ada"
    assert english.body_text == "Home: Ada\n"
    assert [m.subject for m in mail.outbox] == ["[Confsite] 환영합니다, Minji", "[Confsite] Welcome, Ada"]


@pytest.fixture
def handed_over(monkeypatch):
    """The primary keys handed to a worker, in order, with the options of each hand-over; sends nothing."""
    from confsite.tasks import send_outbox_email

    calls = []
    monkeypatch.setattr(send_outbox_email, "apply_async", lambda args, **options: calls.append((args[0], options)))
    return calls


@pytest.mark.django_db
def test_a_row_due_later_is_not_handed_to_a_worker_at_commit(django_capture_on_commit_callbacks, handed_over):
    due = timezone.now() + timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(due_at=due)
    assert handed_over == []
    assert (OutboxEmail.objects.get(pk=row.pk).next_attempt_at, row.status) == (due, OutboxEmail.Status.PENDING)


@pytest.mark.django_db
def test_a_row_due_now_is_handed_over_at_commit_without_a_countdown(django_capture_on_commit_callbacks, handed_over):
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(due_at=timezone.now())
    assert handed_over == [(row.pk, {"retry": False})]


@pytest.mark.django_db
def test_the_sweep_hands_over_a_row_due_later_once_it_is_due(django_capture_on_commit_callbacks, handed_over):
    due = timezone.now() + timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(due_at=due)
    assert outbox.sweep(now=due + timedelta(seconds=29)) == 0  # the sweep's grace: 30 s
    assert outbox.sweep(now=due + timedelta(seconds=30)) == 1
    assert handed_over == [(row.pk, {"retry": False})]


@pytest.mark.django_db
def test_queueing_a_row_due_later_again_hands_nothing_over(django_capture_on_commit_callbacks, handed_over):
    due = timezone.now() + timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(due_at=due)
        again = queue(due_at=timezone.now())
    assert again.pk == first.pk
    assert OutboxEmail.objects.get(pk=first.pk).next_attempt_at == due
    assert handed_over == []
