"""Fixtures and helpers of the attendee's recruitment tests (test_profile, test_consent_screen,
test_activity): an attendee logged in, published consent terms, sponsors in a CV tier (Acme, Gold), a
profiles tier (Globex, Silver), a tier without access (Bronzer) and another edition (Elsewhere)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from confsite.models import ConsentText
from sponsors.models import RecruitmentProfile, Tier
from tests.factories import ConferenceFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

# Fixtures, for `from .attendee_fixtures import *`; helpers and constants are imported by name.
__all__ = ["terms", "sponsors", "attendee", "profile"]

PROFILE_URL, SHARE_URL, ACTIVITY_URL = "/icml2026/recruitment/", "/icml2026/recruitment/share/", "/icml2026/recruitment/activity/"
CV_URL, REMOVE_CV_URL = "/icml2026/recruitment/cv/", "/icml2026/recruitment/cv/remove/"


def real_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def form_data(**overrides):
    data = {"headline": "PhD student in RL", "position": "phd", "wants_internship": "on", "locations": "Seoul",
            "scholar_url": "", "openreview_url": "", "github_url": "https://github.com/minji", "homepage_url": ""}
    data.update(overrides)
    return data


@pytest.fixture
def terms(conference):
    return ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                      text="I share my profile with the sponsors named below.")


@pytest.fixture
def sponsors(conference):
    gold = TierFactory(conference=conference, name="Gold")
    silver = TierFactory(conference=conference, name="Silver", recruitment_access=Tier.Access.PROFILES)
    bronze = TierFactory(conference=conference, name="Bronze", recruitment_access=Tier.Access.NONE)
    return {"acme": SponsorFactory(conference=conference, name="Acme", tier=gold),
            "globex": SponsorFactory(conference=conference, name="Globex", tier=silver),
            "bronzer": SponsorFactory(conference=conference, name="Bronzer", tier=bronze),
            "elsewhere": SponsorFactory(conference=ConferenceFactory(slug="icml2027"), name="Elsewhere")}


@pytest.fixture
def attendee(client, user):
    client.force_login(user)
    return user


@pytest.fixture
def profile(client, conference, attendee):
    """The logged-in attendee's profile, saved through the page (no CV, not shared)."""
    client.post(PROFILE_URL, form_data())
    return RecruitmentProfile.objects.get(user=attendee)


def upload(content: bytes, name: str = "cv.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")
