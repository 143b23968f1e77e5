"""The staff dashboard: exact figures for a known edition, the SVG chart, who sees which section, and
a fixed number of queries whatever the number of registrations."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from confsite.models import OutboxEmail
from registration import billing, dashboard, services
from registration.charts import line_chart, nice_ceiling
from registration.models import CheckIn, Order, Product, Quota, RefundPolicy, Registration
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def staff_with(*perms, is_staff=True):
    user = VerifiedUserFactory(is_staff=is_staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def place(conference, category, product, *, addons=(), dietary="", accessibility=""):
    buyer = VerifiedUserFactory()
    person = attendee(buyer.email, category, product, addons=addons)
    person.dietary, person.accessibility = dietary, accessibility
    return services.place_order(conference=conference, buyer=buyer, attendees=[person], accept_code_of_conduct=True)


def created_on(order, day, conference):
    moment = datetime.combine(day, time(12), tzinfo=conference.tzinfo)
    Registration.objects.filter(order=order).update(created_at=moment)


@pytest.fixture
def today(conference):
    return timezone.localdate(timezone=conference.tzinfo)


@pytest.fixture
def edition(conference, catalogue, industry, student, full_pass, social, today):
    """Four active registrations on three of four days, one cancelled with a refund, KRW and USD money."""
    products = catalogue.products
    RefundPolicy.objects.create(conference=conference, full_refund_until=timezone.now() + timedelta(days=10),
                                fee_until=timezone.now() + timedelta(days=20))
    r1 = place(conference, industry, full_pass, addons=[social], dietary="Vegan")
    billing.record_payment(r1, amount=r1.total, provider="bank")
    r2 = place(conference, industry, products[Product.Kind.MAIN], dietary="  vegan. ")
    billing.record_payment(r2, amount=r2.total, provider="bank")
    r3 = place(conference, student, full_pass, dietary="HALAL")
    services.submit_proof(r3.registrations.get(), SimpleUploadedFile("card.pdf", b"%PDF-1.4\n", "application/pdf"),
                          by=r3.buyer)
    r4 = place(conference, industry, products[Product.Kind.TUTORIALS], dietary="Vegan")
    billing.record_payment(r4, amount=r4.total, provider="bank")
    billing.cancel_with_refund(r4, by=None, as_organiser=True)
    r5 = place(conference, industry, products[Product.Kind.WORKSHOPS], accessibility="Wheelchair access")
    Order.objects.filter(pk=r5.pk).update(currency="KRW")
    r5.refresh_from_db()
    billing.record_payment(r5, amount=r5.total, provider="bank")

    created_on(r3, today - timedelta(days=3), conference)
    created_on(r1, today - timedelta(days=2), conference)
    created_on(r2, today - timedelta(days=2), conference)
    created_on(r4, today - timedelta(days=2), conference)
    created_on(r5, today, conference)

    for order, day, part in ((r1, today, "main"), (r2, today, "main"), (r5, today, "workshops"),
                             (r3, today - timedelta(days=1), "main")):
        CheckIn.objects.create(registration=order.registrations.get(), date=day, part=part)

    OutboxEmail.objects.all().delete()
    for n, status in enumerate(["pending", "pending", "sending", "failed", "failed", "failed", "sent"]):
        OutboxEmail.objects.create(purpose="test", object_key=f"x:{n}", recipient=f"p{n}@example.org",
                                   subject="Hello", body_text="Hi", status=status)
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}


def url(conference):
    return reverse("staff_dashboard", args=[conference.slug])


def svg_of(html: str) -> ET.Element:
    match = re.search(r"<svg .*?</svg>", html, re.S)
    assert match is not None
    return ET.fromstring(match.group(0))


# --- Figures ------------------------------------------------------------------------------------

def test_it_counts_registrations_per_day_with_gaps_filled(conference, edition, today):
    board = dashboard.build(conference, with_revenue=False, with_needs=False)
    assert board.total == 4
    assert board.daily == [(today - timedelta(days=3), 1), (today - timedelta(days=2), 2),
                           (today - timedelta(days=1), 0), (today, 1)]
    assert [n for _, n in board.cumulative] == [1, 3, 3, 4]


def test_it_counts_active_registrations_by_category_and_pass(conference, edition):
    board = dashboard.build(conference, with_revenue=False, with_needs=False)
    assert board.passes == ["Full conference", "Main conference", "Workshops only"]
    assert board.by_category_and_pass == [
        {"category": "Student", "total": 1, "cells": [1, 0, 0]},
        {"category": "Non-academic", "total": 3, "cells": [1, 1, 1]},
    ]


def test_it_sums_revenue_per_currency_minus_refunds(conference, edition):
    board = dashboard.build(conference, with_revenue=True, with_needs=False)
    # USD: 1250 + 80 (full pass and social event) + 950 (main) + 400 (tutorials, then refunded in full).
    assert board.revenue == [
        dashboard.Revenue("KRW", Decimal("450.00"), Decimal("0.00")),
        dashboard.Revenue("USD", Decimal("2680.00"), Decimal("400.00")),
    ]
    assert [row.net for row in board.revenue] == [Decimal("450.00"), Decimal("2280.00")]


def test_it_shows_seats_held_per_quota(conference, edition):
    board = dashboard.build(conference, with_revenue=False, with_needs=False)
    assert board.quotas == [dashboard.QuotaUse("Venue (in person)", 4, 100), dashboard.QuotaUse("Social event", 1, 2)]
    assert [quota.percent for quota in board.quotas] == [4, 50]
    assert Quota.objects.get(name="Venue (in person)").held == 4


def test_it_shows_the_eligibility_queue_and_the_outbox(conference, edition):
    board = dashboard.build(conference, with_revenue=False, with_needs=False)
    proof = edition["r3"].registrations.get().proofs.get()
    assert board.queue == dashboard.Queue(1, proof.uploaded_at)
    assert board.outbox == dashboard.OutboxState(pending=3, failed=3)


def test_it_counts_todays_check_ins_by_part(conference, edition):
    board = dashboard.build(conference, with_revenue=False, with_needs=False)
    assert board.checkins_today == {"Tutorials": 0, "Main conference": 2, "Workshops": 1}
    assert board.checkins_today_total == 3


def test_it_groups_needs_by_normalised_text_and_skips_cancelled_registrations(conference, edition):
    board = dashboard.build(conference, with_revenue=False, with_needs=True)
    assert board.dietary == [("Vegan", 2), ("Halal", 1)]
    assert board.accessibility == [("Wheelchair access", 1)]


def test_money_and_needs_are_not_even_computed_without_asking(conference, edition):
    board = dashboard.build(conference, with_revenue=False, with_needs=False)
    assert (board.revenue, board.dietary, board.accessibility) == (None, None, None)


def test_an_empty_edition_has_zeroes_and_no_chart(client, conference, catalogue):
    client.force_login(staff_with("registration.view_registration"))
    response = client.get(url(conference))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="dash-number" id="dash-total">0</span>' in html
    assert "<svg" not in html
    assert "No registrations yet." in html


# --- The page and its chart ---------------------------------------------------------------------

def test_the_page_shows_every_section_to_a_fully_entitled_organiser(client, conference, edition):
    client.force_login(staff_with("registration.view_registration", "registration.view_finance",
                                  "registration.view_sensitiveneeds"))
    response = client.get(url(conference))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="dash-number" id="dash-total">4</span>' in html
    assert ('<tr><th scope="row">USD</th><td class="num">2680.00</td><td class="num">400.00</td>'
            '<td class="num">2280.00</td></tr>') in html
    assert '<meter min="0" max="2" value="1" aria-label="Social event">50%</meter>' in html
    assert '<span class="dash-number" id="dash-proofs-pending">1</span>' in html
    assert '<span class="dash-number" id="dash-outbox-failed">3</span>' in html
    assert '<span class="dash-number" id="dash-checkins-total">3</span>' in html
    assert '<tr><th scope="row">Vegan</th><td class="num">2</td></tr>' in html


def test_the_chart_is_well_formed_svg_with_one_point_per_day(client, conference, edition, today):
    client.force_login(staff_with("registration.view_registration"))
    svg = svg_of(client.get(url(conference)).content.decode())
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Registrations over time (cumulative)"
    assert svg.find(f"{SVG}desc").text.startswith("4 active registrations, from ")
    points = svg.findall(f".//{SVG}circle")
    assert len(points) == 4
    assert [p.find(f"{SVG}title").text.rsplit(": ", 1)[1] for p in points] == ["1", "3", "3", "4"]
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 4
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-y-label"] == ["0", "2", "5"]


def test_the_chart_escapes_its_texts_and_scales_to_round_numbers():
    svg = ET.fromstring(str(line_chart([(date(2026, 7, 6), 7)], chart_id="c", title="<b>&", description='"x"',
                                       y_label="y")))
    assert svg.find(f"{SVG}title").text == "<b>&"
    assert svg.find(f"{SVG}desc").text == '"x"'
    assert [c.find(f"{SVG}title").text for c in svg.findall(f".//{SVG}circle")] == ["6 Jul 2026: 7"]
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 140, 9999)] == [1, 1, 5, 10, 10, 20, 200, 10000]


# --- Who sees what ------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, conference):
    response = client.get(url(conference))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url(conference)}"


def test_attendees_are_refused_even_with_the_permission(client, conference):
    client.force_login(staff_with("registration.view_registration", is_staff=False))
    assert client.get(url(conference)).status_code == 403


def test_staff_with_neither_registrations_nor_finance_are_refused(client, conference):
    client.force_login(staff_with("registration.view_sensitiveneeds", "registration.view_checkin",
                                  "sponsors.view_sponsor"))
    response = client.get(url(conference))
    assert response.status_code == 403
    assert "dash-total" not in response.content.decode()


def test_staff_without_finance_see_no_revenue_and_without_needs_permission_no_needs(client, conference, edition):
    client.force_login(staff_with("registration.view_registration"))
    html = client.get(url(conference)).content.decode()
    assert 'id="dash-revenue-section"' not in html
    assert "2680.00" not in html
    assert 'id="dash-needs-section"' not in html
    assert "Vegan" not in html


def test_the_catering_group_sees_needs_but_no_revenue(client, conference, edition):
    member = VerifiedUserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name="Catering and access"))
    client.force_login(member)
    html = client.get(url(conference)).content.decode()
    assert '<tr><th scope="row">Wheelchair access</th><td class="num">1</td></tr>' in html
    assert 'id="dash-revenue-section"' not in html


def test_the_finance_group_opens_it_and_sees_revenue_but_no_needs(client, conference, edition):
    """Finance may not read registrations one by one, but every figure here is a count or a sum."""
    member = VerifiedUserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name="Finance"))
    assert not member.has_perm("registration.view_registration")
    client.force_login(member)
    html = client.get(url(conference)).content.decode()
    assert '<span class="dash-number" id="dash-total">4</span>' in html
    assert 'id="dash-revenue-section"' in html
    assert 'id="dash-needs-section"' not in html
    assert f'<a href="{url(conference)}">Dashboard</a>' in html  # and the site's navigation links to it


def test_staff_without_two_factor_are_sent_to_set_it_up_when_required(client, conference, settings):
    settings.STAFF_REQUIRE_MFA = True
    organiser = staff_with("registration.view_registration")
    client.force_login(organiser)
    response = client.get(url(conference))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    Authenticator.objects.create(user=organiser, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    assert client.get(url(conference)).status_code == 200


def test_it_only_answers_get_and_unknown_editions_are_404(client, conference):
    client.force_login(staff_with("registration.view_registration"))
    assert client.post(url(conference)).status_code == 405
    assert client.get(reverse("staff_dashboard", args=["nope2099"])).status_code == 404


def test_the_admin_index_links_to_the_dashboard(client, conference):
    client.force_login(staff_with("registration.view_registration"))
    html = client.get(reverse("admin:index")).content.decode()
    assert f'href="{url(conference)}"' in html


# --- Queries ------------------------------------------------------------------------------------

def many(conference, industry, full_pass, n):
    for _ in range(n):
        order = place(conference, industry, full_pass, dietary="Vegan", accessibility="Ramp")
        billing.record_payment(order, amount=order.total, provider="bank")
        CheckIn.objects.create(registration=order.registrations.get(),
                               date=timezone.localdate(timezone=conference.tzinfo), part="main")


@pytest.mark.parametrize("size", [3, 30])
def test_the_page_issues_the_same_queries_at_3_and_30_registrations(client, conference, catalogue, industry,
                                                                    full_pass, size, django_assert_num_queries):
    many(conference, industry, full_pass, size)
    client.force_login(staff_with("registration.view_registration", "registration.view_finance",
                                  "registration.view_sensitiveneeds"))
    # session, user, edition, permissions (user's, groups'), the sponsor-portal link, then daily,
    # category×pass counts, categories, passes, quotas, queue, outbox, check-ins, payments, refunds,
    # needs (dietary and accessibility together).
    with django_assert_num_queries(17):
        response = client.get(url(conference))
    assert response.status_code == 200
    assert f'<span class="dash-number" id="dash-total">{size}</span>' in response.content.decode()


# --- The history is counted at most once a minute ----------------------------------------------

def full_organiser():
    return staff_with("registration.view_registration", "registration.view_finance",
                      "registration.view_sensitiveneeds")


def test_a_second_visit_within_the_minute_reuses_the_history_but_counts_the_queues_afresh(
        client, conference, industry, student, full_pass, edition, django_assert_num_queries):
    client.force_login(full_organiser())
    client.get(url(conference))
    newcomer = place(conference, student, full_pass)  # a new registration with a pending proof
    services.submit_proof(newcomer.registrations.get(),
                          SimpleUploadedFile("card.pdf", b"%PDF-1.4\n", "application/pdf"), by=newcomer.buyer)
    # As the first visit, without daily, category×pass counts, categories, passes, payments, refunds
    # and needs (7 queries).
    with django_assert_num_queries(10):
        html = client.get(url(conference)).content.decode()
    assert '<span class="dash-number" id="dash-total">4</span>' in html
    assert '<span class="dash-number" id="dash-proofs-pending">2</span>' in html


def test_count_again_now_counts_the_history_at_once(client, conference, student, full_pass, edition):
    client.force_login(full_organiser())
    assert 'href="/icml2026/staff/dashboard/?fresh=1">Count again now</a>' in client.get(url(conference)).content.decode()
    place(conference, student, full_pass)
    html = client.get(url(conference) + "?fresh=1").content.decode()
    assert '<span class="dash-number" id="dash-total">5</span>' in html
    # …and the fresh count is what the next visit reuses.
    assert '<span class="dash-number" id="dash-total">5</span>' in client.get(url(conference)).content.decode()


def test_the_history_is_counted_again_once_it_is_a_minute_old(conference, student, full_pass, edition, monkeypatch):
    first = dashboard.build(conference, with_revenue=True, with_needs=True)
    place(conference, student, full_pass)
    assert dashboard.build(conference, with_revenue=True, with_needs=True).total == 4
    later = first.counted_at + timedelta(seconds=60)
    monkeypatch.setattr(dashboard.timezone, "now", lambda: later)
    again = dashboard.build(conference, with_revenue=True, with_needs=True)
    assert (again.total, again.counted_at) == (5, later)


def test_the_page_says_when_the_history_was_counted_in_the_editions_zone(client, conference, edition, monkeypatch):
    moment = datetime(2026, 7, 7, 1, 2, 3, tzinfo=UTC)  # 10:02:03 in Seoul
    monkeypatch.setattr(dashboard.timezone, "now", lambda: moment)
    client.force_login(full_organiser())
    html = client.get(url(conference)).content.decode()
    assert "Registrations, money and needs as counted at 10:02:03 KST; seats, queues and check-ins are live." in html


def test_no_cache_setting_counts_every_time(conference, student, full_pass, edition, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    dashboard.build(conference, with_revenue=False, with_needs=False)
    place(conference, student, full_pass)
    assert dashboard.build(conference, with_revenue=False, with_needs=False).total == 5


def test_revenue_cached_for_finance_never_reaches_an_organiser_without_it(client, conference, edition):
    client.force_login(full_organiser())
    assert 'id="dash-revenue-section"' in client.get(url(conference)).content.decode()
    client.force_login(staff_with("registration.view_registration"))
    html = client.get(url(conference)).content.decode()
    assert 'id="dash-revenue-section"' not in html
    assert "2680.00" not in html
    assert 'id="dash-needs-section"' not in html


def test_an_unreachable_cache_means_counting_not_an_error(client, conference, edition, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(dashboard.cache, "get_many", down)
    monkeypatch.setattr(dashboard.cache, "set_many", down)
    client.force_login(full_organiser())
    response = client.get(url(conference))
    assert response.status_code == 200
    assert '<span class="dash-number" id="dash-total">4</span>' in response.content.decode()
