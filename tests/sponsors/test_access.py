"""The recruitment access rule (sponsors.access): who sees which profile, and what of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from confsite.models import ConsentRecord, ConsentText
from sponsors import access, services
from sponsors.models import SponsorDecision, Tier
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory, TierFactory

pytestmark = pytest.mark.django_db
INSIDE = None  # now: the factories open the access window around the present


@pytest.fixture
def terms(conference):
    return ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                      text="Share my profile with the sponsors named below.")


@pytest.fixture
def acme(conference):
    return SponsorFactory(conference=conference, name="Acme", tier=TierFactory(conference=conference, name="Gold"))


@pytest.fixture
def profile(conference, terms):
    profile = RecruitmentProfileFactory(conference=conference)
    profile.cv.save("cv.pdf", ContentFile(b"%PDF-1.4 cv"), save=True)
    return profile


def test_an_opted_in_profile_is_visible_inside_the_window_only(profile, acme):
    services.opt_in(profile, share_cv=True, share_email=False, share_links=True)
    assert list(access.visible_profiles(acme, at=INSIDE)) == [profile]
    assert list(access.visible_profiles(acme, at=acme.tier.access_from - timedelta(seconds=1))) == []
    assert list(access.visible_profiles(acme, at=acme.tier.access_until)) == []
    assert list(access.visible_profiles(acme, at=timezone.now())) == [profile]


def test_a_profile_that_never_opted_in_is_invisible(profile, acme):
    assert list(access.visible_profiles(acme, at=INSIDE)) == []
    assert access.visibility(acme, profile, at=INSIDE) == access.NOTHING


def test_opting_out_hides_the_profile_and_is_recorded(profile, acme):
    services.opt_in(profile, share_cv=True, share_email=True, share_links=True)
    services.opt_out(profile)
    assert access.visibility(acme, profile, at=INSIDE) == access.NOTHING
    assert list(ConsentRecord.objects.filter(user=profile.user).order_by("id").values_list("action", flat=True)) == [
        "granted", "withdrawn"]


def test_an_excluded_sponsor_sees_nothing_while_another_does(conference, profile, acme):
    globex = SponsorFactory(conference=conference, name="Globex", tier=acme.tier)
    record = services.opt_in(profile, share_cv=False, share_email=False, share_links=True, excluded=[globex])
    assert access.visibility(globex, profile, at=INSIDE) == access.NOTHING
    assert access.visibility(acme, profile, at=INSIDE) == access.Visibility(True, False, False, True)
    assert record.scope["recipients"] == [{"id": acme.pk, "name": "Acme"}]
    assert record.scope["excluded"] == [{"id": globex.pk, "name": "Globex"}]
    assert record.text.version == "2026-1"


def test_a_sponsor_gaining_access_later_waits_for_approval_when_asked(conference, profile, acme):
    services.opt_in(profile, share_cv=True, share_email=False, share_links=True, new_sponsors_need_approval=True)
    latecomer = SponsorFactory(conference=conference, name="Initech", tier=acme.tier)
    assert access.visibility(latecomer, profile, at=INSIDE) == access.NOTHING
    services.decide(profile, latecomer, SponsorDecision.Decision.ACCEPTED)
    assert access.visibility(latecomer, profile, at=INSIDE).profile is True


def test_a_sponsor_gaining_access_later_sees_the_profile_when_no_approval_was_asked(conference, profile, acme):
    services.opt_in(profile, share_cv=True, share_email=False, share_links=True, new_sponsors_need_approval=False)
    latecomer = SponsorFactory(conference=conference, name="Initech", tier=acme.tier)
    assert access.visibility(latecomer, profile, at=INSIDE).profile is True


def test_cvs_need_a_tier_with_cv_access_and_the_attendees_choice(conference, profile, acme):
    services.opt_in(profile, share_cv=True, share_email=True, share_links=False)
    assert access.visibility(acme, profile, at=INSIDE) == access.Visibility(True, True, True, False)
    silver = SponsorFactory(conference=conference, name="Silverware",
                            tier=TierFactory(conference=conference, name="Silver", recruitment_access=Tier.Access.PROFILES))
    services.opt_in(profile, share_cv=True, share_email=True, share_links=False)
    assert access.visibility(silver, profile, at=INSIDE) == access.Visibility(True, False, True, False)


def test_a_tier_without_recruitment_access_is_never_a_recipient(conference, profile, acme):
    bronze = SponsorFactory(conference=conference, name="Bronzer",
                            tier=TierFactory(conference=conference, name="Bronze", recruitment_access=Tier.Access.NONE))
    services.opt_in(profile, share_cv=True, share_email=True, share_links=True)
    assert [s.name for s in access.recipients(conference, at=INSIDE)] == ["Acme"]
    assert access.visibility(bronze, profile, at=INSIDE) == access.NOTHING


def test_another_editions_sponsor_never_sees_the_profile(profile, acme):
    from tests.factories import ConferenceFactory

    other = SponsorFactory(conference=ConferenceFactory(slug="icml2027"), name="Acme")
    services.opt_in(profile, share_cv=True, share_email=True, share_links=True)
    assert access.visibility(other, profile, at=INSIDE) == access.NOTHING


def test_opting_in_without_published_terms_is_refused(conference, acme):
    profile = RecruitmentProfileFactory(conference=conference)
    with pytest.raises(services.SponsorError, match="not published its terms"):
        services.opt_in(profile, share_cv=False, share_email=False, share_links=True)
    profile.refresh_from_db()
    assert profile.opted_in is False


def test_sharing_a_cv_needs_one(conference, terms, acme):
    profile = RecruitmentProfileFactory(conference=conference)
    with pytest.raises(services.SponsorError, match="Upload your CV"):
        services.opt_in(profile, share_cv=True, share_email=False, share_links=True)
