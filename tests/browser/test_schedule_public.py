"""The public programme in a real browser: the day grid on a phone and a desktop, a poster session
with 600 posters, search, and the switch to the viewer's own time zone (no CSP violation, axe clean)."""

import pytest
from playwright.sync_api import expect

from schedule.models import Author, Authorship, Paper, Presentation, Session
from schedule.services import publish_release, refresh_search_text
from tests.browser.conftest import assert_accessible
from tests.factories import ConferenceFactory
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    RoomFactory,
    SessionFactory,
    SpeakerFactory,
    kst,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def programme():
    edition = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    rooms = [RoomFactory(conference=edition, name=f"Room {300 + i}", position=i) for i in range(8)]
    hall = RoomFactory(conference=edition, name="Hall E", position=20, board_prefix="E")
    keynote = SessionFactory(conference=edition, kind=Session.Kind.KEYNOTE, title="Opening keynote", room=rooms[0],
                             start=kst(7, 9), end=kst(7, 10))
    keynote.speakers.add(SpeakerFactory(conference=edition, name="Yann Example"))
    for i, room in enumerate(rooms):
        SessionFactory(conference=edition, kind=Session.Kind.ORAL, title=f"Oral {i + 1}: a long session title about learning",
                       room=room, start=kst(7, 10, 30), end=kst(7, 12))
    SessionFactory(conference=edition, kind=Session.Kind.BREAK, title="Lunch", room=None, start=kst(7, 12), end=kst(7, 13))
    posters = SessionFactory(conference=edition, kind=Session.Kind.POSTER, title="Poster session 1", room=hall,
                             start=kst(7, 14), end=kst(7, 16, 30))
    papers = Paper.objects.bulk_create([Paper(conference=edition, external_id=f"p{i}", title=f"Poster paper {i} on graph learning")
                                        for i in range(600)])
    authors = Author.objects.bulk_create([Author(conference=edition, name=f"Author {i}", search_name=f"author {i}",
                                                 openreview_id=f"~Bulk_Author_{i}1", code=f"A{i:06d}") for i in range(600)])
    Authorship.objects.bulk_create([Authorship(paper=p, author=a, position=0, affiliation="KAIST")
                                    for p, a in zip(papers, authors)])
    Presentation.objects.bulk_create([Presentation(session=posters, paper=p, position=i, board=f"E-{1001 + i}")
                                      for i, p in enumerate(papers)])
    muller = PaperFactory(conference=edition, title="Convex bounds for sparse models")
    AuthorshipFactory(paper=muller, position=0, author=AuthorFactory(conference=edition, name="Jürgen Müller"))
    refresh_search_text(Paper.objects.all())
    publish_release(edition)
    return {"edition": edition, "keynote": keynote, "posters": posters}


def open_in(browser, base_url, *, timezone_id="Europe/Vienna", viewport=DESKTOP):
    """A fresh context in `timezone_id` that records console errors (CSP violations included)."""
    context = browser.new_context(base_url=base_url, locale="en-GB", timezone_id=timezone_id, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    page.console_problems = problems
    return page


@pytest.fixture
def pages(browser, live_server):
    opened = []

    def open_page(**kwargs):
        opened.append(open_in(browser, live_server.url, **kwargs))
        return opened[-1]

    yield open_page
    for page in opened:
        page.context.close()
        assert page.console_problems == [], page.console_problems


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_day_grid_works_on_a_phone_and_a_desktop(pages, programme, viewport):
    page = pages(viewport=viewport)
    page.goto("/icml2026/programme/?day=2026-07-07")
    assert page.get_by_role("columnheader", name="Room 300").is_visible()
    assert page.get_by_role("link", name="Opening keynote").is_visible()
    # The page never scrolls sideways: the grid scrolls inside its own region.
    assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]
    assert_accessible(page)
    page.get_by_role("link", name="List").click()
    page.wait_for_url("**view=list**")
    assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]
    assert_accessible(page)
    page.get_by_role("link", name="Opening keynote").click()
    page.wait_for_url(f"**/programme/sessions/{programme['keynote'].code}/")
    assert page.get_by_role("link", name="Yann Example").is_visible()
    assert_accessible(page)


def test_a_poster_session_with_600_posters_is_usable_on_a_phone(pages, programme):
    page = pages(viewport=PHONE)
    page.goto(f"/icml2026/programme/sessions/{programme['posters'].code}/")
    assert page.locator("#poster-list > li").count() == 600
    assert page.get_by_role("status").filter(has_text="600 posters").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert_accessible(page)
    page.get_by_label("Find a poster by board, title or author").fill("E-1342")
    expect(page.locator("#poster-list > li:not([hidden])")).to_have_count(1)
    assert page.locator("#poster-list > li:not([hidden])").inner_text().startswith("E-1342")
    assert page.get_by_text("1 of 600 posters").is_visible()
    page.get_by_label("Find a poster by board, title or author").fill("")
    expect(page.locator("#poster-list > li:not([hidden])")).to_have_count(600)
    assert_accessible(page)


def test_search_finds_an_accented_author_typed_without_accents(pages, programme):
    page = pages(viewport=PHONE)
    page.goto("/icml2026/programme/?day=2026-07-07")
    page.get_by_label("Search papers, authors, sessions or a poster board (e.g. E-1042)").fill("jurgen muller")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/programme/search/?q=jurgen+muller")
    assert page.get_by_role("link", name="Jürgen Müller").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Convex bounds for sparse models").click()
    page.wait_for_url("**/programme/papers/**")
    assert page.get_by_role("heading", name="Convex bounds for sparse models").is_visible()
    assert_accessible(page)


def test_times_switch_to_the_viewers_zone_and_the_choice_is_remembered(pages, programme):
    page = pages(timezone_id="Europe/Berlin")
    page.goto(f"/icml2026/programme/sessions/{programme['keynote'].code}/")
    start = page.locator("dd time").first
    assert start.inner_text() == "Tuesday 7 July, 09:00"
    assert page.get_by_text("Times are in KST (Asia/Seoul).").is_visible()
    page.get_by_role("button", name="Show times in my time zone").click()
    # 09:00 in Seoul is 02:00 in Berlin (CEST) on the same day.
    assert start.inner_text() == "Tue 7 Jul, 02:00"
    assert page.locator("dd time").nth(1).inner_text() == "03:00 CEST"
    assert page.get_by_text("Times are in your time zone (Europe/Berlin).").is_visible()
    assert_accessible(page)
    page.goto("/icml2026/programme/?day=2026-07-07")
    assert page.locator("th[scope=row] time").first.inner_text() == "02:00"
    page.get_by_role("button", name="Show times in KST (Asia/Seoul)").click()
    assert page.locator("th[scope=row] time").first.inner_text() == "09:00"
    page.reload()
    assert page.locator("th[scope=row] time").first.inner_text() == "09:00"
    assert_accessible(page)


def test_a_late_session_names_the_viewers_day(pages, programme):
    page = pages(timezone_id="America/Los_Angeles")
    page.goto("/icml2026/programme/?day=2026-07-07")
    page.get_by_role("button", name="Show times in my time zone").click()
    # 09:00 Tuesday in Seoul is 17:00 Monday in Los Angeles.
    assert page.locator("th[scope=row] time").first.inner_text() == "17:00 (Mon)"
