from datetime import timedelta

import factory
from django.utils import timezone

from sponsors.models import RecruitmentProfile, Sponsor, SponsorMember, Tier

from .core import ConferenceFactory, VerifiedUserFactory


class TierFactory(factory.django.DjangoModelFactory):
    """A tier with profiles-and-CVs access open from 30 days ago until 60 days from now."""

    class Meta:
        model = Tier

    conference = factory.SubFactory(ConferenceFactory)
    name = factory.Sequence(lambda n: f"Tier {n}")
    position = factory.Sequence(lambda n: n)
    recruitment_access = Tier.Access.CVS
    access_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    access_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=60))
    interview_hours = 4
    complimentary_passes = 3


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    conference = factory.SubFactory(ConferenceFactory)
    tier = factory.SubFactory(TierFactory, conference=factory.SelfAttribute("..conference"))
    name = factory.Sequence(lambda n: f"Sponsor {n}")
    slug = factory.Sequence(lambda n: f"sponsor-{n}")
    website = "https://sponsor.example"


class SponsorMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SponsorMember

    sponsor = factory.SubFactory(SponsorFactory)
    user = factory.SubFactory(VerifiedUserFactory)
    role = SponsorMember.Role.RECRUITER


class RecruitmentProfileFactory(factory.django.DjangoModelFactory):
    """A profile, not yet opted in (use sponsors.services to opt in, as attendees do)."""

    class Meta:
        model = RecruitmentProfile

    user = factory.SubFactory(VerifiedUserFactory)
    conference = factory.SubFactory(ConferenceFactory)
    headline = "PhD student in machine learning"
    position = RecruitmentProfile.Position.PHD
    wants_internship = True
