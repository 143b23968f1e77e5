"""The API for payments, refunds, invoices and visa letters: who sees which rows, filters, the PDF links,
no passport data anywhere, the schema (with Stripe's webhook), and queries at two data sizes."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from registration import billing
from registration.models import Invoice, PassportData, Payment, Refund, RefundPolicy, VisaLetter
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee
from tests.registration.test_api import client_for, place, staff_with, when
from tests.registration.test_eligibility import PDF
from tests.registration.test_stripe import WEBHOOK, WEBHOOK_SECRET, event, sign

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/icml2026/payments/"
REFUNDS = "/api/icml2026/refunds/"
INVOICES = "/api/icml2026/invoices/"
VISA_LETTERS = "/api/icml2026/visa-letters/"
PASSPORT = {"passport_name": "KIM MINJI", "nationality": "IN", "passport_number": "Z9876543",
            "date_of_birth": date(1995, 3, 14)}


@pytest.fixture
def minji(db):
    return VerifiedUserFactory(email="minji@example.com")


@pytest.fixture
def order(conference, catalogue, full_pass, industry, minji):
    return place(conference, minji, [attendee(minji.email, industry, full_pass)])


@pytest.fixture
def paid(order):
    billing.record_payment(order, amount=order.total, provider="bank")
    order.refresh_from_db()
    return order


@pytest.fixture
def others_order(conference, catalogue, full_pass, industry):
    wei = VerifiedUserFactory(email="wei@example.com")
    order = place(conference, wei, [attendee(wei.email, industry, full_pass, badge_name="Wei")])
    billing.record_payment(order, amount=order.total, provider="bank")
    order.refresh_from_db()
    return order


@pytest.fixture
def policy(conference):
    now = timezone.now()
    return RefundPolicy.objects.create(conference=conference, full_refund_until=now + timedelta(days=10),
                                       fee_until=now + timedelta(days=40), visa_denial_applied_before=now.date())


def issue_letter(registration, with_passport=True) -> VisaLetter:
    # Directly: the service issues letters only until the edition ends, and the test edition is July 2026.
    letter = VisaLetter.objects.create(registration=registration, name_on_letter=PASSPORT["passport_name"],
                                       role="Attendee")
    if with_passport:
        PassportData.objects.create(letter=letter, **PASSPORT)
    return letter


def non_staff_with(*codenames):
    user = staff_with(*codenames)
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    return user


def logged_in(user) -> Client:
    # The PDF downloads are pages: a browser session, not an API token.
    client = Client()
    client.force_login(user)
    return client


def download(user, path: str):
    response = logged_in(user).get(path)
    return response.status_code, response["Content-Type"], b"".join(response.streaming_content)[:5]


# --- Access ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [PAYMENTS, f"{PAYMENTS}1/", REFUNDS, INVOICES, VISA_LETTERS])
def test_it_requires_authentication(conference, path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("resource", ["payments", "refunds", "invoices", "visa-letters"])
def test_it_answers_404_for_an_unknown_edition(conference, resource):
    response = client_for(VerifiedUserFactory()).get(f"/api/icml1999/{resource}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no edition icml1999."}


# --- Payments --------------------------------------------------------------------------------------

def test_it_lists_the_buyers_own_payments_newest_first(order, others_order, staff_user):
    part = billing.record_payment(order, amount=Decimal("250.00"), provider="bank", by=staff_user)
    card = Payment.objects.create(order=order, provider=Payment.Provider.STRIPE, amount=Decimal("1000.00"),
                                  currency="USD", external_id="cs_test_1")
    response = client_for(order.buyer).get(PAYMENTS)
    assert response.status_code == 200
    assert response.json() == {"count": 2, "next": None, "previous": None, "results": [
        {"id": card.pk, "order": order.reference, "provider": "stripe", "status": "created", "amount": "1000.00",
         "currency": "USD", "created_at": when(card.created_at), "confirmed_at": None, "receipt_url": None},
        {"id": part.pk, "order": order.reference, "provider": "bank", "status": "confirmed", "amount": "250.00",
         "currency": "USD", "created_at": when(part.created_at), "confirmed_at": when(part.confirmed_at),
         "receipt_url": f"/icml2026/documents/receipts/{part.pk}/pdf/"},
    ]}
    assert "staff@example.org" not in response.content.decode()


def test_it_shows_the_buyer_one_payment(paid):
    payment = paid.payments.get()
    response = client_for(paid.buyer).get(f"{PAYMENTS}{payment.pk}/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["order"], response.json()["amount"]) == (
        payment.pk, paid.reference, "1250.00")


def test_it_answers_404_for_another_buyers_payment(paid, others_order):
    response = client_for(paid.buyer).get(f"{PAYMENTS}{others_order.payments.get().pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Payment matches the given query."}


def test_it_answers_404_for_a_payment_id_beyond_any_database_integer(paid):
    assert client_for(paid.buyer).get(f"{PAYMENTS}{10**30}/").status_code == 404


def test_it_hides_payments_from_the_people_an_order_registers(conference, catalogue, full_pass, industry):
    lab_head = VerifiedUserFactory(email="head@lab.example")
    order = place(conference, lab_head, [attendee("student@lab.example", industry, full_pass)])
    billing.record_payment(order, amount=order.total, provider="bank")
    student = order.registrations.get().user
    assert client_for(student).get(PAYMENTS).json()["count"] == 0
    assert client_for(lab_head).get(PAYMENTS).json()["count"] == 1


def test_the_receipt_url_downloads_the_buyers_receipt(paid):
    receipt_url = client_for(paid.buyer).get(PAYMENTS).json()["results"][0]["receipt_url"]
    assert download(paid.buyer, receipt_url) == (200, "application/pdf", b"%PDF-")


@pytest.mark.parametrize("codename", ["view_payment", "view_finance"])
def test_it_shows_staff_with_a_view_permission_every_payment_of_the_edition(paid, others_order, codename):
    rows = client_for(staff_with(codename)).get(PAYMENTS).json()["results"]
    assert [row["order"] for row in rows] == [others_order.reference, paid.reference]


@pytest.mark.parametrize("make_user", [lambda: staff_with("view_order", "view_refund", "view_invoice"),
                                       lambda: non_staff_with("view_payment", "view_finance")])
def test_it_shows_only_their_own_payments_to_people_without_staff_status_and_permission(paid, make_user):
    assert client_for(make_user()).get(PAYMENTS).json()["count"] == 0


def test_it_shows_another_editions_payments_in_neither(paid):
    ConferenceFactory(slug="icml2027")
    assert client_for(staff_with("view_finance")).get("/api/icml2027/payments/").json()["count"] == 0


@pytest.fixture
def three_payments(conference, catalogue, full_pass, industry):
    """Alice paid by bank; Bora's card payment is started; Chen's card payment failed."""
    orders = {}
    for name, status in [("alice", None), ("bora", Payment.Status.CREATED), ("chen", Payment.Status.FAILED)]:
        buyer = VerifiedUserFactory(email=f"{name}@example.com")
        orders[name] = place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
        if status is None:
            billing.record_payment(orders[name], amount=orders[name].total, provider="bank")
        else:
            Payment.objects.create(order=orders[name], provider=Payment.Provider.STRIPE, status=status,
                                   amount=orders[name].total, currency="USD", external_id=f"cs_{name}")
    return orders


@pytest.mark.parametrize("query, names", [
    ("", ["alice", "bora", "chen"]),
    ("status=confirmed", ["alice"]),
    ("provider=stripe", ["bora", "chen"]),
    ("provider=stripe&status=failed", ["chen"]),
    ("order={bora}", ["bora"]),
    ("order={bora}&provider=bank", []),
    ("order=ICML26-NONE0", []),
])
def test_it_lets_staff_filter_payments(three_payments, query, names):
    references = {order.reference: name for name, order in three_payments.items()}
    query = query.format(**{name: order.reference for name, order in three_payments.items()})
    rows = client_for(staff_with("view_payment")).get(f"{PAYMENTS}?{query}").json()["results"]
    assert sorted(references[row["order"]] for row in rows) == names


def test_it_filters_a_buyers_own_payments_only(three_payments):
    alice = three_payments["alice"].buyer
    assert client_for(alice).get(f"{PAYMENTS}?provider=stripe").json()["count"] == 0
    assert client_for(alice).get(f"{PAYMENTS}?status=confirmed").json()["count"] == 1


def test_it_rejects_an_unknown_payment_filter_value(three_payments):
    response = client_for(staff_with("view_payment")).get(f"{PAYMENTS}?status=paid&provider=paypal&order={'X' * 21}")
    assert response.status_code == 400
    assert response.json() == {"status": ['"paid" is not a valid choice.'],
                               "provider": ['"paypal" is not a valid choice.'],
                               "order": ["Ensure this field has no more than 20 characters."]}


# --- Refunds ---------------------------------------------------------------------------------------

@pytest.fixture
def refunded(paid, policy):
    billing.cancel_with_refund(paid, by=paid.buyer)
    return paid


@pytest.fixture
def others_refunded(others_order, policy):
    billing.cancel_with_refund(others_order, by=others_order.buyer)
    return others_order


def test_it_lists_the_buyers_own_refunds(refunded, others_refunded):
    refund = refunded.refunds.get()
    response = client_for(refunded.buyer).get(REFUNDS)
    assert response.status_code == 200
    assert response.json() == {"count": 1, "next": None, "previous": None, "results": [
        {"id": refund.pk, "order": refunded.reference, "amount": "1250.00", "currency": "USD", "status": "pending",
         "reason": "cancelled within the full-refund period", "created_at": when(refund.created_at),
         "completed_at": None},
    ]}


def test_it_never_shows_the_visa_refusal_of_a_refund(paid, policy):
    billing.cancel_with_refund(paid, by=paid.buyer, visa_applied_on=timezone.now().date() - timedelta(days=30),
                               visa_refusal=SimpleUploadedFile("refusal.pdf", PDF))
    refund = Refund.objects.get()
    assert refund.visa_refusal.name.startswith("visa-refusals/")
    for user in [paid.buyer, staff_with("view_finance")]:
        response = client_for(user).get(REFUNDS)
        assert [row["reason"] for row in response.json()["results"]] == ["visa denied"]
        assert "refusal" not in response.content.decode()


@pytest.mark.parametrize("codename", ["view_refund", "view_finance"])
def test_it_shows_staff_with_a_view_permission_every_refund_of_the_edition(refunded, others_refunded, codename):
    rows = client_for(staff_with(codename)).get(REFUNDS).json()["results"]
    assert [row["order"] for row in rows] == [others_refunded.reference, refunded.reference]


def test_it_shows_staff_without_a_refund_permission_only_their_own_refunds(refunded):
    assert client_for(staff_with("view_payment", "view_order")).get(REFUNDS).json()["count"] == 0


@pytest.mark.parametrize("query, orders", [
    ("", ["others", "mine"]),
    ("status=done", ["mine"]),
    ("status=pending", ["others"]),
    ("status=failed", []),
])
def test_it_lets_staff_filter_refunds_by_status(refunded, others_refunded, query, orders):
    billing.complete_refund(refunded.refunds.get(), external_id="bank-tx-1")
    names = {refunded.reference: "mine", others_refunded.reference: "others"}
    rows = client_for(staff_with("view_refund")).get(f"{REFUNDS}?{query}").json()["results"]
    assert [names[row["order"]] for row in rows] == orders


def test_it_rejects_an_unknown_refund_status(refunded):
    response = client_for(staff_with("view_refund")).get(f"{REFUNDS}?status=paid")
    assert response.status_code == 400
    assert response.json() == {"status": ['"paid" is not a valid choice.']}


# --- Invoices --------------------------------------------------------------------------------------

@pytest.fixture
def invoiced(order, policy):
    """A proforma, the invoice on payment, and the credit note on cancellation."""
    billing.update_billing(order, by=order.buyer, billing_name="Acme Robotics GmbH", billing_address="Ring 1, Wien")
    billing.request_proforma(order, by=order.buyer)
    billing.record_payment(order, amount=order.total, provider="bank")
    billing.cancel_with_refund(order, by=order.buyer)
    return order


def test_it_lists_the_buyers_invoices_proformas_and_credit_notes(invoiced, others_order):
    credit_note, invoice, proforma = (Invoice.objects.get(order=invoiced, kind=kind)
                                      for kind in ["credit_note", "invoice", "proforma"])
    response = client_for(invoiced.buyer).get(INVOICES)
    assert response.status_code == 200
    assert response.json() == {"count": 3, "next": None, "previous": None, "results": [
        {"id": credit_note.pk, "kind": "credit_note", "number": "ICML2026-CN-00001", "gross": "-1250.00",
         "currency": "USD", "issued_at": when(credit_note.issued_at), "order": invoiced.reference,
         "pdf_url": f"/icml2026/documents/invoices/{credit_note.pk}/pdf/"},
        {"id": invoice.pk, "kind": "invoice", "number": "ICML2026-INV-00001", "gross": "1250.00",
         "currency": "USD", "issued_at": when(invoice.issued_at), "order": invoiced.reference,
         "pdf_url": f"/icml2026/documents/invoices/{invoice.pk}/pdf/"},
        {"id": proforma.pk, "kind": "proforma", "number": "ICML2026-PF-00001", "gross": "1250.00",
         "currency": "USD", "issued_at": when(proforma.issued_at), "order": invoiced.reference,
         "pdf_url": f"/icml2026/documents/invoices/{proforma.pk}/pdf/"},
    ]}
    assert "Acme Robotics" not in response.content.decode()


def test_the_pdf_urls_download_the_buyers_documents(invoiced):
    rows = client_for(invoiced.buyer).get(INVOICES).json()["results"]
    assert [download(invoiced.buyer, row["pdf_url"]) for row in rows] == [(200, "application/pdf", b"%PDF-")] * 3


def test_it_shows_finance_staff_every_invoice_of_the_edition(paid, others_order):
    rows = client_for(staff_with("view_finance")).get(INVOICES).json()["results"]
    assert [row["number"] for row in rows] == ["ICML2026-INV-00002", "ICML2026-INV-00001"]
    assert [row["order"] for row in rows] == [others_order.reference, paid.reference]


@pytest.mark.parametrize("make_user", [lambda: staff_with("view_invoice", "view_payment", "view_refund"),
                                       lambda: non_staff_with("view_finance")])
def test_it_shows_only_their_own_invoices_to_people_without_staff_status_and_finance(paid, make_user):
    assert client_for(make_user()).get(INVOICES).json()["count"] == 0


@pytest.mark.parametrize("query, numbers", [
    ("kind=credit_note", ["ICML2026-CN-00001"]),
    ("kind=invoice", ["ICML2026-INV-00002", "ICML2026-INV-00001"]),
    ("order={others}", ["ICML2026-INV-00002"]),
    ("order={others}&kind=proforma", []),
])
def test_it_lets_finance_staff_filter_invoices(invoiced, others_order, query, numbers):
    query = query.format(others=others_order.reference)
    rows = client_for(staff_with("view_finance")).get(f"{INVOICES}?{query}").json()["results"]
    assert [row["number"] for row in rows] == numbers


# --- Visa letters ----------------------------------------------------------------------------------

@pytest.fixture
def letter(paid):
    return issue_letter(paid.registrations.get())


def test_it_lists_the_attendees_own_visa_letters(letter, others_order):
    issue_letter(others_order.registrations.get())
    response = client_for(letter.registration.user).get(VISA_LETTERS)
    assert response.status_code == 200
    assert response.json() == {"count": 1, "next": None, "previous": None, "results": [
        {"id": letter.pk, "reference": letter.reference, "registration": letter.registration_id,
         "issued_at": when(letter.issued_at), "pdf_url": f"/icml2026/documents/visa-letters/{letter.pk}/pdf/"},
    ]}


def test_the_pdf_url_downloads_the_attendees_visa_letter(letter):
    pdf_url = client_for(letter.registration.user).get(VISA_LETTERS).json()["results"][0]["pdf_url"]
    assert download(letter.registration.user, pdf_url) == (200, "application/pdf", b"%PDF-")


def test_it_gives_a_letter_whose_passport_data_was_purged_no_pdf_url(letter):
    PassportData.objects.all().delete()
    rows = client_for(letter.registration.user).get(VISA_LETTERS).json()["results"]
    assert [(row["reference"], row["pdf_url"]) for row in rows] == [(letter.reference, None)]


def test_it_hides_a_letter_from_the_buyer_of_a_group_order(conference, catalogue, full_pass, industry):
    lab_head = VerifiedUserFactory(email="head@lab.example")
    order = place(conference, lab_head, [attendee("student@lab.example", industry, full_pass)])
    billing.record_payment(order, amount=order.total, provider="bank")
    letter = issue_letter(order.registrations.get())
    assert client_for(lab_head).get(VISA_LETTERS).json()["count"] == 0
    assert [row["id"] for row in client_for(letter.registration.user).get(VISA_LETTERS).json()["results"]] == [
        letter.pk]


@pytest.mark.parametrize("codenames, count", [
    (["view_finance", "view_visaletter", "view_registration"], 0),
    (["view_passportdata"], 2),
])
def test_it_shows_staff_every_letter_only_with_the_passport_permission(letter, others_order, codenames, count):
    issue_letter(others_order.registrations.get())
    assert client_for(staff_with(*codenames)).get(VISA_LETTERS).json()["count"] == count


# --- Never passport data -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", [PAYMENTS, REFUNDS, INVOICES, VISA_LETTERS, "/api/icml2026/registrations/",
                                  "/api/icml2026/orders/", "payment", "registration"])
def test_no_response_carries_passport_data(letter, others_order, policy, staff_user, path):
    billing.cancel_with_refund(others_order, by=others_order.buyer)
    if path == "payment":
        path = f"{PAYMENTS}{letter.registration.order.payments.get().pk}/"
    elif path == "registration":
        path = f"/api/icml2026/registrations/{letter.registration_id}/"
    for user in [letter.registration.user, staff_user]:
        response = client_for(user).get(path)
        assert response.status_code == 200
        content = response.content.decode()
        assert "Z9876543" not in content
        assert "KIM MINJI" not in content
        assert "1995-03-14" not in content
        assert "passport" not in content


# --- Schema and the Stripe webhook ---------------------------------------------------------------------

def test_the_schema_describes_payments_documents_and_the_stripe_webhook(client):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    validate(spec)
    assert {"/api/{edition}/payments/", "/api/{edition}/payments/{id}/", "/api/{edition}/refunds/",
            "/api/{edition}/invoices/", "/api/{edition}/visa-letters/", "/payments/stripe/webhook/"} <= spec["paths"].keys()
    webhook = spec["paths"]["/payments/stripe/webhook/"]
    assert set(webhook) == {"post"}
    assert set(webhook["post"]["responses"]) == {"200", "400", "404", "409"}
    assert [p["name"] for p in webhook["post"]["parameters"]] == ["Stripe-Signature"]
    assert spec["components"]["securitySchemes"].keys() == {"tokenAuth", "cookieAuth", "sponsorToken"}
    filters = {p["name"] for p in spec["paths"]["/api/{edition}/payments/"]["get"]["parameters"]}
    assert filters == {"edition", "page", "status", "provider", "order"}


@pytest.fixture
def stripe_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_confsite"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def signed(client, body, path=WEBHOOK, **extra):
    payload = json.dumps(body)
    return client.post(path, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload), **extra)


def test_the_webhook_needs_no_csrf_token_nor_login(stripe_on, minji):
    ignored = event("customer.created", {"id": "cus_1", "object": "customer"})
    response = signed(Client(enforce_csrf_checks=True), ignored)
    assert (response.status_code, response["Content-Type"], response.content) == (200, "text/plain", b"OK")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(minji)
    assert signed(browser, event("customer.created", {"id": "cus_2", "object": "customer"})).status_code == 200


def test_the_webhook_answers_whatever_the_accept_header_or_format(stripe_on, client):
    ignored = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert signed(client, ignored, HTTP_ACCEPT="application/xml").status_code == 200
    assert signed(client, ignored, path=f"{WEBHOOK}?format=xml").status_code == 200


@pytest.mark.parametrize("method", ["get", "head", "options", "put", "delete"])
def test_the_webhook_takes_only_a_post(stripe_on, client, method):
    response = getattr(client, method)(WEBHOOK)
    assert (response.status_code, response["Allow"]) == (405, "POST")


def test_the_webhook_is_not_found_while_card_payment_is_off(settings, client):
    settings.STRIPE_SECRET_KEY = ""
    assert client.post(WEBHOOK, "{}", content_type="application/json").status_code == 404


def test_a_bad_signature_is_still_a_plain_text_400(stripe_on, client):
    response = client.post(WEBHOOK, "{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=0")
    assert (response.status_code, response["Content-Type"], response.content) == (
        400, "text/plain", b"Invalid payload or signature.")


# --- Query counts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [PAYMENTS, REFUNDS, INVOICES, VISA_LETTERS])
def test_it_lists_with_the_same_number_of_queries_for_3_and_30_rows(paid, conference, full_pass, industry, policy,
                                                                   path):
    buyer = paid.buyer
    own = paid.registrations.get()

    def add(first, last):
        for n in range(first, last):
            if path == VISA_LETTERS:
                issue_letter(own, with_passport=n % 2 == 0)
                continue
            order = place(conference, buyer, [attendee(f"person{n}@example.com", industry, full_pass)])
            billing.record_payment(order, amount=order.total, provider="bank")
            if path == REFUNDS:
                billing.cancel_with_refund(order, by=buyer)

    def measure(rows):
        client = client_for(buyer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.json()["count"] == rows
        return len(queries)

    # The paid order already has a payment and an invoice; refunds and letters start from none.
    extra = 1 if path in (PAYMENTS, INVOICES) else 0
    add(0, 3 - extra)
    small = measure(3)
    add(3 - extra, 30 - extra)
    assert measure(30) == small
