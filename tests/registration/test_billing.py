"""Billing: bank payments (partial and full), invoices and proformas, refunds under the policy, credit notes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from confsite.models import OutboxEmail
from registration import billing, services
from registration.errors import NotAllowed
from registration.models import Invoice, Order, Payment, Quota, Refund, RefundPolicy, RegistrationSettings
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee
from tests.registration.test_eligibility import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="buyer@acme.example")
    return services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                attendees=[attendee(buyer.email, industry, full_pass)])


@pytest.fixture
def policy(conference):
    now = timezone.now()
    return RefundPolicy.objects.create(conference=conference, full_refund_until=now + timedelta(days=10),
                                       fee_until=now + timedelta(days=40), fee_percent=Decimal("20"),
                                       fee_minimum=Decimal("50"), visa_denial_applied_before=now.date())


def pay(order, amount=None, staff=None):
    return billing.record_payment(order, amount=order.total if amount is None else amount, provider="bank", by=staff)


def test_minor_units_follow_the_currency():
    assert billing.minor_units(Decimal("12.50"), "USD") == 1250
    assert billing.minor_units(Decimal("150000"), "KRW") == 150000
    assert billing.from_minor_units(150000, "KRW") == Decimal("150000")
    assert billing.from_minor_units(1250, "EUR") == Decimal("12.50")


def test_a_partial_payment_leaves_the_rest_due(order, staff_user):
    pay(order, Decimal("250.00"), staff_user)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert billing.outstanding(order) == Decimal("1000.00")
    assert order.invoices.count() == 0
    mail = OutboxEmail.objects.get(purpose="registration.payment_received")
    assert "Still to pay: 1000.00 USD." in mail.body_text


def test_paying_in_full_marks_paid_issues_the_invoice_and_mails_a_receipt(order, staff_user):
    RegistrationSettings.objects.update(tax_rate=Decimal("10"), tax_label="VAT")
    pay(order, Decimal("250.00"), staff_user)
    payment = pay(order, Decimal("1000.00"), staff_user)
    order.refresh_from_db()
    assert (order.status, order.expires_at) == (Order.Status.PAID, None)
    invoice = order.invoices.get()
    assert (invoice.kind, invoice.number, invoice.display_number) == ("invoice", 1, "ICML2026-INV-00001")
    assert (invoice.gross, invoice.net, invoice.tax, invoice.tax_rate) == (
        Decimal("1250.00"), Decimal("1136.36"), Decimal("113.64"), Decimal("10.00"))
    assert invoice.recipient["email"] == "buyer@acme.example"
    assert payment.recorded_by == staff_user
    assert OutboxEmail.objects.filter(purpose="registration.payment_received").count() == 2
    receipt_mail = OutboxEmail.objects.get(purpose="registration.payment_received", object_key=f"payment:{payment.pk}")
    assert f"/icml2026/documents/receipts/{payment.pk}/pdf/" in receipt_mail.body_text


@pytest.mark.parametrize(("amount", "message"), [
    (Decimal("1250.01"), "Only 1250.00 USD is due on"),
    (Decimal("0"), "A payment must be more than zero."),
    (Decimal("-5"), "A payment must be more than zero."),
])
def test_a_wrong_payment_amount_is_refused(order, amount, message):
    with pytest.raises(NotAllowed, match=message):
        pay(order, amount)
    assert Payment.objects.count() == 0


def test_no_payment_is_taken_on_a_cancelled_order(order):
    services.cancel_order(order)
    with pytest.raises(NotAllowed, match="is cancelled; no payment is due."):
        pay(order)


def test_a_provider_confirmation_replayed_records_one_payment(order):
    first = billing.record_payment(order, amount=order.total, provider="stripe", external_id="cs_test_1")
    again = billing.record_payment(order, amount=order.total, provider="stripe", external_id="cs_test_1")
    assert first.pk == again.pk
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 1


def test_a_proforma_needs_billing_details_and_has_its_own_series(order):
    with pytest.raises(NotAllowed, match="Enter the billing name and address first."):
        billing.request_proforma(order, by=order.buyer)
    billing.update_billing(order, by=order.buyer, billing_name="Acme Robotics GmbH", billing_address="Ring 1\n1010 Wien",
                           vat_id="ATU12345678", po_number="PO-77", invoice_email="ap@acme.example")
    proforma = billing.request_proforma(order, by=order.buyer)
    assert proforma.display_number == "ICML2026-PF-00001"
    assert proforma.recipient == {"name": "Acme Robotics GmbH", "address": "Ring 1\n1010 Wien", "vat_id": "ATU12345678",
                                  "po_number": "PO-77", "email": "ap@acme.example"}
    assert OutboxEmail.objects.get(purpose="registration.proforma_ready").recipient == "buyer@acme.example"
    pay(order)
    assert order.invoices.get(kind="invoice").number == 1
    with pytest.raises(NotAllowed, match="A proforma invoice is for an unpaid order"):
        billing.request_proforma(order, by=order.buyer)


def test_only_the_buyer_edits_billing_or_asks_for_a_proforma(order):
    stranger = VerifiedUserFactory()
    with pytest.raises(NotAllowed):
        billing.update_billing(order, by=stranger, billing_name="x", billing_address="y")
    with pytest.raises(NotAllowed):
        billing.request_proforma(order, by=stranger)


def test_invoice_numbers_are_sequential_per_edition(conference, catalogue, full_pass, industry):
    for i in range(3):
        buyer = VerifiedUserFactory()
        o = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                 attendees=[attendee(buyer.email, industry, full_pass)])
        pay(o)
    assert list(Invoice.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_an_unpaid_order_is_cancelled_without_a_policy(order):
    quote = billing.cancel_with_refund(order, by=order.buyer)
    assert (quote.refund, quote.fee) == (Decimal("0"), Decimal("0"))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Quota.objects.get(name="Venue (in person)").held == 0


def test_a_paid_order_needs_a_policy_to_be_cancelled_by_the_attendee(order):
    pay(order)
    with pytest.raises(NotAllowed, match="no refund policy yet"):
        billing.cancel_with_refund(order, by=order.buyer)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


def test_cancelling_in_the_full_refund_period_refunds_all_with_a_credit_note(order, policy, staff_user):
    pay(order)
    quote = billing.cancel_with_refund(order, by=order.buyer)
    assert (quote.paid, quote.fee, quote.refund) == (Decimal("1250.00"), Decimal("0"), Decimal("1250.00"))
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("1250.00"), Refund.Status.PENDING)  # a task for finance
    credit = order.invoices.get(kind="credit_note")
    assert (credit.display_number, credit.gross, credit.corrects.number) == ("ICML2026-CN-00001", Decimal("-1250.00"), 1)
    assert billing.final_invoice(order) is None
    assert OutboxEmail.objects.filter(purpose="registration.order_cancelled").count() == 1
    billing.complete_refund(refund, by=staff_user)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DONE
    assert OutboxEmail.objects.get(purpose="registration.refund_issued").recipient == "buyer@acme.example"


def test_cancelling_in_the_fee_period_keeps_the_fee_and_invoices_it(order, policy):
    pay(order)
    quote = billing.cancel_with_refund(order, by=order.buyer, now=timezone.now() + timedelta(days=20))
    assert (quote.fee, quote.refund) == (Decimal("250.00"), Decimal("1000.00"))
    invoices = list(order.invoices.order_by("kind", "number").values_list("kind", "number", "gross"))
    assert invoices == [("credit_note", 1, Decimal("-1250.00")), ("invoice", 1, Decimal("1250.00")),
                        ("invoice", 2, Decimal("250.00"))]
    assert Refund.objects.get().amount == Decimal("1000.00")


def test_the_minimum_fee_applies(conference, catalogue, industry, policy):
    from registration.models import Product

    buyer = VerifiedUserFactory()
    o = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                             attendees=[attendee(buyer.email, industry, catalogue.products[Product.Kind.VIRTUAL])])
    pay(o)
    quote = billing.refund_quote(o, now=timezone.now() + timedelta(days=20))
    assert (quote.fee, quote.refund) == (Decimal("50.00"), Decimal("200.00"))


def test_cancelling_after_the_deadline_is_refused_and_changes_nothing(order, policy):
    pay(order)
    with pytest.raises(NotAllowed, match="The cancellation deadline has passed"):
        billing.cancel_with_refund(order, by=order.buyer, now=timezone.now() + timedelta(days=41))
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert Refund.objects.count() == 0


def test_a_visa_denial_gives_a_full_refund_after_the_deadline(order, policy):
    pay(order)
    applied = timezone.now().date() - timedelta(days=30)
    with pytest.raises(NotAllowed, match="Upload the visa refusal"):
        billing.cancel_with_refund(order, by=order.buyer, visa_applied_on=applied)
    quote = billing.cancel_with_refund(order, by=order.buyer, now=timezone.now() + timedelta(days=60),
                                       visa_applied_on=applied, visa_refusal=SimpleUploadedFile("refusal.pdf", PDF))
    assert quote.refund == Decimal("1250.00") and quote.fee == 0
    refund = Refund.objects.get()
    assert refund.reason == "visa denied" and refund.visa_refusal.name.startswith("visa-refusals/")


def test_a_late_visa_application_gets_no_special_refund(order, policy):
    pay(order)
    with pytest.raises(NotAllowed, match="needs an application made before"):
        billing.cancel_with_refund(order, by=order.buyer, visa_applied_on=timezone.now().date() + timedelta(days=1),
                                   visa_refusal=SimpleUploadedFile("refusal.pdf", PDF))


def test_only_the_buyer_cancels(order, policy):
    with pytest.raises(NotAllowed, match="Only the buyer can cancel this order."):
        billing.cancel_with_refund(order, by=VerifiedUserFactory())
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_a_cancelled_order_frees_its_seat_for_the_waiting_list(conference, catalogue, full_pass, industry, policy):
    from registration.models import WaitingListEntry

    Quota.objects.filter(name="Venue (in person)").update(size=1)
    buyer = VerifiedUserFactory()
    o = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                             attendees=[attendee(buyer.email, industry, full_pass)])
    waiting = VerifiedUserFactory()
    services.join_waiting_list(conference, waiting, full_pass)
    pay(o)
    billing.cancel_with_refund(o, by=buyer)
    assert WaitingListEntry.objects.get(user=waiting).status == WaitingListEntry.Status.OFFERED
