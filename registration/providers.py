"""Payment providers behind one interface, each a small registered class (after pretix's providers).

A provider says whether it is enabled for an edition, how a buyer pays (instructions, or a
redirect to a hosted page), and how money goes back. Bank transfer is always available; Stripe
Checkout only when STRIPE_SECRET_KEY is configured.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import Order, Refund

_providers: dict[str, type[PaymentProvider]] = {}


def register(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    _providers[cls.code] = cls
    return cls


def provider_for(code: str) -> PaymentProvider:
    return _providers[code]()


def enabled_providers(order: Order) -> list[PaymentProvider]:
    return [cls() for cls in _providers.values() if cls().is_enabled(order)]


class PaymentProvider:
    code: str = ""
    label = ""

    def is_enabled(self, order: Order) -> bool:
        raise NotImplementedError

    def start(self, order: Order, *, success_url: str, cancel_url: str) -> str | None:
        """Begin paying `order`: a URL to redirect the buyer to, or None when instructions suffice."""
        raise NotImplementedError

    def refund(self, refund: Refund) -> None:
        """Send `refund` back (or leave it pending for finance); called inside the cancelling transaction."""
        raise NotImplementedError


@register
class BankTransfer(PaymentProvider):
    """Pay by bank transfer or against an invoice; organisers record what arrives, in full or in part."""

    code = "bank"
    label = _("Bank transfer / invoice")

    def is_enabled(self, order: Order) -> bool:
        return True

    def start(self, order: Order, *, success_url: str, cancel_url: str) -> str | None:
        return None

    def refund(self, refund: Refund) -> None:
        # Stays pending: a task for finance in the admin, completed with billing.complete_refund.
        return None
