"""Public programme pages: the day grid and list, session, paper, author and speaker pages.

No login; only the latest release shows; private identifiers (OpenReview ids, e-mails) never do;
the number of queries does not grow with the programme.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache

from schedule.models import Paper, Release, Session, Slot
from schedule.services import publish_release, refresh_search_text
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    PresentationFactory,
    RoomFactory,
    SessionFactory,
    SpeakerFactory,
    TopicFactory,
    kst,
)

pytestmark = pytest.mark.django_db


def poster_session(conference, room, count, *, title="Poster session 1", day=7, first_board=1001):
    """A poster session with `count` posters, each with two authors, boards E-1001 …"""
    session = SessionFactory(conference=conference, kind=Session.Kind.POSTER, title=title, room=room,
                             start=kst(day, 14), end=kst(day, 16))
    for i in range(count):
        paper = PaperFactory(conference=conference, title=f"Poster paper {first_board + i}")
        AuthorshipFactory(paper=paper, position=0, author=AuthorFactory(conference=conference, name=f"Poster author {first_board + i}"))
        AuthorshipFactory(paper=paper, position=1, author=AuthorFactory(conference=conference))
        PresentationFactory(session=session, paper=paper, board=f"E-{first_board + i}", position=i)
    return session


class Programme:
    """A small but complete programme: two rooms, a keynote, an oral session, a poster session, a break."""

    def __init__(self, conference, *, posters=3, talks=2, extra_sessions=0):
        self.conference = conference
        self.hall_a = RoomFactory(conference=conference, name="Hall A", position=1)
        self.hall_e = RoomFactory(conference=conference, name="Hall E", position=2, board_prefix="E")
        self.topic = TopicFactory(conference=conference, name="Reinforcement learning", slug="reinforcement-learning")
        self.speaker = SpeakerFactory(conference=conference, name="Yoshua Example", affiliation="Mila",
                                      biography="Works on deep learning.", email="yoshua.private@example.org")
        self.keynote = SessionFactory(conference=conference, kind=Session.Kind.KEYNOTE, title="Opening keynote",
                                      room=self.hall_a, start=kst(7, 9), end=kst(7, 10), description="Welcome.")
        self.keynote.speakers.add(self.speaker)
        self.keynote.topics.add(self.topic)
        self.oral = SessionFactory(conference=conference, kind=Session.Kind.ORAL, title="Oral 1: Learning theory",
                                   room=self.hall_a, start=kst(7, 10, 30), end=kst(7, 12))
        self.author = AuthorFactory(conference=conference, name="Jürgen Müller", openreview_id="~Jurgen_Muller1",
                                    email="jurgen.private@example.org")
        self.korean = AuthorFactory(conference=conference, name="김민지", openreview_id="~Minji_Kim1")
        self.talks = []
        for i in range(talks):
            paper = PaperFactory(conference=conference, title=f"Talk paper {i}", abstract="An abstract.",
                                 openreview_url="https://openreview.net/forum?id=abc", arxiv_url="https://arxiv.org/abs/2601.00001",
                                 decision="oral")
            AuthorshipFactory(paper=paper, author=self.author, position=0, affiliation="ETH Zürich")
            AuthorshipFactory(paper=paper, author=self.korean, position=1, affiliation="KAIST")
            paper.topics.add(self.topic)
            self.talks.append(PresentationFactory(session=self.oral, paper=paper, position=i,
                                                  start=kst(7, 10, 30) + timedelta(minutes=20 * i),
                                                  end=kst(7, 10, 50) + timedelta(minutes=20 * i)))
        self.paper = self.talks[0].paper if self.talks else None
        self.posters = poster_session(conference, self.hall_e, posters)
        self.lunch = SessionFactory(conference=conference, kind=Session.Kind.BREAK, title="Lunch", room=None,
                                    start=kst(7, 12), end=kst(7, 13, 30))
        for i in range(extra_sessions):
            extra = SessionFactory(conference=conference, title=f"Extra session {i}",
                                   room=RoomFactory(conference=conference, name=f"Room {400 + i}", position=10 + i),
                                   start=kst(7, 15), end=kst(7, 16))
            extra.speakers.add(SpeakerFactory(conference=conference))
        refresh_search_text(Paper.objects.filter(conference=conference))
        self.release = publish_release(conference)


@pytest.fixture
def programme(conference):
    return Programme(conference)


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


# --- The programme by day ----------------------------------------------------------------------

def test_it_says_the_programme_is_not_published_before_the_first_release(client, conference):
    SessionFactory(conference=conference, title="Secret draft")
    html = get(client, "/icml2026/programme/")
    assert "The programme has not been published yet." in html
    assert "Secret draft" not in html


def test_it_redirects_to_the_first_day_outside_the_conference(client, programme):
    response = client.get("/icml2026/programme/?view=list")
    assert response.status_code == 302
    assert response["Location"] == "/icml2026/programme/?view=list&day=2026-07-06"


def test_it_redirects_to_today_during_the_conference(client, programme, settings, monkeypatch):
    from django.utils import timezone
    monkeypatch.setattr(timezone, "now", lambda: kst(8, 23, 30))
    response = client.get("/icml2026/programme/")
    assert response["Location"] == "/icml2026/programme/?day=2026-07-08"


def test_the_grid_shows_rooms_in_order_and_sessions_in_kst(client, programme):
    html = get(client, "/icml2026/programme/?day=2026-07-07")
    assert html.index("<th scope=\"col\">Hall A</th>") < html.index("<th scope=\"col\">Hall E</th>") < html.index(
        "<th scope=\"col\">Venue</th>")
    assert '<time datetime="2026-07-07T00:00:00Z" data-schedule-time="time">09:00</time>' in html
    assert f'href="/icml2026/programme/sessions/{programme.keynote.code}/">Opening keynote</a>' in html
    assert "Times are in KST (Asia/Seoul)." in html
    assert "Yoshua Example" in html
    # 09:00, 10:00, 10:30, 12:00, 13:30, 14:00, 16:00 → six rows; the oral session spans 10:30–12:00 (one row).
    assert html.count("<tr>") == 1 + 6
    assert 'class="grid-session kind-poster"' in html


def test_the_grid_gives_overlapping_sessions_in_one_room_their_own_columns(client, programme):
    SessionFactory(conference=programme.conference, title="Overlapping talk", room=programme.hall_a,
                   start=kst(7, 9, 30), end=kst(7, 10, 30))
    publish_release(programme.conference)
    html = get(client, "/icml2026/programme/?day=2026-07-07")
    assert '<th scope="col" colspan="2">Hall A</th>' in html
    assert "Overlapping talk" in html and "Opening keynote" in html


def test_the_list_groups_sessions_by_start_time(client, programme):
    html = get(client, "/icml2026/programme/?day=2026-07-07&view=list")
    assert "<table" not in html
    assert html.index("Opening keynote") < html.index("Oral 1: Learning theory") < html.index("Lunch") < html.index(
        "Poster session 1")
    assert "Oral session · " in html and " · Hall A" in html


def test_it_shows_one_day_at_a_time(client, programme):
    SessionFactory(conference=programme.conference, title="Tuesday tutorial", kind=Session.Kind.TUTORIAL,
                   room=programme.hall_a, start=kst(8, 9), end=kst(8, 12))
    publish_release(programme.conference)
    monday = get(client, "/icml2026/programme/?day=2026-07-07")
    tuesday = get(client, "/icml2026/programme/?day=2026-07-08")
    assert "Tuesday tutorial" not in monday and "Opening keynote" in monday
    assert "Tuesday tutorial" in tuesday and "Opening keynote" not in tuesday


def test_it_filters_by_kind_and_topic(client, programme):
    posters = get(client, "/icml2026/programme/?day=2026-07-07&kind=poster&view=list")
    assert "Poster session 1" in posters and "Opening keynote" not in posters
    topical = get(client, "/icml2026/programme/?day=2026-07-07&topic=reinforcement-learning&view=list")
    assert "Opening keynote" in topical and "Poster session 1" not in topical


def test_bad_filters_get_a_message_and_are_ignored(client, programme):
    html = get(client, "/icml2026/programme/?day=2027-01-01&kind=party&topic=nope&view=list")
    assert "“2027-01-01” is not a day of the programme: pick one of the listed days." in html
    assert "There is no session kind “party”: showing every kind." in html
    assert "There is no topic “nope”: showing every topic." in html
    assert "Opening keynote" not in html  # the first day (6 July) has nothing
    assert "No sessions match on this day." in html


def test_it_shows_only_the_latest_release(client, programme):
    keynote = programme.keynote
    keynote.start, keynote.end = kst(8, 9), kst(8, 10)
    keynote.save()
    assert "Opening keynote" in get(client, "/icml2026/programme/?day=2026-07-07")  # the edit is not released yet
    publish_release(programme.conference)
    assert "Opening keynote" not in get(client, "/icml2026/programme/?day=2026-07-07")
    assert "Opening keynote" in get(client, "/icml2026/programme/?day=2026-07-08")


def test_an_unknown_edition_is_404(client, programme):
    get(client, "/nope2026/programme/?day=2026-07-07", status=404)


def test_the_page_loads_the_schedule_script_with_defer_and_no_inline_script(client, programme):
    html = get(client, "/icml2026/programme/?day=2026-07-07")
    assert '<script src="/static/js/schedule.js" defer></script>' in html
    assert html.count("<script") == 2
    assert " style=" not in html and "<style" not in html


def test_the_programme_only_answers_get(client, programme):
    assert client.post("/icml2026/programme/?day=2026-07-07").status_code == 405


# --- Session pages ------------------------------------------------------------------------------

def test_a_poster_session_lists_its_posters_with_boards_and_authors(client, programme):
    html = get(client, f"/icml2026/programme/sessions/{programme.posters.code}/")
    assert "<h1>Poster session 1</h1>" in html
    assert '<span class="board">E-1001</span>' in html and '<span class="board">E-1003</span>' in html
    assert "Poster author 1002" in html
    assert "3 posters" in html
    assert 'data-filter-list="poster-list"' in html


def test_posters_are_listed_in_board_order_and_unnumbered_posters_last(client, programme):
    from schedule.models import Presentation

    posters = list(Presentation.objects.filter(session=programme.posters).order_by("board"))
    Presentation.objects.filter(pk=posters[0].pk).update(board="E-10", position=2)
    Presentation.objects.filter(pk=posters[1].pk).update(board="", position=0)
    Presentation.objects.filter(pk=posters[2].pk).update(board="E-9", position=1)
    html = get(client, f"/icml2026/programme/sessions/{programme.posters.code}/")
    order = [html.index(posters[2].paper.title), html.index(posters[0].paper.title), html.index(posters[1].paper.title)]
    assert order == sorted(order)


def test_the_poster_filter_works_without_script(client, programme):
    html = get(client, f"/icml2026/programme/sessions/{programme.posters.code}/?q=e-1002")
    assert "E-1002" in html and "E-1001" not in html and "E-1003" not in html
    assert "1 of 3 posters" in html
    by_author = get(client, f"/icml2026/programme/sessions/{programme.posters.code}/?q=poster+author+1003")
    assert "E-1003" in by_author and "E-1001" not in by_author


def test_a_very_long_poster_query_gets_a_message(client, programme):
    html = get(client, f"/icml2026/programme/sessions/{programme.posters.code}/?q={'x' * 201}")
    assert "Search for at most 200 characters." in html
    assert "3 posters" in html


def test_an_oral_session_lists_its_talks_in_time_order(client, programme):
    html = get(client, f"/icml2026/programme/sessions/{programme.oral.code}/")
    assert html.index("Talk paper 0") < html.index("Talk paper 1")
    assert '<time datetime="2026-07-07T01:50:00Z" data-schedule-time="time">10:50</time>' in html
    assert "Jürgen Müller, 김민지" in html


def test_a_session_page_shows_time_room_speakers_and_topics(client, programme):
    html = get(client, f"/icml2026/programme/sessions/{programme.keynote.code}/")
    assert '<time datetime="2026-07-07T00:00:00Z" data-schedule-time="datetime">Tuesday 7 July, 09:00</time>' in html
    assert '<time datetime="2026-07-07T01:00:00Z" data-schedule-time="time">10:00 KST</time>' in html
    assert "Hall A · COEX" in html
    assert f'<a href="/icml2026/programme/speakers/{programme.speaker.code}/">Yoshua Example</a>' in html
    assert "Reinforcement learning" in html and "<p>Welcome.</p>" in html


def test_a_session_outside_the_latest_release_is_404(client, programme):
    draft = SessionFactory(conference=programme.conference, title="Draft")
    get(client, f"/icml2026/programme/sessions/{draft.code}/", status=404)
    get(client, "/icml2026/programme/sessions/NOPE/", status=404)


def test_a_session_of_another_edition_is_404(client, programme):
    other = SessionFactory(title="Elsewhere")
    publish_release(other.conference)
    get(client, f"/icml2026/programme/sessions/{other.code}/", status=404)


def test_session_pages_are_404_before_any_release(client, conference):
    session = SessionFactory(conference=conference)
    get(client, f"/icml2026/programme/sessions/{session.code}/", status=404)


def test_anonymous_session_and_paper_pages_carry_nothing_personal(client, programme):
    for url in (f"/icml2026/programme/sessions/{programme.keynote.code}/", f"/icml2026/programme/papers/{programme.paper.pk}/"):
        response = client.get(url)
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert response.cookies == {}


# --- Paper, author and speaker pages ------------------------------------------------------------

def test_a_paper_page_shows_everything_public(client, programme):
    html = get(client, f"/icml2026/programme/papers/{programme.paper.pk}/")
    assert "<h1>Talk paper 0</h1>" in html
    assert html.index("Jürgen Müller") < html.index("김민지")
    assert f'<a href="/icml2026/programme/authors/{programme.author.code}/">Jürgen Müller</a>' in html
    assert "ETH Zürich" in html and "KAIST" in html
    assert "An abstract." in html and "Reinforcement learning" in html
    assert 'href="https://openreview.net/forum?id=abc"' in html and 'href="https://arxiv.org/abs/2601.00001"' in html
    assert "Oral" in html
    assert f'href="/icml2026/programme/sessions/{programme.oral.code}/">Oral 1: Learning theory</a>' in html


def test_a_paper_page_names_the_poster_board(client, programme):
    presentation = programme.posters.presentations.get(board="E-1002")
    html = get(client, f"/icml2026/programme/papers/{presentation.paper_id}/")
    assert 'board <strong class="board">E-1002</strong>' in html
    assert "Hall E" in html


def test_a_paper_not_yet_scheduled_says_so(client, programme):
    paper = PaperFactory(conference=programme.conference, title="Unscheduled")
    assert "Not yet scheduled in the published programme." in get(client, f"/icml2026/programme/papers/{paper.pk}/")


def test_unknown_papers_and_other_editions_papers_are_404(client, programme):
    get(client, "/icml2026/programme/papers/999999/", status=404)
    get(client, f"/icml2026/programme/papers/{PaperFactory().pk}/", status=404)


def test_an_author_page_lists_their_papers(client, programme):
    html = get(client, f"/icml2026/programme/authors/{programme.author.code}/")
    assert "<h1>Jürgen Müller</h1>" in html
    assert "ETH Zürich" in html
    assert "2 papers at ICML 2026" in html
    assert "Talk paper 0" in html and "Talk paper 1" in html


def test_an_unknown_author_is_404(client, programme):
    get(client, "/icml2026/programme/authors/NOPE/", status=404)
    get(client, f"/icml2026/programme/authors/{AuthorFactory().code}/", status=404)


def test_a_speaker_page_shows_bio_and_sessions(client, programme):
    html = get(client, f"/icml2026/programme/speakers/{programme.speaker.code}/")
    assert "<h1>Yoshua Example</h1>" in html and "Mila" in html and "Works on deep learning." in html
    assert "Opening keynote" in html


def test_an_unknown_speaker_is_404(client, programme):
    get(client, "/icml2026/programme/speakers/NOPE/", status=404)


def test_private_identifiers_are_never_shown(client, programme):
    pages = [
        "/icml2026/programme/?day=2026-07-07", "/icml2026/programme/?day=2026-07-07&view=list",
        f"/icml2026/programme/sessions/{programme.oral.code}/", f"/icml2026/programme/sessions/{programme.keynote.code}/",
        f"/icml2026/programme/papers/{programme.paper.pk}/", f"/icml2026/programme/authors/{programme.author.code}/",
        f"/icml2026/programme/authors/{programme.korean.code}/", f"/icml2026/programme/speakers/{programme.speaker.code}/",
        "/icml2026/programme/search/?q=muller", "/icml2026/programme/search/?q=yoshua",
    ]
    for url in pages:
        html = get(client, url)
        for secret in ("~Jurgen_Muller1", "~Minji_Kim1", "jurgen.private@example.org", "yoshua.private@example.org",
                       "Jurgen_Muller", "openreview_id"):
            assert secret not in html, (url, secret)


# --- Query counts at two data sizes -------------------------------------------------------------

def count_queries(django_assert_num_queries, client, url, expected):
    cache.clear()
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("size", [(3, 2, 0), (30, 12, 8)])
def test_query_counts_do_not_grow_with_the_programme(client, conference, django_assert_num_queries, size):
    posters, talks, extra = size
    p = Programme(conference, posters=posters, talks=talks, extra_sessions=extra)
    # Every page: the edition and the latest release, then its own fixed reads.
    expected = {
        # days (min/max), topics for the filter, the day's slots, their speakers
        "/icml2026/programme/?day=2026-07-07": 6,
        "/icml2026/programme/?day=2026-07-07&view=list": 6,
        # the slot, presentations + papers, their authorships, speakers, topics
        f"/icml2026/programme/sessions/{p.posters.code}/": 7,
        f"/icml2026/programme/sessions/{p.oral.code}/": 7,
        # the paper, authorships, topics, presentations, their slots
        f"/icml2026/programme/papers/{p.paper.pk}/": 7,
        # the author, papers, authorships, presentations, their slots
        f"/icml2026/programme/authors/{p.author.code}/": 7,
        # the speaker, the slots
        f"/icml2026/programme/speakers/{p.speaker.code}/": 4,
        # days, topics, count, page of papers, authorships, presentations, slots, sessions, authors
        "/icml2026/programme/search/?q=paper": 11,
        # the same without authors (they have no day or kind)
        "/icml2026/programme/search/?q=poster&day=2026-07-07&kind=poster": 10,
    }
    for url, count in expected.items():
        count_queries(django_assert_num_queries, client, url, count)


def test_the_programme_has_a_fixed_query_count_for_logged_in_visitors_too(client, conference, user,
                                                                         django_assert_num_queries):
    Programme(conference, posters=5)
    client.force_login(user)
    for url in ("/icml2026/programme/?day=2026-07-07", "/icml2026/programme/?day=2026-07-07"):
        # Logged in: never cached, so each request renders: the page's six, the session and its user, and
        # the navigation's sponsor-membership check (sponsors.context_processors).
        with django_assert_num_queries(9):
            assert client.get(url).status_code == 200


def test_release_numbers_are_the_ones_published(programme):
    assert list(Release.objects.values_list("number", flat=True)) == [1]
    assert Slot.objects.filter(release=programme.release).count() == 4


def test_a_600_poster_session_stays_under_200_kib_with_its_assets(client, conference):
    from django.contrib.staticfiles import finders

    from schedule.models import Author, Authorship, Presentation
    hall = RoomFactory(conference=conference, name="Hall E")
    session = SessionFactory(conference=conference, kind=Session.Kind.POSTER, title="Poster session 1", room=hall,
                             start=kst(7, 14), end=kst(7, 16))
    papers = Paper.objects.bulk_create([Paper(conference=conference, external_id=f"p{i}",
                                              title=f"A fairly long generated poster title about learning number {i}")
                                        for i in range(600)])
    authors = Author.objects.bulk_create([Author(conference=conference, name=f"Author Name {i}", code=f"C{i:06d}",
                                                 openreview_id=f"~Bulk_{i}1") for i in range(70)])
    # Six authors on most posters, seventy on one: the line stops at ten names.
    Authorship.objects.bulk_create([Authorship(paper=p, author=a, position=j)
                                    for i, p in enumerate(papers) for j, a in enumerate(authors[: 70 if i == 0 else 6])])
    Presentation.objects.bulk_create([Presentation(session=session, paper=p, position=i, board=f"E-{1001 + i}")
                                      for i, p in enumerate(papers)])
    publish_release(conference)
    response = client.get(f"/icml2026/programme/sessions/{session.code}/")
    html = response.content.decode()
    assert html.count('<span class="board">') == 600
    assert "Author Name 0, Author Name 1, Author Name 2, Author Name 3, Author Name 4, Author Name 5, Author Name 6, " \
           "Author Name 7, Author Name 8, Author Name 9 and 60 more" in html
    assets = ["css/site.css", "js/site.js", "js/schedule.js", "favicon.svg"]
    total = len(response.content) + sum(len(open(finders.find(a), "rb").read()) for a in assets)
    assert total < 200 * 1024, total
