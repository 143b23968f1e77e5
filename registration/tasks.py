"""Celery tasks of registration: take primary keys, re-fetch, call the document service."""

from celery import shared_task


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
