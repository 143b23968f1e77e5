"""Cloning an edition: structure copied with dates shifted, in one transaction, nothing personal."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from confsite.cloning import CloneError, clone_edition
from confsite.models import Conference, ConsentText, OutboxEmail
from registration import services
from registration.catalogue import build_standard_catalogue
from registration.models import (
    Category,
    ConferenceDay,
    EligibilityDomain,
    Order,
    Price,
    PricePeriod,
    Product,
    Quota,
    RefundPolicy,
    Registration,
    RegistrationSettings,
    Voucher,
)
from registration.pricing import end_of_day_aoe
from schedule import cloning as schedule_cloning
from schedule.models import Paper, Room, Session, Topic
from sponsors import cloning as sponsors_cloning
from sponsors import passes
from sponsors.models import ComplimentaryPass, InterviewRoom, RecruitmentProfile, Sponsor, SponsorMember, Tier
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import PaperFactory, RoomFactory, SessionFactory, TopicFactory
from tests.factories.sponsors import (
    RecruitmentProfileFactory,
    SponsorFactory,
    SponsorMemberFactory,
    TierFactory,
)
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

NEW_START = date(2027, 7, 12)  # the source starts 2026-07-06: every date moves 371 days
SHIFT = timedelta(days=371)


@pytest.fixture
def source():
    conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    catalogue = build_standard_catalogue(conference, early_until=date(2026, 5, 15), regular_until=date(2026, 6, 20),
                                         venue_seats=100, social_seats=20, order_prefix="ICML26")
    RegistrationSettings.objects.filter(conference=conference).update(
        name_change_deadline=datetime(2026, 6, 30, 15, 0, tzinfo=UTC), tax_rate="10.00")
    for offset, part in [(0, "tutorials"), (1, "main"), (2, "main"), (3, "main"), (4, "workshops"), (5, "workshops")]:
        ConferenceDay.objects.create(conference=conference, date=date(2026, 7, 6) + timedelta(days=offset), part=part)
    TierFactory(conference=conference, name="Diamond", access_from=datetime(2026, 6, 1, tzinfo=UTC),
                access_until=datetime(2026, 8, 31, tzinfo=UTC))
    TierFactory(conference=conference, name="Start-up", recruitment_access=Tier.Access.NONE, access_from=None,
                access_until=None)
    RoomFactory(conference=conference, name="Hall E", board_prefix="E", board_start=1001, capacity=3000)
    RoomFactory(conference=conference, name="Room 301")
    TopicFactory(conference=conference, name="Reinforcement learning", slug="reinforcement-learning")
    TopicFactory(conference=conference, name="최적화", slug="최적화")
    InterviewRoom.objects.create(conference=conference, name="Interview room 1", location="COEX 3F, next to 301")
    RefundPolicy.objects.create(conference=conference, full_refund_until=datetime(2026, 5, 31, 14, 59, tzinfo=UTC),
                                fee_until=datetime(2026, 6, 30, 14, 59, tzinfo=UTC), fee_percent="20.00",
                                fee_minimum="50.00", visa_denial_applied_before=date(2026, 6, 1))
    ConsentText.objects.create(conference=conference, purpose="recruitment", version="1",
                               text="Share my profile with the ICML 2026 sponsors named.")
    # Personal data and one year's programme: none of it may travel.
    buyer = VerifiedUserFactory()
    services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                         attendees=[attendee(buyer.email, catalogue.categories["non_academic"],
                                             catalogue.products["full"], addons=[catalogue.products["social"]])])
    acme = SponsorFactory(conference=conference, name="Acme", tier=Tier.objects.get(name="Diamond"))
    SponsorMemberFactory(sponsor=acme)
    RecruitmentProfileFactory(conference=conference)
    SessionFactory(conference=conference, room=Room.objects.get(name="Hall E"))
    PaperFactory(conference=conference)
    # Vouchers are issued to someone: a person's complimentary pass, and a society's group deal.
    passes.assign_pass(acme, "jane@acme.example")
    Voucher.objects.create(conference=conference, code="SOCIETY-10", kind=Voucher.Kind.PERCENT, value=10, max_uses=50,
                           source="society: IMLS members")
    return conference


def clone(source, slug="icml2027", prefix="ICML27"):
    return clone_edition(source, name="International Conference on Machine Learning 2027", short_name="ICML 2027",
                         slug=slug, start_date=NEW_START, options={"order_prefix": prefix})


def test_it_copies_the_structure_with_exact_counts(source):
    target, report = clone(source)
    assert report == {"categories": 3, "quotas": 2, "passes and add-ons": 7, "price periods": 3, "prices": 51,
                      "eligibility domains": 7, "conference days": 6, "refund policies": 1, "rooms": 2, "topics": 2,
                      "sponsorship tiers": 2, "interview rooms": 1}
    assert Category.objects.filter(conference=target).count() == 3
    assert Product.objects.filter(conference=target).count() == 7
    assert Price.objects.filter(product__conference=target).count() == 51
    assert Price.objects.filter(product__conference=source).count() == 51
    assert EligibilityDomain.objects.filter(conference=target, domain="kaist.ac.kr", grants_student=True).count() == 1
    assert (target.start_date, target.end_date, target.is_current) == (date(2027, 7, 12), date(2027, 7, 17), False)
    assert (target.city, target.time_zone, target.currency) == ("Seoul", "Asia/Seoul", "USD")
    assert Conference.objects.get(is_current=True) == source


def test_it_shifts_every_date_by_the_difference_of_first_days(source):
    target, _ = clone(source)
    assert dict(PricePeriod.objects.filter(conference=target).values_list("kind", "ends_at")) == {
        "early": end_of_day_aoe(date(2026, 5, 15)) + SHIFT,
        "regular": end_of_day_aoe(date(2026, 6, 20)) + SHIFT,
        "late": None,
    }
    assert end_of_day_aoe(date(2026, 5, 15)) + SHIFT == end_of_day_aoe(date(2027, 5, 21))
    assert list(ConferenceDay.objects.filter(conference=target).values_list("date", "part")) == [
        (date(2027, 7, 12), "tutorials"), (date(2027, 7, 13), "main"), (date(2027, 7, 14), "main"),
        (date(2027, 7, 15), "main"), (date(2027, 7, 16), "workshops"), (date(2027, 7, 17), "workshops")]
    diamond = Tier.objects.get(conference=target, name="Diamond")
    assert (diamond.access_from, diamond.access_until) == (datetime(2027, 6, 7, tzinfo=UTC), datetime(2027, 9, 6, tzinfo=UTC))
    startup = Tier.objects.get(conference=target, name="Start-up")
    assert (startup.access_from, startup.access_until, startup.recruitment_access) == (None, None, "none")
    settings = RegistrationSettings.objects.get(conference=target)
    old = RegistrationSettings.objects.get(conference=source)
    assert (settings.order_prefix, settings.name_change_deadline, str(settings.tax_rate)) == (
        "ICML27", datetime(2027, 7, 6, 15, 0, tzinfo=UTC), "10.00")
    assert settings.catalogue_version != old.catalogue_version


def test_it_copies_the_topics_the_refund_policy_and_the_interview_rooms(source):
    target, _ = clone(source)
    assert list(Topic.objects.filter(conference=target).order_by("slug").values_list("name", "slug")) == [
        ("Reinforcement learning", "reinforcement-learning"), ("최적화", "최적화")]
    assert Topic.objects.filter(conference=source).count() == 2
    policy = RefundPolicy.objects.get(conference=target)
    assert (policy.full_refund_until, policy.fee_until, str(policy.fee_percent), str(policy.fee_minimum),
            policy.visa_denial_applied_before) == (
        datetime(2027, 6, 6, 14, 59, tzinfo=UTC), datetime(2027, 7, 6, 14, 59, tzinfo=UTC), "20.00", "50.00",
        date(2027, 6, 7))
    assert list(InterviewRoom.objects.filter(conference=target).values_list("name", "location")) == [
        ("Interview room 1", "COEX 3F, next to 301")]


@pytest.mark.parametrize(("model", "copied", "not_copied"), [
    (Room, schedule_cloning.ROOM_FIELDS, {"id", "conference"}),
    (Topic, schedule_cloning.TOPIC_FIELDS, {"id", "conference"}),
    (Tier, sponsors_cloning.TIER_FIELDS, {"id", "conference", "access_from", "access_until"}),  # shifted
    (InterviewRoom, sponsors_cloning.INTERVIEW_ROOM_FIELDS, {"id", "conference"}),
])
def test_every_field_of_a_copied_model_is_copied(model, copied, not_copied):
    # A field added to these models later must be added to the cloner's list (or consciously left out here).
    assert {f.name for f in model._meta.concrete_fields} == set(copied) | not_copied


def test_it_remaps_quotas_and_prices_to_the_new_edition(source):
    target, _ = clone(source)
    assert dict(Quota.objects.filter(conference=source).values_list("name", "held")) == {
        "Venue (in person)": 1, "Social event": 1}
    assert dict(Quota.objects.filter(conference=target).values_list("name", "held")) == {
        "Venue (in person)": 0, "Social event": 0}
    venue = Quota.objects.get(conference=target, name="Venue (in person)")
    social = Quota.objects.get(conference=target, name="Social event")
    quotas_by_product = {p.kind if p.kind != "addon" else p.name: sorted(q.pk for q in p.quotas.all())
                         for p in Product.objects.filter(conference=target).prefetch_related("quotas")}
    assert quotas_by_product == {"full": [venue.pk], "main": [venue.pk], "tutorials": [venue.pk],
                                 "workshops": [venue.pk], "virtual": [], "exhibitor": [venue.pk],
                                 "Social event": [social.pk]}
    price = Price.objects.select_related("product", "category", "period").get(
        product__conference=target, product__kind="full", category__kind="student", period__kind="early")
    assert (str(price.amount), price.product.conference_id, price.category.conference_id, price.period.conference_id) == (
        "450.00", target.pk, target.pk, target.pk)
    assert Price.objects.filter(product__conference=target).exclude(period__conference=target).count() == 0
    assert Price.objects.filter(product__conference=target, category__isnull=False).exclude(
        category__conference=target).count() == 0


def test_it_copies_nothing_personal_and_no_programme(source):
    target, _ = clone(source)
    assert Order.objects.filter(conference=target).count() == 0
    assert Registration.objects.filter(conference=target).count() == 0
    assert Sponsor.objects.filter(conference=target).count() == 0
    assert SponsorMember.objects.filter(sponsor__conference=target).count() == 0
    assert RecruitmentProfile.objects.filter(conference=target).count() == 0
    assert Paper.objects.filter(conference=target).count() == 0
    assert Session.objects.filter(conference=target).count() == 0
    assert (Order.objects.count(), Registration.objects.count(), SponsorMember.objects.count()) == (1, 1, 1)


def test_vouchers_are_not_copied_nor_anything_issued_to_a_person(source):
    target, _ = clone(source)
    # Each voucher was issued to someone (and often bound to their address): the new edition issues its own.
    assert sorted(Voucher.objects.filter(conference=source).values_list("source", flat=True)) == [
        "society: IMLS members", "sponsor: Acme (jane@acme.example)"]
    assert Voucher.objects.filter(conference=target).count() == 0
    assert ComplimentaryPass.objects.filter(sponsor__conference=target).count() == 0
    # Nor the terms of consent: publishing them opens sharing with the new edition's sponsors.
    assert ConsentText.objects.filter(conference=target).count() == 0
    assert OutboxEmail.objects.filter(conference=target).count() == 0
    # No text field of any new row holds an e-mail address or a person's name.
    new_rows = [*Category.objects.filter(conference=target).values(), *Product.objects.filter(conference=target).values(),
                *RegistrationSettings.objects.filter(conference=target).values(),
                *RefundPolicy.objects.filter(conference=target).values(), *Room.objects.filter(conference=target).values(),
                *Topic.objects.filter(conference=target).values(), *Tier.objects.filter(conference=target).values(),
                *InterviewRoom.objects.filter(conference=target).values()]
    text = repr(new_rows)
    assert "@" not in text and "jane" not in text


def totals():
    return (Conference.objects.count(), Category.objects.count(), Product.objects.count(), Price.objects.count(),
            Quota.objects.count(), Room.objects.count(), Tier.objects.count(), RegistrationSettings.objects.count(),
            Topic.objects.count(), RefundPolicy.objects.count(), InterviewRoom.objects.count())


def test_a_second_clone_with_the_same_slug_is_refused_and_creates_nothing(source):
    clone(source)
    before = totals()
    with pytest.raises(CloneError, match="An edition with the slug “icml2027” exists already; choose another slug."):
        clone(source, prefix="ICML27B")
    assert totals() == before


def test_a_used_order_prefix_rolls_back_the_whole_clone(source):
    before = totals()
    with pytest.raises(CloneError, match="The order reference prefix “ICML26” is used by another edition"):
        clone(source, prefix="ICML26")
    assert totals() == before
    assert not Conference.objects.filter(slug="icml2027").exists()


def test_the_command_clones_and_refuses_clearly(source, capsys):
    call_command("clone_edition", "icml2026", "--slug", "icml2027", "--name", "ICML twenty-seven",
                 "--short-name", "ICML 2027", "--start-date", "2027-07-12", "--order-prefix", "ICML27")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Created ICML 2027 (icml2027) from ICML 2026, 2027-07-12–2027-07-17; not the current edition."
    assert "  51 prices" in out.splitlines()
    with pytest.raises(CommandError, match="“12 July” is not a date; write it as YYYY-MM-DD."):
        call_command("clone_edition", "icml2026", "--slug", "icml2028", "--name", "x", "--short-name", "x",
                     "--start-date", "12 July", "--order-prefix", "ICML28")
    with pytest.raises(CommandError, match="No edition has the slug “nope”."):
        call_command("clone_edition", "nope", "--slug", "icml2028", "--name", "x", "--short-name", "x",
                     "--start-date", "2028-07-01", "--order-prefix", "ICML28")
    assert Conference.objects.count() == 2


# --- The admin action ---------------------------------------------------------------------------

def post_action(client, source, **data):
    return client.post(reverse("admin:confsite_conference_changelist"),
                       {"action": "clone_edition_action", "_selected_action": [source.pk], **data})


FORM = {"apply": "1", "name": "International Conference on Machine Learning 2027", "short_name": "ICML 2027",
        "slug": "icml2027", "start_date": "2027-07-12", "order_prefix": "ICML27"}


def test_the_admin_action_shows_a_form_then_clones(client, source, staff_user):
    client.force_login(staff_user)
    response = post_action(client, source)
    assert response.status_code == 200
    assert response.templates[0].name == "admin/confsite/conference/clone.html"
    assert Conference.objects.count() == 1
    response = post_action(client, source, **FORM)
    target = Conference.objects.get(slug="icml2027")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:confsite_conference_change", args=[target.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "ICML 2027 was created from ICML 2026 (3 categories, 2 quotas, 7 passes and add-ons, 3 price periods, "
        "51 prices, 7 eligibility domains, 6 conference days, 1 refund policies, 2 rooms, 2 topics, "
        "2 sponsorship tiers, 1 interview rooms). It is not the current edition."]


def test_the_admin_action_refuses_a_taken_slug_with_a_message(client, source, staff_user):
    client.force_login(staff_user)
    before = totals()
    response = post_action(client, source, **{**FORM, "slug": "icml2026"})
    assert response.status_code == 200
    assert "An edition with the slug “icml2026” exists already; choose another slug." in response.content.decode()
    assert totals() == before


def test_the_admin_action_rejects_bad_input_without_a_500(client, source, staff_user):
    client.force_login(staff_user)
    before = totals()
    response = post_action(client, source, **{**FORM, "start_date": "next July", "order_prefix": "icml 27"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid date." in body
    assert "Use capital letters and digits only, e.g. ICML27." in body
    assert totals() == before


def test_the_admin_action_needs_the_add_permission(client, source):
    viewer = VerifiedUserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_conference"),
                                Permission.objects.get(codename="change_conference"))
    client.force_login(viewer)
    before = totals()
    response = post_action(client, source, **FORM)
    assert response.status_code == 302  # Django refuses an action the user may not run: back to the list
    assert totals() == before
    viewer.user_permissions.add(Permission.objects.get(codename="add_conference"))
    client.force_login(viewer)
    assert post_action(client, source, **FORM).status_code == 302
    assert Conference.objects.filter(slug="icml2027").count() == 1
