"""Organisers' actions on orders and proofs: each goes through the services, names what it refused, and
changes nothing on a bad selection or bad input."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from confsite.models import OutboxEmail
from registration import billing, services
from registration.models import EligibilityProof, Invoice, Order, Payment, Refund, RefundPolicy, Registration
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

URL = "/admin/registration/order/"


def place(conference, category, product):
    buyer = VerifiedUserFactory()
    return services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                attendees=[attendee(buyer.email, category, product)])


def notes(response):
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def act(client, action, *orders, **data):
    return client.post(URL, {"action": action, "_selected_action": [o.pk for o in orders], **data})


def transfer(client, order, **fields):
    data = {"amount": "1250.00", "received_on": timezone.now().astimezone(order.conference.tzinfo).date().isoformat(),
            "reference": "BANK-2026-0042", "note": "", **fields}
    return act(client, "record_bank_payment", order, apply="1", **data)


def staff_with(*codenames):
    user = VerifiedUserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="registration",
                                                         codename__in=codenames))
    return user


@pytest.fixture
def refund_policy(conference):
    return RefundPolicy.objects.create(conference=conference, full_refund_until=timezone.now() + timedelta(days=5),
                                       fee_until=timezone.now() + timedelta(days=10), fee_percent=Decimal("20"))


# --- Record a bank transfer ----------------------------------------------------------------------

def test_it_asks_for_amount_day_and_reference_with_what_is_due(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = act(client, "record_bank_payment", order)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Order {order.reference} of {order.buyer.email}: 1250.00 USD in total, 1250.00 USD still due." in html
    assert 'name="amount" value="1250.00"' in html
    assert 'name="reference"' in html and 'name="received_on"' in html
    assert Payment.objects.count() == 0


def test_it_records_part_of_what_is_due_and_leaves_the_rest_due(client, staff_user, conference, full_pass,
                                                                  industry):
    order = place(conference, industry, full_pass)
    day = (timezone.now().astimezone(conference.tzinfo) - timedelta(days=0)).date()
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=3))
    received = day - timedelta(days=2)
    client.force_login(staff_user)
    response = transfer(client, order, amount="400", received_on=received.isoformat(), note="SWIFT MT103")
    assert response.status_code == 302
    assert notes(response) == [(messages.SUCCESS, f"400.00 USD recorded on {order.reference}; 850.00 USD is still "
                                                  "due. The buyer was e-mailed a receipt.")]
    payment = Payment.objects.get()
    assert (payment.amount, payment.provider, payment.status, payment.external_id, payment.note,
            payment.recorded_by) == (Decimal("400.00"), "bank", "confirmed", "BANK-2026-0042", "SWIFT MT103",
                                     staff_user)
    assert payment.confirmed_at == datetime.combine(received, time(12, 0), tzinfo=conference.tzinfo)
    order.refresh_from_db()
    assert (order.status, billing.outstanding(order)) == (Order.Status.PENDING, Decimal("850.00"))
    assert Invoice.objects.count() == 0
    receipt = OutboxEmail.objects.get(purpose="registration.payment_received")
    assert receipt.recipient == order.buyer.email


def test_the_last_transfer_makes_the_order_paid_and_invoiced(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=Decimal("1000"), provider="bank", external_id="FIRST")
    client.force_login(staff_user)
    response = transfer(client, order, amount="250.00", reference="SECOND")
    assert notes(response) == [(messages.SUCCESS, f"250.00 USD recorded on {order.reference}; the order is paid in "
                                                  "full and the buyer was e-mailed a receipt.")]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.invoices.get().kind == Invoice.Kind.INVOICE
    assert sorted(Payment.objects.values_list("external_id", flat=True)) == ["FIRST", "SECOND"]


@pytest.mark.parametrize(("fields", "error"), [
    ({"amount": "1250.01"}, "Only 1250.00 USD is due on {ref}."),
    ({"amount": "0"}, "Ensure this value is greater than or equal to 0.01."),
    ({"amount": "-5"}, "Ensure this value is greater than or equal to 0.01."),
    ({"amount": "lots"}, "Enter a number."),
    ({"amount": "1" * 40}, "Ensure that there are no more than 12 digits in total."),
    ({"received_on": "2999-01-01"}, "The day the money arrived cannot be in the future."),
    ({"received_on": "2020-01-01"}, "Order {ref} was placed on {placed}; the money cannot have arrived before that."),
    ({"received_on": "not a day"}, "Enter a valid date."),
    ({"reference": "  "}, "This field is required."),
])
def test_it_refuses_a_bad_transfer_and_records_nothing(client, staff_user, conference, full_pass, industry, fields,
                                                       error):
    order = place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = transfer(client, order, **fields)
    assert response.status_code == 200
    placed = order.created_at.astimezone(conference.tzinfo).date()
    assert error.format(ref=order.reference, placed=placed) in response.content.decode()
    assert Payment.objects.count() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_it_names_the_order_that_already_has_the_reference(client, staff_user, conference, full_pass, industry):
    first = place(conference, industry, full_pass)
    billing.record_payment(first, amount=Decimal("100"), provider="bank", external_id="BANK-7")
    second = place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = transfer(client, second, reference="BANK-7", amount="100")
    assert f"Reference BANK-7 is already recorded on order {first.reference}." in response.content.decode()
    assert Payment.objects.filter(order=second).count() == 0


def test_it_records_a_transfer_for_one_order_at_a_time(client, staff_user, conference, full_pass, industry):
    orders = [place(conference, industry, full_pass), place(conference, industry, full_pass)]
    client.force_login(staff_user)
    response = act(client, "record_bank_payment", *orders)
    assert response.status_code == 302
    assert notes(response) == [(messages.ERROR, "Select exactly one order to record a bank transfer for: each "
                                                "transfer has its own amount and reference.")]
    assert Payment.objects.count() == 0


def test_it_refuses_a_transfer_for_an_order_that_is_not_pending(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    services.cancel_order(order)
    client.force_login(staff_user)
    response = transfer(client, order)
    assert notes(response) == [(messages.ERROR, f"Order {order.reference} is cancelled; no payment is due.")]
    assert Payment.objects.count() == 0


def test_staff_who_may_only_view_orders_cannot_record_transfers(client, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    client.force_login(staff_with("view_order"))
    response = transfer(client, order)
    assert response.status_code == 302
    assert notes(response) == [(messages.WARNING, "No action selected.")]
    assert Payment.objects.count() == 0


# --- Cancel and refund ---------------------------------------------------------------------------

def test_it_previews_the_refund_the_policy_gives(client, staff_user, conference, full_pass, industry, refund_policy):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=order.total, provider="bank", external_id="B-1")
    client.force_login(staff_user)
    response = act(client, "refund_orders", order)
    assert response.status_code == 200
    html = response.content.decode()
    assert (f"<tr><td>{order.reference}</td><td>{order.buyer.email}</td><td>1250.00 USD</td><td>0 USD</td>"
            "<td>1250.00 USD</td><td>cancelled within the full-refund period</td></tr>") in html
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Refund.objects.count() == 0


def test_it_cancels_and_refunds_with_the_fee_after_the_full_refund_period(client, staff_user, conference, full_pass,
                                                                          industry, refund_policy):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=order.total, provider="bank", external_id="B-1")
    RefundPolicy.objects.filter(pk=refund_policy.pk).update(full_refund_until=timezone.now() - timedelta(days=1))
    client.force_login(staff_user)
    response = act(client, "refund_orders", order, apply="1")
    assert notes(response) == [(messages.SUCCESS, "1 order cancelled and refunded; bank refunds wait under Refunds "
                                                  "until finance pays them out.")]
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.reason) == (Decimal("1000.00"), Refund.Status.PENDING,
                                                             "cancelled with a cancellation fee")
    assert sorted(order.invoices.values_list("kind", "gross")) == [
        ("credit_note", Decimal("-1250.00")), ("invoice", Decimal("250.00")), ("invoice", Decimal("1250.00"))]
    assert order.registrations.get().status == Registration.Status.CANCELLED
    assert OutboxEmail.objects.get(purpose="registration.order_cancelled").recipient == order.buyer.email


def test_it_refuses_the_whole_selection_when_one_order_cannot_be_refunded(client, staff_user, conference, full_pass,
                                                                          industry, refund_policy):
    paid = place(conference, industry, full_pass)
    billing.record_payment(paid, amount=paid.total, provider="bank", external_id="B-1")
    unpaid = place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = act(client, "refund_orders", paid, unpaid, apply="1")
    assert notes(response) == [
        (messages.ERROR, f"{unpaid.reference} cannot be refunded: nothing was paid, so nothing can be refunded; use "
                         "“Cancel” instead."),
        (messages.WARNING, "Nothing was cancelled: leave the orders named above out of the selection and try again."),
    ]
    assert sorted(Order.objects.values_list("status", flat=True)) == ["paid", "pending"]
    assert Refund.objects.count() == 0


def test_it_names_an_order_whose_edition_has_no_refund_policy(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=order.total, provider="bank", external_id="B-1")
    client.force_login(staff_user)
    response = act(client, "refund_orders", order)
    assert notes(response)[0] == (messages.ERROR, f"{order.reference} cannot be refunded: This edition has no refund "
                                                  "policy yet; write to the organisers to cancel.")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_it_refuses_to_refund_an_order_already_refunded(client, staff_user, conference, full_pass, industry,
                                                       refund_policy):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=order.total, provider="bank", external_id="B-1")
    billing.cancel_with_refund(order, by=None, as_organiser=True)
    client.force_login(staff_user)
    response = act(client, "refund_orders", order, apply="1")
    assert notes(response)[0] == (messages.ERROR, f"{order.reference} cannot be refunded: it is already refunded.")
    assert Refund.objects.count() == 1


def test_staff_who_may_only_view_orders_cannot_refund(client, conference, full_pass, industry, refund_policy):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=order.total, provider="bank", external_id="B-1")
    client.force_login(staff_with("view_order"))
    response = act(client, "refund_orders", order, apply="1")
    assert notes(response) == [(messages.WARNING, "No action selected.")]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


# --- Resend the confirmation ---------------------------------------------------------------------

def test_it_resends_the_order_confirmation_through_the_outbox(client, staff_user, conference, full_pass, industry,
                                                             django_capture_on_commit_callbacks):
    order = place(conference, industry, full_pass)
    row = OutboxEmail.objects.get(purpose="registration.order_placed")
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.FAILED, attempts=5, last_error="550")
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "resend_confirmation", order)
    assert notes(response) == [(messages.SUCCESS, "1 confirmation e-mail queued again.")]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxEmail.Status.SENT, 1, "")
    assert [(m.to, m.subject) for m in mail.outbox] == [([order.buyer.email], row.subject)]


def test_it_names_orders_without_a_confirmation_and_resends_nothing(client, staff_user, conference, full_pass,
                                                                   industry, django_capture_on_commit_callbacks):
    with_mail, without = place(conference, industry, full_pass), place(conference, industry, full_pass)
    OutboxEmail.objects.filter(object_key=f"order:{without.pk}").delete()
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "resend_confirmation", with_mail, without)
    assert notes(response) == [(messages.ERROR, f"No confirmation e-mail was ever written for {without.reference}; "
                                                "nothing was resent.")]
    assert mail.outbox == []


# --- Eligibility decisions reach the attendee through the outbox ----------------------------------

@pytest.mark.parametrize(("action", "purpose"), [("approve_proofs", "registration.eligibility_approved"),
                                                  ("reject_proofs", "registration.eligibility_rejected")])
def test_a_decision_is_e_mailed_to_the_attendee_through_the_outbox(client, staff_user, conference, full_pass, student,
                                                                  action, purpose,
                                                                  django_capture_on_commit_callbacks):
    registration = place(conference, student, full_pass).registrations.get()
    proof = services.submit_proof(registration, SimpleUploadedFile("card.pdf", b"%PDF-1.4\n", "application/pdf"),
                                  by=registration.user)
    EligibilityProof.objects.filter(pk=proof.pk).update(note="Upload this year's card.")
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/registration/eligibilityproof/", {"action": action, "_selected_action": [proof.pk]})
    row = OutboxEmail.objects.get(purpose=purpose)
    assert (row.recipient, row.object_key, row.status) == (registration.user.email, f"eligibilityproof:{proof.pk}",
                                                           OutboxEmail.Status.SENT)
    assert [(m.to, m.subject) for m in mail.outbox] == [([registration.user.email], row.subject)]
    if action == "reject_proofs":
        assert "Upload this year's card." in row.body_text


def test_the_order_page_shows_payments_refunds_and_invoices_only_to_finance(client, conference, full_pass, industry,
                                                                            refund_policy):
    order = place(conference, industry, full_pass)
    billing.record_payment(order, amount=order.total, provider="bank", external_id="BANK-99")
    billing.cancel_with_refund(order, by=None, as_organiser=True)
    url = reverse("admin:registration_order_change", args=[order.pk])
    client.force_login(staff_with("view_order"))
    desk = client.get(url).content.decode()
    assert "BANK-99" not in desk and "CN-00001" not in desk
    client.force_login(staff_with("view_order", "view_payment", "view_refund", "view_invoice"))
    finance = client.get(url).content.decode()
    assert "BANK-99" in finance and "ICML2026-CN-00001" in finance and "cancelled within the full-refund period" in finance


# --- Badges and bulk e-mail from the registrations list ------------------------------------------

def test_the_registration_desk_prints_badges_from_the_list(client, conference, full_pass, industry):
    registration = place(conference, industry, full_pass).registrations.get()
    client.force_login(staff_with("view_registration"))
    response = client.post("/admin/registration/registration/",
                           {"action": "print_badges", "_selected_action": [registration.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_bulk_e_mail_starts_from_the_filtered_registrations(client, staff_user, conference, full_pass, industry):
    from confsite.models import BulkMailing

    registrations = [place(conference, industry, full_pass).registrations.get() for _ in range(2)]
    client.force_login(staff_user)
    response = client.post("/admin/registration/registration/",
                           {"action": "compose_bulk_email_action", "_selected_action": [r.pk for r in registrations]})
    mailing = BulkMailing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk])
    assert mailing.recipient_ids == sorted(r.user_id for r in registrations)


def test_the_desk_is_offered_badges_but_no_exports_or_state_changes(rf, conference):
    from django.contrib import admin

    request = rf.get("/admin/registration/registration/")
    request.user = staff_with("view_registration")
    actions = admin.site._registry[Registration].get_actions(request)
    # bulk e-mail is offered to viewers and checks confsite.add_bulkmailing itself (confsite.bulk_mail)
    assert sorted(actions) == ["compose_bulk_email_action", "print_badges",
                               "print_certificates"]
