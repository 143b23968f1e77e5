"""The check-in desk: the service's rules (every refusal records nothing), its fixed query count, and the
staff page (access, CSRF, bad input, what it shows and what it never shows)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client

from registration import checkin, services
from registration.catalogue import build_standard_catalogue
from registration.checkin import Outcome
from registration.models import CheckIn, ConferenceDay, Product, Registration, SensitiveNeeds
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db
URL = "/icml2026/staff/check-in/"


@pytest.fixture
def today(conference):
    return checkin.local_today(conference)


@pytest.fixture
def main_day(conference, today):
    return ConferenceDay.objects.create(conference=conference, date=today, part=ConferenceDay.Part.MAIN)


@pytest.fixture
def desk_user(db):
    user = VerifiedUserFactory(email="desk@example.org", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_checkin"))
    return user


@pytest.fixture
def desk(client, desk_user):
    client.force_login(desk_user)
    return client


def register(conference, catalogue, email, *, kind=Product.Kind.FULL, category=None, paid=True, addons=(),
             badge_name="김민지"):
    user = VerifiedUserFactory(email=email)
    category = category or catalogue.categories["non_academic"]
    order = services.place_order(conference=conference, buyer=user, accept_code_of_conduct=True,
                                 attendees=[attendee(email, category, catalogue.products[kind], addons=addons,
                                                     badge_name=badge_name)])
    if paid:
        services.mark_paid(order)
    return Registration.objects.get(order=order)


@pytest.fixture
def minji(conference, catalogue):
    return register(conference, catalogue, "minji@example.com", addons=[catalogue.products["social"]])


# --- The rules ---------------------------------------------------------------------------------

def test_it_admits_a_paid_full_pass_on_a_main_day_and_records_one_checkin(conference, minji, main_day, desk_user, today):
    result = checkin.check_in(conference, minji.checkin_token, by=desk_user, desk="Hall A")
    assert result.outcome == Outcome.ADMITTED
    assert result.message == "Checked in: welcome, 김민지."
    assert [a.name for a in result.addons] == ["Social event"]
    assert result.pass_product.name == "Full conference"
    row = CheckIn.objects.get()
    assert (row.registration_id, row.date, row.part, row.checked_in_by_id, row.desk) == (
        minji.pk, today, "main", desk_user.pk, "Hall A")


def test_it_accepts_the_code_with_the_blanks_and_newline_a_scanner_adds(conference, minji, main_day, desk_user):
    assert checkin.check_in(conference, f"  {minji.checkin_token}\r\n", by=desk_user).outcome == Outcome.ADMITTED
    assert CheckIn.objects.count() == 1


def test_it_warns_on_a_second_checkin_the_same_day_naming_when_and_by_whom(conference, minji, main_day, desk_user):
    first = checkin.check_in(conference, minji.checkin_token, by=desk_user, desk="Hall A")
    second = checkin.check_in(conference, minji.checkin_token, by=desk_user)
    local = first.checkin.checked_in_at.astimezone(conference.tzinfo)
    assert second.outcome == Outcome.ALREADY
    assert second.message == (f"Already checked in today at {local:%H:%M} by desk@example.org (Hall A): this badge "
                              "may be shared; check the attendee's identity.")
    assert second.checkin.pk == first.checkin.pk
    assert CheckIn.objects.count() == 1


def test_the_same_registration_is_admitted_again_on_the_next_day(conference, minji, main_day, desk_user, today):
    CheckIn.objects.create(registration=minji, date=today - timedelta(days=1), part="tutorials")
    assert checkin.check_in(conference, minji.checkin_token, by=desk_user).outcome == Outcome.ADMITTED
    assert CheckIn.objects.count() == 2


def test_it_refuses_an_unpaid_order(conference, catalogue, main_day, desk_user):
    pending = register(conference, catalogue, "late@example.com", paid=False)
    result = checkin.check_in(conference, pending.checkin_token, by=desk_user)
    assert result.outcome == Outcome.UNPAID
    assert result.message == (f"Order {pending.order.reference} is not paid (pending payment): do not admit; send "
                              "the attendee to the payment desk.")
    assert CheckIn.objects.count() == 0


def test_it_refuses_a_cancelled_registration(conference, minji, main_day, desk_user):
    services.cancel_order(minji.order)
    result = checkin.check_in(conference, minji.checkin_token, by=desk_user)
    assert result.outcome == Outcome.CANCELLED
    assert result.message == (f"This registration was cancelled (order {minji.order.reference}): do not admit; send "
                              "the attendee to the help desk.")
    assert CheckIn.objects.count() == 0


def test_it_refuses_a_revoked_code_and_admits_the_new_one(conference, minji, main_day, desk_user):
    old = minji.checkin_token
    renewed = services.reissue_checkin_token(minji)
    result = checkin.check_in(conference, old, by=desk_user)
    assert result.outcome == Outcome.REVOKED
    assert result.message.startswith("This code was revoked on ")
    assert result.registration.pk == minji.pk
    assert CheckIn.objects.count() == 0
    assert checkin.check_in(conference, renewed.checkin_token, by=desk_user).outcome == Outcome.ADMITTED


def test_it_refuses_an_unknown_code(conference, minji, main_day, desk_user):
    result = checkin.check_in(conference, "A" * 32, by=desk_user)
    assert (result.outcome, result.registration) == (Outcome.UNKNOWN, None)
    assert result.message == ("Unknown code: no registration has it. Check the code, or find the attendee by name in "
                              "the admin.")
    assert CheckIn.objects.count() == 0


def test_it_refuses_a_code_of_another_edition_without_showing_the_person(conference, minji, main_day, desk_user, today):
    other = ConferenceFactory(slug="icml2025", short_name="ICML 2025", time_zone="Asia/Seoul")
    build_standard_catalogue(other, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
                             order_prefix="ICML25")
    ConferenceDay.objects.create(conference=other, date=today, part=ConferenceDay.Part.MAIN)
    result = checkin.check_in(other, minji.checkin_token, by=desk_user)
    assert (result.outcome, result.registration) == (Outcome.OTHER_EDITION, None)
    assert result.message == "This code belongs to ICML 2026, not ICML 2025. Nothing was recorded."
    assert CheckIn.objects.count() == 0


def test_it_refuses_when_today_is_not_a_day_of_this_edition(conference, minji, desk_user, today):
    other = ConferenceFactory(slug="neurips", short_name="NeurIPS")
    ConferenceDay.objects.create(conference=other, date=today, part=ConferenceDay.Part.MAIN)
    ConferenceDay.objects.create(conference=conference, date=today + timedelta(days=1), part=ConferenceDay.Part.MAIN)
    result = checkin.check_in(conference, minji.checkin_token, by=desk_user)
    assert result.outcome == Outcome.NOT_A_DAY
    assert result.message == (f"Today ({today:%a %d %b %Y}, Asia/Seoul) is not a day of ICML 2026: nobody can be "
                              "checked in.")
    assert CheckIn.objects.count() == 0


def test_today_is_the_date_in_the_editions_time_zone(conference):
    from datetime import UTC, datetime
    late_evening_utc = datetime(2026, 7, 6, 20, 30, tzinfo=UTC)  # 05:30 on 7 July in Seoul
    assert str(checkin.local_today(conference, late_evening_utc)) == "2026-07-07"


def test_a_workshops_only_pass_is_refused_on_a_main_conference_day(conference, catalogue, main_day, desk_user):
    workshops = register(conference, catalogue, "ws@example.com", kind=Product.Kind.WORKSHOPS)
    result = checkin.check_in(conference, workshops.checkin_token, by=desk_user)
    assert result.outcome == Outcome.NOT_COVERED
    assert result.message == ("The pass “Workshops only” does not admit to Main conference today: do not admit; an "
                              "upgrade is possible at the help desk.")
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(("kind", "part", "outcome"), [
    (Product.Kind.WORKSHOPS, ConferenceDay.Part.WORKSHOPS, Outcome.ADMITTED),
    (Product.Kind.TUTORIALS, ConferenceDay.Part.TUTORIALS, Outcome.ADMITTED),
    (Product.Kind.TUTORIALS, ConferenceDay.Part.WORKSHOPS, Outcome.NOT_COVERED),
    (Product.Kind.MAIN, ConferenceDay.Part.TUTORIALS, Outcome.NOT_COVERED),
    (Product.Kind.EXHIBITOR, ConferenceDay.Part.MAIN, Outcome.ADMITTED),
    (Product.Kind.VIRTUAL, ConferenceDay.Part.MAIN, Outcome.NOT_COVERED),
])
def test_each_pass_is_admitted_only_on_the_parts_it_covers(conference, catalogue, desk_user, today, kind, part, outcome):
    ConferenceDay.objects.create(conference=conference, date=today, part=part)
    registration = register(conference, catalogue, "p@example.com", kind=kind)
    assert checkin.check_in(conference, registration.checkin_token, by=desk_user).outcome == outcome
    assert CheckIn.objects.count() == (1 if outcome == Outcome.ADMITTED else 0)


def test_an_unpaid_upgrade_does_not_admit_where_only_the_new_pass_would(conference, catalogue, main_day, desk_user):
    industry = catalogue.categories["non_academic"]
    registration = register(conference, catalogue, "up@example.com", kind=Product.Kind.TUTORIALS)
    services.place_order(conference=conference, buyer=registration.user, accept_code_of_conduct=True, attendees=[
        services.AttendeeRequest(email=registration.user.email, category=industry,
                                 pass_product=catalogue.products[Product.Kind.FULL], upgrade=True)])
    result = checkin.check_in(conference, registration.checkin_token, by=desk_user)
    assert (result.outcome, result.pass_product.name) == (Outcome.NOT_COVERED, "Tutorials only")
    assert CheckIn.objects.count() == 0


def test_an_unpaid_addon_is_not_shown_as_bought(conference, catalogue, main_day, desk_user):
    registration = register(conference, catalogue, "a@example.com")
    services.place_order(conference=conference, buyer=registration.user, accept_code_of_conduct=True, attendees=[
        services.AttendeeRequest(email=registration.user.email, category=registration.category, pass_product=None,
                                 addons=[catalogue.products["social"]])])
    result = checkin.check_in(conference, registration.checkin_token, by=desk_user)
    assert (result.outcome, result.addons) == (Outcome.ADMITTED, [])


def test_a_student_rate_whose_proof_is_not_approved_is_refused(conference, catalogue, main_day, desk_user):
    student = register(conference, catalogue, "s@example.com", category=catalogue.categories["student"])
    assert student.eligibility == Registration.Eligibility.PROOF_NEEDED
    result = checkin.check_in(conference, student.checkin_token, by=desk_user)
    assert result.outcome == Outcome.ELIGIBILITY
    assert result.message == ("The Student rate needs an approved proof (now: proof needed): send the attendee to "
                              "the help desk.")
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("raw", ["", "   ", "x" * 10_000, "김민지😀", "abc def", "<script>", "A" * 65, "\x00"])
def test_bad_input_is_refused_with_a_sentence_before_any_query(conference, main_day, desk_user, raw,
                                                               django_assert_num_queries):
    with django_assert_num_queries(0):
        result = checkin.check_in(conference, raw, by=desk_user)
    assert result.outcome == Outcome.INVALID
    assert result.message.startswith("That is not a check-in code: scan the QR code on the badge")
    assert CheckIn.objects.count() == 0


# --- Cost ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("others", [3, 30])
def test_admitting_costs_seven_queries_whatever_the_editions_size(conference, catalogue, main_day, desk_user, others,
                                                                django_assert_num_queries):
    for i in range(others):
        register(conference, catalogue, f"other{i}@example.com")
    minji = register(conference, catalogue, "minji@example.com", addons=[catalogue.products["social"]])
    ContentType.objects.get_for_model(CheckIn)  # the audit trail's content type, cached once per process
    # registration, conference day, order lines; savepoint, insert, its audit-trail entry, release
    with django_assert_num_queries(7):
        assert checkin.check_in(conference, minji.checkin_token, by=desk_user).admitted
    # registration, conference day, order lines; savepoint, failed insert, rollback to and release of the
    # savepoint, the earlier row
    with django_assert_num_queries(8):
        assert checkin.check_in(conference, minji.checkin_token, by=desk_user).outcome == Outcome.ALREADY
    # registration, revoked codes
    with django_assert_num_queries(2):
        assert checkin.check_in(conference, "B" * 32, by=desk_user).outcome == Outcome.UNKNOWN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_scanning_the_same_badge_at_once_record_one_checkin(conference, catalogue, main_day, desk_user):
    minji = register(conference, catalogue, "minji@example.com")
    barrier, outcomes = threading.Barrier(2), []

    def scan():
        try:
            barrier.wait()
            outcomes.append(checkin.check_in(conference, minji.checkin_token, by=desk_user).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [Outcome.ADMITTED, Outcome.ALREADY]
    assert CheckIn.objects.count() == 1


# --- The staff page ------------------------------------------------------------------------------

def test_it_sends_anonymous_visitors_to_the_login(client, conference):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_it_refuses_staff_without_the_checkin_permission(client, conference):
    client.force_login(VerifiedUserFactory(is_staff=True))
    assert client.get(URL).status_code == 403


def test_it_refuses_a_non_staff_account_even_with_the_permission(client, conference, minji, main_day):
    user = VerifiedUserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_checkin"))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"code": minji.checkin_token}).status_code == 403
    assert CheckIn.objects.count() == 0


def test_an_unknown_edition_is_404(desk):
    assert desk.get("/nosuch/staff/check-in/").status_code == 404


def test_the_page_has_one_autofocused_input_for_the_scanner(desk, conference):
    html = desk.get(URL).content.decode()
    assert html.count(" autofocus") == 1
    assert 'id="checkin-code" name="code"' in html
    assert "/static/css/checkin.css" in html


def test_a_scan_admits_and_the_page_is_ready_for_the_next_one(desk, conference, minji, main_day):
    SensitiveNeeds.objects.create(registration=minji, dietary="nut allergy", accessibility="wheelchair")
    response = desk.post(URL, {"code": minji.checkin_token, "desk": "Hall A"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="checkin-result checkin-admitted checkin-ok"' in html
    assert 'role="status"' in html and 'role="alert"' not in html
    assert "<bdi>김민지</bdi>" in html and "Full conference" in html and "Social event" in html
    assert html.count(" autofocus") == 1 and 'value="Hall A"' in html
    assert minji.checkin_token not in html
    assert "nut allergy" not in html and "wheelchair" not in html
    assert CheckIn.objects.get().desk == "Hall A"


def test_a_second_scan_is_a_loud_alert_with_its_own_class(desk, conference, minji, main_day):
    desk.post(URL, {"code": minji.checkin_token})
    html = desk.post(URL, {"code": minji.checkin_token}).content.decode()
    assert 'class="checkin-result checkin-already checkin-refused"' in html
    assert 'role="alert"' in html
    assert "Already checked in today at" in html and "desk@example.org" in html
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize("raw", ["", "x" * 10_000, "ᚠ𝔘ñ¿\u202e\ufeff", "' OR 1=1 --"])
def test_bad_input_on_the_page_is_a_message_never_a_500(desk, conference, main_day, raw):
    response = desk.post(URL, {"code": raw})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="checkin-result checkin-invalid checkin-refused"' in html
    assert "That is not a check-in code" in html
    assert CheckIn.objects.count() == 0


def test_a_post_without_the_csrf_token_is_refused(desk_user, conference, minji, main_day):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk_user)
    assert client.post(URL, {"code": minji.checkin_token}).status_code == 403
    assert CheckIn.objects.count() == 0


def test_other_methods_are_not_allowed(desk, conference):
    assert desk.put(URL).status_code == 405


@pytest.mark.parametrize("others", [3, 30])
def test_a_scan_through_the_page_costs_a_fixed_number_of_queries(desk, conference, catalogue, main_day, others,
                                                                 django_assert_num_queries):
    for i in range(others):
        register(conference, catalogue, f"other{i}@example.com")
    minji = register(conference, catalogue, "minji@example.com")
    ContentType.objects.get_for_model(CheckIn)
    # session, user, edition, permissions (user, groups), the seven of the service, the site menu's
    # sponsor-portal link
    with django_assert_num_queries(13):
        assert desk.post(URL, {"code": minji.checkin_token}).status_code == 200
