"""Prices: which period is current, what a product costs for a category, what a voucher takes off.

Pure functions over already-fetched rows, so the order service prices a whole order with a fixed
number of queries, and the form shows exactly the figure the order will carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from confsite.models import Conference

from .errors import PriceUnavailable, VoucherInvalid
from .models import Category, Price, PricePeriod, Product, Voucher

ANYWHERE_ON_EARTH = timezone(timedelta(hours=-12), "AoE")
CENTS = Decimal("0.01")


def end_of_day_aoe(day) -> datetime:
    """23:59:59 Anywhere on Earth (UTC−12) on `day`: the deadline convention of ML conferences."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ANYWHERE_ON_EARTH)


def current_period(periods: Iterable[PricePeriod], now: datetime) -> PricePeriod | None:
    """The first period (by deadline, open-ended last) whose deadline has not passed."""
    ordered = sorted(periods, key=lambda p: (p.ends_at is None, p.ends_at or now))
    for period in ordered:
        if period.ends_at is None or period.ends_at >= now:
            return period
    return None


class PriceBook:
    """All prices of one edition and period, fetched once."""

    def __init__(self, conference: Conference, period: PricePeriod,
                 prices: Mapping[tuple[int, int | None], Decimal] | None = None):
        """`prices`: the period's amounts by (product id, category id or None), if already read."""
        self.conference = conference
        self.period = period
        if prices is None:
            prices = {(p.product_id, p.category_id): p.amount for p in Price.objects.filter(period=period)}
        self._prices = prices

    def price(self, product: Product, category: Category) -> Decimal:
        amount = self._prices.get((product.pk, category.pk), self._prices.get((product.pk, None)))
        if amount is None:
            raise PriceUnavailable(
                _("%(product)s is not sold to the %(category)s category in the %(period)s period.")
                % {"product": product.name, "category": category.name, "period": self.period.name}
            )
        return amount


@dataclass(frozen=True)
class VoucherScope:
    product_ids: frozenset[int]
    category_ids: frozenset[int]


def voucher_scope(voucher: Voucher) -> VoucherScope:
    return VoucherScope(
        frozenset(voucher.products.values_list("pk", flat=True)),
        frozenset(voucher.categories.values_list("pk", flat=True)),
    )


def check_voucher_window(voucher: Voucher, now: datetime) -> None:
    if voucher.valid_from and now < voucher.valid_from:
        raise VoucherInvalid(_("The code %(code)s is not valid yet.") % {"code": voucher.code})
    if voucher.valid_until and now > voucher.valid_until:
        raise VoucherInvalid(_("The code %(code)s has expired.") % {"code": voucher.code})


def voucher_applies(scope: VoucherScope, product: Product, category: Category) -> bool:
    return (not scope.product_ids or product.pk in scope.product_ids) and (
        not scope.category_ids or category.pk in scope.category_ids
    )


def discount(voucher: Voucher, price: Decimal) -> Decimal:
    """What the voucher takes off one line's price; never more than the price."""
    if voucher.kind == Voucher.Kind.COMPLIMENTARY:
        off = price
    elif voucher.kind == Voucher.Kind.PERCENT:
        off = (price * voucher.value / Decimal(100)).quantize(CENTS, rounding=ROUND_HALF_UP)
    else:
        off = voucher.value
    return min(off, price)
