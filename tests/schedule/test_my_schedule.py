"""My schedule: starred sessions and papers of the latest release, by day and time, with overlaps named."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from schedule import services
from schedule.personal import my_schedule
from schedule.queries import latest_release
from tests.factories import VerifiedUserFactory
from tests.factories.schedule import PaperFactory, PresentationFactory, kst
from tests.schedule.release_helpers import room, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(conference):
    return room(conference, "Hall C")


def titles(schedule):
    return [(d.day.isoformat(), [(i.title, [o.title for o in i.overlaps]) for i in d.items]) for d in schedule.days]


def mine(user, conference):
    return my_schedule(user, conference, latest_release(conference))


def test_it_lists_starred_sessions_and_papers_by_day_in_time_order(user, conference, hall):
    keynote = session(conference, "Keynote", room=hall, day=8, hour=9)
    oral = session(conference, "Oral 1", room=hall, day=7, hour=14)
    posters = session(conference, "Poster session 1", room=room(conference, "Hall E"), day=7, hour=10, hours=2)
    paper = PaperFactory(conference=conference, title="Sparse attention")
    PresentationFactory(session=posters, paper=paper, board="E-1042")
    for target in (keynote, oral, paper):
        services.star(user, target)
    services.publish_release(conference)
    assert titles(mine(user, conference)) == [
        ("2026-07-07", [("Sparse attention", []), ("Oral 1", [])]),
        ("2026-07-08", [("Keynote", [])]),
    ]


def test_overlapping_items_are_flagged_with_the_other_named(user, conference, hall):
    a = session(conference, "Tutorial A", room=hall, hour=10, hours=2)
    b = session(conference, "Tutorial B", room=room(conference, "Room 301"), hour=11, hours=2)
    c = session(conference, "Lunch talk", room=hall, hour=12)  # starts when A ends: no overlap with A
    for target in (a, b, c):
        services.star(user, target)
    services.publish_release(conference)
    assert titles(mine(user, conference)) == [("2026-07-07", [
        ("Tutorial A", ["Tutorial B"]),
        ("Tutorial B", ["Tutorial A", "Lunch talk"]),
        ("Lunch talk", ["Tutorial B"]),
    ])]


def test_a_starred_talk_inside_a_starred_session_is_no_overlap(user, conference, hall):
    oral = session(conference, "Oral 1", room=hall, hour=14, hours=2)
    paper = PaperFactory(conference=conference, title="Talk one")
    PresentationFactory(session=oral, paper=paper, start=kst(7, 14, 15), end=kst(7, 14, 30))
    services.star(user, oral)
    services.star(user, paper)
    services.publish_release(conference)
    schedule = mine(user, conference)
    assert titles(schedule) == [("2026-07-07", [("Oral 1", []), ("Talk one", [])])]
    assert schedule.days[0].items[1].start == kst(7, 14, 15)


def test_items_the_latest_release_does_not_place_are_listed_apart(user, conference, hall):
    placed = session(conference, "Placed", room=hall)
    dropped = session(conference, "Dropped later", room=hall, hour=15)
    services.publish_release(conference)
    loose_paper = PaperFactory(conference=conference, title="A paper in no session")
    for target in (placed, dropped, loose_paper):
        services.star(user, target)
    dropped.start = dropped.end = None
    dropped.save()
    services.publish_release(conference)
    services.star(user, session(conference, "Not yet published", room=hall, hour=17))
    schedule = mine(user, conference)
    assert titles(schedule) == [("2026-07-07", [("Placed", [])])]
    assert [s.title for s in schedule.unscheduled_sessions] == ["Dropped later", "Not yet published"]
    assert [p.title for p in schedule.unscheduled_papers] == ["A paper in no session"]


def test_the_page_shows_days_times_in_kst_and_overlap_warnings(client, user, conference, hall):
    a = session(conference, "Tutorial A", room=hall, hour=10, hours=2)
    b = session(conference, "Tutorial B", room=room(conference, "Room 301"), hour=11)
    services.star(user, a)
    services.star(user, b)
    services.publish_release(conference)
    client.force_login(user)
    response = client.get("/icml2026/programme/my/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Tuesday 7 July</h2>" in html
    assert '<time datetime="2026-07-07T01:00:00Z" data-schedule-time="time">10:00</time>' in html
    assert "2 items overlap others you starred." in html
    assert re.search(r"Overlaps with:\s*Tutorial B", html)
    assert html.count("★ Starred") == 2
    assert "no-store" in response["Cache-Control"]


def test_the_page_with_no_stars_says_how_to_star(client, user, conference):
    client.force_login(user)
    html = client.get("/icml2026/programme/my/").content.decode()
    assert "You have not starred anything yet." in html


def test_the_page_shows_only_the_viewers_stars(client, user, conference, hall):
    services.star(VerifiedUserFactory(), session(conference, "Someone else's favourite", room=hall))
    services.publish_release(conference)
    client.force_login(user)
    assert "Someone else's favourite" not in client.get("/icml2026/programme/my/").content.decode()


def test_my_schedule_needs_a_login(client, conference):
    response = client.get("/icml2026/programme/my/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/icml2026/programme/my/"


@pytest.mark.parametrize("stars", [2, 12])
def test_the_page_takes_a_fixed_number_of_queries(client, user, conference, hall, stars, django_assert_num_queries):
    for n in range(stars):
        s = session(conference, f"Session {n}", room=hall, hour=8, minute=0)
        s.start = kst(7, 8) + timedelta(minutes=30 * n)
        s.end = s.start + timedelta(minutes=45)
        s.save()
        services.star(user, s)
        paper = PaperFactory(conference=conference)
        PresentationFactory(session=s, paper=paper)
        services.star(user, paper)
    services.publish_release(conference)
    client.force_login(user)
    # session, user, edition, latest release, stars, presentations, slots, the buttons' star read,
    # the navigation's sponsor-membership check
    with django_assert_num_queries(9):
        assert client.get("/icml2026/programme/my/").status_code == 200
