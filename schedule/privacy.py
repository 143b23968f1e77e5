"""The schedule's part of data protection: a person's stars and calendar feeds.

Paper authorship is not personal data the attendee can erase here: it is the public record of the
programme (names as published), kept by the programme chairs.
"""

from __future__ import annotations

from typing import Any

from confsite import privacy
from confsite.models import User
from confsite.privacy import Erasure, iso

from .models import CalendarFeed, Star


def export(user: User) -> dict[str, Any]:
    """Stars and calendar feeds (never the feed's secret token): 2 queries."""
    stars = Star.objects.filter(user=user).select_related("conference", "session", "paper").order_by("created_at", "id")
    feeds = CalendarFeed.objects.filter(user=user).select_related("conference").order_by("created_at", "id")
    return {
        "stars": [{"edition": s.conference.slug, "session": s.session.title if s.session else None,
                   "paper": s.paper.title if s.paper else None, "starred_at": iso(s.created_at)} for s in stars],
        "calendar_feeds": [{"edition": f.conference.slug, "created_at": iso(f.created_at),
                            "revoked_at": iso(f.revoked_at)} for f in feeds],
    }


def erase(user: User, erasure: Erasure) -> None:
    erasure.count("stars", Star.objects.filter(user=user).delete()[0])
    erasure.count("calendar feeds", CalendarFeed.objects.filter(user=user).delete()[0])


def connect() -> None:
    privacy.register("schedule", exporter=export, eraser=erase)
