"""Capacity under concurrency, on PostgreSQL with real threads, each with its own connection.

Each test runs the same race twice: with the lock, exactly the capacity succeeds; with locking
switched off (the negative control) the same race oversells, which proves the lock is what works.
"""

import threading

import pytest
from django.db import connection

from registration import services
from registration.errors import SoldOut, TryAgain, VoucherInvalid
from registration.models import Order, OrderLine, Product, Quota, Registration, Voucher
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ATTEMPTS = 50


def race(fn, n=ATTEMPTS):
    """Run fn(i) in n threads released together; return each outcome (an order or an exception)."""
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = fn(i)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def kinds(outcomes):
    return sorted({type(o).__name__ for o in outcomes})


@pytest.fixture
def attendees_and_pass(conference, catalogue, industry, monkeypatch):
    Quota.objects.filter(name="Venue (in person)").update(size=10)
    users = [VerifiedUserFactory(email=f"racer{i}@example.com") for i in range(ATTEMPTS)]
    # Widen the window between checking and writing capacity so the unlocked race really races.
    monkeypatch.setattr(services, "_pause_after_capacity_check", 0.02)
    tutorials = catalogue.products[Product.Kind.TUTORIALS]
    return users, tutorials, industry


def place_for(conference, users, pass_product, category, code=""):
    def place(i):
        return services.place_order(conference=conference, buyer=users[i], accept_code_of_conduct=True,
                                    voucher_code=code, attendees=[attendee(users[i].email, category, pass_product)])
    return place


def test_fifty_attempts_at_ten_seats_sell_exactly_ten(conference, attendees_and_pass):
    users, tutorials, industry = attendees_and_pass
    outcomes = race(place_for(conference, users, tutorials, industry))
    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, SoldOut | TryAgain)]
    assert len(orders) == 10
    assert len(refused) == 40, kinds(outcomes)
    assert Quota.objects.get(name="Venue (in person)").held == 10
    assert Registration.objects.filter(status="active").count() == 10


def test_without_the_lock_the_same_race_oversells(conference, attendees_and_pass, settings):
    settings.REGISTRATION_LOCKING = False
    users, tutorials, industry = attendees_and_pass
    outcomes = race(place_for(conference, users, tutorials, industry))
    orders = [o for o in outcomes if isinstance(o, Order)]
    assert len(orders) > 10, kinds(outcomes)
    assert Registration.objects.filter(status="active").count() > Quota.objects.get(name="Venue (in person)").size


@pytest.fixture
def voucher_race(conference, catalogue, industry, monkeypatch):
    Voucher.objects.create(conference=conference, code="TEN-USES", kind=Voucher.Kind.PERCENT, value=50, max_uses=10)
    users = [VerifiedUserFactory(email=f"voucher{i}@example.com") for i in range(ATTEMPTS)]
    monkeypatch.setattr(services, "_pause_after_capacity_check", 0.02)
    return place_for(conference, users, catalogue.products[Product.Kind.TUTORIALS], industry, code="TEN-USES")


def test_a_voucher_with_ten_uses_is_used_exactly_ten_times(voucher_race):
    outcomes = race(voucher_race)
    assert len([o for o in outcomes if isinstance(o, Order)]) == 10
    assert all(isinstance(o, Order | VoucherInvalid | TryAgain) for o in outcomes), kinds(outcomes)
    assert OrderLine.objects.filter(voucher__code="TEN-USES").count() == 10
    assert Voucher.objects.get(code="TEN-USES").used == 10


def test_without_the_lock_the_voucher_is_overused(voucher_race, settings):
    settings.REGISTRATION_LOCKING = False
    race(voucher_race)
    assert OrderLine.objects.filter(voucher__code="TEN-USES").count() > 10


def test_ten_concurrent_sends_of_one_idempotency_key_place_one_order(conference, catalogue, industry):
    # No look-up of the key before placing: the key's unique index refuses the later orders, and each
    # of those requests answers with the order that got in first.
    buyer = VerifiedUserFactory(email="retrying@example.com")
    tutorials = catalogue.products[Product.Kind.TUTORIALS]
    outcomes = race(lambda i: services.place_order(
        conference=conference, buyer=buyer, accept_code_of_conduct=True, idempotency_key="same-key",
        attendees=[attendee(buyer.email, industry, tutorials)]), n=10)
    assert all(isinstance(o, Order) for o in outcomes), kinds(outcomes)
    assert {o.pk for o in outcomes} == {Order.objects.get().pk}
    assert Quota.objects.get(name="Venue (in person)").held == 1
    assert Registration.objects.filter(status="active").count() == 1
