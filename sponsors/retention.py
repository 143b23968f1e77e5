"""Recruitment data does not outlive its purpose: after an edition's last sponsor access window ends,
profiles and CVs are deleted unless their owner chose to keep them for the next edition.

Kept profiles stay, but stop being shared (a "withdrawn" row in the consent ledger), and what
sponsors recorded about them (shortlists and notes, access log, per-sponsor decisions) is deleted.
The consent ledger itself is kept: it is the record of what each person agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from confsite.models import Conference
from confsite.periodic import sweeper

from . import services
from .models import AccessLogEntry, Invitation, RecruitmentProfile, ShortlistEntry, SponsorDecision, Tier

GRACE_WITHOUT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Purge:
    due: datetime
    deleted: int
    kept: int
    files: int


def retention_due(conference: Conference) -> datetime:
    """When the edition's recruitment data expires: the end of its last access window, or 30 days after
    the last day (end of day in the edition's zone) if no tier has a window."""
    last = Tier.objects.filter(conference=conference).aggregate(last=Max("access_until"))["last"]
    if last is not None:
        return last
    end = datetime.combine(conference.end_date, time.max, tzinfo=conference.tzinfo)
    return end + GRACE_WITHOUT_WINDOW


def purge(conference: Conference, *, now: datetime | None = None, dry_run: bool = False) -> Purge:
    """Delete the edition's expired recruitment data (nothing before `retention_due`). Safe to run again."""
    now = now or timezone.now()
    due = retention_due(conference)
    profiles = RecruitmentProfile.objects.filter(conference=conference)
    doomed = profiles.filter(keep_for_next_edition=False)
    kept = profiles.filter(keep_for_next_edition=True)
    if now < due:
        return Purge(due, 0, 0, 0)
    if dry_run:
        files = doomed.exclude(cv="").count()
        return Purge(due, doomed.count(), kept.count(), files)
    with transaction.atomic():
        # Lock the edition's profiles so that no CV is uploaded between listing the files and deleting.
        list(profiles.select_for_update().values_list("pk", flat=True))
        files = list(doomed.exclude(cv="").values_list("cv", flat=True))
        deleted = doomed.count()
        doomed.delete()  # cascades to decisions, shortlist entries, access log, invitations
        kept_ids = list(kept.values_list("pk", flat=True))
        for profile in kept.filter(opted_in=True):
            services.opt_out(profile)
        # What sponsors recorded about a kept profile goes too: it is kept for its owner, not for them.
        AccessLogEntry.objects.filter(profile_id__in=kept_ids).delete()
        ShortlistEntry.objects.filter(profile_id__in=kept_ids).delete()
        SponsorDecision.objects.filter(profile_id__in=kept_ids).delete()
        Invitation.objects.filter(profile_id__in=kept_ids).delete()
        storage = RecruitmentProfile._meta.get_field("cv").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return Purge(due, deleted, len(kept_ids), len(files))


def has_expired_data(conference: Conference) -> bool:
    """True while the edition holds recruitment data that `purge` would remove: an unkept profile, a kept
    one still shared, or anything sponsors recorded about a kept one (also from before its owner stopped
    sharing)."""
    profiles = RecruitmentProfile.objects.filter(conference=conference)
    kept = profiles.filter(keep_for_next_edition=True)
    return (profiles.filter(Q(keep_for_next_edition=False) | Q(opted_in=True)).exists()
            or any(model.objects.filter(profile__in=kept).exists()
                   for model in (AccessLogEntry, ShortlistEntry, SponsorDecision, Invitation)))


@sweeper("sponsors.recruitment_retention")
def purge_expired(now: datetime | None = None) -> int:
    """The periodic sweep: purge every edition whose recruitment data has expired and still has some.

    Returns the number of profiles deleted.
    """
    now = now or timezone.now()
    total = 0
    for conference in Conference.objects.filter(recruitment_profiles__isnull=False).distinct():
        if retention_due(conference) <= now and has_expired_data(conference):
            total += purge(conference, now=now).deleted
    return total
