"""Personal pages of the sponsor portal and the sponsor API tell every cache not to keep a copy:
`Cache-Control` carries private and no-store (django's never_cache), refusals included."""

from __future__ import annotations

import pytest

from sponsors import queries
from sponsors.models import APIToken

from .recruitment_fixtures import *  # noqa: F403 (the shared fixtures)
from .recruitment_fixtures import portal_url, profile_url

pytestmark = pytest.mark.django_db
# What never_cache sends (the order of the directives depends on what the view set first).
NO_STORE = {"private", "no-store", "max-age=0", "no-cache", "must-revalidate"}


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize(("name", "method", "status"), [
    ("sponsor_portal", "get", 200),
    ("sponsor_portal_search", "get", 200),
    ("sponsor_portal_profile", "get", 200),
    ("sponsor_portal_cv", "get", 200),
    ("sponsor_portal_export", "get", 200),
    ("sponsor_portal_export", "post", 200),
    ("sponsor_portal_shortlist", "get", 200),
    ("sponsor_interviews", "get", 200),
    ("sponsor_portal_tokens", "get", 200),
])
def test_each_personal_portal_page_is_private_and_not_stored(client, acme, acme_admin, minji, name, method, status):
    client.force_login(acme_admin.user)
    url = profile_url(acme, minji, name) if name in ("sponsor_portal_profile", "sponsor_portal_cv") else portal_url(
        name, acme)
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert directives(response) == NO_STORE


def test_the_login_redirect_and_the_closed_page_are_not_stored_either(client, acme, initrode, initrode_recruiter):
    anonymous = client.get(portal_url("sponsor_portal_search", acme))
    assert (anonymous.status_code, directives(anonymous)) == (302, NO_STORE)
    client.force_login(initrode_recruiter.user)
    closed = client.get(portal_url("sponsor_portal_search", initrode))
    assert (closed.status_code, directives(closed)) == (403, NO_STORE)


@pytest.mark.parametrize("suffix", [None, "", "cv"])
def test_each_api_answer_is_private_and_not_stored(client, acme, acme_admin, minji, suffix):
    key = APIToken.issue(acme_admin, "ATS")[1]
    url = "/api/icml2026/sponsor/profiles/"
    if suffix is not None:
        url += f"{queries.profile_ref(acme, minji)}/{suffix}"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert directives(response) == NO_STORE


def test_api_refusals_are_not_stored(client, acme, acme_admin, minji):
    key = APIToken.issue(acme_admin, "ATS")[1]
    unauthenticated = client.get("/api/icml2026/sponsor/profiles/")
    assert (unauthenticated.status_code, directives(unauthenticated)) == (401, NO_STORE)
    missing = client.get("/api/icml2026/sponsor/profiles/nope.nope/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert (missing.status_code, directives(missing)) == (404, NO_STORE)
