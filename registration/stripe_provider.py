"""Stripe Checkout: the buyer pays on Stripe's hosted page; Stripe's signed webhooks say what happened.

We use the official `stripe` package rather than raw HTTP because it verifies webhook signatures
(constant-time comparison, timestamp tolerance against replays), speaks the API version it was
generated for, and retries failed calls with an idempotency key so a network blip never charges or
refunds twice. It talks to Stripe through one `HTTPClient` object: tests put a fake one in
`http_client` and never reach the network.

Guarantees:
- Enabled only when STRIPE_SECRET_KEY is set.
- Money is only recorded from a verified `checkout.session.completed` (or `async_payment_succeeded`)
  event that says "paid", through billing.record_payment, so a replay or a reordered event never
  records a payment twice, and an expiry arriving after the payment never undoes it.
- Each event id is handled once (StripeEvent), in the same transaction as its effects.
- A payment or refund that cannot be reconciled automatically (a second payment for a paid order, a
  failed refund, a dispute) sets Order.needs_attention for finance instead of being dropped.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from confsite.audit import update_audited

from . import billing, providers
from .errors import NotAllowed
from .models import Order, Payment, Refund, StripeEvent

if TYPE_CHECKING:
    import stripe  # imported where used: ~22 MiB per process that never takes a card payment

logger = logging.getLogger(__name__)

STRIPE = Payment.Provider.STRIPE.value

# Tests install a fake here (see tests/registration/test_stripe.py); None means Stripe's own client.
http_client: stripe.HTTPClient | None = None

# Stripe accepts a Checkout expiry between 30 minutes and 24 hours from now.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
SESSION_MAX_LIFETIME = timedelta(hours=23, minutes=59)
# A refund event may arrive before the transaction that asked for the refund commits; Stripe is asked
# to send it again (it retries for days) unless it is older than this, when finance is told instead.
UNMATCHED_REFUND_PATIENCE = timedelta(hours=1)


class RetryLater(Exception):
    """The event concerns a record not committed yet: answer non-2xx so that Stripe sends it again."""


@functools.cache
def _default_http_client() -> stripe.HTTPClient:
    import stripe

    return stripe.new_default_http_client()


def client() -> stripe.StripeClient:
    import stripe

    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=http_client or _default_http_client(),
                               max_network_retries=2)


@providers.register
class StripeCheckout(providers.PaymentProvider):
    """Pay by card (and whatever else the Stripe account offers) on Stripe's hosted Checkout page."""

    code = STRIPE
    label = gettext_lazy("Card (Stripe)")

    def is_enabled(self, order: Order) -> bool:
        return billing.stripe_enabled()

    def start(self, order: Order, *, success_url: str, cancel_url: str) -> str:
        """Open a Checkout Session for what is still due on `order` and record it as a started payment.
        Sessions opened earlier for the order are expired first, so the buyer cannot pay twice."""
        import stripe

        if not self.is_enabled(order):
            raise NotAllowed(_("Card payment is not available; please pay by bank transfer."))
        order = Order.objects.select_related("conference", "buyer").get(pk=order.pk)
        if order.status != Order.Status.PENDING:
            raise NotAllowed(_("Order %(ref)s is %(status)s; no payment is due.")
                             % {"ref": order.reference, "status": order.get_status_display().lower()})
        amount = billing.outstanding(order)
        if amount <= 0:
            raise NotAllowed(_("Nothing is due on order %(ref)s.") % {"ref": order.reference})
        stripe_client = client()
        _expire_open_sessions(stripe_client, order)
        now = timezone.now()
        params = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": billing.minor_units(amount, order.currency),
                    "product_data": {"name": _("%(edition)s registration, order %(ref)s")
                                     % {"edition": order.conference.short_name, "ref": order.reference}},
                },
            }],
            "client_reference_id": order.reference,
            "metadata": {"order": order.reference},
            "payment_intent_data": {"metadata": {"order": order.reference}},
            "customer_email": order.invoice_email or order.buyer.email,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if order.expires_at is not None:
            # The page stops taking money when the order lapses, within the lifetime Stripe allows.
            lifetime = min(max(order.expires_at - now, SESSION_MIN_LIFETIME), SESSION_MAX_LIFETIME)
            params["expires_at"] = int((now + lifetime).timestamp())
        try:
            session = stripe_client.v1.checkout.sessions.create(params)
        except stripe.StripeError as exc:
            logger.warning("Stripe Checkout for %s not started: %s", order.reference, exc)
            raise NotAllowed(_("Card payment could not be started just now. Please try again in a few minutes, "
                               "or pay by bank transfer.")) from exc
        Payment.objects.create(order=order, provider=STRIPE, status=Payment.Status.CREATED, external_id=session.id,
                               amount=amount, currency=order.currency, created_at=now)
        return session.url

    def refund(self, refund: Refund) -> None:
        """Refund through Stripe; done at once when Stripe says so, otherwise when its webhook confirms.
        A Stripe error raises NotAllowed, which rolls the caller's cancellation back."""
        import stripe

        refund = Refund.objects.select_related("payment", "order").get(pk=refund.pk)
        payment = refund.payment
        if payment is None or not payment.payment_intent:
            raise NotAllowed(_("Card payment %(payment)s on order %(ref)s has no Stripe payment to refund; "
                               "refund it in the Stripe dashboard and record it there.")
                             % {"payment": payment.external_id if payment else "—", "ref": refund.order.reference})
        try:
            result = client().v1.refunds.create({
                "payment_intent": payment.payment_intent,
                "amount": billing.minor_units(refund.amount, refund.currency),
                "metadata": {"order": refund.order.reference, "refund": str(refund.pk)},
            })
        except stripe.StripeError as exc:
            logger.warning("Stripe refund of %s for %s failed: %s", refund.amount, refund.order.reference, exc)
            raise NotAllowed(_("Stripe could not refund %(amount)s %(currency)s on order %(ref)s (%(error)s). Nothing "
                               "was changed; please try again later.")
                             % {"amount": refund.amount, "currency": refund.currency, "ref": refund.order.reference,
                                "error": exc.user_message or _("no reason given")}) from exc
        Refund.objects.filter(pk=refund.pk).update(external_id=result.id)
        if result.status == "succeeded":
            billing.complete_refund(refund, external_id=result.id)


def _expire_open_sessions(stripe_client: stripe.StripeClient, order: Order) -> None:
    import stripe

    for payment in order.payments.filter(provider=STRIPE, status=Payment.Status.CREATED):
        try:
            stripe_client.v1.checkout.sessions.expire(payment.external_id)
        except stripe.StripeError as exc:
            # Already completed or expired: its webhook settles it.
            logger.info("Stripe session %s not expired: %s", payment.external_id, exc)
        else:
            update_audited(Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED),
                           status=Payment.Status.FAILED)


# --- Webhook events ----------------------------------------------------------------------------

def handle_event(event: dict) -> bool:
    """Apply one verified Stripe event. Returns False for a replay or an event type we do not handle.
    Raises RetryLater when Stripe should send the event again later."""
    handler = _HANDLERS.get(event["type"])
    if handler is None:
        return False
    with transaction.atomic():
        _, created = StripeEvent.objects.get_or_create(event_id=event["id"], defaults={"type": event["type"]})
        if not created:
            return False
        handler(event["data"]["object"], event)
    return True


def _flag(order: Order, sentence: str) -> None:
    """Tell finance, in the admin, that this order needs a person (newest first)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if sentence in order.needs_attention:
            return
        text = f"{sentence} {order.needs_attention}".strip()
        order.needs_attention = Truncator(text).chars(Order._meta.get_field("needs_attention").max_length)
        order.save(update_fields=["needs_attention"])
    logger.warning("Order %s needs attention: %s", order.reference, sentence)


def _money(minor: int, currency: str) -> tuple[Decimal, str]:
    currency = currency.upper()
    return billing.from_minor_units(minor, currency), currency


def _order_for_session(session: dict) -> Order | None:
    payment = Payment.objects.filter(provider=STRIPE, external_id=session["id"]).select_related("order").first()
    if payment is not None:
        return payment.order
    reference = session.get("client_reference_id") or (session.get("metadata") or {}).get("order")
    return Order.objects.filter(reference=reference).first() if reference else None


def _order_for_intent(payment_intent: str | None, metadata: dict | None) -> Order | None:
    if payment_intent:
        payment = Payment.objects.filter(provider=STRIPE, payment_intent=payment_intent).select_related("order").first()
        if payment is not None:
            return payment.order
    reference = (metadata or {}).get("order")
    return Order.objects.filter(reference=reference).first() if reference else None


def _session_paid(session: dict, event: dict) -> None:
    if session.get("payment_status") != "paid":
        return  # a delayed method (bank debit): `async_payment_succeeded` follows
    order = _order_for_session(session)
    if order is None:
        logger.warning("Stripe session %s names no order of ours", session["id"])
        return
    amount, currency = _money(session["amount_total"], session["currency"])
    if currency != order.currency:
        _flag(order, _("Stripe session %(id)s was paid in %(currency)s, not %(expected)s: check it and refund it.")
              % {"id": session["id"], "currency": currency, "expected": order.currency})
        return
    try:
        billing.record_payment(order, amount=amount, provider=STRIPE, external_id=session["id"],
                               payment_intent=session.get("payment_intent") or "")
    except NotAllowed as error:
        # e.g. the order expired or was paid another way meanwhile: the money is real, a person decides.
        _flag(order, _("Card payment %(amount)s %(currency)s (Stripe %(id)s) not recorded: %(error)s Refund it or "
                       "reinstate the order.")
              % {"amount": amount, "currency": currency, "id": session["id"], "error": error.message})


def _session_failed(session: dict, event: dict) -> None:
    # Only a payment still open fails: an expiry delivered after the payment changes nothing.
    update_audited(Payment.objects.filter(provider=STRIPE, external_id=session["id"], status=Payment.Status.CREATED),
                   status=Payment.Status.FAILED)


def _refund_changed(stripe_refund: dict, event: dict) -> None:
    status = stripe_refund.get("status")
    if status not in ("succeeded", "failed", "canceled"):
        return
    refund = Refund.objects.filter(payment__provider=STRIPE, external_id=stripe_refund["id"]).first()
    if refund is None:
        age = timezone.now() - datetime.fromtimestamp(event["created"], tz=UTC)
        if age < UNMATCHED_REFUND_PATIENCE:
            raise RetryLater(stripe_refund["id"])
        order = _order_for_intent(stripe_refund.get("payment_intent"), stripe_refund.get("metadata"))
        if order is not None:
            amount, currency = _money(stripe_refund["amount"], stripe_refund["currency"])
            _flag(order, _("Stripe refund %(id)s of %(amount)s %(currency)s (%(status)s) matches no refund here.")
                  % {"id": stripe_refund["id"], "amount": amount, "currency": currency, "status": status})
        return
    if status == "succeeded":
        billing.complete_refund(refund, external_id=stripe_refund["id"])
    else:
        # A refund Stripe reported done can still fail later: the record stays, finance is told.
        update_audited(Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING), status=Refund.Status.FAILED)
        _flag(refund.order, _("Stripe refund %(id)s of %(amount)s %(currency)s failed: pay it back another way.")
              % {"id": stripe_refund["id"], "amount": refund.amount, "currency": refund.currency})


def _charge_refunded(charge: dict, event: dict) -> None:
    # Older API versions list the charge's refunds here; newer ones send `refund.updated` instead.
    for stripe_refund in (charge.get("refunds") or {}).get("data") or []:
        _refund_changed(stripe_refund, event)


def _dispute_created(dispute: dict, event: dict) -> None:
    order = _order_for_intent(dispute.get("payment_intent"), dispute.get("metadata"))
    if order is None:
        logger.warning("Stripe dispute %s names no order of ours", dispute["id"])
        return
    amount, currency = _money(dispute["amount"], dispute["currency"])
    _flag(order, _("Card payment disputed: Stripe dispute %(id)s over %(amount)s %(currency)s (%(reason)s). "
                   "Answer it in the Stripe dashboard.")
          % {"id": dispute["id"], "amount": amount, "currency": currency, "reason": dispute.get("reason") or "?"})


_HANDLERS = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.expired": _session_failed,
    "checkout.session.async_payment_failed": _session_failed,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund_changed,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_changed,
    "charge.refund.updated": _refund_changed,
    "charge.dispute.created": _dispute_created,
}
