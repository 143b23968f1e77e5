"""Complimentary vouchers issued on someone's behalf (registration.vouchers), redeemed through place_order."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from registration import services, vouchers
from registration.errors import VoucherInvalid
from registration.models import Order, Product, Voucher
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def register_with(conference, code, pass_product, category, email="guest@acme.example"):
    buyer = VerifiedUserFactory(email=email)
    return services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True, voucher_code=code,
                                attendees=[attendee(buyer.email, category, pass_product)])


def test_it_issues_a_single_use_complimentary_voucher_with_a_random_code(conference, catalogue, full_pass):
    voucher = vouchers.issue_complimentary_voucher(conference, source="sponsor: Acme", email="Jane@Acme.example",
                                                   products=[full_pass])
    assert re.fullmatch(r"COMP-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}", voucher.code)
    assert (voucher.kind, voucher.max_uses, voucher.used, voucher.valid_from, voucher.valid_until) == (
        Voucher.Kind.COMPLIMENTARY, 1, 0, None, None)
    assert voucher.source == "sponsor: Acme (jane@acme.example)"
    assert list(voucher.products.all()) == [full_pass]
    voucher.full_clean()


def test_each_voucher_gets_its_own_code(conference, catalogue):
    codes = {vouchers.issue_complimentary_voucher(conference, source="s", email="a@b.example").code for _ in range(20)}
    assert len(codes) == 20


def test_the_voucher_registers_for_nothing_through_place_order(conference, catalogue, full_pass, industry):
    voucher = vouchers.issue_complimentary_voucher(conference, source="sponsor: Acme", email="guest@acme.example",
                                                   products=[full_pass])
    order = register_with(conference, voucher.code.lower(), full_pass, industry)
    assert (order.total, order.status) == (Decimal("0.00"), Order.Status.PAID)
    line = order.lines.get()
    assert (line.price, line.discount, line.voucher) == (Decimal("1250.00"), Decimal("1250.00"), voucher)
    assert vouchers.voucher_is_used(voucher) is True


def test_the_voucher_works_once(conference, catalogue, full_pass, industry):
    voucher = vouchers.issue_complimentary_voucher(conference, source="sponsor: Acme", email="guest@acme.example")
    register_with(conference, voucher.code, full_pass, industry)
    with pytest.raises(VoucherInvalid, match=f"The code {voucher.code} has been used up."):
        register_with(conference, voucher.code, full_pass, industry, email="second@acme.example")


def test_a_voucher_limited_to_the_full_pass_does_not_apply_to_another(conference, catalogue, industry):
    full = catalogue.products[Product.Kind.FULL]
    voucher = vouchers.issue_complimentary_voucher(conference, source="s", email="guest@acme.example", products=[full])
    with pytest.raises(VoucherInvalid, match="does not apply to what you chose"):
        register_with(conference, voucher.code, catalogue.products[Product.Kind.MAIN], industry)
    assert vouchers.voucher_is_used(voucher) is False


def test_pass_products_finds_the_editions_active_passes_of_a_kind(conference, catalogue):
    assert vouchers.pass_products(conference, [Product.Kind.FULL]) == [catalogue.products[Product.Kind.FULL]]
    Product.objects.filter(kind=Product.Kind.FULL).update(is_active=False)
    assert vouchers.pass_products(conference, [Product.Kind.FULL]) == []


def test_passes_of_another_edition_are_refused(conference, catalogue):
    other = ConferenceFactory(slug="icml2027")
    foreign = Product.objects.create(conference=other, kind=Product.Kind.FULL, name="Full")
    with pytest.raises(ValueError, match="its own edition"):
        vouchers.issue_complimentary_voucher(conference, source="s", email="guest@acme.example", products=[foreign])
    assert Voucher.objects.count() == 0


def test_an_unused_voucher_is_revoked_and_then_refused(conference, catalogue, full_pass, industry):
    voucher = vouchers.issue_complimentary_voucher(conference, source="s", email="guest@acme.example")
    assert vouchers.revoke_voucher(voucher) is True
    voucher.refresh_from_db()
    assert voucher.max_uses == 0
    with pytest.raises(VoucherInvalid, match=f"The code {voucher.code} has been revoked."):
        register_with(conference, voucher.code, full_pass, industry)
    assert Order.objects.count() == 0


def test_a_used_voucher_cannot_be_revoked(conference, catalogue, full_pass, industry):
    voucher = vouchers.issue_complimentary_voucher(conference, source="s", email="guest@acme.example")
    register_with(conference, voucher.code, full_pass, industry)
    assert vouchers.revoke_voucher(voucher) is False
    voucher.refresh_from_db()
    assert (voucher.max_uses, voucher.used, voucher.valid_until) == (1, 1, None)


def test_a_cancelled_order_gives_the_use_back(conference, catalogue, full_pass, industry):
    voucher = vouchers.issue_complimentary_voucher(conference, source="s", email="guest@acme.example")
    order = register_with(conference, voucher.code, full_pass, industry)
    services.cancel_order(order)
    assert vouchers.voucher_is_used(voucher) is False
    assert vouchers.revoke_voucher(voucher) is True
