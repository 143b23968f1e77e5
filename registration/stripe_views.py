"""Stripe Checkout pages: start paying an order, land back from Stripe, and Stripe's webhook."""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from confsite.editions import edition_view
from confsite.models import Conference

from . import billing, stripe_provider
from .errors import RegistrationError
from .models import Order, Payment

logger = logging.getLogger(__name__)


def _buyers_order(request: HttpRequest, edition: Conference, reference: str) -> Order:
    """The order, if card payment is on and the signed-in person bought it; otherwise 404."""
    if not billing.stripe_enabled():
        raise Http404(_("Card payment is not available."))
    return get_object_or_404(Order, conference=edition, reference=reference, buyer=request.user)


@require_POST
@edition_view
@login_required
def start(request: HttpRequest, edition: Conference, reference: str) -> HttpResponse:
    order = _buyers_order(request, edition, reference)
    if order.status != Order.Status.PENDING:
        messages.info(request, _("Order %(ref)s is %(status)s; nothing is due.")
                      % {"ref": order.reference, "status": order.get_status_display().lower()})
        return redirect("my_registration", edition.slug)
    back = f"{settings.SITE_URL}{reverse('stripe_return', args=[edition.slug, order.reference])}"
    cancelled = f"{settings.SITE_URL}{reverse('stripe_cancelled', args=[edition.slug, order.reference])}"
    try:
        url = stripe_provider.StripeCheckout().start(order, success_url=back, cancel_url=cancelled)
    except RegistrationError as error:
        messages.error(request, str(error.message))
        return redirect("my_registration", edition.slug)
    return redirect(url)


@require_GET
@edition_view
@login_required
def returned(request: HttpRequest, edition: Conference, reference: str) -> HttpResponse:
    order = _buyers_order(request, edition, reference)
    # Only the webhook records money; until it has, say the payment is on its way.
    if order.payments.filter(provider=Payment.Provider.STRIPE, status=Payment.Status.CONFIRMED).exists():
        messages.success(request, _("Payment received for order %(ref)s. Thank you; your receipt is on its way "
                                    "by e-mail.") % {"ref": order.reference})
    else:
        messages.info(request, _("Thank you. Your card payment for order %(ref)s is being confirmed; this page "
                                 "will show it as paid within a few minutes, and we will e-mail you a receipt.")
                      % {"ref": order.reference})
    return redirect("my_registration", edition.slug)


@require_GET
@edition_view
@login_required
def cancelled(request: HttpRequest, edition: Conference, reference: str) -> HttpResponse:
    order = _buyers_order(request, edition, reference)
    messages.info(request, _("Card payment for order %(ref)s was cancelled and nothing was charged. You can try "
                             "again or pay by bank transfer.") % {"ref": order.reference})
    return redirect("my_registration", edition.slug)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's signed events. 400 for a bad signature or body (nothing changes); 409 asks Stripe to
    send the event again later; 200 for everything else, including replays and types we ignore."""
    if not billing.stripe_enabled():
        raise Http404
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"),
                                               settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        logger.warning("Stripe webhook rejected: %s", exc)
        return HttpResponseBadRequest("Invalid payload or signature.", content_type="text/plain")
    try:
        stripe_provider.handle_event(event.to_dict())
    except stripe_provider.RetryLater:
        return HttpResponse("Not ready; send again later.", status=409, content_type="text/plain")
    except (KeyError, TypeError) as exc:
        # Signed by Stripe but not shaped as expected: refuse it (Stripe retries) rather than fail.
        logger.exception("Stripe event %s not understood: %s", getattr(event, "id", "?"), exc)
        return HttpResponseBadRequest("Event not understood.", content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
