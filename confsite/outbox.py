"""The e-mail outbox: every e-mail the site sends is a row first.

Guarantees:
- `queue_email` writes the row in the caller's transaction; if that transaction rolls back, no
  e-mail exists. It is idempotent per (purpose, object_key, recipient).
- The send is queued only after commit, and only if the row is due by then. A row due later (a bulk
  mailing's staggered rows, `due_at`) is handed to a worker by the periodic sweep once it is due; no
  send waits in the broker with a countdown. If the broker is down at commit, the row stays pending
  and the sweep sends it once a worker runs again.
- `deliver` claims a row with one conditional UPDATE, so two workers never both send it; a sent
  row is never sent again by the machinery (an organiser may resend on purpose).
- SMTP failures are retried with exponential back-off, then marked failed after
  OUTBOX_MAX_ATTEMPTS tries.

The one window left: a worker that dies after the SMTP server accepted a message but before the
row is marked sent leaves the row in "sending"; the sweep returns rows stuck there for
STALE_CLAIM to "pending", so that message may go out twice. We prefer a rare duplicate to a lost
e-mail about a payment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connections, router, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Conference, OutboxEmail
from .periodic import sweeper

logger = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=15)
SWEEP_BATCH = 500


def render_email(template_prefix: str, context: Mapping[str, Any], language: str = "") -> tuple[str, str, str]:
    """Render `<prefix>_subject.txt`, `<prefix>.txt` and, if present, `<prefix>.html` in `language`."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template_prefix}_subject.txt", context).strip()
        subject = " ".join(subject.splitlines())
        text = render_to_string(f"{template_prefix}.txt", context)
        try:
            html = render_to_string(f"{template_prefix}.html", context)
        except Exception:  # no HTML variant for this e-mail
            html = ""
    return subject, text, html


def queue_email(
    *,
    purpose: str,
    object_key: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    language: str = "",
    conference: Conference | None = None,
    headers: Mapping[str, str] | None = None,
    due_at: datetime | None = None,
) -> OutboxEmail:
    """Write one outbox row (or find the one already written for this event) and send after commit.

    `due_at` (default: now) is when it may be sent. A row due by the commit goes to a worker then;
    a later one is left to the periodic sweep, which hands it over once due.
    """
    recipient = recipient.strip().lower()
    row = OutboxEmail(purpose=purpose, object_key=object_key, recipient=recipient, subject=subject[:255],
                      body_text=body_text, body_html=body_html, language=language, conference=conference,
                      headers=dict(headers or {}), from_email=settings.DEFAULT_FROM_EMAIL,
                      next_attempt_at=due_at or timezone.now())
    # INSERT … ON CONFLICT DO NOTHING RETURNING id: one statement, no savepoint. A row returned is new;
    # none means the event was already written (perhaps by a concurrent writer): read that one back.
    if _insert_unless_written(row):
        _dispatch_after_commit_if_due(row)
        return row
    row = OutboxEmail.objects.get(purpose=purpose, object_key=object_key, recipient=recipient)
    if row.status == OutboxEmail.Status.PENDING and row.attempts == 0:
        # A second dispatch of the same row is harmless: only one worker can claim it.
        _dispatch_after_commit_if_due(row)
    return row


def _dispatch_after_commit_if_due(row: OutboxEmail) -> None:
    """After commit, hand `row` to a worker if it is due by then; otherwise the sweep will.

    Not a Celery countdown: a worker holds countdown tasks in memory, Redis hands them out again after
    its visibility timeout (an hour) and a restart or deploy loses or repeats them, while a bulk
    mailing spreads its rows over hours. The due time lives in the row; the sweep reads it.
    """
    pk, due = row.pk, row.next_attempt_at

    def dispatch_if_due() -> None:
        if due <= timezone.now():
            dispatch(pk)

    transaction.on_commit(dispatch_if_due)


def _insert_unless_written(row: OutboxEmail) -> bool:
    """Insert `row` unless its (purpose, object_key, recipient) exists; True, with `row.pk` set, if inserted."""
    opts = OutboxEmail._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    connection = connections[router.db_for_write(OutboxEmail)]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Names come from the model, values go as parameters.
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING RETURNING {quote(opts.pk.column)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk = inserted[0]
    row._state.adding, row._state.db = False, connection.alias
    return True


def queue_templated_email(
    *,
    purpose: str,
    object_key: str,
    recipient: str,
    template_prefix: str,
    context: Mapping[str, Any],
    language: str = "",
    conference: Conference | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxEmail:
    """Render the e-mail in the recipient's language now, so the row holds exactly what is sent."""
    subject, text, html = render_email(template_prefix, context, language)
    return queue_email(
        purpose=purpose,
        object_key=object_key,
        recipient=recipient,
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body_text=text,
        body_html=html,
        language=language,
        conference=conference,
        headers=headers,
    )


def dispatch(pk: int) -> bool:
    """Ask a worker to send row `pk`. A broker failure is logged, not raised: the sweep retries."""
    from .tasks import send_outbox_email

    try:
        send_outbox_email.apply_async((pk,), retry=False)
    except Exception as exc:
        logger.warning("outbox %s: broker unavailable (%s); the periodic sweep will send it", pk, exc)
        return False
    return True


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base, 2×base, 4×base … capped at a day."""
    seconds = settings.OUTBOX_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, 24 * 3600))


def deliver(pk: int) -> str:
    """Send row `pk` if it is due and nobody else holds it. Returns what happened."""
    now = timezone.now()
    claimed = OutboxEmail.objects.filter(pk=pk, status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now).update(
        status=OutboxEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    row = OutboxEmail.objects.get(pk=pk)
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient],
        headers={"X-Confsite-Outbox-Id": str(row.pk), **row.headers},
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        failed_for_good = row.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutboxEmail.objects.filter(pk=pk).update(
            status=OutboxEmail.Status.FAILED if failed_for_good else OutboxEmail.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now + backoff(row.attempts),
        )
        logger.warning("outbox %s: attempt %s failed: %s", pk, row.attempts, exc)
        return "failed" if failed_for_good else "retry"
    OutboxEmail.objects.filter(pk=pk).update(status=OutboxEmail.Status.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def resend(rows) -> int:
    """Organiser's resend: put rows back in the queue, whatever their state, and send them."""
    pks = list(rows.values_list("pk", flat=True))
    OutboxEmail.objects.filter(pk__in=pks).update(
        status=OutboxEmail.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    for pk in pks:
        transaction.on_commit(lambda pk=pk: dispatch(pk))
    return len(pks)


@sweeper("outbox")
def sweep(now=None, grace: timedelta | None = None) -> int:
    """Queue every due row; return rows stuck in "sending" (a dead worker) to "pending" first."""
    now = now or timezone.now()
    if grace is None:
        grace = timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=OutboxEmail.Status.PENDING
    )
    due = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING)
        .filter(next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        dispatch(pk)
    return len(due)
