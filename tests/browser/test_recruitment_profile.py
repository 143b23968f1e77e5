"""The attendee's recruitment journey in a browser: profile with a PDF CV, the consent screen that names
the sponsors, an exclusion, sharing, who looked, and stopping (axe on every page, strict CSP)."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from confsite.models import ConsentRecord, ConsentText
from sponsors import access, access_log
from sponsors.models import AccessLogEntry, RecruitmentProfile, Tier
from tests.browser.conftest import assert_accessible
from tests.browser.test_pages import log_in
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import TopicFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edition():
    conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                               text="I share my recruitment profile with the sponsors named above.")
    gold = TierFactory(conference=conference, name="Gold")
    bronze = TierFactory(conference=conference, name="Bronze", recruitment_access=Tier.Access.NONE)
    SponsorFactory(conference=conference, name="Acme Robotics", tier=gold)
    SponsorFactory(conference=conference, name="Globex", tier=gold)
    SponsorFactory(conference=conference, name="Bronzer", tier=bronze)
    TopicFactory(conference=conference, name="Reinforcement learning")
    return conference


def test_an_attendee_shares_a_profile_with_chosen_sponsors_and_stops(page, edition, tmp_path):
    VerifiedUserFactory(email="minji@example.com")
    log_in(page, "minji@example.com", "correct horse battery staple")
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(buffer.getvalue())

    page.goto("/icml2026/recruitment/")
    assert_accessible(page)
    page.get_by_label("Headline:").fill("PhD student in offline RL")
    page.get_by_label("Current position:").select_option(label="PhD student")
    page.get_by_label("Internship").check()
    page.get_by_label("Reinforcement learning").check()
    page.get_by_label("CV (PDF, at most 5 MB):").set_input_files(str(cv))
    with page.expect_navigation():
        page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your recruitment profile is saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Download your CV")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Choose what to share and with whom").click()
    expect(page.get_by_role("cell", name="Acme Robotics")).to_be_visible()
    expect(page.get_by_role("cell", name="Globex")).to_be_visible()
    expect(page.get_by_text("Bronzer")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("My CV").check()
    page.locator("label", has_text="Globex").locator("input").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Share my profile with these sponsors").click()
    expect(page.get_by_text("Your profile is shared with the sponsors listed below.")).to_be_visible()
    profile = RecruitmentProfile.objects.get()
    acme, globex = (s for s in access.recipients(edition))
    assert access.visibility(acme, profile) == access.Visibility(True, True, False, True)
    assert access.visibility(globex, profile) == access.NOTHING
    assert_accessible(page)

    access_log.record_access(acme, None, [profile], AccessLogEntry.Action.VIEW, AccessLogEntry.Channel.PORTAL)
    page.goto("/icml2026/recruitment/activity/")
    expect(page.get_by_role("heading", name="Acme Robotics")).to_be_visible()
    assert_accessible(page)

    page.goto("/icml2026/recruitment/share/")
    with page.expect_navigation():
        page.get_by_role("button", name="Stop sharing").click()
    expect(page.get_by_text("You stopped sharing.")).to_be_visible()
    expect(page.get_by_text("Your profile is not shared.")).to_be_visible()
    history = page.get_by_role("region", name="Your choices so far")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").nth(1)).to_contain_text(
        "granted · terms version 2026-1 · recipients: Acme Robotics · excluded: Globex")
    assert_accessible(page)
    assert access.visibility(acme, RecruitmentProfile.objects.get()) == access.NOTHING
    assert list(ConsentRecord.objects.order_by("id").values_list("action", flat=True)) == ["granted", "withdrawn"]
