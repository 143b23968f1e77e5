"""Complimentary vouchers issued on someone else's behalf (a sponsor's passes, a society's guests).

Registration knows nothing about who asks: the caller passes a source label ("sponsor: Acme"),
which organisers see on the voucher and on every order line that used it. The voucher is redeemed
through the ordinary registration flow (`services.place_order(voucher_code=…)`), so everything
that holds for vouchers there (one use, a row lock against concurrent orders, seats from quotas)
holds for these too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from confsite.models import Conference

from .models import Product, Voucher

# 31 unambiguous characters (no 0/O, 1/I/L); 12 of them carry ~59 random bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_PREFIX = "COMP-"
CODE_TRIES = 5


def _new_code(conference: Conference) -> str:
    for _attempt in range(CODE_TRIES):
        code = CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Voucher.objects.filter(conference=conference, code=code).exists():
            return code
    raise RuntimeError("no free voucher code after several draws")  # ~1 in 10^17 per draw: a broken RNG


def pass_products(conference: Conference, kinds: Iterable[str]) -> list[Product]:
    """The edition's active passes of these kinds (e.g. `Product.Kind.FULL`), for a voucher's scope."""
    return list(Product.objects.filter(conference=conference, kind__in=list(kinds), is_active=True).order_by("position"))


@transaction.atomic
def issue_complimentary_voucher(conference: Conference, *, source: str, email: str,
                                products: Iterable[Product] = ()) -> Voucher:
    """A new single-use complimentary voucher for one person's registration at `conference`.

    Guarantees: a fresh random code unique in the edition; kind complimentary (the line it applies
    to costs nothing); one use; no validity window of its own (it works while the edition's
    registration is open); limited to `products` if any are given, else to any pass; bound to
    `email`: registration applies it only to the attendee with that address (any case), and the
    address is also in the source label for organisers ("sponsor: Acme (jane@acme.example)").
    """
    products = list(products)
    if any(p.conference_id != conference.pk for p in products):
        raise ValueError("a voucher can only name passes of its own edition")
    label = f"{source} ({email.strip().lower()})" if email else source
    voucher = Voucher.objects.create(conference=conference, code=_new_code(conference),
                                     kind=Voucher.Kind.COMPLIMENTARY, value=0, max_uses=1, source=label[:100],
                                     for_email=email.strip().lower())
    if products:
        voucher.products.set(products)
    return voucher


def voucher_is_used(voucher: Voucher) -> bool:
    """True while an order (pending or paid) holds the voucher's use; a cancelled order gives it back."""
    return Voucher.objects.filter(pk=voucher.pk, used__gt=0).exists()


@transaction.atomic
def revoke_voucher(voucher: Voucher, *, now=None) -> bool:
    """Close an unused voucher for good; False (and nothing changes) if an order has used it.

    The voucher row is locked as `place_order` locks it, so an order and a revocation never both
    win: whichever comes second sees the other's result. A revoked code is refused at registration
    as revoked.
    """
    now = now or timezone.now()
    current = Voucher.objects.select_for_update().get(pk=voucher.pk)
    if current.used > 0:
        return False
    # No uses left and the window closed: either alone refuses the code; both keep it refused even if
    # an organiser later widens one of them by mistake.
    Voucher.objects.filter(pk=voucher.pk).update(max_uses=0, valid_until=now, revoked_at=now)
    voucher.max_uses, voucher.valid_until, voucher.revoked_at = 0, now, now
    return True
