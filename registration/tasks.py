"""Celery tasks of registration: take primary keys and plain values, re-fetch, call a service."""

import logging
from datetime import date

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="registration.tasks.render_invoice_pdf")
def render_invoice_pdf(pk: int) -> str:
    from . import documents

    return documents.render_invoice(pk)


@shared_task(name="registration.tasks.render_receipt_pdf")
def render_receipt_pdf(pk: int) -> str:
    from . import documents

    return documents.render_receipt(pk)


@shared_task(name="registration.tasks.render_visa_letter_pdf")
def render_visa_letter_pdf(pk: int) -> str:
    from . import documents

    return documents.render_visa_letter(pk)


@shared_task(name="registration.tasks.send_author_reminders")
def send_author_reminders(conference_pk: int, decision: str, topic_pk: int | None, session_pk: int | None,
                          day: str) -> dict:
    """Queue the author-attendance reminders of one filter and day (`day` in ISO format); safe to run twice."""
    from . import author_attendance

    try:
        result = author_attendance.send_reminders_for(conference_pk, decision=decision, topic_pk=topic_pk,
                                                      session_pk=session_pk, day=date.fromisoformat(day))
    except author_attendance.ReminderFilterGone as exc:
        # Deleted between the click and the run: nothing is queued rather than every paper of the edition.
        logger.warning("send_author_reminders(%s): no reminder queued, the filter's %s is gone", conference_pk, exc)
        return {"queued": 0, "already": 0, "unreachable": 0, "error": str(exc)}
    return {"queued": result.queued, "already": result.already, "unreachable": result.unreachable}
