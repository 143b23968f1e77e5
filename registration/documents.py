"""PDF documents: invoices (proforma, final, credit note), payment receipts and visa letters.

Each `render_*` function takes a primary key (Celery tasks call them, and the download views call
them on first download), renders an HTML template with WeasyPrint and stores the PDF in the
model's private file field. Guarantees:
- Idempotent: a document whose file exists is not rendered again ("exists"); two renders racing
  each other leave one file on the record and delete the other.
- Only the file field is written: issued documents never change otherwise.
- Fonts are the machine's (Noto Sans, Noto Sans CJK, Noto Sans Arabic, DejaVu Sans); nothing is
  fetched from the network, so names in any script render the same on every server.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Invoice, Payment, RegistrationSettings, VisaLetter

logger = logging.getLogger(__name__)

RENDERED, EXISTS = "rendered", "exists"


def has_file(field: FieldFile) -> bool:
    return bool(field.name) and field.storage.exists(field.name)


def _pdf(template: str, context: dict) -> bytes:
    """HTML → PDF. Documents are legal papers in one language, so they render in the site's language
    whatever the language of the request or worker that triggers them."""
    # Imported here: loading Pango takes a while, and only renders need it.
    from weasyprint import HTML, URLFetcher

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context)
    # Everything a document shows is inline (the QR code is a data: URI). Fetching nothing else means
    # no text that reaches a template could make the renderer read a local file or call a server.
    fetcher = URLFetcher(allowed_protocols=["data"])
    return HTML(string=html, base_url=settings.SITE_URL + "/", url_fetcher=fetcher).write_pdf()


def _store(obj: Model, field_name: str, filename: str, content: bytes) -> str:
    """Save the file and point the record at it, unless another render got there first."""
    field: FieldFile = getattr(obj, field_name)
    previous = field.name or ""
    stored = field.storage.save(field.field.generate_filename(obj, filename), ContentFile(content))
    updated = type(obj).objects.filter(pk=obj.pk, **{field_name: previous}).update(**{field_name: stored})
    if not updated:
        field.storage.delete(stored)
        obj.refresh_from_db(fields=[field_name])
        return EXISTS
    setattr(obj, field_name, stored)
    return RENDERED


def _issuer(conference) -> dict:
    """Who issues the documents, the name of the tax and how to pay, from the edition's registration settings."""
    reg_settings = RegistrationSettings.objects.filter(conference=conference).first()
    return {
        "issuer": reg_settings.invoice_issuer if reg_settings else "",
        "tax_label": (reg_settings.tax_label if reg_settings else "") or _("Tax"),
        "bank_instructions": reg_settings.bank_instructions if reg_settings else "",
    }


def _local_date(moment, conference):
    return timezone.localtime(moment, conference.tzinfo).date() if moment else None


def render_invoice(pk: int) -> str:
    """A proforma invoice, invoice or credit note as PDF, from what was issued (never from the order now)."""
    invoice = Invoice.objects.select_related("conference", "order", "corrects__conference").get(pk=pk)
    if has_file(invoice.pdf):
        return EXISTS
    conference = invoice.conference
    context = {
        "invoice": invoice,
        "conference": conference,
        "order": invoice.order,
        **_issuer(conference),
        "issued_on": _local_date(invoice.issued_at, conference),
        "title": invoice.get_kind_display(),
    }
    content = _pdf("registration/documents/invoice.html", context)
    return _store(invoice, "pdf", f"{invoice.display_number}.pdf", content)


def render_receipt(pk: int) -> str:
    """A receipt for one confirmed payment; an unconfirmed payment has none ("skipped")."""
    payment = Payment.objects.select_related("order__conference", "order__buyer").get(pk=pk)
    if payment.status != Payment.Status.CONFIRMED:
        return "skipped"
    if has_file(payment.receipt_pdf):
        return EXISTS
    order = payment.order
    conference = order.conference
    context = {
        "payment": payment,
        "order": order,
        "conference": conference,
        **_issuer(conference),
        "number": receipt_number(payment),
        "received_on": _local_date(payment.confirmed_at, conference),
        "payer": order.billing_name or order.buyer.get_full_name() or order.buyer.email,
        "lines": order.lines.select_related("product", "category", "registration"),
        "title": _("Receipt"),
    }
    content = _pdf("registration/documents/receipt.html", context)
    return _store(payment, "receipt_pdf", f"receipt-{receipt_number(payment)}.pdf", content)


def receipt_number(payment: Payment) -> str:
    return f"{payment.order.reference}-R{payment.pk}"


def verification_url(letter: VisaLetter) -> str:
    """The absolute address a consulate opens (or scans) to check the letter."""
    return settings.SITE_URL + reverse("verify_visa_letter", args=[letter.registration.conference.slug, letter.reference])


def _qr_data_uri(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


def render_visa_letter(pk: int) -> str:
    """The invitation letter with the passport details it was requested with. Once the passport data
    is purged the letter cannot be rendered again ("purged"); its public verification still works."""
    letter = VisaLetter.objects.select_related("registration__conference", "registration__order",
                                               "registration__pass_product", "passport").get(pk=pk)
    if has_file(letter.pdf):
        return EXISTS
    passport = getattr(letter, "passport", None)
    if passport is None:
        return "purged"
    conference = letter.registration.conference
    url = verification_url(letter)
    context = {
        "letter": letter,
        "registration": letter.registration,
        "passport": passport,
        "nationality": countries.name(passport.nationality) or passport.nationality,
        "venue_country": countries.name(conference.country) or conference.country,
        "conference": conference,
        **_issuer(conference),
        "issued_on": _local_date(letter.issued_at, conference),
        "verify_url": url,
        "qr_code": _qr_data_uri(url),
        "title": _("Letter of invitation"),
    }
    content = _pdf("registration/documents/visa_letter.html", context)
    return _store(letter, "pdf", f"visa-letter-{letter.reference}.pdf", content)
