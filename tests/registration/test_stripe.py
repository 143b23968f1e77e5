"""Stripe Checkout: starting a payment, signed idempotent webhooks, refunds and disputes.

No test reaches the network: Stripe's HTTP is stubbed at the client library's boundary (a fake
`stripe.HTTPClient` that records requests and answers canned JSON), and webhook bodies are signed
the way Stripe signs them, so the real signature check runs.
"""

import hashlib
import hmac
import itertools
import json
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.contrib.messages import get_messages
from django.utils import timezone

from confsite.models import OutboxEmail
from registration import billing, services, stripe_provider
from registration.errors import NotAllowed
from registration.models import Invoice, Order, Payment, Price, Refund, RefundPolicy, StripeEvent
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec_test_confsite"
WEBHOOK = "/payments/stripe/webhook/"


class FakeStripeHTTP(stripe.HTTPClient):
    """Stands in for Stripe's API: records each request (method, path, form fields) and answers
    from `responses`, keyed by (method, path); unknown requests fail the test loudly."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.requests = []
        self.responses = {}
        self._ids = itertools.count(1)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        self.requests.append((method.upper(), path, dict(parse_qsl(post_data or ""))))
        key = (method.upper(), path)
        if key == ("POST", "/v1/checkout/sessions") and key not in self.responses:
            session_id = f"cs_test_{next(self._ids)}"
            status, body = 200, {"id": session_id, "object": "checkout.session", "status": "open",
                                 "url": f"https://checkout.stripe.com/c/pay/{session_id}"}
        else:
            status, body = self.responses[key]
        return json.dumps(body), status, {"Request-Id": "req_fake"}

    def close(self):
        pass

    def paths(self):
        return [(method, path) for method, path, _ in self.requests]


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_confsite"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe_provider, "http_client", fake)
    return fake


@pytest.fixture
def order(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    return services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                attendees=[attendee(buyer.email, industry, full_pass)])


@pytest.fixture
def buyer_client(client, order):
    client.force_login(order.buyer)
    return client


@pytest.fixture
def full_refund_policy(conference):
    now = timezone.now()
    return RefundPolicy.objects.create(conference=conference, full_refund_until=now + timedelta(days=10),
                                       fee_until=now + timedelta(days=40), fee_percent=Decimal("20"))


@pytest.fixture
def fee_policy(conference):
    now = timezone.now()
    return RefundPolicy.objects.create(conference=conference, full_refund_until=now - timedelta(days=1),
                                       fee_until=now + timedelta(days=40), fee_percent=Decimal("20"))


_event_ids = itertools.count(1)


def event(kind, obj, event_id=None, created=None):
    return {"id": event_id or f"evt_test_{next(_event_ids)}", "object": "event", "type": kind,
            "created": created or int(time.time()), "livemode": False, "api_version": "2026-10-28.endive",
            "data": {"object": obj}}


def session_obj(order, session_id="cs_test_1", payment_status="paid", amount=125000, currency="usd"):
    return {"id": session_id, "object": "checkout.session", "payment_status": payment_status,
            "status": "complete", "amount_total": amount, "currency": currency,
            "client_reference_id": order.reference, "metadata": {"order": order.reference},
            "payment_intent": "pi_test_1"}


def sign(payload, secret=WEBHOOK_SECRET, timestamp=None):
    timestamp = timestamp or int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, body, signature=None):
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(WEBHOOK, payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature if signature is not None else sign(payload))


def start(client, order):
    return client.post(f"/icml2026/pay/stripe/{order.reference}/")


def start_and_pay(client, order, fake_stripe, **session):
    start(client, order)
    return deliver(client, event("checkout.session.completed", session_obj(order, **session)))


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Starting a payment ------------------------------------------------------------------------

def test_it_sends_the_buyer_to_a_checkout_session_for_what_is_due(buyer_client, order, fake_stripe):
    response = start(buyer_client, order)
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    (method, path, fields), = fake_stripe.requests
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert fields["mode"] == "payment"
    assert fields["line_items[0][price_data][currency]"] == "usd"
    assert fields["line_items[0][price_data][unit_amount]"] == "125000"
    assert fields["line_items[0][quantity]"] == "1"
    assert fields["client_reference_id"] == order.reference
    assert fields["metadata[order]"] == order.reference
    assert fields["payment_intent_data[metadata][order]"] == order.reference
    assert fields["customer_email"] == "ji@example.com"
    assert fields["success_url"] == f"http://127.0.0.1:8000/icml2026/pay/stripe/{order.reference}/return/"
    assert fields["cancel_url"] == f"http://127.0.0.1:8000/icml2026/pay/stripe/{order.reference}/cancelled/"
    # The order is payable for 14 days; Stripe keeps a session open for at most a day.
    assert 0 <= time.time() + 24 * 3600 - 60 - int(fields["expires_at"]) < 5
    payment = Payment.objects.get()
    assert (payment.provider, payment.status, payment.external_id) == ("stripe", "created", "cs_test_1")
    assert (payment.amount, payment.currency) == (Decimal("1250.00"), "USD")


def test_it_asks_for_the_outstanding_amount_after_a_part_payment(buyer_client, order, fake_stripe):
    billing.record_payment(order, amount=Decimal("250.00"), provider="bank")
    start(buyer_client, order)
    assert fake_stripe.requests[0][2]["line_items[0][price_data][unit_amount]"] == "100000"
    assert Payment.objects.get(provider="stripe").amount == Decimal("1000.00")


def test_korean_won_are_sent_as_whole_won(client, conference, catalogue, full_pass, industry, fake_stripe):
    conference.currency = "KRW"
    conference.save()
    Price.objects.filter(product=full_pass, category=industry).update(amount=Decimal("1650000"))
    buyer = VerifiedUserFactory()
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                 attendees=[attendee(buyer.email, industry, full_pass)])
    client.force_login(buyer)
    start(client, order)
    fields = fake_stripe.requests[0][2]
    assert (fields["line_items[0][price_data][currency]"], fields["line_items[0][price_data][unit_amount]"]) == (
        "krw", "1650000")
    deliver(client, event("checkout.session.completed",
                          session_obj(order, amount=1650000, currency="krw")))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.get().amount == Decimal("1650000.00")


def test_starting_again_expires_the_session_opened_before(buyer_client, order, fake_stripe):
    fake_stripe.responses[("POST", "/v1/checkout/sessions/cs_test_1/expire")] = (
        200, {"id": "cs_test_1", "object": "checkout.session", "status": "expired"})
    start(buyer_client, order)
    response = start(buyer_client, order)
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_2"
    assert fake_stripe.paths() == [("POST", "/v1/checkout/sessions"), ("POST", "/v1/checkout/sessions/cs_test_1/expire"),
                                   ("POST", "/v1/checkout/sessions")]
    assert dict(Payment.objects.values_list("external_id", "status")) == {"cs_test_1": "failed", "cs_test_2": "created"}


def test_starting_needs_a_login(client, order, fake_stripe):
    response = start(client, order)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert fake_stripe.requests == []


def test_someone_elses_order_is_not_found(client, order, fake_stripe):
    client.force_login(VerifiedUserFactory())
    assert start(client, order).status_code == 404
    assert client.get(f"/icml2026/pay/stripe/{order.reference}/return/").status_code == 404
    assert fake_stripe.requests == []
    assert Payment.objects.count() == 0


def test_starting_takes_only_a_post(buyer_client, order, fake_stripe):
    assert buyer_client.get(f"/icml2026/pay/stripe/{order.reference}/").status_code == 405
    assert fake_stripe.requests == []


def test_an_order_not_pending_is_not_sent_to_stripe(buyer_client, order, fake_stripe):
    billing.record_payment(order, amount=order.total, provider="bank")
    response = start(buyer_client, order)
    assert response["Location"] == "/icml2026/my-registration/"
    assert messages_of(response) == [f"Order {order.reference} is paid; nothing is due."]
    assert fake_stripe.requests == []


def test_a_stripe_error_on_start_says_what_to_do(buyer_client, order, fake_stripe):
    fake_stripe.responses[("POST", "/v1/checkout/sessions")] = (
        400, {"error": {"type": "invalid_request_error", "message": "Invalid currency."}})
    response = start(buyer_client, order)
    assert response["Location"] == "/icml2026/my-registration/"
    assert messages_of(response) == ["Card payment could not be started just now. Please try again in a few minutes, "
                                     "or pay by bank transfer."]
    assert Payment.objects.count() == 0


def test_card_payment_is_off_without_a_secret_key(buyer_client, order, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    assert start(buyer_client, order).status_code == 404
    assert deliver(buyer_client, event("checkout.session.completed", session_obj(order))).status_code == 404
    assert Payment.objects.count() == 0


def test_returning_says_the_payment_is_being_confirmed_until_the_webhook_says_paid(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    response = buyer_client.get(f"/icml2026/pay/stripe/{order.reference}/return/", follow=True)
    assert response.redirect_chain == [("/icml2026/my-registration/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Thank you. Your card payment for order {order.reference} is being confirmed; this page will show it as paid "
        "within a few minutes, and we will e-mail you a receipt."]
    deliver(buyer_client, event("checkout.session.completed", session_obj(order)))
    response = buyer_client.get(f"/icml2026/pay/stripe/{order.reference}/return/")
    assert messages_of(response) == [
        f"Payment received for order {order.reference}. Thank you; your receipt is on its way by e-mail."]


def test_cancelling_on_stripe_returns_to_my_registration(buyer_client, order, fake_stripe):
    response = buyer_client.get(f"/icml2026/pay/stripe/{order.reference}/cancelled/")
    assert response["Location"] == "/icml2026/my-registration/"
    assert messages_of(response) == [f"Card payment for order {order.reference} was cancelled and nothing was "
                                     "charged. You can try again or pay by bank transfer."]


# --- The webhook -------------------------------------------------------------------------------

def test_a_completed_session_pays_the_order_invoices_it_and_mails_a_receipt(buyer_client, order, fake_stripe):
    response = start_and_pay(buyer_client, order, fake_stripe)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.payment_intent) == ("confirmed", Decimal("1250.00"), "pi_test_1")
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.gross) == (Invoice.Kind.INVOICE, Decimal("1250.00"))
    mail = OutboxEmail.objects.get(purpose="registration.payment_received")
    assert mail.recipient == "ji@example.com"
    assert f"We received 1250.00 USD for order {order.reference}. Thank you." in mail.body_text
    assert StripeEvent.objects.get().type == "checkout.session.completed"


def test_a_replayed_event_records_one_payment(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    body = event("checkout.session.completed", session_obj(order))
    assert deliver(buyer_client, body).status_code == 200
    assert deliver(buyer_client, body).status_code == 200
    assert Payment.objects.filter(status="confirmed").count() == 1
    assert Invoice.objects.count() == 1
    assert OutboxEmail.objects.filter(purpose="registration.payment_received").count() == 1
    assert StripeEvent.objects.count() == 1


def test_a_second_completed_event_for_the_same_session_changes_nothing(buyer_client, order, fake_stripe):
    start_and_pay(buyer_client, order, fake_stripe)
    assert deliver(buyer_client, event("checkout.session.completed", session_obj(order))).status_code == 200
    assert Payment.objects.filter(status="confirmed").count() == 1
    assert OutboxEmail.objects.filter(purpose="registration.payment_received").count() == 1


def test_an_expired_session_fails_its_payment(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    deliver(buyer_client, event("checkout.session.expired", session_obj(order, payment_status="unpaid")))
    assert Payment.objects.get().status == Payment.Status.FAILED
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_failed_delayed_payment_fails_its_payment(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    deliver(buyer_client, event("checkout.session.completed", session_obj(order, payment_status="unpaid")))
    assert Payment.objects.get().status == Payment.Status.CREATED
    deliver(buyer_client, event("checkout.session.async_payment_failed", session_obj(order, payment_status="unpaid")))
    assert Payment.objects.get().status == Payment.Status.FAILED
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_delayed_payment_counts_when_it_succeeds(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    deliver(buyer_client, event("checkout.session.completed", session_obj(order, payment_status="unpaid")))
    deliver(buyer_client, event("checkout.session.async_payment_succeeded", session_obj(order)))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_payment_reported_after_the_expiry_still_counts(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    deliver(buyer_client, event("checkout.session.expired", session_obj(order, payment_status="unpaid")))
    deliver(buyer_client, event("checkout.session.completed", session_obj(order)))
    assert Payment.objects.get().status == Payment.Status.CONFIRMED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_an_expiry_reported_after_the_payment_changes_nothing(buyer_client, order, fake_stripe):
    start_and_pay(buyer_client, order, fake_stripe)
    deliver(buyer_client, event("checkout.session.expired", session_obj(order, payment_status="unpaid")))
    assert Payment.objects.get().status == Payment.Status.CONFIRMED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_forged_signature_is_refused_and_changes_nothing(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    payload = json.dumps(event("checkout.session.completed", session_obj(order)))
    assert deliver(buyer_client, payload, signature=sign(payload, secret="whsec_attacker")).status_code == 400
    assert deliver(buyer_client, payload, signature="").status_code == 400
    tampered = payload.replace("125000", "100")
    assert deliver(buyer_client, tampered, signature=sign(payload)).status_code == 400
    stale = sign(payload, timestamp=int(time.time()) - 3600)
    assert deliver(buyer_client, payload, signature=stale).status_code == 400
    assert Payment.objects.get().status == Payment.Status.CREATED
    assert StripeEvent.objects.count() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_signed_body_that_is_not_json_is_refused(client, fake_stripe):
    assert deliver(client, "not json").status_code == 400
    assert StripeEvent.objects.count() == 0


def test_the_webhook_takes_only_a_post(client, fake_stripe):
    assert client.get(WEBHOOK).status_code == 405


def test_event_types_we_do_not_handle_are_accepted_and_ignored(client, fake_stripe):
    response = deliver(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert StripeEvent.objects.count() == 0


def test_a_payment_for_an_expired_order_is_flagged_for_finance(buyer_client, order, fake_stripe):
    start(buyer_client, order)
    services.expire_order(order, now=order.expires_at + timedelta(minutes=1))
    assert deliver(buyer_client, event("checkout.session.completed", session_obj(order))).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert order.needs_attention == (
        f"Card payment 1250.00 USD (Stripe cs_test_1) not recorded: Order {order.reference} is expired; no payment is "
        "due. Refund it or reinstate the order.")
    assert Payment.objects.filter(status="confirmed").count() == 0


def test_a_dispute_flags_the_order_and_mails_nobody(buyer_client, order, fake_stripe):
    start_and_pay(buyer_client, order, fake_stripe)
    mails = OutboxEmail.objects.count()
    dispute = {"id": "dp_test_1", "object": "dispute", "amount": 125000, "currency": "usd", "reason": "fraudulent",
               "payment_intent": "pi_test_1", "charge": "ch_test_1", "metadata": {}}
    assert deliver(buyer_client, event("charge.dispute.created", dispute)).status_code == 200
    order.refresh_from_db()
    assert order.needs_attention == ("Card payment disputed: Stripe dispute dp_test_1 over 1250.00 USD (fraudulent). "
                                     "Answer it in the Stripe dashboard.")
    assert order.status == Order.Status.PAID
    assert OutboxEmail.objects.count() == mails


# --- Refunds -----------------------------------------------------------------------------------

def refund_answer(status, amount, refund_id="re_test_1"):
    return 200, {"id": refund_id, "object": "refund", "status": status, "amount": amount, "currency": "usd",
                 "payment_intent": "pi_test_1"}


def test_a_full_refund_goes_back_through_stripe(buyer_client, order, fake_stripe, full_refund_policy):
    start_and_pay(buyer_client, order, fake_stripe)
    fake_stripe.responses[("POST", "/v1/refunds")] = refund_answer("succeeded", 125000)
    billing.cancel_with_refund(order, by=order.buyer)
    method, path, fields = fake_stripe.requests[-1]
    assert (method, path) == ("POST", "/v1/refunds")
    assert (fields["payment_intent"], fields["amount"]) == ("pi_test_1", "125000")
    refund = Refund.objects.get()
    assert (refund.status, refund.external_id, refund.amount) == ("done", "re_test_1", Decimal("1250.00"))
    assert OutboxEmail.objects.filter(purpose="registration.refund_issued").count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


def test_a_partial_refund_is_done_when_stripe_confirms_it(buyer_client, order, fake_stripe, fee_policy):
    start_and_pay(buyer_client, order, fake_stripe)
    fake_stripe.responses[("POST", "/v1/refunds")] = refund_answer("pending", 100000)
    billing.cancel_with_refund(order, by=order.buyer)
    assert fake_stripe.requests[-1][2]["amount"] == "100000"
    refund = Refund.objects.get()
    assert (refund.status, refund.external_id, refund.amount) == ("pending", "re_test_1", Decimal("1000.00"))
    assert OutboxEmail.objects.filter(purpose="registration.refund_issued").count() == 0
    body = event("refund.updated", refund_answer("succeeded", 100000)[1])
    assert deliver(buyer_client, body).status_code == 200
    assert deliver(buyer_client, body).status_code == 200
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DONE
    assert OutboxEmail.objects.filter(purpose="registration.refund_issued").count() == 1


def test_a_refund_listed_on_a_refunded_charge_is_done(buyer_client, order, fake_stripe, full_refund_policy):
    start_and_pay(buyer_client, order, fake_stripe)
    fake_stripe.responses[("POST", "/v1/refunds")] = refund_answer("pending", 125000)
    billing.cancel_with_refund(order, by=order.buyer)
    charge = {"id": "ch_test_1", "object": "charge", "payment_intent": "pi_test_1", "refunded": True,
              "refunds": {"object": "list", "data": [refund_answer("succeeded", 125000)[1]]}}
    deliver(buyer_client, event("charge.refunded", charge))
    assert Refund.objects.get().status == Refund.Status.DONE


def test_a_stripe_refund_error_keeps_the_order(buyer_client, order, fake_stripe, full_refund_policy):
    start_and_pay(buyer_client, order, fake_stripe)
    fake_stripe.responses[("POST", "/v1/refunds")] = (
        400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                        "message": "Charge ch_test_1 has already been refunded."}})
    with pytest.raises(NotAllowed) as excinfo:
        billing.cancel_with_refund(order, by=order.buyer)
    assert str(excinfo.value) == (f"Stripe could not refund 1250.00 USD on order {order.reference} (Charge ch_test_1 "
                                  "has already been refunded.). Nothing was changed; please try again later.")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Refund.objects.count() == 0


def test_a_failed_refund_is_flagged_for_finance(buyer_client, order, fake_stripe, full_refund_policy):
    start_and_pay(buyer_client, order, fake_stripe)
    fake_stripe.responses[("POST", "/v1/refunds")] = refund_answer("pending", 125000)
    billing.cancel_with_refund(order, by=order.buyer)
    deliver(buyer_client, event("refund.failed", refund_answer("failed", 125000)[1]))
    assert Refund.objects.get().status == Refund.Status.FAILED
    order.refresh_from_db()
    assert order.needs_attention == "Stripe refund re_test_1 of 1250.00 USD failed: pay it back another way."


def test_a_refund_event_ahead_of_its_record_is_asked_again(buyer_client, order, fake_stripe):
    start_and_pay(buyer_client, order, fake_stripe)
    body = event("refund.updated", refund_answer("succeeded", 125000, refund_id="re_test_9")[1])
    assert deliver(buyer_client, body).status_code == 409
    assert StripeEvent.objects.filter(type="refund.updated").count() == 0
    old = event("refund.updated", refund_answer("succeeded", 125000, refund_id="re_test_9")[1],
                created=int(time.time()) - 2 * 3600)
    assert deliver(buyer_client, old).status_code == 200
    order.refresh_from_db()
    assert order.needs_attention == "Stripe refund re_test_9 of 1250.00 USD (succeeded) matches no refund here."
