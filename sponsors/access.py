"""The one place that decides what of a recruitment profile a sponsor may see.

Every sponsor-facing surface (portal pages, CV downloads, CSV exports, the API) asks this module, at
the moment of the request: nothing is cached, so a request that starts after an attendee's opt-out
has committed finds `opted_in` false and is refused.

A sponsor sees a profile when all of these hold:
- the sponsor's tier grants recruitment access and the access window is open now;
- the attendee has opted in for that edition;
- the attendee has not excluded that sponsor;
- if the attendee asked to approve sponsors that gain access later, the sponsor was among the
  recipients they accepted (named on the consent screen when they opted in, or accepted since).
What it sees of the profile is then limited by the tier (CVs only for "profiles and CVs") and by the
attendee's choices (CV, e-mail, links).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import RecruitmentProfile, Sponsor, SponsorDecision, SponsorMember, Tier


@dataclass(frozen=True)
class Visibility:
    """What a sponsor may see of one profile."""

    profile: bool
    cv: bool
    email: bool
    links: bool


NOTHING = Visibility(False, False, False, False)


def recruitment_open(sponsor: Sponsor, at: datetime | None = None) -> bool:
    return sponsor.tier.grants_recruitment_at(at or timezone.now())


def visible_profiles(sponsor: Sponsor, at: datetime | None = None) -> QuerySet[RecruitmentProfile]:
    """The profiles `sponsor` may see now (empty outside its window or without recruitment access)."""
    if not recruitment_open(sponsor, at):
        return RecruitmentProfile.objects.none()
    decisions = SponsorDecision.objects.filter(profile=OuterRef("pk"), sponsor=sponsor)
    excluded = decisions.filter(decision=SponsorDecision.Decision.EXCLUDED)
    accepted = decisions.filter(decision=SponsorDecision.Decision.ACCEPTED)
    return (RecruitmentProfile.objects
            .filter(conference_id=sponsor.conference_id, opted_in=True)
            .exclude(Exists(excluded))
            .filter(Q(new_sponsors_need_approval=False) | Exists(accepted)))


def visibility(sponsor: Sponsor, profile: RecruitmentProfile, at: datetime | None = None) -> Visibility:
    """What `sponsor` may see of `profile` now; re-reads the profile's consent state from the database."""
    if not visible_profiles(sponsor, at).filter(pk=profile.pk).exists():
        return NOTHING
    current = RecruitmentProfile.objects.only("share_cv", "share_email", "share_links", "cv").get(pk=profile.pk)
    return allowed_parts(sponsor, current)


def allowed_parts(sponsor: Sponsor, profile: RecruitmentProfile) -> Visibility:
    """What `sponsor` may see of a profile it read through `visible_profiles` in this request (no query).

    Lists and exports use this for each row; `visibility` uses it after its own check.
    """
    cvs = sponsor.tier.recruitment_access == Tier.Access.CVS
    return Visibility(profile=True, cv=cvs and profile.share_cv and bool(profile.cv),
                      email=profile.share_email, links=profile.share_links)


def recipients(conference, at: datetime | None = None) -> list[Sponsor]:
    """The sponsors whose tier grants recruitment access at this edition (now or later), by name.

    This is the list the consent screen names: sponsors that could see a profile during their window.
    """
    moment = at or timezone.now()
    return list(Sponsor.objects.filter(conference=conference)
                .exclude(tier__recruitment_access=Tier.Access.NONE)
                .filter(tier__access_until__gt=moment)
                .select_related("tier").order_by("name"))


def membership(user, sponsor: Sponsor) -> SponsorMember | None:
    if not user.is_authenticated:
        return None
    return SponsorMember.objects.filter(user=user, sponsor=sponsor).first()
