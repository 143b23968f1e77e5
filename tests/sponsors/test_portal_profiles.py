"""The portal's profile page, CV download, shortlist with private notes, and API token management."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from sponsors import queries, services
from sponsors.models import AccessLogEntry, APIToken, RecruitmentProfile, ShortlistEntry, SponsorDecision
from tests.factories import ConferenceFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

from .recruitment_fixtures import *  # noqa: F403 (the shared fixtures)
from .recruitment_fixtures import PDF, mfa_member, paper_by, portal_url, profile_url, share

pytestmark = pytest.mark.django_db
# What never_cache sends on every portal page and API answer (and the CV view sets first).
NO_STORE = "private, no-store, max-age=0, no-cache, must-revalidate"


def log(profile) -> list[tuple]:
    return list(AccessLogEntry.objects.filter(profile=profile).order_by("pk")
                .values_list("sponsor__name", "action", "channel"))


# --- profile page ----------------------------------------------------------------------------

def test_the_profile_shows_what_the_attendee_shares(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    response = client.get(profile_url(acme, minji))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Min-ji Kim" in html
    assert "PhD student in probabilistic ML" in html
    assert 'href="mailto:minji@kaist.example"' in html
    assert 'href="https://scholar.example/mk"' in html
    assert 'href="https://github.com/minji"' in html
    assert profile_url(acme, minji, "sponsor_portal_cv") in html
    assert "Offline reinforcement learning with diffusion" in html
    assert "Seoul, München" in html
    assert "February 2027" in html


def test_the_profile_hides_what_the_attendee_keeps(client, conference, acme, recruiter):
    profile = share(conference, email="private@uni.example", share_email=False, share_links=False, share_cv=False,
                    github_url="https://github.com/private")
    client.force_login(recruiter.user)
    html = client.get(profile_url(acme, profile)).content.decode()
    assert "private@uni.example" not in html
    assert "github.com/private" not in html
    assert "/cv/" not in html


def test_a_profiles_only_tier_sees_no_cv_link(client, globex, globex_recruiter, minji):
    client.force_login(globex_recruiter.user)
    html = client.get(profile_url(globex, minji)).content.decode()
    assert "Min-ji Kim" in html
    assert "/cv/" not in html


def test_a_view_is_logged_once_per_read(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    client.get(profile_url(acme, minji))
    assert log(minji) == [("Acme", "view", "portal")]
    client.get(profile_url(acme, minji))
    assert log(minji) == [("Acme", "view", "portal")] * 2
    assert AccessLogEntry.objects.get(pk=AccessLogEntry.objects.first().pk).user == recruiter.user


def test_the_search_page_logs_no_view(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    client.get(portal_url("sponsor_portal_search", acme))
    assert log(minji) == []


@pytest.mark.parametrize("ref", ["1", "1.abc", "not-a-ref", "99999999999999999999.x"])
def test_a_made_up_reference_is_404(client, acme, recruiter, minji, ref):
    client.force_login(recruiter.user)
    assert client.get(portal_url("sponsor_portal_profile", acme, ref)).status_code == 404


def test_a_reference_carries_the_public_id_and_a_mac_but_no_primary_key(acme, globex, minji):
    ref = queries.profile_ref(acme, minji)
    public_id, mac = ref.split(".")
    assert (public_id, len(public_id), len(mac)) == (minji.public_id, 20, 20)
    assert str(minji.pk) not in ref.split(".")
    assert queries.profile_ref(globex, minji) != ref
    assert queries.profile_public_id(acme, ref) == minji.public_id
    assert queries.profile_public_id(globex, ref) is None


def test_a_tampered_or_old_style_reference_is_404(client, conference, acme, recruiter, minji):
    other = share(conference, first="Ana", last="Silva")
    ref = queries.profile_ref(acme, minji)
    public_id, mac = ref.split(".")
    old_style = signing.Signer(salt=f"sponsors.profile.{acme.pk}", sep=".").sign(str(minji.pk))
    client.force_login(recruiter.user)
    for forged in (old_style, str(minji.pk), public_id, f"{public_id}.", f"{other.public_id}.{mac}",
                   f"{public_id}.{mac[:-1]}", f"{public_id}.{'0' * 20}", ref.upper(), ref + "0"):
        assert client.get(portal_url("sponsor_portal_profile", acme, forged)).status_code == 404, forged
        assert client.get(portal_url("sponsor_portal_cv", acme, forged)).status_code == 404, forged
    assert client.get(portal_url("sponsor_portal_profile", acme, ref)).status_code == 200
    assert AccessLogEntry.objects.count() == 1


def test_a_reference_issued_to_another_sponsor_is_404(client, acme, globex, recruiter, minji):
    client.force_login(recruiter.user)
    assert client.get(portal_url("sponsor_portal_profile", acme, queries.profile_ref(globex, minji))).status_code == 404


def test_a_profile_that_does_not_exist_and_one_not_shared_answer_alike(client, conference, acme, globex, recruiter):
    hidden = share(conference, excluded=[acme])
    client.force_login(recruiter.user)
    nobody = RecruitmentProfile(public_id="0" * 20)  # a correctly signed reference to no profile
    missing = client.get(portal_url("sponsor_portal_profile", acme, queries.profile_ref(acme, nobody)))
    refused = client.get(profile_url(acme, hidden))
    assert missing.status_code == refused.status_code == 404
    assert missing.content == refused.content


def test_a_request_after_an_opt_out_is_refused(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    assert client.get(profile_url(acme, minji)).status_code == 200
    services.opt_out(minji)
    assert client.get(profile_url(acme, minji)).status_code == 404
    assert client.get(profile_url(acme, minji, "sponsor_portal_cv")).status_code == 404
    assert log(minji) == [("Acme", "view", "portal")]


def test_an_unapproved_latecomer_gets_404_until_accepted(client, conference, acme, minji):
    latecomer = SponsorFactory(conference=conference, tier=acme.tier, name="Latecomer", slug="latecomer")
    member = mfa_member(latecomer)
    client.force_login(member.user)
    assert client.get(profile_url(latecomer, minji)).status_code == 404
    services.decide(minji, latecomer, SponsorDecision.Decision.ACCEPTED)
    assert client.get(profile_url(latecomer, minji)).status_code == 200


def test_an_excluded_sponsor_gets_404(client, conference, acme, globex, globex_recruiter):
    profile = share(conference, excluded=[globex])
    client.force_login(globex_recruiter.user)
    assert client.get(profile_url(globex, profile)).status_code == 404


def test_outside_the_window_or_without_access_it_is_404(client, acme, recruiter, initrode, initrode_recruiter,
                                                        minji):
    client.force_login(initrode_recruiter.user)
    assert client.get(profile_url(initrode, minji)).status_code == 404
    acme.tier.access_until = timezone.now() - timedelta(minutes=1)
    acme.tier.access_from = timezone.now() - timedelta(days=10)
    acme.tier.save()
    client.force_login(recruiter.user)
    assert client.get(profile_url(acme, minji)).status_code == 404
    assert client.get(profile_url(acme, minji, "sponsor_portal_cv")).status_code == 404
    assert log(minji) == []


def test_a_member_of_another_sponsor_cannot_use_this_sponsors_portal(client, acme, globex_recruiter, minji):
    client.force_login(globex_recruiter.user)
    assert client.get(profile_url(acme, minji)).status_code == 404
    assert client.get(profile_url(acme, minji, "sponsor_portal_cv")).status_code == 404


def test_an_attendee_and_an_anonymous_visitor_cannot_open_profiles(client, acme, minji, user):
    assert client.get(profile_url(acme, minji)).status_code == 302
    client.force_login(minji.user)
    assert client.get(profile_url(acme, minji)).status_code == 404
    client.force_login(user)
    assert client.get(profile_url(acme, minji, "sponsor_portal_cv")).status_code == 404


def test_another_editions_sponsor_cannot_open_the_profile(client, minji):
    other = ConferenceFactory(slug="icml2027")
    sponsor = SponsorFactory(conference=other, tier=TierFactory(conference=other), name="Acme", slug="acme")
    member = mfa_member(sponsor)
    client.force_login(member.user)
    assert client.get(profile_url(sponsor, minji)).status_code == 404


# --- CV download -----------------------------------------------------------------------------

def test_the_cv_is_streamed_as_a_private_attachment_and_logged(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    response = client.get(profile_url(acme, minji, "sponsor_portal_cv"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="cv-min-ji-kim.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == NO_STORE
    assert log(minji) == [("Acme", "cv", "portal")]


def test_a_profiles_only_tier_cannot_download_cvs(client, globex, globex_recruiter, minji):
    client.force_login(globex_recruiter.user)
    assert client.get(profile_url(globex, minji, "sponsor_portal_cv")).status_code == 404
    assert log(minji) == []


def test_a_cv_the_attendee_does_not_share_is_404(client, conference, acme, recruiter):
    profile = share(conference, share_cv=False)
    client.force_login(recruiter.user)
    assert client.get(profile_url(acme, profile, "sponsor_portal_cv")).status_code == 404


def test_a_cv_missing_from_storage_is_404_not_500(client, acme, recruiter, minji):
    minji.cv.storage.delete(minji.cv.name)
    client.force_login(recruiter.user)
    assert client.get(profile_url(acme, minji, "sponsor_portal_cv")).status_code == 404
    assert log(minji) == []


# --- shortlist -------------------------------------------------------------------------------

def test_a_recruiter_shortlists_a_profile_and_writes_a_note(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    ref = queries.profile_ref(acme, minji)
    response = client.post(portal_url("sponsor_portal_shortlist_add", acme), {"profile": ref, "back": "profile"})
    assert response.status_code == 302
    assert response["Location"] == profile_url(acme, minji)
    client.post(portal_url("sponsor_portal_shortlist_note", acme), {"profile": ref, "note": "Strong RL background"})
    entry = ShortlistEntry.objects.get(sponsor=acme, profile=minji)
    assert (entry.note, entry.added_by) == ("Strong RL background", recruiter.user)
    html = client.get(portal_url("sponsor_portal_shortlist", acme)).content.decode()
    assert "Min-ji Kim" in html
    assert "Strong RL background" in html


def test_adding_twice_keeps_one_entry(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    for _ in range(2):
        client.post(portal_url("sponsor_portal_shortlist_add", acme), {"profile": queries.profile_ref(acme, minji)})
    assert ShortlistEntry.objects.filter(sponsor=acme).count() == 1


def test_removing_takes_the_entry_away(client, acme, recruiter, minji):
    ShortlistEntry.objects.create(sponsor=acme, profile=minji, note="x")
    client.force_login(recruiter.user)
    response = client.post(portal_url("sponsor_portal_shortlist_remove", acme),
                           {"profile": queries.profile_ref(acme, minji), "back": "shortlist"})
    assert response["Location"] == portal_url("sponsor_portal_shortlist", acme)
    assert ShortlistEntry.objects.filter(sponsor=acme).count() == 0


def test_a_profile_the_sponsor_cannot_see_cannot_be_shortlisted(client, conference, acme, globex, globex_recruiter):
    profile = share(conference, excluded=[globex])
    client.force_login(globex_recruiter.user)
    response = client.post(portal_url("sponsor_portal_shortlist_add", globex),
                           {"profile": queries.profile_ref(globex, profile)})
    assert response.status_code == 404
    assert ShortlistEntry.objects.count() == 0


def test_a_note_on_a_profile_not_shortlisted_is_refused_with_a_message(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    response = client.post(portal_url("sponsor_portal_shortlist_note", acme),
                           {"profile": queries.profile_ref(acme, minji), "note": "hello"}, follow=True)
    assert "Add the profile to your shortlist first" in response.content.decode()
    assert ShortlistEntry.objects.count() == 0


def test_a_too_long_note_changes_nothing(client, acme, recruiter, minji):
    ShortlistEntry.objects.create(sponsor=acme, profile=minji, note="kept")
    client.force_login(recruiter.user)
    response = client.post(portal_url("sponsor_portal_shortlist_note", acme),
                           {"profile": queries.profile_ref(acme, minji), "note": "x" * 5001}, follow=True)
    assert "The note was not saved" in response.content.decode()
    assert ShortlistEntry.objects.get().note == "kept"


def test_an_attendee_who_opts_out_disappears_from_the_shortlist(client, acme, recruiter, minji):
    ShortlistEntry.objects.create(sponsor=acme, profile=minji, note="Call her")
    client.force_login(recruiter.user)
    assert "Min-ji Kim" in client.get(portal_url("sponsor_portal_shortlist", acme)).content.decode()
    services.opt_out(minji)
    html = client.get(portal_url("sponsor_portal_shortlist", acme)).content.decode()
    assert "Min-ji Kim" not in html
    assert "Call her" not in html
    response = client.post(portal_url("sponsor_portal_shortlist_note", acme),
                           {"profile": queries.profile_ref(acme, minji), "note": "new"})
    assert response.status_code == 404


def test_notes_are_visible_only_inside_the_sponsor(client, acme, globex, globex_recruiter, minji):
    ShortlistEntry.objects.create(sponsor=acme, profile=minji, note="Acme-only remark")
    ShortlistEntry.objects.create(sponsor=globex, profile=minji, note="")
    client.force_login(globex_recruiter.user)
    shortlist = client.get(portal_url("sponsor_portal_shortlist", globex)).content.decode()
    profile = client.get(profile_url(globex, minji)).content.decode()
    assert "Min-ji Kim" in shortlist
    assert "Acme-only remark" not in shortlist + profile
    assert client.get(portal_url("sponsor_portal_shortlist", acme)).status_code == 404


def test_the_shortlist_page_is_closed_outside_the_window(client, initrode, initrode_recruiter):
    client.force_login(initrode_recruiter.user)
    response = client.get(portal_url("sponsor_portal_shortlist", initrode))
    assert response.status_code == 403


def test_the_shortlist_costs_the_same_queries_for_1_and_8_entries(client, conference, acme, recruiter,
                                                                  django_assert_num_queries):
    client.force_login(recruiter.user)
    url = portal_url("sponsor_portal_shortlist", acme)
    def add(n):
        profile = share(conference, first=f"P{n}", cv=False)
        paper_by(profile, f"Paper {n}")
        ShortlistEntry.objects.create(sponsor=acme, profile=profile)

    add(0)
    client.get(url)
    with django_assert_num_queries(12) as small:
        client.get(url)
    for n in range(1, 8):
        add(n)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 8


# --- API tokens ------------------------------------------------------------------------------

def test_a_sponsor_admin_creates_a_token_and_sees_the_key_once(client, acme, acme_admin):
    client.force_login(acme_admin.user)
    response = client.post(portal_url("sponsor_portal_tokens", acme), {"name": "ATS integration"})
    assert response.status_code == 200
    key = response.context["key"]
    token = APIToken.objects.get()
    assert (token.name, token.sponsor, token.member, token.prefix) == ("ATS integration", acme, acme_admin, key[:8])
    assert key in response.content.decode()
    assert response["Cache-Control"] == NO_STORE
    listing = client.get(portal_url("sponsor_portal_tokens", acme)).content.decode()
    assert key not in listing
    assert f"{key[:8]}…" in listing
    assert "never" in listing


def test_a_token_without_a_name_is_refused(client, acme, acme_admin):
    client.force_login(acme_admin.user)
    response = client.post(portal_url("sponsor_portal_tokens", acme), {"name": "  "})
    assert response.status_code == 400
    assert APIToken.objects.count() == 0


def test_a_sponsor_admin_revokes_a_token(client, acme, acme_admin):
    token, _key = APIToken.issue(acme_admin, "old")
    client.force_login(acme_admin.user)
    response = client.post(portal_url("sponsor_portal_token_revoke", acme), {"token": token.public_id})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in client.get(portal_url("sponsor_portal_tokens", acme)).content.decode()


def test_another_sponsors_token_cannot_be_revoked(client, acme, acme_admin, globex):
    other_admin = mfa_member(globex, role="admin")
    token, _key = APIToken.issue(other_admin, "theirs")
    client.force_login(acme_admin.user)
    assert client.post(portal_url("sponsor_portal_token_revoke", acme), {"token": token.public_id}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_recruiters_cannot_manage_tokens(client, acme, recruiter):
    client.force_login(recruiter.user)
    assert client.get(portal_url("sponsor_portal_tokens", acme)).status_code == 404
    assert client.post(portal_url("sponsor_portal_tokens", acme), {"name": "x"}).status_code == 404
    assert APIToken.objects.count() == 0
