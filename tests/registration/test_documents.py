"""PDF invoices, proformas, credit notes and receipts: what they say, and who may download them."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pypdf
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from registration import billing, documents, services
from registration.models import Invoice, Payment, RefundPolicy, RegistrationSettings
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

ISSUER = "ICML Foundation\n123 Example Street, Seoul\nTax id KR-123-45-67890"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def stored_text(field) -> str:
    with field.open("rb") as handle:
        return pdf_text(handle.read())


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def finance_settings(conference, catalogue):
    RegistrationSettings.objects.filter(conference=conference).update(
        invoice_issuer=ISSUER, tax_rate=Decimal("10"), tax_label="VAT",
        bank_instructions="Account holder: ICML Foundation\nIBAN: KR00 1234 5678",
    )


@pytest.fixture
def buyer(db):
    return VerifiedUserFactory(email="minji@example.com")


@pytest.fixture
def order(conference, catalogue, full_pass, industry, buyer, finance_settings):
    return services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                attendees=[attendee(buyer.email, industry, full_pass)])


@pytest.fixture
def payment(order, staff_user):
    return billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)


@pytest.fixture
def invoice(payment):
    return Invoice.objects.get(order=payment.order, kind=Invoice.Kind.INVOICE)


def test_it_renders_the_invoice_with_its_number_the_hangul_badge_name_and_the_totals(invoice):
    assert documents.render_invoice(invoice.pk) == "rendered"
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        data = handle.read()
    text = pdf_text(data)
    assert data.startswith(b"%PDF-")
    assert invoice.display_number == "ICML2026-INV-00001"
    assert "Invoice\nNumber ICML2026-INV-00001" in text
    assert "Full conference (Non-academic) — 김민지 1250.00" in text
    assert "Net 1136.36 USD\nVAT 10 % 113.64 USD\nTotal 1250.00 USD" in text
    assert "ICML Foundation\n123 Example Street, Seoul\nTax id KR-123-45-67890" in text
    assert "Ada Lovelace\nminji@example.com" in text


def test_it_shapes_an_arabic_badge_name(conference, catalogue, full_pass, industry, staff_user, finance_settings):
    buyer = VerifiedUserFactory(email="amira@example.com")
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                 attendees=[attendee(buyer.email, industry, full_pass, badge_name="أميرة حداد")])
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    invoice = order.invoices.get()
    documents.render_invoice(invoice.pk)
    invoice.refresh_from_db()
    assert "أميرة حداد" in stored_text(invoice.pdf)


def test_it_prints_the_billing_details_as_issued(order, buyer, staff_user):
    billing.update_billing(order, by=buyer, billing_name="Acme Research Ltd", billing_address="1 Rue de l'Été\nParis",
                           vat_id="FR12345678901", po_number="PO-77")
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    invoice = order.invoices.get()
    documents.render_invoice(invoice.pk)
    invoice.refresh_from_db()
    text = stored_text(invoice.pdf)
    assert "Purchase order PO-77" in text
    assert "Acme Research Ltd\n1 Rue de l'Été\nParis\nVAT / tax id: FR12345678901" in text


def test_it_renders_a_proforma_with_its_own_title_and_how_to_pay(order, buyer):
    billing.update_billing(order, by=buyer, billing_name="Acme Research Ltd", billing_address="Seoul")
    proforma = billing.request_proforma(order, by=buyer)
    documents.render_invoice(proforma.pk)
    proforma.refresh_from_db()
    text = stored_text(proforma.pdf)
    assert text.startswith("International Conference on Machine Learning")
    assert "Proforma invoice\nNumber ICML2026-PF-00001" in text
    assert f"Please pay 1250.00 USD by bank transfer, quoting {order.reference}." in text
    assert "IBAN: KR00 1234 5678" in text


def test_it_renders_a_credit_note_with_its_own_title(order, payment, buyer):
    now = timezone.now()
    RefundPolicy.objects.create(conference=order.conference, full_refund_until=now + timedelta(days=10),
                                fee_until=now + timedelta(days=20))
    billing.cancel_with_refund(order, by=buyer)
    credit_note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    documents.render_invoice(credit_note.pk)
    credit_note.refresh_from_db()
    text = stored_text(credit_note.pdf)
    assert "Credit note\nNumber ICML2026-CN-00001" in text
    assert "Credit note for ICML2026-INV-00001" in text
    assert "Total -1250.00 USD" in text
    assert "This credit note cancels invoice ICML2026-INV-00001." in text


def test_it_renders_a_receipt(payment):
    assert documents.render_receipt(payment.pk) == "rendered"
    payment.refresh_from_db()
    text = stored_text(payment.receipt_pdf)
    reference = payment.order.reference
    assert f"Receipt\nReceipt number {reference}-R{payment.pk}" in text
    assert "Paid by Bank transfer" in text
    assert "Amount received 1250.00 USD" in text
    assert "— 김민지 1250.00" in text


def test_it_gives_an_unconfirmed_payment_no_receipt(order):
    started = Payment.objects.create(order=order, provider="stripe", amount=order.total, currency="USD")
    assert documents.render_receipt(started.pk) == "skipped"
    started.refresh_from_db()
    assert started.receipt_pdf.name == ""


def test_it_does_not_render_a_document_twice(invoice):
    assert documents.render_invoice(invoice.pk) == "rendered"
    invoice.refresh_from_db()
    name = invoice.pdf.name
    assert documents.render_invoice(invoice.pk) == "exists"
    invoice.refresh_from_db()
    assert invoice.pdf.name == name
    # Other tests' files with the same number share the test run's storage: a suffix may follow the number.
    assert re.fullmatch(r"invoices/\d{4}/ICML2026-INV-00001(_[A-Za-z0-9]{7})?\.pdf", name)


def test_it_renders_the_invoice_and_receipt_once_the_payment_commits(order, staff_user,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    payment.refresh_from_db()
    assert documents.has_file(payment.receipt_pdf)
    assert documents.has_file(order.invoices.get().pdf)


def test_it_gives_private_files_no_url(invoice):
    documents.render_invoice(invoice.pk)
    invoice.refresh_from_db()
    with pytest.raises(ValueError, match="Private files have no public URL"):
        invoice.pdf.url  # noqa: B018


# --- Downloads ---------------------------------------------------------------------------------

@pytest.fixture(params=["invoice", "receipt"])
def document_url(request, invoice, payment):
    if request.param == "invoice":
        return reverse("invoice_pdf", args=["icml2026", invoice.pk])
    return reverse("receipt_pdf", args=["icml2026", payment.pk])


def test_it_serves_the_buyer_a_pdf_rendered_on_first_download(client, buyer, invoice):
    assert invoice.pdf.name == ""  # the task runs after commit; tests never commit
    client.force_login(buyer)
    response = client.get(f"/icml2026/documents/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="ICML2026-INV-00001.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "ICML2026-INV-00001" in pdf_text(downloaded(response))


def test_it_serves_the_buyer_the_receipt(client, buyer, payment):
    client.force_login(buyer)
    response = client.get(f"/icml2026/documents/receipts/{payment.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{payment.order.reference}-R{payment.pk}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert downloaded(response).startswith(b"%PDF-")


def test_it_sends_anonymous_visitors_to_the_login_page(client, document_url):
    response = client.get(document_url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={document_url}"


def test_it_hides_documents_from_another_attendee(client, document_url):
    client.force_login(VerifiedUserFactory(email="other@example.com"))
    assert client.get(document_url).status_code == 404


def test_it_hides_documents_from_staff_without_the_finance_permission(client, document_url):
    client.force_login(VerifiedUserFactory(email="desk@example.org", is_staff=True))
    assert client.get(document_url).status_code == 404


def test_it_serves_documents_to_staff_with_the_finance_permission(client, document_url):
    finance = VerifiedUserFactory(email="finance@example.org", is_staff=True)
    finance.user_permissions.add(Permission.objects.get(codename="view_finance"))
    client.force_login(finance)
    response = client.get(document_url)
    assert response.status_code == 200
    assert downloaded(response).startswith(b"%PDF-")


def test_it_answers_404_under_another_editions_address(client, buyer, document_url):
    ConferenceFactory(slug="icml2027")
    client.force_login(buyer)
    assert client.get(document_url.replace("icml2026", "icml2027")).status_code == 404


def test_it_answers_404_for_an_unconfirmed_payments_receipt(client, buyer, order):
    started = Payment.objects.create(order=order, provider="stripe", amount=order.total, currency="USD")
    client.force_login(buyer)
    assert client.get(reverse("receipt_pdf", args=["icml2026", started.pk])).status_code == 404


def test_it_sends_the_buyer_back_with_a_message_when_rendering_fails(client, buyer, invoice, monkeypatch):
    def broken(pk):
        raise OSError("Pango is missing")

    monkeypatch.setattr(documents, "render_invoice", broken)
    client.force_login(buyer)
    response = client.get(reverse("invoice_pdf", args=["icml2026", invoice.pk]), follow=True)
    assert response.redirect_chain == [("/icml2026/my-registration/", 302)]
    assert ("The document could not be prepared just now. Please try again in a few minutes; if it keeps failing, "
            "write to info@confsite.example.") in response.content.decode()


def test_it_prints_markup_in_a_name_as_text(conference, catalogue, full_pass, industry, staff_user, finance_settings):
    buyer = VerifiedUserFactory(email="mallory@example.com")
    name = '<img src="file:///etc/passwd">'
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                 attendees=[attendee(buyer.email, industry, full_pass, badge_name=name)])
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    invoice = order.invoices.get()
    documents.render_invoice(invoice.pk)
    invoice.refresh_from_db()
    assert f"Full conference (Non-academic) — {name} 1250.00" in stored_text(invoice.pdf)
