"""Vouchers: percentage, fixed, complimentary; limited uses, scope and validity window."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from registration import services
from registration.errors import VoucherInvalid
from registration.models import Order, Voucher
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def voucher(conference, code="SAVE20", kind=Voucher.Kind.PERCENT, value="20", **kwargs):
    products = kwargs.pop("products", [])
    categories = kwargs.pop("categories", [])
    v = Voucher.objects.create(conference=conference, code=code, kind=kind, value=Decimal(value), **kwargs)
    v.products.set(products)
    v.categories.set(categories)
    return v


def order_with(conference, code, pass_product, category, email=None):
    buyer = VerifiedUserFactory(**({"email": email} if email else {}))
    return services.place_order(conference=conference, buyer=buyer, attendees=[attendee(buyer.email, category, pass_product)],
                                accept_code_of_conduct=True, voucher_code=code)


def test_a_percentage_voucher_takes_its_share_off(conference, catalogue, full_pass, industry):
    v = voucher(conference, max_uses=5)
    order = order_with(conference, "save20", full_pass, industry)
    assert order.total == Decimal("1000.00")
    line = order.lines.get()
    assert (line.price, line.discount, line.voucher) == (Decimal("1250.00"), Decimal("250.00"), v)
    v.refresh_from_db()
    assert v.used == 1


def test_a_fixed_voucher_never_makes_a_price_negative(conference, catalogue, industry):
    from registration.models import Product

    voucher(conference, code="MINUS500", kind=Voucher.Kind.FIXED, value="500")
    order = order_with(conference, "MINUS500", catalogue.products[Product.Kind.VIRTUAL], industry)
    assert order.total == Decimal("0.00")


def test_a_complimentary_voucher_makes_the_order_paid_at_once(conference, catalogue, full_pass, industry):
    voucher(conference, code="SPONSOR-ACME-1", kind=Voucher.Kind.COMPLIMENTARY, source="sponsor: Acme")
    order = order_with(conference, "SPONSOR-ACME-1", full_pass, industry)
    assert (order.total, order.status, order.expires_at) == (Decimal("0.00"), Order.Status.PAID, None)
    assert order.lines.get().voucher.source == "sponsor: Acme"


def test_an_exhausted_voucher_is_refused_and_changes_nothing(conference, catalogue, full_pass, industry):
    voucher(conference, max_uses=1)
    order_with(conference, "SAVE20", full_pass, industry)
    with pytest.raises(VoucherInvalid) as excinfo:
        order_with(conference, "SAVE20", full_pass, industry)
    assert str(excinfo.value) == "The code SAVE20 has been used up."
    assert Order.objects.count() == 1


def test_an_expired_or_future_voucher_is_refused(conference, catalogue, full_pass, industry):
    now = timezone.now()
    voucher(conference, code="OLD", valid_until=now - timedelta(days=1))
    voucher(conference, code="SOON", valid_from=now + timedelta(days=1))
    with pytest.raises(VoucherInvalid, match="The code OLD has expired."):
        order_with(conference, "OLD", full_pass, industry)
    with pytest.raises(VoucherInvalid, match="The code SOON is not valid yet."):
        order_with(conference, "SOON", full_pass, industry)
    with pytest.raises(VoucherInvalid, match="There is no code NOPE for this edition."):
        order_with(conference, "NOPE", full_pass, industry)


def test_a_voucher_limited_to_a_category_does_not_apply_to_others(conference, catalogue, full_pass, industry, student):
    voucher(conference, code="STUDENTS", categories=[student])
    with pytest.raises(VoucherInvalid, match="The code STUDENTS does not apply to what you chose."):
        order_with(conference, "STUDENTS", full_pass, industry)


def test_a_voucher_limited_to_a_pass_applies_only_to_that_line(conference, catalogue, full_pass, social, industry):
    voucher(conference, code="FULLONLY", kind=Voucher.Kind.COMPLIMENTARY, products=[full_pass], max_uses=3)
    buyer = VerifiedUserFactory()
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True, voucher_code="FULLONLY",
                                 attendees=[attendee(buyer.email, industry, full_pass, addons=[social])])
    assert order.total == Decimal("80.00")
    assert Voucher.objects.get(code="FULLONLY").used == 1


def test_a_voucher_for_one_covers_only_one_person_of_a_group(conference, catalogue, full_pass, industry):
    voucher(conference, code="ONE", kind=Voucher.Kind.COMPLIMENTARY, max_uses=1)
    buyer = VerifiedUserFactory()
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True, voucher_code="ONE",
                                 attendees=[attendee("a@example.com", industry, full_pass),
                                            attendee("b@example.com", industry, full_pass)])
    assert order.total == Decimal("1250.00")
    assert Voucher.objects.get(code="ONE").used == 1
