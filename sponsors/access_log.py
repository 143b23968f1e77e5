"""The recruitment access log: every profile view, CV download and export by a sponsor, written once
per read (attendees see it on their side; organisers see per-sponsor figures in admin)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import AccessLogEntry, RecruitmentProfile, Sponsor


def record_access(sponsor: Sponsor, user, profiles: Iterable[RecruitmentProfile | int], action: str,
                  channel: str = AccessLogEntry.Channel.PORTAL) -> int:
    """Log one `action` by `user` of `sponsor` for each profile, all at the same moment; returns the count."""
    now = timezone.now()
    user_id = user.pk if user is not None and user.is_authenticated else None
    entries = [AccessLogEntry(sponsor=sponsor, user_id=user_id, profile_id=getattr(p, "pk", p), action=action,
                              channel=channel, at=now) for p in profiles]
    AccessLogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def figures_by_sponsor(conference=None) -> QuerySet[Sponsor]:
    """Sponsors (of one edition, or all) with `views`, `cvs`, `exports` and `profiles` (distinct ones read)."""
    Action = AccessLogEntry.Action
    sponsors = Sponsor.objects.all() if conference is None else Sponsor.objects.filter(conference=conference)
    return (sponsors.select_related("tier", "conference")
            .annotate(views=Count("access_log", filter=Q(access_log__action=Action.VIEW)),
                      cvs=Count("access_log", filter=Q(access_log__action=Action.CV)),
                      exports=Count("access_log", filter=Q(access_log__action=Action.EXPORT)),
                      profiles=Count("access_log__profile", distinct=True))
            .order_by("conference__slug", "tier__position", "name"))
