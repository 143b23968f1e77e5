"""The private calendar feed: created, revealed, replaced and revoked by its owner; read by token only."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
import vobject

from schedule import services
from schedule.models import CalendarFeed
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import PaperFactory, PresentationFactory, kst
from tests.schedule.release_helpers import room, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def starred(user, conference):
    hall_c, hall_e = room(conference, "Hall C"), room(conference, "Hall E")
    keynote = session(conference, "Keynote: Über Lernen", room=hall_c, day=8, hour=9)
    posters = session(conference, "Poster session 1", room=hall_e, hour=10, hours=2)
    paper = PaperFactory(conference=conference, title="Sparse attention, at scale; really")
    PresentationFactory(session=posters, paper=paper, board="E-1042")
    session(conference, "Not starred", room=hall_c, hour=16)
    services.star(user, keynote)
    services.star(user, paper)
    services.publish_release(conference)
    return {"keynote": keynote, "posters": posters, "paper": paper, "hall_c": hall_c}


def feed_path(feed):
    return f"/icml2026/programme/calendar/{feed.token}.ics"


def events(client, feed):
    response = client.get(feed_path(feed))
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    return calendar, {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_lists_the_starred_sessions_and_papers_with_exact_times(client, user, conference, starred):
    feed = services.create_calendar_feed(user, conference)
    calendar, found = events(client, feed)
    assert str(calendar["x-wr-calname"]) == "ICML 2026: my schedule"
    assert sorted(found) == ["Keynote: Über Lernen", "Sparse attention, at scale; really"]
    keynote = found["Keynote: Über Lernen"]
    assert (keynote.decoded("dtstart"), keynote.decoded("dtend")) == (
        datetime(2026, 7, 8, 0, 0, tzinfo=UTC), datetime(2026, 7, 8, 1, 0, tzinfo=UTC))
    assert str(keynote["uid"]) == f"{starred['keynote'].code}@icml2026.confsite"
    poster = found["Sparse attention, at scale; really"]
    assert poster.decoded("dtstart") == datetime(2026, 7, 7, 1, 0, tzinfo=UTC)
    assert str(poster["uid"]) == f"{starred['posters'].code}-{starred['paper'].pk}@icml2026.confsite"
    assert str(poster["location"]) == "Hall E"
    assert str(poster["description"]).startswith("Board E-1042\nIn Poster session 1")


def test_the_feed_parses_in_vobject(client, user, conference, starred):
    feed = services.create_calendar_feed(user, conference)
    parsed = vobject.readOne(client.get(feed_path(feed)).content.decode())
    assert sorted(e.summary.value for e in parsed.vevent_list) == [
        "Keynote: Über Lernen", "Sparse attention, at scale; really"]


def test_the_feed_follows_later_releases_and_new_stars(client, user, conference, starred):
    feed = services.create_calendar_feed(user, conference)
    keynote = starred["keynote"]
    keynote.start, keynote.end = kst(9, 9), kst(9, 10)
    keynote.save()
    _, before = events(client, feed)
    assert before["Keynote: Über Lernen"].decoded("dtstart") == datetime(2026, 7, 8, 0, 0, tzinfo=UTC)
    services.publish_release(conference)
    services.star(user, session(conference, "Late addition", room=starred["hall_c"], day=10))
    services.publish_release(conference)
    _, after = events(client, feed)
    assert after["Keynote: Über Lernen"].decoded("dtstart") == datetime(2026, 7, 9, 0, 0, tzinfo=UTC)
    assert int(after["Keynote: Über Lernen"]["sequence"]) == 3
    assert "Late addition" in after


def test_the_feed_is_private_and_never_cached_by_others(client, user, conference, starred):
    response = client.get(feed_path(services.create_calendar_feed(user, conference)))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_before_the_first_release_the_feed_is_an_empty_calendar(client, user, conference):
    feed = services.create_calendar_feed(user, conference)
    calendar, found = events(client, feed)
    assert found == {}
    assert str(calendar["version"]) == "2.0"


@pytest.mark.parametrize("token", ["nope", "x" * 32])
def test_an_unknown_token_is_404(client, conference, token):
    assert client.get(f"/icml2026/programme/calendar/{token}.ics").status_code == 404


def test_a_revoked_feed_is_404(client, user, conference, starred):
    feed = services.create_calendar_feed(user, conference)
    services.revoke_calendar_feed(user, conference)
    assert client.get(feed_path(feed)).status_code == 404


def test_a_token_works_only_under_its_own_edition(client, user, conference, starred):
    feed = services.create_calendar_feed(user, conference)
    ConferenceFactory(slug="neurips2026")
    assert client.get(f"/neurips2026/programme/calendar/{feed.token}.ics").status_code == 404


# --- The settings page ----------------------------------------------------------------------------

def test_the_owner_creates_and_sees_the_address(client, user, conference):
    client.force_login(user)
    assert "Create my calendar address" in client.get("/icml2026/programme/my/calendar/").content.decode()
    response = client.post("/icml2026/programme/my/calendar/", {"action": "create"}, follow=True)
    feed = CalendarFeed.objects.get(user=user)
    html = response.content.decode()
    assert f'value="http://testserver/icml2026/programme/calendar/{feed.token}.ics"' in html
    assert f'href="webcal://testserver/icml2026/programme/calendar/{feed.token}.ics"' in html
    assert "no-store" in response["Cache-Control"]


def test_creating_twice_keeps_one_address(client, user, conference):
    client.force_login(user)
    client.post("/icml2026/programme/my/calendar/", {"action": "create"})
    client.post("/icml2026/programme/my/calendar/", {"action": "create"})
    assert CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).count() == 1


def test_replacing_the_address_kills_the_old_one(client, user, conference, starred):
    client.force_login(user)
    old = services.create_calendar_feed(user, conference)
    client.post("/icml2026/programme/my/calendar/", {"action": "reset"})
    new = CalendarFeed.objects.get(user=user, revoked_at__isnull=True)
    assert new.token != old.token
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200


def test_revoking_from_the_page(client, user, conference):
    client.force_login(user)
    feed = services.create_calendar_feed(user, conference)
    html = client.post("/icml2026/programme/my/calendar/", {"action": "revoke"}, follow=True).content.decode()
    assert "Your calendar address no longer works." in html
    assert feed.token not in html
    assert client.get(feed_path(feed)).status_code == 404


def test_an_unknown_action_changes_nothing(client, user, conference):
    client.force_login(user)
    html = client.post("/icml2026/programme/my/calendar/", {"action": "explode"}, follow=True).content.decode()
    assert "Choose create, reset or revoke." in html
    assert CalendarFeed.objects.count() == 0


def test_another_persons_page_never_shows_my_token(client, user, conference):
    mine = services.create_calendar_feed(user, conference)
    other = VerifiedUserFactory(email="other@example.com")
    client.force_login(other)
    html = client.get("/icml2026/programme/my/calendar/").content.decode()
    assert mine.token not in html
    assert "Create my calendar address" in html
    client.post("/icml2026/programme/my/calendar/", {"action": "revoke"})
    assert CalendarFeed.objects.get(pk=mine.pk).revoked_at is None


def test_the_settings_page_needs_a_login(client, conference):
    for method in (client.get, client.post):
        response = method("/icml2026/programme/my/calendar/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/icml2026/programme/my/calendar/"
    assert CalendarFeed.objects.count() == 0
