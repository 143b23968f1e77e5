"""Sponsors' part of data protection: a person's recruitment profiles (with what sponsors did with
them: the person's decisions, interview invitations, and which sponsor read what and when), their
memberships of sponsor teams, the erasure of all that, and the retention purge of the access log.

On erasure, what the person did as a sponsor's recruiter stays with the sponsor without naming them;
invitations to join a sponsor's team sent to any of their addresses are deleted; a complimentary pass
assigned to one of their addresses stays counted against the sponsor's allowance, assigned to the
account's erased address (its voucher is rebound the same way by registration's eraser, so nobody can
use it; the sponsor may reassign it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q

from confsite import consent, privacy
from confsite.models import Conference, User
from confsite.privacy import Erasure, PurgeResult, iso

from .models import (
    AccessLogEntry,
    ComplimentaryPass,
    InterviewSlot,
    Invitation,
    MemberInvitation,
    RecruitmentProfile,
    ShortlistEntry,
    SponsorDecision,
    SponsorMember,
)
from .services import RECRUITMENT


def export(user: User) -> dict[str, Any]:
    """Recruitment profiles with decisions, invitations and the access log (sponsors, never the recruiter
    who read), and sponsor memberships: 6 queries."""
    profiles = (RecruitmentProfile.objects.filter(user=user).select_related("conference").order_by("created_at", "id")
                .prefetch_related("research_areas",
                                  Prefetch("decisions", SponsorDecision.objects.select_related("sponsor")),
                                  Prefetch("invitations", Invitation.objects.select_related("sponsor", "slot__room")
                                           .order_by("created_at", "id")),
                                  Prefetch("access_log", AccessLogEntry.objects.select_related("sponsor")
                                           .order_by("at", "id"))))
    memberships = SponsorMember.objects.filter(user=user).select_related("sponsor__conference").order_by("added_at")
    return {
        "recruitment_profiles": [_profile(p) for p in profiles],
        "sponsor_memberships": [{"edition": m.sponsor.conference.slug, "sponsor": m.sponsor.name, "role": m.role,
                                 "added_at": iso(m.added_at)} for m in memberships],
    }


def _profile(p: RecruitmentProfile) -> dict[str, Any]:
    return {
        "edition": p.conference.slug,
        "headline": p.headline,
        "position": p.position,
        "wants": {"internship": p.wants_internship, "full_time": p.wants_full_time, "postdoc": p.wants_postdoc},
        "graduation_date": p.graduation_date.isoformat() if p.graduation_date else None,
        "research_areas": sorted(t.name for t in p.research_areas.all()),
        "locations": p.locations,
        "links": {"scholar": p.scholar_url, "openreview": p.openreview_url, "github": p.github_url,
                  "homepage": p.homepage_url},
        "cv_uploaded_at": iso(p.cv_uploaded_at) if p.cv else None,
        "shared_with_sponsors": p.opted_in,
        "opted_in_at": iso(p.opted_in_at),
        "share": {"cv": p.share_cv, "email": p.share_email, "links": p.share_links},
        "new_sponsors_need_approval": p.new_sponsors_need_approval,
        "keep_for_next_edition": p.keep_for_next_edition,
        "sponsor_decisions": sorted(({"sponsor": d.sponsor.name, "decision": d.decision, "decided_at": iso(d.decided_at)}
                                     for d in p.decisions.all()), key=lambda d: (d["decided_at"], d["sponsor"])),
        "interview_invitations": [{"sponsor": i.sponsor.name, "room": i.slot.room.name, "start": iso(i.slot.start),
                                   "end": iso(i.slot.end), "message": i.message, "status": i.status,
                                   "invited_at": iso(i.created_at), "responded_at": iso(i.responded_at)}
                                  for i in p.invitations.all()],
        "access_log": [{"sponsor": e.sponsor.name, "action": e.action, "channel": e.channel, "at": iso(e.at)}
                       for e in p.access_log.all()],
    }


def erase(user: User, erasure: Erasure) -> None:
    profiles = RecruitmentProfile.objects.filter(user=user)
    for profile in profiles.filter(opted_in=True).select_related("user", "conference"):
        consent.withdraw(user, profile.conference, RECRUITMENT)
    erasure.delete_files(RecruitmentProfile._meta.get_field("cv").storage,
                         profiles.exclude(cv="").values_list("cv", flat=True))
    count = profiles.count()
    profiles.delete()  # with decisions, shortlist entries and notes, access log and invitations about them
    erasure.count("recruitment profiles", count)
    erasure.count("sponsor memberships", SponsorMember.objects.filter(user=user).delete()[0])
    # What the person did as a sponsor's recruiter stays with the sponsor, no longer naming them.
    AccessLogEntry.objects.filter(user=user).update(user=None)
    ShortlistEntry.objects.filter(added_by=user).update(added_by=None)
    Invitation.objects.filter(invited_by=user).update(invited_by=None)
    InterviewSlot.objects.filter(booked_by=user).update(booked_by=None)
    ComplimentaryPass.objects.filter(assigned_by=user).update(assigned_by=None)
    MemberInvitation.objects.filter(invited_by=user).update(invited_by=None)
    addressed = Q(pk__in=[])
    for email in sorted(erasure.emails):
        addressed |= Q(email__iexact=email)
    erasure.count("sponsor team invitations",
                  MemberInvitation.objects.filter(addressed | Q(accepted_by=user)).delete()[0])
    erasure.count("complimentary passes unbound",
                  ComplimentaryPass.objects.filter(addressed).update(email=erasure.replacement_email))


def purge_access_log(conference: Conference, *, now: datetime, dry_run: bool = False) -> PurgeResult:
    """The edition's sponsor access log, CONFSITE_RETENTION["access_log"] days after the edition."""
    due = privacy.retention_due(conference, "access_log")
    if now < due:
        return PurgeResult("access_log", due, 0, 0, "access-log entries")
    entries = AccessLogEntry.objects.filter(sponsor__conference=conference)
    count = entries.count() if dry_run else entries.delete()[0]
    return PurgeResult("access_log", due, count, 0, "access-log entries")


def connect() -> None:
    privacy.register("sponsors", exporter=export, eraser=erase)
    privacy.register_purge("access_log", purge_access_log)
