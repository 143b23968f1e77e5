"""Stripe Checkout pages: start paying an order, land back from Stripe, and Stripe's webhook."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

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


class AnyAccept(BaseContentNegotiation):
    """Neither Stripe's Accept header nor a ?format= parameter can turn an event away (no 406 or 404):
    the webhook answers in plain text, and its error answers in JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


TEXT = "text/plain"


class StripeWebhookView(APIView):
    """Stripe's signed events, for every edition (events name their order). A DRF view so that it is
    described in the API schema; it authenticates nobody (the signature is the credential), needs
    no CSRF token and reads the body raw, since the signature covers its exact bytes."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]  # for the schema: request.data is never read
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept
    http_method_names = ["post"]

    @extend_schema(
        operation_id="stripe_webhook",
        summary=_lazy("Stripe's webhook"),
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter(
            "Stripe-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
            description=_lazy("Stripe's signature of the body with the endpoint's signing secret."),
        )],
        responses={
            (200, TEXT): OpenApiResponse(OpenApiTypes.STR, description=_lazy("Handled, a replay, or ignored.")),
            (400, TEXT): OpenApiResponse(OpenApiTypes.STR, description=_lazy(
                "Invalid payload or signature, or an event not understood; nothing changed.")),
            404: OpenApiResponse(description=_lazy("Card payment is not available.")),
            (409, TEXT): OpenApiResponse(OpenApiTypes.STR, description=_lazy(
                "Not ready (the event is ahead of its record); Stripe sends it again later.")),
        },
        tags=["stripe"],
    )
    def post(self, request: Request) -> HttpResponse:
        """Stripe's signed events. 400 for a bad signature or body (nothing changes); 409 asks Stripe to
        send the event again later; 200 for everything else, including replays and types we ignore;
        404 while card payment is off."""
        if not billing.stripe_enabled():
            raise Http404
        import stripe  # here, not at the top: most processes never see a card payment

        try:
            event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"),
                                                   settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            logger.warning("Stripe webhook rejected: %s", exc)
            return HttpResponseBadRequest("Invalid payload or signature.", content_type=TEXT)
        try:
            stripe_provider.handle_event(event.to_dict())
        except stripe_provider.RetryLater:
            return HttpResponse("Not ready; send again later.", status=409, content_type=TEXT)
        except (KeyError, TypeError) as exc:
            # Signed by Stripe but not shaped as expected: refuse it (Stripe retries) rather than fail.
            logger.exception("Stripe event %s not understood: %s", getattr(event, "id", "?"), exc)
            return HttpResponseBadRequest("Event not understood.", content_type=TEXT)
        return HttpResponse("OK", content_type=TEXT)


webhook = StripeWebhookView.as_view()
