"""Placing orders: prices frozen, seats held, one active registration per person, idempotent."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from confsite.models import OutboxEmail, User
from registration import services
from registration.errors import AlreadyRegistered, NotAllowed, SoldOut
from registration.models import Order, OrderLine, Price, Quota, Registration
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def place(conference, buyer, people, **kwargs):
    kwargs.setdefault("accept_code_of_conduct", True)
    return services.place_order(conference=conference, buyer=buyer, attendees=people, **kwargs)


def test_it_places_an_order_that_holds_a_seat_at_the_current_price(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    order = place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    assert re.fullmatch(r"ICML26-[2-9A-HJKMNP-Z]{5}", order.reference)
    assert order.status == Order.Status.PENDING
    assert order.total == Decimal("1250.00")
    assert order.currency == "USD"
    assert timedelta(days=13, hours=23) < order.expires_at - timezone.now() <= timedelta(days=14)
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 1
    registration = Registration.objects.get()
    assert (registration.user, registration.category, registration.pass_product) == (buyer, industry, full_pass)
    assert registration.badge_name == "김민지"
    assert registration.eligibility == Registration.Eligibility.NOT_NEEDED
    assert len(registration.checkin_token) == 32


def test_the_price_is_frozen_on_the_order(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    order = place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    Price.objects.filter(product=full_pass).update(amount=Decimal("9999"))
    order.refresh_from_db()
    assert order.total == Decimal("1250.00")
    assert OrderLine.objects.get().price == Decimal("1250.00")


def test_the_quote_equals_the_order_total(conference, catalogue, full_pass, social, industry):
    buyer = VerifiedUserFactory()
    people = [attendee(buyer.email, industry, full_pass, addons=[social])]
    quote = services.quote(conference, people)
    assert quote.total == Decimal("1330.00")
    assert place(conference, buyer, people).total == quote.total


def test_a_person_has_one_active_registration_per_edition(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    with pytest.raises(AlreadyRegistered):
        place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    assert Order.objects.count() == 1
    assert Quota.objects.get(name="Venue (in person)").held == 1


def test_someone_registered_is_told_so_even_when_the_pass_is_sold_out(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    Quota.objects.filter(pk=catalogue.quotas["venue"].pk).update(size=1)
    newcomer = VerifiedUserFactory(email="wei@example.com")
    with pytest.raises(AlreadyRegistered) as excinfo:
        place(conference, newcomer, [attendee(newcomer.email, industry, full_pass), attendee(buyer.email, industry, full_pass)])
    assert str(excinfo.value) == ("ji@example.com is already registered for ICML 2026. Add-ons and pass changes go "
                                  "through “My registration”.")
    assert (Order.objects.count(), User.objects.filter(email="wei@example.com").count()) == (1, 1)
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 1


def test_the_same_idempotency_key_returns_the_first_order(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    first = place(conference, buyer, [attendee(buyer.email, industry, full_pass)], idempotency_key="k-1")
    second = place(conference, buyer, [attendee(buyer.email, industry, full_pass)], idempotency_key="k-1")
    assert first.pk == second.pk
    assert Order.objects.count() == 1


def test_a_retry_after_the_first_order_took_the_last_seat_returns_that_order(conference, catalogue, full_pass, industry):
    Quota.objects.filter(pk=catalogue.quotas["venue"].pk).update(size=1)
    buyer = VerifiedUserFactory()
    first = place(conference, buyer, [attendee(buyer.email, industry, full_pass)], idempotency_key="k-1")
    second = place(conference, buyer, [attendee(buyer.email, industry, full_pass)], idempotency_key="k-1")
    assert first.pk == second.pk
    assert (Order.objects.count(), Quota.objects.get(pk=catalogue.quotas["venue"].pk).held) == (1, 1)


def test_a_retry_whose_first_order_is_cancelled_returns_it_and_takes_no_seat(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    first = place(conference, buyer, [attendee(buyer.email, industry, full_pass)], idempotency_key="k-1")
    services.cancel_order(first)
    second = place(conference, buyer, [attendee(buyer.email, industry, full_pass)], idempotency_key="k-1")
    assert (second.pk, second.status) == (first.pk, Order.Status.CANCELLED)
    assert (Order.objects.count(), Registration.objects.filter(status="active").count()) == (1, 0)
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 0


def test_a_reference_already_taken_is_drawn_again(conference, catalogue, full_pass, industry, monkeypatch):
    first_buyer, second_buyer = VerifiedUserFactory(), VerifiedUserFactory()
    first = place(conference, first_buyer, [attendee(first_buyer.email, industry, full_pass)])
    draws = iter([first.reference, "ICML26-FRESH"])
    monkeypatch.setattr(services, "_new_reference", lambda prefix: next(draws))
    second = place(conference, second_buyer, [attendee(second_buyer.email, industry, full_pass)])
    assert second.reference == "ICML26-FRESH"
    assert Order.objects.count() == 2
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 2


def test_the_code_of_conduct_must_be_accepted(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    with pytest.raises(NotAllowed) as excinfo:
        place(conference, buyer, [attendee(buyer.email, industry, full_pass)], accept_code_of_conduct=False)
    assert str(excinfo.value) == "Please accept the code of conduct to register."
    assert Order.objects.count() == 0


def test_a_group_order_registers_three_people_who_each_get_an_email(conference, catalogue, full_pass, academic, industry):
    buyer = VerifiedUserFactory(email="lab.manager@example.com")
    people = [
        attendee("minji@example.com", industry, full_pass, badge_name="Minji"),
        attendee("wei.zhang@example.com", industry, full_pass, badge_name="Wei Zhang"),
        attendee("jose@example.com", industry, full_pass, badge_name="José"),
    ]
    order = place(conference, buyer, people)
    assert order.total == Decimal("3750.00")
    registrations = Registration.objects.filter(order=order).order_by("badge_name")
    assert [(r.badge_name, r.user.email, r.registered_by_id) for r in registrations] == [
        ("José", "jose@example.com", buyer.pk), ("Minji", "minji@example.com", buyer.pk),
        ("Wei Zhang", "wei.zhang@example.com", buyer.pk),
    ]
    assert not User.objects.get(email="minji@example.com").has_usable_password()
    purposes = sorted(OutboxEmail.objects.values_list("purpose", "recipient"))
    assert purposes == [
        ("registration.group_member_added", "jose@example.com"),
        ("registration.group_member_added", "minji@example.com"),
        ("registration.group_member_added", "wei.zhang@example.com"),
        ("registration.order_placed", "lab.manager@example.com"),
    ]
    member_mail = OutboxEmail.objects.get(recipient="minji@example.com")
    assert "lab.manager@example.com has registered you for ICML 2026 (Full conference)." in member_mail.body_text


def test_a_person_may_add_an_add_on_in_a_later_order(conference, catalogue, full_pass, social, industry):
    buyer = VerifiedUserFactory()
    first = place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    second = place(conference, buyer, [attendee(buyer.email, industry, None, addons=[social])])
    assert second.total == Decimal("80.00")
    assert second.lines.get().registration.order == first
    assert Registration.objects.count() == 1
    assert Quota.objects.get(name="Social event").held == 1


def test_add_ons_need_a_registration(conference, catalogue, social, industry):
    buyer = VerifiedUserFactory()
    with pytest.raises(NotAllowed):
        place(conference, buyer, [attendee(buyer.email, industry, None, addons=[social])])


def test_sold_out_changes_nothing(conference, catalogue, full_pass, social, industry):
    Quota.objects.filter(name="Social event").update(held=2)
    buyer = VerifiedUserFactory()
    with pytest.raises(SoldOut) as excinfo:
        place(conference, buyer, [attendee(buyer.email, industry, full_pass, addons=[social])])
    assert "Sold out: Social event." in str(excinfo.value)
    assert Order.objects.count() == 0 and Registration.objects.count() == 0
    assert Quota.objects.get(name="Venue (in person)").held == 0


def test_the_venue_quota_is_shared_by_every_in_person_pass(conference, catalogue, industry):
    from registration.models import Product

    Quota.objects.filter(name="Venue (in person)").update(size=2)
    for kind, email in [(Product.Kind.MAIN, "a@example.com"), (Product.Kind.WORKSHOPS, "b@example.com")]:
        buyer = VerifiedUserFactory(email=email)
        place(conference, buyer, [attendee(email, industry, catalogue.products[kind])])
    buyer = VerifiedUserFactory(email="c@example.com")
    with pytest.raises(SoldOut):
        place(conference, buyer, [attendee(buyer.email, industry, catalogue.products[Product.Kind.TUTORIALS])])
    # The virtual pass draws on no in-person quota.
    place(conference, buyer, [attendee(buyer.email, industry, catalogue.products[Product.Kind.VIRTUAL])])


def test_an_add_on_is_not_a_pass(conference, catalogue, social, industry):
    buyer = VerifiedUserFactory()
    with pytest.raises(NotAllowed) as excinfo:
        place(conference, buyer, [attendee(buyer.email, industry, social)])
    assert str(excinfo.value) == "Social event is an add-on, not a pass."


def test_a_category_without_a_price_for_the_pass_is_refused(conference, catalogue, academic):
    from registration.errors import PriceUnavailable
    from registration.models import Product

    buyer = VerifiedUserFactory()
    with pytest.raises(PriceUnavailable) as excinfo:
        place(conference, buyer, [attendee(buyer.email, academic, catalogue.products[Product.Kind.EXHIBITOR])])
    assert str(excinfo.value) == "Exhibitor is not sold to the Academic category in the Early-bird period."


def test_a_paid_order_can_be_marked_and_cancelled(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    order = place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    services.mark_paid(order)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.expires_at is None
    with pytest.raises(NotAllowed):
        services.mark_paid(order)
    services.cancel_order(order)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Registration.objects.get().status == Registration.Status.CANCELLED
    assert Quota.objects.get(name="Venue (in person)").held == 0
    # Cancelled: the person may register again.
    place(conference, buyer, [attendee(buyer.email, industry, full_pass)])


def test_a_person_upgrades_their_pass_paying_the_difference(conference, catalogue, industry):
    from registration.models import Product

    main, full = catalogue.products[Product.Kind.MAIN], catalogue.products[Product.Kind.FULL]
    buyer = VerifiedUserFactory()
    first = place(conference, buyer, [attendee(buyer.email, industry, main)])
    services.mark_paid(first)
    upgrade = services.AttendeeRequest(email=buyer.email, category=industry, pass_product=full, upgrade=True)
    assert services.quote(conference, [upgrade]).total == Decimal("300.00")
    order = place(conference, buyer, [upgrade])
    assert order.total == Decimal("300.00")
    line = order.lines.get()
    assert (line.product, line.replaces, line.price) == (full, main, Decimal("300.00"))
    registration = Registration.objects.get()
    assert registration.pass_product == full and registration.order == first
    assert Quota.objects.get(name="Venue (in person)").held == 1
    # The upgrade expires unpaid: back to the main-conference pass, the seat untouched.
    services.expire_order(order, now=order.expires_at + timedelta(seconds=1))
    registration.refresh_from_db()
    assert registration.pass_product == main and registration.status == Registration.Status.ACTIVE
    assert Quota.objects.get(name="Venue (in person)").held == 1


def test_a_downgrade_or_a_change_of_seat_goes_through_the_organisers(conference, catalogue, industry):
    from registration.models import Product

    buyer = VerifiedUserFactory()
    place(conference, buyer, [attendee(buyer.email, industry, catalogue.products[Product.Kind.FULL])])
    cheaper = services.AttendeeRequest(email=buyer.email, category=industry,
                                       pass_product=catalogue.products[Product.Kind.MAIN], upgrade=True)
    with pytest.raises(NotAllowed, match="costs less than your current pass"):
        place(conference, buyer, [cheaper])
    virtual = services.AttendeeRequest(email=buyer.email, category=industry,
                                       pass_product=catalogue.products[Product.Kind.VIRTUAL], upgrade=True)
    with pytest.raises(NotAllowed, match="changes your seat; write to the organisers"):
        place(conference, buyer, [virtual])
    assert Order.objects.count() == 1
