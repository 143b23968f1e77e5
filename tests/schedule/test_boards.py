"""Poster boards: numbered by paper id, stable across re-runs; authors needed at two posters at once are flagged."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from schedule import caching
from schedule.boards import assign_boards, simultaneous_author_conflicts
from schedule.models import Presentation, Session
from schedule.services import ScheduleError
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(conference):
    return RoomFactory(conference=conference, name="Hall E", board_prefix="E", board_start=1001)


def poster_session(conference, room, title="Poster session 1", start=None, hours=2):
    start = start or kst(7, 10)
    return SessionFactory(conference=conference, kind=Session.Kind.POSTER, title=title, room=room, start=start,
                          end=start + timedelta(hours=hours))


def add_posters(session, *external_ids):
    return [PresentationFactory(session=session, paper=PaperFactory(conference=session.conference, external_id=e))
            for e in external_ids]


def boards(session):
    return dict(Presentation.objects.filter(session=session).values_list("paper__external_id", "board"))


# --- assign_boards -----------------------------------------------------------------------------

def test_it_numbers_posters_in_the_order_of_their_paper_ids(conference, hall):
    session = poster_session(conference, hall)
    add_posters(session, "zeta", "Alpha", "beta", "alpha")

    result = assign_boards(session)

    # Code-point order, whatever the database's collation: upper case before lower case.
    assert boards(session) == {"Alpha": "E-1001", "alpha": "E-1002", "beta": "E-1003", "zeta": "E-1004"}
    assert (result.assigned, result.kept) == (["E-1001", "E-1002", "E-1003", "E-1004"], 0)


def test_it_gives_the_same_boards_whatever_order_the_posters_were_added_in(conference, hall):
    first = poster_session(conference, hall, "Session A")
    second = poster_session(conference, hall, "Session B", start=kst(8, 10))
    add_posters(first, "p1", "p2", "p3")
    for paper in ["p3", "p1", "p2"]:
        PresentationFactory(session=second, paper=first.presentations.get(paper__external_id=paper).paper)

    assign_boards(first)
    assign_boards(second)

    assert boards(first) == boards(second) == {"p1": "E-1001", "p2": "E-1002", "p3": "E-1003"}


def test_it_changes_nothing_when_run_again(conference, hall):
    session = poster_session(conference, hall)
    add_posters(session, "p1", "p2")
    assign_boards(session)

    result = assign_boards(session)

    assert (result.assigned, result.kept) == ([], 2)
    assert boards(session) == {"p1": "E-1001", "p2": "E-1002"}


def test_it_keeps_existing_boards_and_numbers_only_late_additions(conference, hall):
    session = poster_session(conference, hall)
    add_posters(session, "p2", "p4")
    assign_boards(session)
    add_posters(session, "p1", "p3")

    result = assign_boards(session)

    assert boards(session) == {"p2": "E-1001", "p4": "E-1002", "p1": "E-1003", "p3": "E-1004"}
    assert (result.assigned, result.kept) == (["E-1003", "E-1004"], 2)


def test_it_fills_a_withdrawn_posters_board_and_skips_boards_typed_by_hand(conference, hall):
    session = poster_session(conference, hall)
    posters = add_posters(session, "p1", "p2", "p3")
    assign_boards(session)
    posters[1].delete()  # E-1002 is free again
    PresentationFactory(session=session, paper=PaperFactory(conference=conference, external_id="p0"), board="E-1004")
    PresentationFactory(session=session, paper=PaperFactory(conference=conference, external_id="px"), board="Demo-1")
    add_posters(session, "q1", "q2")

    result = assign_boards(session)

    assert boards(session) == {"p1": "E-1001", "p3": "E-1003", "p0": "E-1004", "px": "Demo-1",
                               "q1": "E-1002", "q2": "E-1005"}
    assert (result.assigned, result.kept) == (["E-1002", "E-1005"], 4)


def test_it_bumps_the_page_cache_when_boards_change(conference, hall, django_capture_on_commit_callbacks):
    session = poster_session(conference, hall)
    add_posters(session, "p1")
    before = caching.generation(conference.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assign_boards(session)

    assert len(callbacks) == 1
    assert caching.generation(conference.pk) > before


@pytest.mark.parametrize(("kind", "room", "message"), [
    (Session.Kind.ORAL, "hall", "“Session X” is not a poster session (kind: oral session): only posters get boards."),
    (Session.Kind.POSTER, None, "“Session X” has no room: place it in a poster hall first, then assign boards."),
    (Session.Kind.POSTER, "plain", "The room “Room 301” of “Session X” has no poster board prefix: give the room one "
                                   "(e.g. “E” for boards E-1001 …), then assign boards again."),
])
def test_it_refuses_a_session_it_cannot_number(conference, hall, kind, room, message):
    rooms = {"hall": hall, "plain": RoomFactory(conference=conference, name="Room 301"), None: None}
    session = SessionFactory(conference=conference, kind=kind, title="Session X", room=rooms[room])
    add_posters(session, "p1")

    with pytest.raises(ScheduleError) as error:
        assign_boards(session)

    assert str(error.value) == message
    assert boards(session) == {"p1": ""}


# --- simultaneous_author_conflicts ---------------------------------------------------------------

def poster_of(session, author, external_id):
    paper = PaperFactory(conference=session.conference, external_id=external_id, title=f"Paper {external_id}")
    AuthorshipFactory(paper=paper, author=author, position=1)
    PresentationFactory(session=session, paper=paper)
    return paper


def test_it_flags_an_author_with_posters_in_two_overlapping_sessions(conference, hall):
    other_hall = RoomFactory(conference=conference, name="Hall C", board_prefix="C")
    morning = poster_session(conference, hall, "Posters 1", start=kst(7, 10))
    overlapping = poster_session(conference, other_hall, "Posters 2", start=kst(7, 11))
    author = AuthorFactory(conference=conference, name="Wei Zhang", openreview_id="~Wei_Zhang3")
    poster_of(morning, author, "a1")
    poster_of(morning, author, "a2")
    poster_of(overlapping, author, "b1")

    conflicts = simultaneous_author_conflicts(conference)

    assert [(c.author.openreview_id, c.first.session.title, [p.external_id for p in c.first.papers],
             c.second.session.title, [p.external_id for p in c.second.papers]) for c in conflicts] == [
        ("~Wei_Zhang3", "Posters 1", ["a1", "a2"], "Posters 2", ["b1"])]


def test_it_does_not_flag_back_to_back_sessions_or_two_posters_in_one_session(conference, hall):
    first = poster_session(conference, hall, "Posters 1", start=kst(7, 10), hours=2)
    after = poster_session(conference, hall, "Posters 2", start=kst(7, 12))
    author = AuthorFactory(conference=conference)
    poster_of(first, author, "a1")
    poster_of(first, author, "a2")
    poster_of(after, author, "b1")

    assert simultaneous_author_conflicts(conference) == []


def test_it_never_confuses_two_authors_with_the_same_name(conference, hall):
    first = poster_session(conference, hall, "Posters 1", start=kst(7, 10))
    second = poster_session(conference, hall, "Posters 2", start=kst(7, 11))
    poster_of(first, AuthorFactory(conference=conference, name="Wei Zhang", openreview_id="~Wei_Zhang3"), "a1")
    poster_of(second, AuthorFactory(conference=conference, name="Wei Zhang", openreview_id="~Wei_Zhang7"), "b1")

    assert simultaneous_author_conflicts(conference) == []


def test_it_uses_the_working_copy_times_and_ignores_unplaced_and_non_poster_sessions(conference, hall):
    first = poster_session(conference, hall, "Posters 1", start=kst(7, 10))
    unplaced = SessionFactory(conference=conference, kind=Session.Kind.POSTER, room=hall, start=None, end=None)
    oral = SessionFactory(conference=conference, kind=Session.Kind.ORAL, start=kst(7, 10), end=kst(7, 11))
    moved = poster_session(conference, hall, "Posters 2", start=kst(8, 10))
    author = AuthorFactory(conference=conference)
    for session, paper in [(first, "a1"), (unplaced, "u1"), (oral, "o1"), (moved, "m1")]:
        poster_of(session, author, paper)
    assert simultaneous_author_conflicts(conference) == []

    Session.objects.filter(pk=moved.pk).update(start=kst(7, 11), end=kst(7, 13))

    assert [(c.first.session.title, c.second.session.title) for c in simultaneous_author_conflicts(conference)] == [
        ("Posters 1", "Posters 2")]


def test_it_is_scoped_to_the_edition(conference, hall):
    other = ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    other_hall = RoomFactory(conference=other, name="Hall A", board_prefix="A")
    author = AuthorFactory(conference=other)
    poster_of(poster_session(other, other_hall, "Old 1"), author, "o1")
    poster_of(poster_session(other, other_hall, "Old 2", start=kst(7, 11)), author, "o2")

    assert simultaneous_author_conflicts(conference) == []
    assert len(simultaneous_author_conflicts(other)) == 1


@pytest.mark.parametrize("authors", [2, 20])
def test_it_finds_conflicts_in_four_queries_whatever_the_size(conference, hall, authors):
    first = poster_session(conference, hall, "Posters 1", start=kst(7, 10))
    second = poster_session(conference, hall, "Posters 2", start=kst(7, 11))
    for n in range(authors):
        author = AuthorFactory(conference=conference)
        poster_of(first, author, f"a{n}")
        poster_of(second, author, f"b{n}")

    with CaptureQueriesContext(connection) as queries:
        conflicts = simultaneous_author_conflicts(conference)

    assert len(conflicts) == authors
    assert len(queries.captured_queries) == 4


# --- Admin: the action and the list --------------------------------------------------------------

def staff_with(*codenames):
    user = VerifiedUserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="schedule", codename__in=codenames))
    return user


def notes(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def act(client, *sessions):
    return client.post(reverse("admin:schedule_session_changelist"),
                       {"action": "assign_poster_boards", "_selected_action": [s.pk for s in sessions]})


def test_the_action_assigns_boards_and_reports_each_session(client, conference, hall):
    first = poster_session(conference, hall, "Posters 1")
    second = poster_session(conference, hall, "Posters 2", start=kst(8, 10))
    oral = SessionFactory(conference=conference, kind=Session.Kind.ORAL, title="Orals 1", start=kst(9, 10))
    add_posters(first, "p1", "p2", "p3")
    add_posters(second, "q1")
    assign_boards(second)
    client.force_login(staff_with("view_session", "change_session"))

    response = act(client, first, second, oral)

    assert response.status_code == 302
    assert notes(response) == [
        ("success", "Posters 1: 3 boards assigned (E-1001 … E-1003), 0 kept."),
        ("success", "Posters 2: every poster already has a board (1 kept)."),
        ("error", "“Orals 1” is not a poster session (kind: oral session): only posters get boards."),
    ]
    assert boards(first) == {"p1": "E-1001", "p2": "E-1002", "p3": "E-1003"}


def test_the_action_points_at_authors_in_overlapping_sessions(client, conference, hall):
    first = poster_session(conference, hall, "Posters 1", start=kst(7, 10))
    second = poster_session(conference, hall, "Posters 2", start=kst(7, 11))
    author = AuthorFactory(conference=conference)
    poster_of(first, author, "a1")
    poster_of(second, author, "b1")
    client.force_login(staff_with("view_session", "change_session"))

    response = act(client, first)

    url = reverse("admin:schedule_session_author_conflicts") + f"?conference={conference.pk}"
    assert notes(response)[-1] == ("warning", f'1 author of ICML 2026 presents posters in two overlapping sessions: '
                                              f'<a href="{url}">see who</a>.')


def test_the_action_is_offered_only_to_staff_who_may_change_sessions(client, conference, hall):
    session = poster_session(conference, hall)
    add_posters(session, "p1")
    client.force_login(staff_with("view_session"))

    page = client.get(reverse("admin:schedule_session_changelist"))
    response = act(client, session)

    assert "assign_poster_boards" not in page.content.decode()
    assert response.status_code == 302  # back to the changelist: "No action selected" (viewers may only export)
    assert boards(session) == {"p1": ""}


def test_the_conflict_list_sends_anonymous_visitors_to_the_login(client):
    response = client.get(reverse("admin:schedule_session_author_conflicts"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_conflict_list_refuses_staff_who_may_not_view_sessions(client, conference):
    client.force_login(staff_with("view_paper"))

    assert client.get(reverse("admin:schedule_session_author_conflicts")).status_code == 403


def test_the_conflict_list_shows_each_flagged_author_to_permitted_staff(client, conference, hall):
    first = poster_session(conference, hall, "Posters 1", start=kst(7, 10))
    second = poster_session(conference, hall, "Posters 2", start=kst(7, 11))
    author = AuthorFactory(conference=conference, name="Hana Lee", openreview_id="~Hana_Lee1")
    poster_of(first, author, "a1")
    poster_of(second, author, "b1")
    client.force_login(staff_with("view_session"))

    changelist = client.get(reverse("admin:schedule_session_changelist")).content.decode()
    response = client.get(reverse("admin:schedule_session_author_conflicts") + f"?conference={conference.pk}")

    assert f'href="{reverse("admin:schedule_session_author_conflicts")}"' in changelist
    assert response.status_code == 200
    assert [c.author.name for c in response.context["conflicts"]] == ["Hana Lee"]
    page = response.content.decode()
    assert "1 author of ICML 2026 is needed at two posters at once." in page
    assert "~Hana_Lee1" in page
    assert "Tue 7 Jul 10:00–12:00, Hall E" in page


def test_the_conflict_list_says_so_when_nobody_is_flagged(client, conference):
    client.force_login(staff_with("view_session"))

    response = client.get(reverse("admin:schedule_session_author_conflicts") + "?conference=999999")

    assert response.status_code == 200
    assert "No author of ICML 2026 presents posters in two overlapping sessions." in response.content.decode()
