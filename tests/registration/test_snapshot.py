"""The per-process catalogue snapshot: read once, renewed by every change, never a stale price charged."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registration import services
from registration.errors import NotAllowed
from registration.models import Price, Product, Quota, RegistrationSettings
from registration.snapshot import catalogue_changed, catalogue_for
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def current(conference):
    return catalogue_for(conference, RegistrationSettings.objects.get(conference=conference))


def version(conference) -> str:
    return RegistrationSettings.objects.get(conference=conference).catalogue_version


def place(conference, buyer, people):
    return services.place_order(conference=conference, buyer=buyer, attendees=people, accept_code_of_conduct=True)


def test_it_reads_the_catalogue_once_while_the_version_stands(conference, catalogue):
    settings = RegistrationSettings.objects.get(conference=conference)
    first = catalogue_for(conference, settings)
    with CaptureQueriesContext(connection) as queries:
        again = catalogue_for(conference, settings)
    assert again is first
    assert len(queries) == 0
    assert sorted(first.categories) == ["academic", "non_academic", "student"]
    assert sorted(p.name for p in first.products.values()) == [
        "Exhibitor", "Full conference", "Main conference", "Social event", "Tutorials only", "Virtual pass",
        "Workshops only"]


@pytest.mark.parametrize("change", ["save", "delete"])
def test_a_price_saved_or_deleted_gives_the_edition_a_new_version(conference, catalogue, full_pass, industry, change):
    before = version(conference)
    price = Price.objects.get(product=full_pass, category=industry, period=catalogue.periods["early"])
    price.amount = Decimal("1300")
    getattr(price, change)()
    assert version(conference) != before


def test_the_next_order_is_charged_a_price_changed_in_the_admin(conference, catalogue, full_pass, industry):
    current(conference)  # the snapshot exists with the old price
    price = Price.objects.get(product=full_pass, category=industry, period=catalogue.periods["early"])
    price.amount = Decimal("1300.00")
    price.save()
    buyer = VerifiedUserFactory()
    assert place(conference, buyer, [attendee(buyer.email, industry, full_pass)]).total == Decimal("1300.00")
    assert services.quote(conference, [attendee("x@example.org", industry, full_pass)]).total == Decimal("1300.00")


def test_a_pass_taken_off_sale_is_refused_by_the_next_order(conference, catalogue, full_pass, industry):
    current(conference)
    full_pass.is_active = False
    full_pass.save()
    buyer = VerifiedUserFactory()
    with pytest.raises(NotAllowed) as excinfo:
        place(conference, buyer, [attendee(buyer.email, industry, current(conference).passes["full"])])
    assert str(excinfo.value) == "Full conference is not on sale."


def test_a_quota_linked_to_a_product_gives_the_edition_a_new_version(conference, catalogue, social):
    before = version(conference)
    dinner = Quota.objects.create(conference=conference, name="Dinner", size=10)
    after_create = version(conference)
    social.quotas.add(dinner)
    assert len({before, after_create, version(conference)}) == 3
    assert sorted(q.name for q in current(conference).products[social.pk].quotas.all()) == ["Dinner", "Social event"]


def test_a_product_added_gives_the_edition_a_new_version(conference, catalogue):
    before = version(conference)
    lunch = Product.objects.create(conference=conference, kind=Product.Kind.ADDON, name="Lunch")
    assert version(conference) != before
    assert current(conference).products[lunch.pk].name == "Lunch"


def test_a_change_without_signals_is_seen_after_catalogue_changed(conference, catalogue, full_pass, industry):
    current(conference)
    Price.objects.filter(product=full_pass, category=industry).update(amount=Decimal("999.00"))
    assert services.quote(conference, [attendee("x@example.org", industry, full_pass)]).total == Decimal("1250.00")
    catalogue_changed(conference.pk)
    assert services.quote(conference, [attendee("x@example.org", industry, full_pass)]).total == Decimal("999.00")


def test_a_snapshot_older_than_max_age_is_read_again(conference, catalogue, full_pass, industry, monkeypatch):
    first = current(conference)
    monkeypatch.setattr("registration.snapshot.MAX_AGE", 0.0)
    assert current(conference) is not first


def test_an_edition_without_registration_settings_is_read_each_time(conference, catalogue):
    assert catalogue_for(conference, None) is not catalogue_for(conference, None)
