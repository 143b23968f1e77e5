"""Fixtures and helpers shared by the recruitment portal and API tests (search, profiles, export,
access log, API): an edition with published consent terms, sponsors in a CV tier (Acme, Gold), a
profiles-only tier (Globex, Silver) and a tier without access (Initrode, Bronze), members with
two-factor login, and attendees who opt in through sponsors.services as they do on their page."""

from __future__ import annotations

from datetime import date

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.base import ContentFile
from django.urls import reverse

from confsite.models import ConsentText
from sponsors import queries, services
from sponsors.models import SponsorMember, Tier
from tests.factories import VerifiedUserFactory
from tests.factories.schedule import AuthorshipFactory, PaperFactory, TopicFactory
from tests.factories.sponsors import (
    RecruitmentProfileFactory,
    SponsorFactory,
    SponsorMemberFactory,
    TierFactory,
)

# Fixtures, for `from .recruitment_fixtures import *` in the test modules; helpers are imported by name.
__all__ = ["terms", "gold", "acme", "globex", "initrode", "recruiter", "acme_admin", "globex_recruiter", "initrode_recruiter", "topics", "minji"]

PDF = b"%PDF-1.4\n% a CV\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def mfa_member(sponsor, role=SponsorMember.Role.RECRUITER, **user_fields) -> SponsorMember:
    member = SponsorMemberFactory(sponsor=sponsor, role=role, user=VerifiedUserFactory(**user_fields))
    Authenticator.objects.create(user=member.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    return member


def share(conference, *, first="Min-ji", last="Kim", email=None, headline="PhD student in probabilistic ML",
          cv=True, share_cv=True, share_email=False, share_links=True, excluded=(), approval=True, areas=(),
          **fields):
    """An attendee's profile, opted in (with a CV uploaded if `cv`), its search text refreshed."""
    user = VerifiedUserFactory(first_name=first, last_name=last, **({"email": email} if email else {}))
    profile = RecruitmentProfileFactory(conference=conference, user=user, headline=headline, **fields)
    if cv:
        profile.cv.save("cv.pdf", ContentFile(PDF), save=True)
    if areas:
        profile.research_areas.set(areas)
    services.opt_in(profile, share_cv=share_cv and cv, share_email=share_email, share_links=share_links,
                    excluded=excluded, new_sponsors_need_approval=approval)
    services.refresh_search_text(profile)
    return profile


def paper_by(profile, title: str):
    """An accepted paper at the profile's edition whose author has the attendee's e-mail address."""
    paper = PaperFactory(conference=profile.conference, title=title)
    AuthorshipFactory(paper=paper, author__email=profile.user.email, author__openreview_id="",
                      author__name=profile.user.get_full_name())
    return paper


def portal_url(name: str, sponsor, *args) -> str:
    return reverse(name, args=[sponsor.conference.slug, sponsor.slug, *args])


def profile_url(sponsor, profile, name="sponsor_portal_profile") -> str:
    return portal_url(name, sponsor, queries.profile_ref(sponsor, profile))


@pytest.fixture(autouse=True)
def terms(conference):
    return ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                      text="Share my profile with the sponsors named below.")


@pytest.fixture
def gold(conference):
    return TierFactory(conference=conference, name="Gold", recruitment_access=Tier.Access.CVS)


@pytest.fixture
def acme(conference, gold):
    return SponsorFactory(conference=conference, tier=gold, name="Acme", slug="acme")


@pytest.fixture
def globex(conference):
    silver = TierFactory(conference=conference, name="Silver", recruitment_access=Tier.Access.PROFILES)
    return SponsorFactory(conference=conference, tier=silver, name="Globex", slug="globex")


@pytest.fixture
def initrode(conference):
    bronze = TierFactory(conference=conference, name="Bronze", recruitment_access=Tier.Access.NONE)
    return SponsorFactory(conference=conference, tier=bronze, name="Initrode", slug="initrode")


@pytest.fixture
def recruiter(acme):
    return mfa_member(acme, first_name="Rita", last_name="Recruiter")


@pytest.fixture
def acme_admin(acme):
    return mfa_member(acme, role=SponsorMember.Role.ADMIN, first_name="Ada", last_name="Admin")


@pytest.fixture
def globex_recruiter(globex):
    return mfa_member(globex)


@pytest.fixture
def initrode_recruiter(initrode):
    return mfa_member(initrode)


@pytest.fixture
def topics(conference):
    return {"rl": TopicFactory(conference=conference, name="Reinforcement learning", slug="rl"),
            "nlp": TopicFactory(conference=conference, name="Natural language processing", slug="nlp")}


@pytest.fixture
def minji(conference, acme, globex, topics):
    """Shares CV, e-mail and links; PhD, graduating 2027, wants an internship, Seoul; one paper."""
    profile = share(conference, email="minji@kaist.example", share_email=True, areas=[topics["rl"]],
                    graduation_date=date(2027, 2, 28), locations="Seoul, München", scholar_url="https://scholar.example/mk",
                    github_url="https://github.com/minji")
    paper_by(profile, "Offline reinforcement learning with diffusion")
    services.refresh_search_text(profile)
    return profile
