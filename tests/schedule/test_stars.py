"""Stars: POST only, login, CSRF, bad ids with a sentence, a safe `next`, JSON on request, private state."""

from __future__ import annotations

import json

import pytest
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory

from schedule import services
from schedule.models import Star
from tests.factories import VerifiedUserFactory
from tests.factories.schedule import PaperFactory, kst
from tests.schedule.release_helpers import room, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def oral(conference):
    return session(conference, "Oral 1", room=room(conference, "Hall C"))


@pytest.fixture
def paper(conference):
    return PaperFactory(conference=conference, title="Sparse attention at scale")


@pytest.fixture
def member(client, user):
    client.force_login(user)
    return client


def stars_of(user):
    return sorted((s.session.code if s.session else None, s.paper_id) for s in Star.objects.filter(user=user))


def test_it_stars_a_session_and_returns_to_a_safe_next(member, user, conference, oral):
    response = member.post("/icml2026/programme/star/", {"session": oral.code, "next": "/icml2026/programme/?day=2026-07-07"})
    assert response.status_code == 302
    assert response["Location"] == "/icml2026/programme/?day=2026-07-07"
    assert stars_of(user) == [(oral.code, None)]


def test_it_stars_a_paper_by_id(member, user, conference, paper):
    member.post("/icml2026/programme/star/", {"paper": str(paper.pk), "action": "star"})
    assert stars_of(user) == [(None, paper.pk)]


def test_starring_twice_keeps_one_star_and_unstar_removes_it(member, user, conference, oral):
    for _ in range(2):
        member.post("/icml2026/programme/star/", {"session": oral.code, "action": "star"})
    assert Star.objects.filter(user=user).count() == 1
    member.post("/icml2026/programme/star/", {"session": oral.code, "action": "unstar"})
    assert Star.objects.filter(user=user).count() == 0


def test_without_an_action_it_toggles(member, user, conference, oral):
    member.post("/icml2026/programme/star/", {"session": oral.code})
    member.post("/icml2026/programme/star/", {"session": oral.code})
    assert Star.objects.filter(user=user).count() == 0


def test_it_never_redirects_to_another_site(member, conference, oral):
    response = member.post("/icml2026/programme/star/", {"session": oral.code, "next": "https://evil.example/"})
    assert response["Location"] == f"/icml2026/programme/sessions/{oral.code}/"


def test_it_answers_json_when_asked(member, user, conference, paper):
    response = member.post("/icml2026/programme/star/", {"paper": paper.pk}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert json.loads(response.content) == {"paper": paper.pk, "starred": True,
                                            "message": "“Sparse attention at scale” is in your schedule."}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("data, message", [
    ({"session": "NOPE1234"}, "There is no session “NOPE1234” in this programme."),
    ({"paper": "abc"}, "There is no paper “abc” in this programme."),
    ({"paper": "999999"}, "There is no paper “999999” in this programme."),
    ({}, "Say which session or which paper to star."),
    ({"session": "X", "paper": "1"}, "Say which session or which paper to star."),
    ({"paper": "1", "action": "delete"}, "Choose whether to star or unstar."),
])
def test_bad_ids_get_a_sentence_and_change_nothing(member, user, conference, data, message):
    response = member.post("/icml2026/programme/star/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": message}
    page = member.post("/icml2026/programme/star/", data, follow=True)
    assert message in page.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert Star.objects.count() == 0


def test_a_paper_of_another_edition_cannot_be_starred_here(member, conference):
    from tests.factories import ConferenceFactory

    other = PaperFactory(conference=ConferenceFactory(slug="neurips2026"))
    response = member.post("/icml2026/programme/star/", {"paper": other.pk}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert Star.objects.count() == 0


def test_get_is_refused_with_a_sentence(member, conference):
    response = member.get("/icml2026/programme/star/?session=X")
    assert response.status_code == 405
    assert response.content.decode() == "Stars are set with the Star button on a session or paper page."


def test_anonymous_people_are_sent_to_log_in(client, conference, oral):
    response = client.post("/icml2026/programme/star/", {"session": oral.code})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/icml2026/programme/star/"
    assert Star.objects.count() == 0


def test_it_needs_a_csrf_token(user, conference, oral):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post("/icml2026/programme/star/", {"session": oral.code}).status_code == 403
    assert Star.objects.count() == 0


def test_my_stars_lists_codes_and_ids_privately(member, user, conference, oral, paper):
    services.star(user, oral)
    services.star(user, paper)
    services.star(VerifiedUserFactory(), session(conference, "Someone else's", hour=16))
    response = member.get("/icml2026/programme/my/stars.json")
    assert json.loads(response.content) == {"sessions": [oral.code], "papers": [paper.pk]}
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_my_stars_needs_a_login(client, conference):
    response = client.get("/icml2026/programme/my/stars.json")
    assert response["Location"] == "/accounts/login/?next=/icml2026/programme/my/stars.json"


def test_stars_survive_later_releases(user, conference, oral):
    services.publish_release(conference)
    services.star(user, oral)
    oral.start, oral.end = kst(9, 9), kst(9, 10)
    oral.save()
    services.publish_release(conference)
    assert stars_of(user) == [(oral.code, None)]


# --- The button --------------------------------------------------------------------------------

def render_button(request, conference, target):
    template = Template('{% include "schedule/_star.html" with target=target %}')
    return template.render(RequestContext(request, {"conference": conference, "target": target}))


def test_the_button_shows_a_logged_in_persons_own_state(user, conference, oral, paper):
    services.star(user, oral)
    request = RequestFactory().get("/icml2026/programme/sessions/x/")
    request.user = user
    starred = render_button(request, conference, oral)
    assert "★ Starred" in starred and 'name="action" value="unstar"' in starred
    assert 'name="csrfmiddlewaretoken"' in starred
    plain = render_button(request, conference, paper)
    assert "☆ Star" in plain and 'name="action" value="star"' in plain


def test_anonymous_visitors_get_a_login_link_with_nothing_personal(conference, oral):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/icml2026/programme/sessions/x/")
    request.user = AnonymousUser()
    html = render_button(request, conference, oral)
    assert html.strip() == ('<a class="star star-login small" '
                            'href="/accounts/login/?next=/icml2026/programme/sessions/x/">☆ Log in to star</a>')


def test_the_button_reads_the_stars_once_per_page(user, conference, django_assert_num_queries):
    sessions = [session(conference, f"S{n}", hour=8 + n) for n in range(5)]
    request = RequestFactory().get("/")
    request.user = user
    template = Template('{% for s in sessions %}{% include "schedule/_star.html" with target=s %}{% endfor %}')
    with django_assert_num_queries(1):  # a plain Context: no context processors, only the buttons' reads
        html = template.render(Context({"request": request, "conference": conference, "sessions": sessions}))
    assert html.count("☆ Star") == 5


def test_the_session_page_shows_my_star_and_anonymous_visitors_a_login_link(client, user, conference, oral):
    services.publish_release(conference)
    page = f"/icml2026/programme/sessions/{oral.code}/"
    anonymous = client.get(page)
    assert "☆ Log in to star" in anonymous.content.decode()
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()
    assert "public" in anonymous["Cache-Control"]
    client.force_login(user)
    response = client.post("/icml2026/programme/star/", {"session": oral.code, "next": page}, follow=True)
    html = response.content.decode()
    assert "★ Starred" in html and "“Oral 1” is in your schedule." in html
    assert "private" in response["Cache-Control"]
