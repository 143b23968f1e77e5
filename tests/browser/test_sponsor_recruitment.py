"""The recruitment journey across both sides, in a browser (axe on every page, strict CSP):
an attendee opts in with a CV; a Gold recruiter (two-factor login) finds them by research area and opens
the profile; a recruiter of a tier without access is refused; the attendee opts out and the recruiter's
next request is refused; the attendee sees the earlier view in their access log."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from playwright.sync_api import expect
from pypdf import PdfWriter

from confsite.models import ConsentText
from sponsors.models import SponsorMember, Tier
from tests.browser.conftest import assert_accessible, open_page
from tests.browser.test_pages import log_in
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import TopicFactory
from tests.factories.sponsors import SponsorFactory, SponsorMemberFactory, TierFactory

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "correct horse battery staple"


def totp_code() -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(SECRET, counters[len(counters) // 2]))


def recruiter_of(sponsor, email):
    member = SponsorMemberFactory(sponsor=sponsor, role=SponsorMember.Role.RECRUITER,
                                  user=VerifiedUserFactory(email=email))
    Authenticator.objects.create(user=member.user, type=Authenticator.Type.TOTP, data={"secret": SECRET})
    return member


def log_in_with_code(page, email):
    log_in(page, email, PASSWORD)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_placeholder("Code").fill(totp_code())
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()


@pytest.fixture
def edition():
    conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                               text="I share my recruitment profile with the sponsors named above.")
    TopicFactory(conference=conference, name="Reinforcement learning", slug="rl")
    TopicFactory(conference=conference, name="Computer vision", slug="cv")
    return conference


def test_a_recruiter_finds_an_opted_in_attendee_until_they_opt_out(browser, live_server, page, edition, tmp_path):
    gold = SponsorFactory(conference=edition, name="Acme Robotics", slug="acme",
                          tier=TierFactory(conference=edition, name="Gold"))
    bronze = SponsorFactory(conference=edition, name="Bronzer", slug="bronzer",
                            tier=TierFactory(conference=edition, name="Bronze", recruitment_access=Tier.Access.NONE))
    recruiter_of(gold, "rita@acme.example")
    recruiter_of(bronze, "bob@bronzer.example")
    VerifiedUserFactory(email="minji@example.com", first_name="Minji", last_name="Kim")
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    (tmp_path / "cv.pdf").write_bytes(buffer.getvalue())

    # The attendee fills the profile, uploads a CV and opts in.
    log_in(page, "minji@example.com", PASSWORD)
    page.goto("/icml2026/recruitment/")
    page.get_by_label("Headline:").fill("PhD student in offline RL")
    page.get_by_label("Reinforcement learning").check()
    page.get_by_label("CV (PDF, at most 5 MB):").set_input_files(str(tmp_path / "cv.pdf"))
    with page.expect_navigation():
        page.get_by_role("button", name="Save profile").click()
    page.goto("/icml2026/recruitment/share/")
    page.get_by_label("My CV").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Share my profile with these sponsors").click()
    expect(page.get_by_text("Your profile is shared with the sponsors listed below.")).to_be_visible()

    # A Gold recruiter logs in with two-factor, finds her by research area and opens the profile.
    rita = open_page(browser, live_server.url)
    log_in_with_code(rita, "rita@acme.example")
    rita.goto("/icml2026/sponsor-portal/acme/profiles/")
    rita.get_by_label("Research areas").select_option(label="Reinforcement learning")
    with rita.expect_navigation():
        rita.get_by_role("button", name="Search", exact=True).click()
    assert_accessible(rita)
    # The list names nobody (reading it is not logged); the logged profile view shows the name.
    expect(rita.locator("main")).not_to_contain_text("Minji")
    with rita.expect_navigation():
        rita.get_by_role("link", name="PhD student in offline RL").click()
    expect(rita.get_by_role("heading", name="Minji Kim")).to_be_visible()
    expect(rita.get_by_text("PhD student in offline RL")).to_be_visible()
    assert_accessible(rita)
    profile_url = rita.url

    # A recruiter of a tier without recruitment access is refused (the page says why, no data).
    bob = open_page(browser, live_server.url)
    log_in_with_code(bob, "bob@bronzer.example")
    response = bob.goto("/icml2026/sponsor-portal/bronzer/profiles/")
    assert response.status == 403
    expect(bob.locator("main")).not_to_contain_text("Minji")
    bob.console_problems[:] = [p for p in bob.console_problems if "status of 403" not in p]
    assert_accessible(bob)
    assert bob.console_problems == []

    # The attendee opts out; the recruiter's next request is refused.
    page.goto("/icml2026/recruitment/share/")
    with page.expect_navigation():
        page.get_by_role("button", name="Stop sharing").click()
    again = rita.goto(profile_url)
    assert again.status == 404
    assert "offline RL" not in rita.content() and "Minji" not in rita.content()
    rita.console_problems[:] = [p for p in rita.console_problems if "status of 404" not in p]
    assert rita.console_problems == []

    # She still sees the view that happened while she shared.
    page.goto("/icml2026/recruitment/activity/")
    expect(page.get_by_role("heading", name="Acme Robotics")).to_be_visible()
    expect(page.locator("main")).to_contain_text("viewed the profile")
    assert_accessible(page)
    for other in (rita, bob):
        other.context.close()
