"""The attendee's programme journey in a browser: find a paper by an accented author's name typed
without accents, star it, see it in "My schedule", subscribe to the private calendar feed and read it
back with `icalendar` (real HTTP through the live server, axe on every page)."""

from __future__ import annotations

import icalendar
import pytest
from playwright.sync_api import expect

from schedule.models import Session
from schedule.services import publish_release, refresh_search_text
from tests.browser.conftest import assert_accessible
from tests.browser.test_pages import log_in
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    PresentationFactory,
    RoomFactory,
    SessionFactory,
    kst,
)

pytestmark = pytest.mark.django_db(transaction=True)
TITLE = "Equivariant Flows for Protein Design"


@pytest.fixture
def programme():
    edition = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    hall = RoomFactory(conference=edition, name="Hall E", position=1, board_prefix="E")
    posters = SessionFactory(conference=edition, kind=Session.Kind.POSTER, title="Poster Session 2", room=hall,
                             start=kst(8, 10, 30), end=kst(8, 13))
    paper = PaperFactory(conference=edition, title=TITLE)
    AuthorshipFactory(paper=paper, position=0,
                      author=AuthorFactory(conference=edition, name="Jürgen Müller-Étienne"))
    AuthorshipFactory(paper=paper, position=1, author=AuthorFactory(conference=edition, name="김민지"))
    PresentationFactory(session=posters, paper=paper, board="E-1042")
    other = PaperFactory(conference=edition, title="Bandits for Ranking")
    AuthorshipFactory(paper=other, position=0, author=AuthorFactory(conference=edition, name="Ana Silva"))
    PresentationFactory(session=posters, paper=other, board="E-1043")
    refresh_search_text([paper, other])
    publish_release(edition)
    return edition


def test_an_attendee_finds_stars_and_subscribes_to_a_paper(page, programme):
    VerifiedUserFactory(email="minji@example.com")
    log_in(page, "minji@example.com", "correct horse battery staple")

    page.goto("/icml2026/programme/?day=2026-07-08")
    assert_accessible(page)
    page.get_by_label("Search papers, authors, sessions or a poster board (e.g. E-1042)").fill("jurgen muller")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.get_by_role("link", name="Bandits for Ranking")).to_have_count(0)
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="☆ Star").click()
    expect(page.get_by_role("button", name="★ Starred")).to_be_visible()
    assert_accessible(page)

    page.goto("/icml2026/programme/my/")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.locator("main")).to_contain_text("10:30")
    assert_accessible(page)

    page.goto("/icml2026/programme/my/calendar/")
    with page.expect_navigation():
        page.get_by_role("button", name="Create my calendar address").click()
    feed_url = page.locator("#feed-url").input_value()
    assert "/icml2026/programme/calendar/" in feed_url and feed_url.endswith(".ics")
    assert_accessible(page)

    # A calendar app fetches the address without the browser's session cookie.
    response = page.context.request.get(feed_url, headers={"Cookie": ""})
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.body())
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == [TITLE]
    assert events[0].decoded("DTSTART") == kst(8, 10, 30)
    assert events[0].decoded("DTEND") == kst(8, 13)
    assert "Hall E" in str(events[0]["LOCATION"])
