"""The sponsors demo (sponsors.demo.load): idempotent, and the demo sponsor really logs in with its TOTP secret."""

from __future__ import annotations

import io
from datetime import date

import pytest
from allauth.account.models import EmailAddress

from confsite.models import User
from registration.catalogue import build_standard_catalogue
from sponsors import demo
from sponsors.models import ComplimentaryPass, InterviewSlot, RecruitmentProfile, Sponsor, SponsorMember, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_edition(conference, settings, tmp_path):
    settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = tmp_path / "media", tmp_path / "private"
    for email in ("attendee@confsite.example", demo.SPONSOR_LOGIN):
        user = User.objects.create_user(email=email, password="demo-password-2026")
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    build_standard_catalogue(conference, early_until=date(2026, 5, 15), regular_until=date(2026, 6, 19))
    return conference


def test_it_loads_tiers_sponsors_and_the_demo_sponsor_and_can_run_twice(demo_edition):
    out = io.StringIO()
    demo.load(demo_edition, stdout=out)
    counts = (Sponsor.objects.count(), RecruitmentProfile.objects.count(), InterviewSlot.objects.count(),
              ComplimentaryPass.objects.count(), User.objects.count())
    demo.load(demo_edition, stdout=io.StringIO())
    assert (Sponsor.objects.count(), RecruitmentProfile.objects.count(), InterviewSlot.objects.count(),
            ComplimentaryPass.objects.count(), User.objects.count()) == counts
    assert list(Tier.objects.values_list("name", flat=True)) == ["Diamond", "Platinum", "Gold", "Silver", "Bronze",
                                                                 "Start-up"]
    assert counts[:4] == (11, 1, 54, 2)
    assert all(s.logo.read(8) == b"\x89PNG\r\n\x1a\n" for s in Sponsor.objects.all())
    member = SponsorMember.objects.get(user__email=demo.SPONSOR_LOGIN)
    assert (member.sponsor.name, member.sponsor.tier.name, member.role) == ("Hanbit AI", "Diamond", "admin")
    assert RecruitmentProfile.objects.get().cv.read(8) == b"%PDF-1.4"
    assert f"add the TOTP secret {demo.DEMO_TOTP_SECRET} to an authenticator app" in out.getvalue()


def test_an_edition_other_than_icml2026_gets_nothing(demo_edition):
    from tests.factories import ConferenceFactory

    demo.load(ConferenceFactory(slug="icml2025"))
    assert Sponsor.objects.count() == 0


def middle(counters):
    return counters[len(counters) // 2]  # the current period: the tolerance adds as many before as after


def test_the_demo_sponsor_logs_in_with_the_printed_secret_and_reaches_the_portal(client, demo_edition):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    demo.load(demo_edition)
    response = client.post("/accounts/login/", {"login": demo.SPONSOR_LOGIN, "password": "demo-password-2026"})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    code = format_hotp_value(hotp_value(demo.DEMO_TOTP_SECRET, middle(list(yield_hotp_counters_from_time()))))
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    page = client.get("/icml2026/sponsor-portal/hanbit-ai/")
    assert page.status_code == 200
    assert "Diamond sponsor" in page.content.decode()


def test_the_demo_has_recruiters_in_a_cv_tier_and_a_profiles_only_tier_and_about_200_profiles(demo_edition):
    from allauth.mfa.models import Authenticator

    from schedule import demo as schedule_demo

    schedule_demo.load(demo_edition)  # the candidates are authors of the demo programme's papers
    demo.load(demo_edition)
    tiers = {m.user.email: m.sponsor.tier.recruitment_access
             for m in SponsorMember.objects.select_related("user", "sponsor__tier")}
    assert tiers[demo.SPONSOR_LOGIN] == Tier.Access.CVS
    assert tiers[demo.SILVER_LOGIN] == Tier.Access.PROFILES
    assert Authenticator.objects.filter(user__email=demo.SILVER_LOGIN, type="totp").count() == 1
    assert User.objects.get(email=demo.SILVER_LOGIN).check_password(demo.SILVER_PASSWORD)
    assert RecruitmentProfile.objects.count() == 200
    assert RecruitmentProfile.objects.filter(opted_in=True).count() == 199
