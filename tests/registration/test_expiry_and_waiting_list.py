"""Unpaid orders expire and release seats; freed seats go to the waiting list with a lapsing offer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from confsite.models import OutboxEmail, User
from confsite.periodic import run_due_work
from registration import services
from registration.errors import NotAllowed
from registration.models import Order, Quota, Registration, Voucher, WaitingListEntry
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def place(conference, email, category, pass_product, addons=(), code=""):
    user = User.objects.filter(email=email).first() or VerifiedUserFactory(email=email)
    return services.place_order(conference=conference, buyer=user, accept_code_of_conduct=True, voucher_code=code,
                                attendees=[attendee(email, category, pass_product, addons=addons)])


def test_unpaid_orders_expire_and_release_seats_and_voucher_uses(conference, catalogue, full_pass, industry):
    Voucher.objects.create(conference=conference, code="TEN", kind=Voucher.Kind.PERCENT, value=10, max_uses=1)
    order = place(conference, "late@example.com", industry, full_pass, code="TEN")
    paid = place(conference, "paid@example.com", industry, full_pass)
    services.mark_paid(paid)
    assert services.expire_due_orders(now=timezone.now() + timedelta(days=13)) == 0
    assert services.expire_due_orders(now=timezone.now() + timedelta(days=15)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert Registration.objects.get(order=order).status == Registration.Status.CANCELLED
    assert Quota.objects.get(name="Venue (in person)").held == 1
    assert Voucher.objects.get(code="TEN").used == 0
    mail = OutboxEmail.objects.get(purpose="registration.order_expired")
    assert mail.recipient == "late@example.com" and order.reference in mail.subject


def test_expiry_runs_from_the_periodic_task(conference, catalogue, full_pass, industry):
    order = place(conference, "late@example.com", industry, full_pass)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert run_due_work()["registration.expire_orders"] == "ok"
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED


def test_the_waiting_list_is_only_for_sold_out_products(conference, catalogue, social, industry):
    with pytest.raises(NotAllowed, match="Social event is not sold out: you can register now."):
        services.join_waiting_list(conference, VerifiedUserFactory(), social)


def test_a_freed_seat_is_offered_held_claimed_or_passed_on(conference, catalogue, full_pass, social, industry):
    first = place(conference, "a@example.com", industry, full_pass, addons=[social])
    place(conference, "b@example.com", industry, full_pass, addons=[social])
    social.refresh_from_db()
    carol, dan = VerifiedUserFactory(email="carol@example.com"), VerifiedUserFactory(email="dan@example.com")
    for person in (carol, dan):
        place(conference, person.email, industry, full_pass)
        services.join_waiting_list(conference, person, social)
    with pytest.raises(NotAllowed, match="already on the waiting list"):
        services.join_waiting_list(conference, carol, social)

    services.cancel_order(first)
    entry = WaitingListEntry.objects.get(user=carol)
    assert entry.status == WaitingListEntry.Status.OFFERED
    assert timedelta(hours=47, minutes=59) < entry.offer_expires_at - timezone.now() <= timedelta(hours=48)
    assert Quota.objects.get(name="Social event").held == 2  # held for Carol, not free for anyone else
    offer_mail = OutboxEmail.objects.get(purpose="registration.waiting_list_offer")
    assert offer_mail.recipient == "carol@example.com"
    assert f"/icml2026/waiting-list/claim/{entry.offer_token}/" in offer_mail.body_text

    # Carol lets it lapse: Dan gets the seat.
    assert services.lapse_due_offers(now=timezone.now() + timedelta(hours=49)) == 1
    assert WaitingListEntry.objects.get(user=carol).status == WaitingListEntry.Status.LAPSED
    dans = WaitingListEntry.objects.get(user=dan)
    assert dans.status == WaitingListEntry.Status.OFFERED
    assert Quota.objects.get(name="Social event").held == 2

    # Dan claims it: an add-on order that uses the held seat without taking another.
    offer = services.open_offer(dans.offer_token, dan)
    with pytest.raises(NotAllowed, match="made to someone else"):
        services.open_offer(dans.offer_token, carol)
    order = services.place_order(conference=conference, buyer=dan, accept_code_of_conduct=True, offer=offer,
                                 attendees=[attendee(dan.email, industry, None, addons=[social])])
    assert order.lines.get().from_waiting_list is True
    assert WaitingListEntry.objects.get(user=dan).status == WaitingListEntry.Status.CLAIMED
    assert Quota.objects.get(name="Social event").held == 2
    with pytest.raises(NotAllowed):
        services.open_offer(dans.offer_token, dan)


def test_check_in_codes_are_random_and_can_be_reissued(conference, catalogue, full_pass, industry):
    place(conference, "a@example.com", industry, full_pass)
    place(conference, "b@example.com", industry, full_pass)
    first, second = Registration.objects.order_by("pk")
    assert first.checkin_token != second.checkin_token
    old = first.checkin_token
    services.reissue_checkin_token(first)
    first.refresh_from_db()
    assert first.checkin_token != old
    assert first.revoked_tokens.get().token == old


def test_names_can_be_changed_until_the_deadline(conference, catalogue, full_pass, industry):
    from registration.models import RegistrationSettings

    place(conference, "a@example.com", industry, full_pass)
    registration = Registration.objects.get()
    services.update_profile(registration, by=registration.user, data={"badge_name": "Minji K."}, dietary="vegetarian")
    registration.refresh_from_db()
    assert registration.badge_name == "Minji K." and registration.needs.dietary == "vegetarian"
    RegistrationSettings.objects.update(name_change_deadline=timezone.now() - timedelta(days=1))
    registration = Registration.objects.get()
    with pytest.raises(NotAllowed, match="Names can no longer be changed"):
        services.update_profile(registration, by=registration.user, data={"badge_name": "Someone else"})
    services.update_profile(registration, by=registration.user, data={"affiliation": "Seoul National University"})
    assert Registration.objects.get().affiliation == "Seoul National University"
