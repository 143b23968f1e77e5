"""Sponsor API: Bearer-token authentication, the search and profile reads under the portal's rules,
logging with channel "api", and the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from sponsors import queries, services
from sponsors.models import AccessLogEntry, APIToken, SponsorDecision
from tests.factories import ConferenceFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

from .recruitment_fixtures import *  # noqa: F403 (the shared fixtures)
from .recruitment_fixtures import PDF, mfa_member, paper_by, share

pytestmark = pytest.mark.django_db
# What never_cache sends on every portal page and API answer (and the CV view sets first).
NO_STORE = "private, no-store, max-age=0, no-cache, must-revalidate"
LIST = "/api/icml2026/sponsor/profiles/"


@pytest.fixture
def key(acme_admin):
    return APIToken.issue(acme_admin, "ATS")[1]


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def detail(sponsor, profile, suffix="") -> str:
    return f"/api/{sponsor.conference.slug}/sponsor/profiles/{queries.profile_ref(sponsor, profile)}/{suffix}"


def token_for(sponsor) -> str:
    return APIToken.issue(mfa_member(sponsor, role="admin"), "t")[1]


# --- authentication --------------------------------------------------------------------------

def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(client, minji):
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="sponsor-api"'


@pytest.mark.parametrize("header", ["Bearer cs_unknown", "Bearer", "Bearer a b", "Token abc", "Basic eDp5"])
def test_an_unknown_or_malformed_credential_is_401(client, minji, header):
    assert client.get(LIST, HTTP_AUTHORIZATION=header).status_code == 401


def test_a_revoked_token_is_401_from_the_next_request(client, key, minji):
    assert client.get(LIST, **bearer(key)).status_code == 200
    APIToken.objects.update(revoked_at=timezone.now())
    response = client.get(LIST, **bearer(key))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_token_stops_working_when_its_member_turns_two_factor_off(client, key, minji):
    from allauth.mfa.models import Authenticator

    assert client.get(LIST, **bearer(key)).status_code == 200
    Authenticator.objects.filter(user=APIToken.objects.get().member.user).delete()
    assert client.get(LIST, **bearer(key)).status_code == 401


def test_the_portal_session_is_not_an_api_credential(client, acme_admin, minji):
    client.force_login(acme_admin.user)
    assert client.get(LIST).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(client, key, minji, django_assert_num_queries):
    client.get(LIST, **bearer(key))
    first = APIToken.objects.get().last_used_at
    assert first is not None
    client.get(LIST, **bearer(key))
    assert APIToken.objects.get().last_used_at == first
    APIToken.objects.update(last_used_at=first - timedelta(seconds=61))
    client.get(LIST, **bearer(key))
    assert APIToken.objects.get().last_used_at > first


# --- list ------------------------------------------------------------------------------------

def test_the_list_returns_the_shared_profiles_paginated(client, key, acme, minji):
    response = client.get(LIST, **bearer(key))
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    ref = queries.profile_ref(acme, minji)
    assert body["results"] == [{
        "id": ref, "url": f"http://testserver/api/icml2026/sponsor/profiles/{ref}/",
        "headline": "PhD student in probabilistic ML", "current_position": "phd",
        "research_areas": ["Reinforcement learning"], "graduation_year": 2027, "looking_for": ["internship"],
        "locations": "Seoul, München", "papers_count": 1}]


def test_the_list_applies_the_portals_filters(client, conference, key, minji):
    share(conference, first="Kofi", last="Osei", headline="Postdoc in NLP", wants_internship=False,
          wants_full_time=True)
    minji_, kofi = "PhD student in probabilistic ML", "Postdoc in NLP"

    def found(**params):
        return [p["headline"] for p in client.get(LIST, params, **bearer(key)).json()["results"]]

    assert found(q="muenchen") == []
    assert found(location="munchen") == [minji_]
    assert found(q="NLP") == [kofi]
    assert found(job_type="full-time") == [kofi]
    assert found(area="rl", graduation_year=2027, position="phd") == [minji_]
    assert found(q="diffusion") == [minji_]


def test_invalid_filters_are_a_400_naming_them(client, key, minji):
    response = client.get(LIST, {"graduation_year": "soon", "job_type": "pirate"}, **bearer(key))
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["graduation_year", "job_type"]


def test_the_list_reads_no_profile_into_the_log_and_names_nobody(client, acme, key, conference):
    profile = share(conference, first="Min-ji", last="Kim", email="minji@kaist.example", share_email=True)
    response = client.get(LIST, **bearer(key))
    text = response.content.decode()
    assert response.json()["count"] == 1
    assert ("Min-ji" in text, "minji@kaist" in text) == (False, False)
    assert "name" not in response.json()["results"][0]
    assert AccessLogEntry.objects.count() == 0
    detail_body = client.get(detail(acme, profile), **bearer(key)).json()
    assert (detail_body["name"], detail_body["email"]) == ("Min-ji Kim", "minji@kaist.example")
    assert list(AccessLogEntry.objects.values_list("action", "channel")) == [("view", "api")]


def test_outside_the_window_or_without_access_the_list_is_403(client, acme, key, initrode, minji):
    acme.tier.access_from = timezone.now() - timedelta(days=10)
    acme.tier.access_until = timezone.now() - timedelta(seconds=1)
    acme.tier.save()
    assert client.get(LIST, **bearer(key)).status_code == 403
    assert client.get(LIST, **bearer(token_for(initrode))).status_code == 403


def test_an_excluded_sponsor_and_an_unapproved_latecomer_do_not_list_the_profile(client, conference, acme, globex):
    profile = share(conference, first="Ana", last="Silva", excluded=[globex])
    latecomer = SponsorFactory(conference=conference, tier=acme.tier, name="Latecomer", slug="latecomer")
    late_key = token_for(latecomer)
    assert client.get(LIST, **bearer(token_for(globex))).json()["count"] == 0
    assert client.get(LIST, **bearer(late_key)).json()["count"] == 0
    services.decide(profile, latecomer, SponsorDecision.Decision.ACCEPTED)
    assert client.get(LIST, **bearer(late_key)).json()["count"] == 1


def test_an_opt_out_removes_the_profile_from_the_next_request(client, key, minji):
    assert client.get(LIST, **bearer(key)).json()["count"] == 1
    services.opt_out(minji)
    assert client.get(LIST, **bearer(key)).json()["count"] == 0


def test_another_editions_url_is_404_for_this_token(client, key, minji):
    ConferenceFactory(slug="icml2027")
    assert client.get("/api/icml2027/sponsor/profiles/", **bearer(key)).status_code == 404
    assert client.get("/api/no-such-edition/sponsor/profiles/", **bearer(key)).status_code == 404


def test_the_list_costs_the_same_queries_for_3_and_20_profiles(client, conference, key, topics,
                                                               django_assert_num_queries):
    def add(start, count):
        for n in range(start, start + count):
            profile = share(conference, first=f"P{n}", cv=False, areas=list(topics.values()))
            paper_by(profile, f"Graphs {n}")
            services.refresh_search_text(profile)

    def just_used():
        # The token's last use is written at most once a minute: a slow run (the whole directory on a
        # busy machine) crossed that minute between the two measurements and counted one UPDATE more.
        APIToken.objects.update(last_used_at=timezone.now())

    add(0, 3)
    client.get(LIST, {"q": "graphs"}, **bearer(key))
    just_used()
    with django_assert_num_queries(8) as small:
        assert client.get(LIST, {"q": "graphs"}, **bearer(key)).json()["count"] == 3
    add(3, 17)
    just_used()
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(LIST, {"q": "graphs"}, **bearer(key)).json()
    assert body["count"] == 20
    assert [p["papers_count"] for p in body["results"]] == [1] * 20


# --- detail and CV ---------------------------------------------------------------------------

def test_the_detail_shows_what_the_tier_and_attendee_allow_and_is_logged(client, key, acme, minji):
    response = client.get(detail(acme, minji), **bearer(key))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "minji@kaist.example"
    assert body["links"] == {"scholar": "https://scholar.example/mk", "openreview": "",
                             "github": "https://github.com/minji", "homepage": ""}
    assert body["cv_url"] == "http://testserver" + detail(acme, minji) + "cv"
    assert body["graduation_date"] == "2027-02-28"
    assert body["papers"] == [{"title": "Offline reinforcement learning with diffusion", "authors": ["Min-ji Kim"]}]
    assert list(AccessLogEntry.objects.values_list("sponsor__name", "action", "channel", "user")) == [
        ("Acme", "view", "api", APIToken.objects.get().member.user_id)]


def test_the_detail_hides_what_the_attendee_keeps(client, conference, key, acme):
    profile = share(conference, email="p@uni.example", share_email=False, share_links=False, share_cv=False)
    body = client.get(detail(acme, profile), **bearer(key)).json()
    assert (body["email"], body["links"], body["cv_url"]) == (None, None, None)


def test_a_profiles_only_tier_gets_no_cv(client, globex, minji):
    globex_key = token_for(globex)
    assert client.get(detail(globex, minji), **bearer(globex_key)).json()["cv_url"] is None
    assert client.get(detail(globex, minji, "cv"), **bearer(globex_key)).status_code == 404
    assert AccessLogEntry.objects.filter(action="cv").count() == 0


def test_the_cv_is_streamed_and_logged(client, key, acme, minji):
    response = client.get(detail(acme, minji, "cv"), **bearer(key))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="cv-min-ji-kim.pdf"'
    assert response["Cache-Control"] == NO_STORE
    assert list(AccessLogEntry.objects.values_list("action", "channel")) == [("cv", "api")]


def test_a_request_after_an_opt_out_is_refused_on_detail_and_cv(client, key, acme, minji):
    services.opt_out(minji)
    assert client.get(detail(acme, minji), **bearer(key)).status_code == 404
    assert client.get(detail(acme, minji, "cv"), **bearer(key)).status_code == 404
    assert AccessLogEntry.objects.count() == 0


def test_another_sponsors_token_cannot_read_this_sponsors_references(client, acme, globex, minji):
    globex_key = token_for(globex)
    assert client.get(detail(acme, minji), **bearer(globex_key)).status_code == 404
    assert client.get(detail(acme, minji, "cv"), **bearer(globex_key)).status_code == 404


def test_an_excluded_sponsor_gets_404_on_detail(client, conference, globex):
    profile = share(conference, excluded=[globex])
    assert client.get(detail(globex, profile), **bearer(token_for(globex))).status_code == 404


def test_without_access_or_outside_the_window_detail_is_404(client, acme, key, initrode, minji):
    assert client.get(detail(initrode, minji), **bearer(token_for(initrode))).status_code == 404
    acme.tier.access_from = timezone.now() + timedelta(days=1)
    acme.tier.access_until = timezone.now() + timedelta(days=2)
    acme.tier.save()
    assert client.get(detail(acme, minji), **bearer(key)).status_code == 404
    assert client.get(detail(acme, minji, "cv"), **bearer(key)).status_code == 404


def test_a_token_cannot_reach_another_editions_profile(client, minji):
    other = ConferenceFactory(slug="icml2027")
    sponsor = SponsorFactory(conference=other, tier=TierFactory(conference=other), slug="acme")
    other_key = token_for(sponsor)
    ref = queries.profile_ref(sponsor, minji)
    assert client.get(f"/api/icml2027/sponsor/profiles/{ref}/", **bearer(other_key)).status_code == 404
    assert client.get(f"/api/icml2026/sponsor/profiles/{ref}/", **bearer(other_key)).status_code == 404


def test_a_revoked_token_cannot_read_a_profile(client, key, acme, minji):
    APIToken.objects.update(revoked_at=timezone.now())
    assert client.get(detail(acme, minji), **bearer(key)).status_code == 401
    assert client.get(detail(acme, minji, "cv"), **bearer(key)).status_code == 401
    assert AccessLogEntry.objects.count() == 0


# --- schema ----------------------------------------------------------------------------------

def test_the_schema_documents_the_endpoints_and_the_bearer_scheme(client):
    spec = yaml.safe_load(client.get(reverse("schema")).content)
    assert spec["components"]["securitySchemes"]["sponsorToken"]["scheme"] == "bearer"
    for path in ("/api/{edition}/sponsor/profiles/", "/api/{edition}/sponsor/profiles/{ref}/",
                 "/api/{edition}/sponsor/profiles/{ref}/cv"):
        assert spec["paths"][path]["get"]["security"] == [{"sponsorToken": []}]
