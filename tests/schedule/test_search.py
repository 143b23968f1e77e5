"""Programme search: accent- and case-insensitive on every database, typo-tolerant on PostgreSQL,
Hangul, board numbers, filters, pagination, and a fixed number of queries."""

import pytest
from django.core.cache import cache

from schedule import search
from schedule.models import Paper, Session
from schedule.services import publish_release, refresh_search_text
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    PresentationFactory,
    RoomFactory,
    SessionFactory,
    TopicFactory,
    kst,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(conference):
    """Three papers: a German author, a Korean one, a Transformer title; two sessions on two days."""
    room = RoomFactory(conference=conference, name="Hall E")
    monday = SessionFactory(conference=conference, kind=Session.Kind.POSTER, title="Poster session 1", room=room,
                            start=kst(7, 14), end=kst(7, 16))
    tuesday = SessionFactory(conference=conference, kind=Session.Kind.ORAL, title="Oral: Seoul vision", room=room,
                             start=kst(8, 10), end=kst(8, 11))
    topic = TopicFactory(conference=conference, name="Optimization", slug="optimization")
    muller = PaperFactory(conference=conference, title="Convex bounds for sparse models", keywords="convexity")
    AuthorshipFactory(paper=muller, position=0, author=AuthorFactory(conference=conference, name="Jürgen Müller"))
    muller.topics.add(topic)
    korean = PaperFactory(conference=conference, title="서울 데이터셋: A benchmark")
    AuthorshipFactory(paper=korean, position=0, author=AuthorFactory(conference=conference, name="김민지"))
    transformer = PaperFactory(conference=conference, title="Sparse Transformer Attention")
    AuthorshipFactory(paper=transformer, position=0, author=AuthorFactory(conference=conference, name="Ada Lovelace"))
    PresentationFactory(session=monday, paper=muller, board="E-1042")
    PresentationFactory(session=monday, paper=korean, board="E-1043")
    PresentationFactory(session=tuesday, paper=transformer)
    refresh_search_text(Paper.objects.all())
    publish_release(conference)
    return {"muller": muller, "korean": korean, "transformer": transformer, "monday": monday, "tuesday": tuesday}


def results(client, query):
    response = client.get(f"/icml2026/programme/search/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def titles(conference, release, query, **filters):
    return [p.title for p in search.matching_papers(conference, release, query, search.Filters(**filters))]


def test_it_is_accent_insensitive(client, papers):
    html = results(client, "q=Muller")
    assert "Convex bounds for sparse models" in html
    assert ">Jürgen Müller</a>" in html  # the author list too
    assert "Sparse Transformer" not in html


def test_accents_in_the_query_are_ignored_too(client, papers):
    assert "Convex bounds for sparse models" in results(client, "q=M%C3%BCLLER")  # "MüLLER"


def test_it_is_case_insensitive(client, papers):
    assert "Sparse Transformer Attention" in results(client, "q=SPARSE+transformer")


def test_hangul_works(client, papers):
    html = results(client, "q=%EC%84%9C%EC%9A%B8")  # 서울
    assert "서울 데이터셋: A benchmark" in html
    assert "Oral: Seoul vision" not in html
    assert ">김민지</a>" in results(client, "q=%EA%B9%80%EB%AF%BC%EC%A7%80")  # 김민지


def test_the_substring_rule_needs_every_word(conference, papers):
    """The rule SQLite uses alone (and PostgreSQL beside its typo tolerance)."""
    def exact(query):
        condition, _rank = search.text_match("search_text", query, fuzzy=False)
        return sorted(Paper.objects.filter(condition).values_list("title", flat=True))

    assert exact("sparse convex") == ["Convex bounds for sparse models"]
    assert exact("sparse") == ["Convex bounds for sparse models", "Sparse Transformer Attention"]
    assert titles(conference, None, "sparse convex")[0] == "Convex bounds for sparse models"


def test_a_board_number_finds_its_poster(client, papers):
    html = results(client, "q=E-1042")
    assert "Convex bounds for sparse models" in html and "서울 데이터셋" not in html
    assert 'board <strong class="board">E-1042</strong>' in html
    assert "Convex bounds for sparse models" in results(client, "q=e1042")
    assert "서울 데이터셋" in results(client, "board=e-1043")


def test_keywords_and_topics_are_searched(conference, papers):
    assert titles(conference, None, "convexity") == ["Convex bounds for sparse models"]
    assert titles(conference, None, "optimization") == ["Convex bounds for sparse models"]


def test_session_titles_are_searched(client, papers):
    html = results(client, "q=seoul+vision")
    assert f'href="/icml2026/programme/sessions/{papers["tuesday"].code}/">Oral: Seoul vision</a>' in html


def test_filters_by_day_kind_and_topic(client, conference, papers):
    release = conference.releases.get()
    monday = {"day_start": kst(7, 0), "day_end": kst(8, 0)}
    assert sorted(titles(conference, release, "", **monday)) == ["Convex bounds for sparse models", "서울 데이터셋: A benchmark"]
    assert titles(conference, release, "", kind="oral") == ["Sparse Transformer Attention"]
    assert titles(conference, release, "sparse", kind="poster") == ["Convex bounds for sparse models"]
    html = results(client, "topic=optimization")
    assert "Convex bounds for sparse models" in html and "Sparse Transformer" not in html
    html = results(client, "q=sparse&day=2026-07-08")
    assert "Sparse Transformer Attention" in html and "Convex bounds" not in html


def test_bad_input_gets_a_message_and_changes_nothing(client, papers):
    html = results(client, "q=sparse&board=banana&day=someday&kind=party")
    assert "“banana” is not a poster board number; they look like E-1042." in html
    assert "“someday” is not a day of the programme: pick one of the listed days." in html
    assert "There is no session kind “party”: showing every kind." in html
    assert "2 papers" in html
    html = results(client, "q=" + "a" * 201)
    assert "Search for at most 200 characters." in html
    assert "Type a title, an author’s name, a topic or a board number, or pick a filter." in html


def test_nothing_matching_says_what_to_do(client, papers):
    assert "Nothing matches. Try fewer words, another spelling, or remove a filter." in results(client, "q=zzzzqqq")


def test_an_empty_search_shows_only_the_form(client, papers):
    html = results(client, "")
    assert "Type a title, an author’s name, a topic or a board number, or pick a filter." in html
    assert "Convex bounds" not in html


def test_results_are_paginated(client, conference):
    for i in range(30):
        PaperFactory(conference=conference, title=f"Graph paper {i:02d}")
    refresh_search_text(Paper.objects.all())
    first = results(client, "q=graph")
    assert "30 papers" in first and "Page 1 of 2" in first
    assert first.count('class="paper-title"') == 25
    second = results(client, "q=graph&page=2")
    assert second.count('class="paper-title"') == 5 and "Page 2 of 2" in second
    assert results(client, "q=graph&page=99").count('class="paper-title"') == 5
    assert results(client, "q=graph&page=x").count('class="paper-title"') == 25


def test_search_works_before_any_release(client, conference):
    PaperFactory(conference=conference, title="Accepted early")
    refresh_search_text(Paper.objects.all())
    html = results(client, "q=accepted")
    assert "Accepted early" in html
    assert "1 paper" in html


def test_other_editions_papers_are_not_found(client, papers):
    PaperFactory(title="Convex elsewhere")
    refresh_search_text(Paper.objects.all())
    assert "Convex elsewhere" not in results(client, "q=convex")


def test_board_numbers_are_recognised():
    assert search.board_number("e1042") == "E-1042"
    assert search.board_number(" E-1042 ") == "E-1042"
    assert search.board_number("transformer") is None
    assert search.board_number("E-") is None


@pytest.mark.parametrize("papers_count", [3, 40])
def test_search_has_a_fixed_query_count(client, conference, django_assert_num_queries, papers_count):
    session = SessionFactory(conference=conference, kind=Session.Kind.POSTER, start=kst(7, 14), end=kst(7, 16))
    for i in range(papers_count):
        paper = PaperFactory(conference=conference, title=f"Graph paper {i:02d}")
        AuthorshipFactory(paper=paper, position=0, author=AuthorFactory(conference=conference, name=f"Graph Author {i}"))
        AuthorshipFactory(paper=paper, position=1, author=AuthorFactory(conference=conference))
        PresentationFactory(session=session, paper=paper, board=f"E-{1000 + i}")
    refresh_search_text(Paper.objects.all())
    publish_release(conference)
    cache.clear()
    # Edition, release, days, topics, count, page, authorships, presentations, slots, sessions, authors.
    with django_assert_num_queries(11):
        assert client.get("/icml2026/programme/search/?q=graph").status_code == 200


@pytest.mark.postgres
def test_it_is_typo_tolerant_on_postgresql(client, papers):
    html = results(client, "q=trasformer")
    assert "Sparse Transformer Attention" in html
    assert "Convex bounds" not in html


@pytest.mark.postgres
def test_it_ranks_by_similarity_on_postgresql(conference, papers):
    PaperFactory(conference=conference, title="Transformers everywhere: a survey of transformer models")
    refresh_search_text(Paper.objects.all())
    found = titles(conference, None, "sparse transformer attention")
    assert found[0] == "Sparse Transformer Attention"


@pytest.mark.postgres
def test_misspelt_author_names_are_found_on_postgresql(client, papers):
    assert ">Ada Lovelace</a>" in results(client, "q=ada+lovelase")


@pytest.mark.postgres
def test_a_misspelt_plural_is_found_on_postgresql(client, conference, papers):
    PaperFactory(conference=conference, title="Efficient transformers for neural decoding")
    refresh_search_text(Paper.objects.all())
    assert "Efficient transformers for neural decoding" in results(client, "q=trasformer")
