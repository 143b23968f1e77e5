"""The schedule's part of data protection: a person's stars and calendar feeds, and what the programme
holds about them privately.

Paper authorship on erasure. The authors of an accepted paper are part of a published scientific record
(the proceedings, OpenReview, arXiv, citations): removing or replacing a name would falsify the programme
and would not take the name out of the world, so the name stays on the paper, with its per-paper
affiliation and author position, exactly as published. What is private goes: an `Author` matched to the
person (by any e-mail address of their account, or by an OpenReview id from their registrations — the
same rule as everywhere else, never by name) loses its e-mail and OpenReview id and is marked
`erased_at`. Nothing then links the published name to the account: author attendance no longer counts
them, reminders no longer reach them, and a later paper import cannot match the row (a re-import from
the submission system creates a fresh author from that system's data, which is the programme chairs'
record, not this account's). The same holds for a `Speaker` (keynote, invited): the published name and
biography stay, the private e-mail goes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from confsite import privacy
from confsite.models import User
from confsite.privacy import Erasure, iso

from .models import Author, Authorship, CalendarFeed, Speaker, Star


def export(user: User) -> dict[str, Any]:
    """Stars and calendar feeds (never the feed's secret token), and the author and speaker records
    that carry one of the person's addresses or OpenReview ids (the same rule as the erasure, never
    by name) with the papers they are on: 4 queries plus those of `privacy.identities`."""
    stars = Star.objects.filter(user=user).select_related("conference", "session", "paper").order_by("created_at", "id")
    feeds = CalendarFeed.objects.filter(user=user).select_related("conference").order_by("created_at", "id")
    ids = privacy.identities(user)
    emails, openreview_ids = ids.get("email", set()), ids.get("openreview_id", set())
    authors = (Author.objects.filter(_by_email(emails) | Q(openreview_id__in=sorted(openreview_ids)))
               .select_related("conference").order_by("conference__start_date", "id")
               .prefetch_related(Prefetch("authorships", queryset=Authorship.objects.select_related("paper")
                                          .order_by("paper__title", "paper_id"))))
    speakers = Speaker.objects.filter(_by_email(emails)).select_related("conference").order_by("conference__start_date", "id")
    return {
        "stars": [{"edition": s.conference.slug, "session": s.session.title if s.session else None,
                   "paper": s.paper.title if s.paper else None, "starred_at": iso(s.created_at)} for s in stars],
        "calendar_feeds": [{"edition": f.conference.slug, "created_at": iso(f.created_at),
                            "revoked_at": iso(f.revoked_at)} for f in feeds],
        "author_records": [{"edition": a.conference.slug, "name": a.name, "email": a.email,
                            "openreview_id": a.openreview_id,
                            "papers": [{"title": ship.paper.title, "author_position": ship.position,
                                        "affiliation": ship.affiliation} for ship in a.authorships.all()]}
                           for a in authors],
        "speaker_records": [{"edition": sp.conference.slug, "name": sp.name, "email": sp.email,
                             "affiliation": sp.affiliation, "biography": sp.biography, "homepage": sp.homepage}
                            for sp in speakers],
    }


def _by_email(emails: set[str]) -> Q:
    condition = Q(pk__in=[])
    for email in sorted(emails):
        condition |= Q(email__iexact=email)
    return condition


def erase(user: User, erasure: Erasure) -> None:
    erasure.count("stars", Star.objects.filter(user=user).delete()[0])
    erasure.count("calendar feeds", CalendarFeed.objects.filter(user=user).delete()[0])
    # Every edition: the person may have authored papers in several years.
    ids = erasure.identities.get("openreview_id", set())
    authors = Author.objects.filter(_by_email(erasure.emails) | Q(openreview_id__in=sorted(ids)), erased_at__isnull=True)
    erasure.count("author identifiers",
                  authors.update(email="", openreview_id="", erased_at=timezone.now()))
    erasure.count("speaker e-mail addresses", Speaker.objects.filter(_by_email(erasure.emails)).update(email=""))


def connect() -> None:
    privacy.register("schedule", exporter=export, eraser=erase)
