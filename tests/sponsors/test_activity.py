"""Who saw my profile (sponsors.views.attendee.activity): the sponsor, what and when, through which
channel; never which recruiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sponsors import access_log, services
from sponsors.models import AccessLogEntry
from sponsors.views.attendee import ACTIVITY_ROWS
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory

from .attendee_fixtures import *  # noqa: F403 - fixtures
from .attendee_fixtures import ACTIVITY_URL

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 7, 8, 1, 5, tzinfo=UTC)  # 10:05 in Seoul


def read(sponsor, profile, action, *, channel="portal", at=WHEN, user=None):
    return AccessLogEntry.objects.create(sponsor=sponsor, user=user, profile=profile, action=action,
                                         channel=channel, at=at)


def test_it_needs_a_profile_to_show_anything(client, conference, attendee):
    html = client.get(ACTIVITY_URL).content.decode()
    assert "You have no recruitment profile for this edition, so no sponsor has seen one." in html


def test_with_no_reads_it_says_so(client, profile):
    assert "No sponsor has looked at your profile." in client.get(ACTIVITY_URL).content.decode()


def test_it_lists_each_sponsors_reads_in_the_editions_zone(client, profile, sponsors):
    read(sponsors["acme"], profile, "view")
    read(sponsors["acme"], profile, "cv", channel="api", at=WHEN + timedelta(hours=1))
    read(sponsors["globex"], profile, "export", at=WHEN - timedelta(days=1))
    html = client.get(ACTIVITY_URL).content.decode()
    acme, globex = sponsors["acme"].pk, sponsors["globex"].pk
    assert html.index(f'<h2 id="s{acme}">Acme</h2>') < html.index(f'<h2 id="s{globex}">Globex</h2>')
    assert "2 reads, last on 8 Jul 2026 11:05 (Asia/Seoul)" in html
    assert "1 read, last on 7 Jul 2026 10:05 (Asia/Seoul)" in html
    assert "<tr><td>downloaded the CV</td><td>8 Jul 2026 11:05</td><td>API</td></tr>" in html
    assert "<tr><td>viewed the profile</td><td>8 Jul 2026 10:05</td><td>portal</td></tr>" in html
    assert "<tr><td>included the profile in an export</td><td>7 Jul 2026 10:05</td><td>portal</td></tr>" in html


def test_it_names_the_sponsor_never_the_recruiter(client, profile, sponsors):
    recruiter = VerifiedUserFactory(email="rita.recruiter@acme.example", first_name="Rita", last_name="Recruiter")
    access_log.record_access(sponsors["acme"], recruiter, [profile], AccessLogEntry.Action.VIEW)
    html = client.get(ACTIVITY_URL).content.decode()
    assert f'<h2 id="s{sponsors["acme"].pk}">Acme</h2>' in html
    assert "rita" not in html.lower() and "Recruiter" not in html


def test_it_shows_only_the_attendees_own_reads_at_this_edition(client, profile, sponsors):
    someone = RecruitmentProfileFactory(conference=profile.conference)
    read(sponsors["globex"], someone, "view")
    mine_elsewhere = RecruitmentProfileFactory(conference=ConferenceFactory(slug="icml2027"), user=profile.user)
    read(SponsorFactory(conference=mine_elsewhere.conference, name="Elsewhere Inc"), mine_elsewhere, "view")
    html = client.get(ACTIVITY_URL).content.decode()
    assert "Globex" not in html and "Elsewhere Inc" not in html
    assert "No sponsor has looked at your profile." in html


def test_reads_stay_listed_after_the_attendee_stops_sharing(client, profile, sponsors, terms):
    services.opt_in(profile, share_cv=False, share_email=False, share_links=True)
    read(sponsors["acme"], profile, "view")
    services.opt_out(profile)
    assert "<tr><td>viewed the profile</td>" in client.get(ACTIVITY_URL).content.decode()


def test_it_lists_the_most_recent_reads_and_says_how_many_there_are(client, profile, sponsors, monkeypatch):
    monkeypatch.setattr("sponsors.views.attendee.ACTIVITY_ROWS", 3)
    for minutes in range(5):
        read(sponsors["acme"], profile, "view", at=WHEN + timedelta(minutes=minutes))
    response = client.get(ACTIVITY_URL)
    html = response.content.decode()
    assert "The 3 most recent of 5 reads are listed." in html and "5 reads, last on 8 Jul 2026 10:09" in html
    assert [row["at"].minute for row in response.context["groups"][0]["rows"]] == [9, 8, 7]
    assert ACTIVITY_ROWS == 500


def test_the_page_takes_the_same_queries_for_few_and_many_reads(client, profile, sponsors,
                                                                django_assert_num_queries):
    read(sponsors["acme"], profile, "view")
    with django_assert_num_queries(7):
        client.get(ACTIVITY_URL)
    more = [SponsorFactory(conference=profile.conference, tier=sponsors["acme"].tier) for _ in range(8)]
    AccessLogEntry.objects.bulk_create([AccessLogEntry(sponsor=s, profile=profile, action=action, at=WHEN)
                                        for s in more for action in ("view", "cv", "export")])
    with django_assert_num_queries(7):
        response = client.get(ACTIVITY_URL)
    assert len(response.context["groups"]) == 9 and response.context["total"] == 25
