"""Public programme pages are shared-cached by release for anonymous visitors only (schedule.caching)."""

import pytest
from django.utils.http import http_date

from schedule.services import publish_release
from tests.schedule.test_public import Programme

pytestmark = pytest.mark.django_db

DAY = "/icml2026/programme/?day=2026-07-07"


@pytest.fixture
def programme(conference):
    return Programme(conference)


def pages(p):
    return [DAY, DAY + "&view=list", f"/icml2026/programme/sessions/{p.posters.code}/",
            f"/icml2026/programme/papers/{p.paper.pk}/", f"/icml2026/programme/authors/{p.author.code}/",
            f"/icml2026/programme/speakers/{p.speaker.code}/", "/icml2026/programme/search/?q=paper"]


def test_a_second_anonymous_request_is_served_from_the_cache(client, programme, django_assert_num_queries):
    for url in pages(programme):
        first = client.get(url)
        # Only the edition and the latest release are read; nothing is rendered again.
        with django_assert_num_queries(2):
            second = client.get(url)
        assert second.status_code == 200
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]


def test_anonymous_responses_are_public_with_validators(client, programme):
    response = client.get(DAY)
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    assert response["Last-Modified"] == http_date(programme.release.published_at.timestamp())
    assert response["Vary"] == "Cookie, Accept-Language, Accept-Encoding"


def test_a_matching_etag_gets_304_without_rendering(client, programme, django_assert_num_queries):
    etag = client.get(DAY)["ETag"]
    with django_assert_num_queries(2):
        response = client.get(DAY, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(DAY, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_if_modified_since_gets_304(client, programme):
    last_modified = client.get(DAY)["Last-Modified"]
    assert client.get(DAY, headers={"If-Modified-Since": last_modified}).status_code == 304


def test_each_page_has_its_own_etag(client, programme):
    tags = {client.get(url)["ETag"] for url in pages(programme)}
    assert len(tags) == len(pages(programme))


def test_a_new_release_invalidates_the_cache(client, programme):
    first = client.get(DAY)
    keynote = programme.keynote
    keynote.title = "Opening keynote (moved)"
    keynote.start, keynote.end = programme.keynote.start.replace(hour=6), programme.keynote.end.replace(hour=7)
    keynote.save()
    publish_release(programme.conference)
    second = client.get(DAY)
    assert second["ETag"] != first["ETag"]
    assert "Release 2" in second.content.decode()
    assert client.get(DAY, headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_an_edit_invalidates_the_cache(client, programme):
    url = f"/icml2026/programme/papers/{programme.paper.pk}/"
    first = client.get(url)
    paper = programme.paper
    paper.title = "A corrected title"
    paper.save()
    second = client.get(url)
    assert second["ETag"] != first["ETag"]
    assert "<h1>A corrected title</h1>" in second.content.decode()


def test_a_logged_in_visitor_never_gets_the_shared_response(client, programme, user):
    anonymous = client.get(DAY)
    assert "Log in" in anonymous.content.decode()
    client.force_login(user)
    personal = client.get(DAY)
    assert personal.status_code == 200
    assert personal["Cache-Control"] == "private"
    assert not personal.has_header("ETag")
    assert "Log out" in personal.content.decode()
    # An If-None-Match with the shared tag is no shortcut for a logged-in visitor either.
    assert client.get(DAY, headers={"If-None-Match": anonymous["ETag"]}).status_code == 200
    client.logout()
    assert "Log out" not in client.get(DAY).content.decode()


def test_a_logged_in_response_is_never_stored_for_others(client, programme, user):
    client.force_login(user)
    assert "Log out" in client.get(DAY).content.decode()
    client.logout()
    client.cookies.clear()
    after = client.get(DAY)
    assert after["Cache-Control"] == "public, max-age=60"
    assert "Log out" not in after.content.decode()


def test_a_visitor_with_a_session_cookie_gets_a_private_response(client, programme):
    client.cookies["sessionid"] = "not-a-real-session"
    response = client.get(DAY)
    assert response["Cache-Control"] == "private"
    assert not response.has_header("ETag")


def test_the_day_redirect_and_404s_are_not_cached(client, programme):
    redirect = client.get("/icml2026/programme/")
    assert redirect.status_code == 302 and not redirect.has_header("ETag")
    missing = client.get("/icml2026/programme/sessions/NOPE/")
    assert missing.status_code == 404 and not missing.has_header("ETag")


def test_the_unpublished_page_is_replaced_by_the_first_release(client, conference):
    programme_page = "/icml2026/programme/"
    assert "The programme has not been published yet." in client.get(programme_page).content.decode()
    Programme(conference)
    assert client.get(programme_page).status_code == 302


def test_a_client_that_accepts_gzip_gets_the_body_compressed_once_with_its_own_etag(client, programme,
                                                                                  django_assert_num_queries):
    import gzip

    plain = client.get(DAY)
    with django_assert_num_queries(2):
        packed = client.get(DAY, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content)
    assert packed["ETag"] == plain["ETag"][:-1] + '-gz"'
    assert packed["Vary"] == "Cookie, Accept-Language, Accept-Encoding"
    assert "Content-Encoding" not in client.get(DAY)


def test_either_representations_etag_gets_304(client, programme):
    packed = client.get(DAY, HTTP_ACCEPT_ENCODING="gzip")
    assert client.get(DAY, HTTP_IF_NONE_MATCH=packed["ETag"], HTTP_ACCEPT_ENCODING="gzip").status_code == 304
    assert client.get(DAY, HTTP_IF_NONE_MATCH=f'W/{packed["ETag"]}', HTTP_ACCEPT_ENCODING="gzip").status_code == 304


def test_a_logged_in_visitor_gets_an_uncompressed_private_page(client, programme, user):
    client.force_login(user)
    response = client.get(DAY, HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in response
    assert "private" in response["Cache-Control"]
