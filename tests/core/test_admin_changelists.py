"""Every changelist of the core, registration and schedule consoles: the same number of queries at 3 and
at 30 rows, and every change form opens.

The builders below make `n` rows of one model each. A model registered in the admin without a builder
fails the test, so a new model cannot slip into the console without an N+1 check.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from confsite import outbox
from confsite.models import ConsentRecord, ConsentText, PeriodicRun
from registration import billing, services
from registration.catalogue import build_standard_catalogue
from registration.models import (
    CheckIn,
    ConferenceDay,
    EligibilityDomain,
    Price,
    PricePeriod,
    Product,
    Quota,
    RefundPolicy,
    RegistrationSettings,
    StripeEvent,
    VisaLetter,
    Voucher,
    WaitingListEntry,
)
from schedule.models import CalendarFeed, Release, Star
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    PresentationFactory,
    RoomFactory,
    SessionFactory,
    SpeakerFactory,
    TopicFactory,
)
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

APPS = ("confsite", "registration", "schedule")
PDF = b"%PDF-1.4\n%...\n"
_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


class World:
    """The edition with its standard catalogue that most builders add to."""

    def __init__(self):
        self.conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
        today = timezone.now().date()
        self.catalogue = build_standard_catalogue(
            self.conference, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
            venue_seats=1000, social_seats=2, order_prefix="ICML26",
        )
        RefundPolicy.objects.create(conference=self.conference, full_refund_until=timezone.now() + timedelta(days=10),
                                    fee_until=timezone.now() + timedelta(days=20))

    def order(self, category="non_academic", **needs):
        buyer = VerifiedUserFactory()
        person = attendee(buyer.email, self.catalogue.categories[category], self.catalogue.products["full"])
        person.dietary, person.accessibility = needs.get("dietary", ""), needs.get("accessibility", "")
        return services.place_order(conference=self.conference, buyer=buyer, attendees=[person],
                                    accept_code_of_conduct=True)

    def paid_order(self):
        order = self.order()
        billing.record_payment(order, amount=order.total, provider="bank", external_id=f"BANK-{serial()}")
        return order


def new_edition():
    number = serial()
    return ConferenceFactory(slug=f"edition{number}", short_name=f"Edition {number}")


def times(n, make):
    for _ in range(n):
        make()


def proof(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    registration = world.order("student").registrations.get()
    services.submit_proof(registration, SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf"),
                          by=registration.user)


def price(world):
    product = Product.objects.create(conference=world.conference, kind=Product.Kind.ADDON, name=f"Dinner {serial()}")
    Price.objects.create(product=product, category=None, period=world.catalogue.periods["early"],
                         amount=Decimal("10.00"))


def category(world):
    edition = new_edition()
    edition.categories.create(kind="student", name="Student")


def star(world):
    session = SessionFactory(conference=world.conference)
    Star.objects.create(user=VerifiedUserFactory(), conference=world.conference, session=session)


def release(world):
    Release.objects.create(conference=world.conference, number=serial())


BUILDERS = {
    # core
    "confsite.user": lambda w, n: times(n, VerifiedUserFactory),
    "confsite.conference": lambda w, n: times(n, new_edition),
    "confsite.outboxemail": lambda w, n: times(n, lambda: outbox.queue_email(
        purpose="test.note", object_key=f"note:{serial()}", recipient="a@example.org", subject="Hello",
        body_text="Hi.", conference=w.conference)),
    "confsite.consenttext": lambda w, n: times(n, lambda: ConsentText.objects.create(
        conference=w.conference, purpose="recruitment", version=str(serial()), text="I agree.")),
    "confsite.consentrecord": lambda w, n: times(n, lambda: ConsentRecord.objects.create(
        user=VerifiedUserFactory(), conference=w.conference, purpose="recruitment", action="granted",
        text=ConsentText.objects.get_or_create(conference=w.conference, purpose="recruitment", version="1",
                                               defaults={"text": "I agree."})[0])),
    "confsite.periodicrun": lambda w, n: times(n, lambda: PeriodicRun.objects.create(name=f"job{serial()}")),
    "confsite.bulkmailing": lambda w, n: times(n, lambda: w.conference.bulk_mailings.create(
        subject=f"News {serial()}", body_text="Hello {{ name }}", audience="everyone")),
    # registration: the catalogue
    "registration.registrationsettings": lambda w, n: times(n, lambda: RegistrationSettings.objects.create(
        conference=new_edition(), order_prefix="ED")),
    "registration.category": lambda w, n: times(n, lambda: category(w)),
    "registration.quota": lambda w, n: times(n, lambda: Quota.objects.create(
        conference=w.conference, name=f"Room {serial()}", size=40)),
    "registration.product": lambda w, n: times(n, lambda: Product.objects.create(
        conference=w.conference, kind=Product.Kind.ADDON, name=f"Dinner {serial()}").quotas.set(
        [w.catalogue.quotas["venue"]])),
    "registration.priceperiod": lambda w, n: times(n, lambda: PricePeriod.objects.create(
        conference=new_edition(), kind="early", name="Early")),
    "registration.price": lambda w, n: times(n, lambda: price(w)),
    "registration.eligibilitydomain": lambda w, n: times(n, lambda: EligibilityDomain.objects.create(
        conference=w.conference, domain=f"uni{serial()}.ac.kr")),
    "registration.voucher": lambda w, n: times(n, lambda: Voucher.objects.create(
        conference=w.conference, code=f"SPONSOR-{serial()}", kind=Voucher.Kind.COMPLIMENTARY).products.set(
        [w.catalogue.products["full"]])),
    "registration.conferenceday": lambda w, n: times(n, lambda: ConferenceDay.objects.create(
        conference=w.conference, date=w.conference.start_date + timedelta(days=serial()), part="main")),
    # registration: what was bought
    "registration.order": lambda w, n: times(n, w.order),
    "registration.registration": lambda w, n: times(n, w.order),
    "registration.sensitiveneeds": lambda w, n: times(n, lambda: w.order(dietary="vegan")),
    "registration.revokedcheckintoken": lambda w, n: times(n, lambda: services.reissue_checkin_token(
        w.order().registrations.get())),
    "registration.eligibilityproof": lambda w, n: times(n, lambda: proof(w)),
    "registration.waitinglistentry": lambda w, n: times(n, lambda: WaitingListEntry.objects.create(
        conference=w.conference, user=VerifiedUserFactory(), product=w.catalogue.products["social"])),
    "registration.checkin": lambda w, n: times(n, lambda: CheckIn.objects.create(
        registration=w.paid_order().registrations.get(), date=w.conference.start_date, part="main")),
    "registration.payment": lambda w, n: times(n, w.paid_order),
    "registration.refund": lambda w, n: times(n, lambda: billing.cancel_with_refund(
        w.paid_order(), by=None, as_organiser=True)),
    "registration.invoice": lambda w, n: times(n, w.paid_order),
    "registration.refundpolicy": lambda w, n: times(n, lambda: RefundPolicy.objects.create(
        conference=new_edition(), full_refund_until=timezone.now(), fee_until=timezone.now())),
    "registration.visaletter": lambda w, n: times(n, lambda: VisaLetter.objects.create(
        registration=w.order().registrations.get(), name_on_letter="Kim Minji")),
    "registration.stripeevent": lambda w, n: times(n, lambda: StripeEvent.objects.create(
        event_id=f"evt_{serial()}", type="checkout.session.completed")),
    # schedule
    "schedule.room": lambda w, n: times(n, lambda: RoomFactory(conference=w.conference)),
    "schedule.topic": lambda w, n: times(n, lambda: TopicFactory(conference=w.conference)),
    "schedule.speaker": lambda w, n: times(n, lambda: SpeakerFactory(conference=w.conference)),
    "schedule.author": lambda w, n: times(n, lambda: AuthorshipFactory(
        author=AuthorFactory(conference=w.conference), paper=PaperFactory(conference=w.conference))),
    "schedule.paper": lambda w, n: times(n, lambda: PresentationFactory(
        paper=AuthorshipFactory(paper=PaperFactory(conference=w.conference)).paper,
        session=SessionFactory(conference=w.conference))),
    "schedule.session": lambda w, n: times(n, lambda: PresentationFactory(
        session=SessionFactory(conference=w.conference), paper=PaperFactory(conference=w.conference))),
    "schedule.release": lambda w, n: times(n, lambda: release(w)),
    "schedule.star": lambda w, n: times(n, lambda: star(w)),
    "schedule.calendarfeed": lambda w, n: times(n, lambda: CalendarFeed.objects.create(
        user=VerifiedUserFactory(), conference=w.conference)),
}


def registered():
    return sorted(model._meta.label_lower for model in admin.site._registry if model._meta.app_label in APPS)


def model_of(label):
    return next(model for model in admin.site._registry if model._meta.label_lower == label)


def test_every_registered_model_of_the_three_apps_has_a_builder():
    missing = [label for label in registered() if label not in BUILDERS]
    assert missing == [], f"add a builder to BUILDERS for {missing}"


@pytest.mark.parametrize("label", registered())
def test_it_lists_with_the_same_number_of_queries_for_3_and_30_rows(client, staff_user, label):
    world = World()
    model = model_of(label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client.force_login(staff_user)
    base = model._default_manager.count()
    BUILDERS[label](world, 3)
    assert model._default_manager.count() > base, f"the builder for {label} made no {label}"
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count()
    BUILDERS[label](world, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count()
    assert len(many) == len(few), (
        f"{label}: {len(few)} queries with 3 rows, {len(many)} with 30:\n"
        + "\n".join(q["sql"][:300] for q in many.captured_queries[len(few):][:3])
    )


@pytest.mark.parametrize("label", registered())
def test_it_opens_the_change_form_of_each_model(client, staff_user, label):
    world = World()
    model = model_of(label)
    BUILDERS[label](world, 1)
    obj = model._default_manager.order_by("-pk").first()
    client.force_login(staff_user)
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("label", registered())
def test_it_searches_each_list_without_an_error(client, staff_user, label):
    world = World()
    model = model_of(label)
    BUILDERS[label](world, 1)
    client.force_login(staff_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, {"q": "=cmd| ' /C calc'!A0 \u0000 김민지"}).status_code == 200


@pytest.mark.parametrize("selected", ["abc", "9" * 30, "-1", "0", ""])
@pytest.mark.parametrize(("label", "action"), [("registration.order", "cancel_orders"),
                                               ("registration.order", "export_csv"),
                                               ("registration.eligibilityproof", "approve_proofs"),
                                               ("schedule.session", "assign_poster_boards"),
                                               ("confsite.outboxemail", "resend_selected")])
def test_a_forged_selection_is_refused_with_a_message(client, staff_user, label, action, selected):
    world = World()
    model = model_of(label)
    BUILDERS[label](world, 1)
    before = list(model._default_manager.values())
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client.force_login(staff_user)
    response = client.post(url, {"action": action, "_selected_action": [selected]}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The selection was not understood; nothing was changed. Select the rows again and retry."]
    assert list(model._default_manager.values()) == before


@pytest.mark.parametrize("query", [{"created_at__year": "abc"}, {"created_at__month": "13", "created_at__year": "2026"},
                                   {"status__exact": "x" * 5000}, {"o": "99"}, {"p": "-3"}])
def test_odd_list_parameters_do_not_break_the_order_list(client, staff_user, query):
    World().order()
    client.force_login(staff_user)
    response = client.get(reverse("admin:registration_order_changelist"), query, follow=True)
    assert response.status_code == 200


def test_a_group_id_beyond_a_32_bit_integer_is_refused_too(client, staff_user):
    from django.contrib.auth.models import Group

    Group.objects.create(name="test group")
    before = sorted(Group.objects.values_list("name", flat=True))  # with the staff groups of the migration
    client.force_login(staff_user)
    response = client.post(reverse("admin:auth_group_changelist"),
                           {"action": "delete_selected", "_selected_action": [str(2**31)]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The selection was not understood; nothing was changed. Select the rows again and retry."]
    assert sorted(Group.objects.values_list("name", flat=True)) == before
