"""The recruitment access log: written once per read, and the organisers' view-only admin with
per-sponsor figures (staff with sponsors.view_accesslogentry only)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from sponsors.access_log import figures_by_sponsor, record_access
from sponsors.models import AccessLogEntry
from tests.factories import VerifiedUserFactory

from .recruitment_fixtures import *  # noqa: F403 (the shared fixtures)
from .recruitment_fixtures import portal_url, profile_url, share

pytestmark = pytest.mark.django_db
FIGURES = "admin:sponsors_accesslogentry_figures"
CHANGELIST = "admin:sponsors_accesslogentry_changelist"


@pytest.fixture
def reads(conference, acme, globex, recruiter, globex_recruiter, minji):
    """Acme viewed Min-ji twice and downloaded her CV, then exported her and Kofi; Globex viewed Kofi."""
    kofi = share(conference, first="Kofi", last="Osei")
    record_access(acme, recruiter.user, [minji], AccessLogEntry.Action.VIEW)
    record_access(acme, recruiter.user, [minji], AccessLogEntry.Action.VIEW, AccessLogEntry.Channel.API)
    record_access(acme, recruiter.user, [minji], AccessLogEntry.Action.CV)
    record_access(acme, recruiter.user, [minji, kofi], AccessLogEntry.Action.EXPORT)
    record_access(globex, globex_recruiter.user, [kofi.pk], AccessLogEntry.Action.VIEW)
    return kofi


def test_record_access_writes_one_entry_per_profile_at_one_moment(acme, recruiter, minji, conference):
    kofi = share(conference, first="Kofi", last="Osei")
    assert record_access(acme, recruiter.user, [minji, kofi.pk], AccessLogEntry.Action.EXPORT) == 2
    entries = list(AccessLogEntry.objects.order_by("profile_id"))
    assert [(e.sponsor, e.user, e.profile_id, e.action, e.channel) for e in entries] == [
        (acme, recruiter.user, minji.pk, "export", "portal"), (acme, recruiter.user, kofi.pk, "export", "portal")]
    assert entries[0].at == entries[1].at


def test_each_read_in_the_portal_is_logged_exactly_once(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    client.get(profile_url(acme, minji))
    client.get(profile_url(acme, minji, "sponsor_portal_cv"))
    client.get(portal_url("sponsor_portal_search", acme))
    client.get(portal_url("sponsor_portal_shortlist", acme))
    assert list(AccessLogEntry.objects.order_by("pk").values_list("action", flat=True)) == ["view", "cv"]


def test_refused_reads_are_not_logged(client, acme, globex_recruiter, minji):
    client.force_login(globex_recruiter.user)
    client.get(profile_url(acme, minji))
    assert AccessLogEntry.objects.count() == 0


def test_figures_count_views_cvs_exports_and_distinct_profiles(conference, acme, globex, reads):
    figures = {s.name: (s.views, s.cvs, s.exports, s.profiles) for s in figures_by_sponsor(conference)}
    assert figures == {"Acme": (2, 1, 2, 2), "Globex": (1, 0, 0, 1)}


def test_figures_of_one_edition_leave_out_others(conference, acme, reads):
    from tests.factories import ConferenceFactory
    from tests.factories.sponsors import SponsorFactory

    other = ConferenceFactory(slug="icml2027")
    SponsorFactory(conference=other, name="Elsewhere")
    assert [s.name for s in figures_by_sponsor(conference)] == ["Acme", "Globex"]
    assert sorted(s.name for s in figures_by_sponsor()) == ["Acme", "Elsewhere", "Globex"]


@pytest.fixture
def organiser(db):
    user = VerifiedUserFactory(email="organiser@example.org", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_accesslogentry"))
    return user


def test_organisers_see_the_figures_page(client, organiser, reads):
    client.force_login(organiser)
    response = client.get(reverse(FIGURES), {"conference": "icml2026"})
    assert response.status_code == 200
    rows = {s.name: (s.views, s.cvs, s.exports, s.profiles) for s in response.context["sponsors"]}
    assert rows == {"Acme": (2, 1, 2, 2), "Globex": (1, 0, 0, 1)}
    assert "Recruitment access by sponsor" in response.content.decode()


def test_organisers_see_the_log_view_only_with_filters(client, organiser, acme, reads):
    client.force_login(organiser)
    response = client.get(reverse(CHANGELIST), {"sponsor__id__exact": acme.pk, "action__exact": "view"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert reverse(FIGURES) in response.content.decode()
    entry = AccessLogEntry.objects.first()
    assert client.post(reverse("admin:sponsors_accesslogentry_change", args=[entry.pk]), {}).status_code == 403
    assert client.get(reverse("admin:sponsors_accesslogentry_add")).status_code == 403
    assert client.post(reverse("admin:sponsors_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AccessLogEntry.objects.count() == 6


def test_staff_without_the_permission_are_refused(client, reads):
    staff = VerifiedUserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(FIGURES)).status_code == 403
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_sponsor_members_and_attendees_never_reach_the_admin(client, recruiter, minji, reads):
    for user in (recruiter.user, minji.user):
        client.force_login(user)
        response = client.get(reverse(FIGURES))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_the_admin_log_costs_the_same_queries_for_6_and_30_entries(client, organiser, acme, recruiter, minji, reads,
                                                                   django_assert_num_queries):
    client.force_login(organiser)
    url = reverse(CHANGELIST)
    client.get(url)
    with django_assert_num_queries(12) as small:
        client.get(url)
    for _ in range(8):
        record_access(acme, recruiter.user, [minji, reads], AccessLogEntry.Action.EXPORT)
        record_access(acme, recruiter.user, [minji], AccessLogEntry.Action.VIEW)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["cl"].result_count == 30
