"""Reusable reads of the published programme and of authorship.

Other apps read the schedule only through this module (and `services`): registration's visa letters
and author attendance, and sponsors' recruitment profiles, ask `papers_for_person`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from confsite.models import Conference

from .models import Author, Authorship, Paper, Release, Slot


def latest_release(conference: Conference) -> Release | None:
    """The release the public sees: the highest number, or None before the first release."""
    return Release.objects.filter(conference=conference).order_by("-number").first()


def published_slots(release: Release | None) -> QuerySet[Slot]:
    """The slots of `release` with their session and room, in time order (empty before any release)."""
    if release is None:
        return Slot.objects.none()
    return (Slot.objects.filter(release=release)
            .select_related("session", "room")
            .order_by("start", "room__position", "room__name", "session__title"))


def authors_matching(conference: Conference, *, openreview_ids: Iterable[str] = (),
                     emails: Iterable[str] = ()) -> QuerySet[Author]:
    """The authors at `conference` who are this person: same OpenReview id, or same e-mail (case-insensitive).

    Never matches on names. Empty identifiers are ignored; with none given the result is empty.
    """
    ids = {i.strip() for i in openreview_ids if i and i.strip()}
    mails = {e.strip().lower() for e in emails if e and e.strip()}
    condition = Q(pk__in=[])
    if ids:
        condition |= Q(openreview_id__in=ids)
    for mail in mails:
        condition |= Q(email__iexact=mail)
    return Author.objects.filter(conference=conference).filter(condition)


def papers_for_person(conference: Conference, *, openreview_ids: Iterable[str] = (),
                      emails: Iterable[str] = ()) -> QuerySet[Paper]:
    """The papers at `conference` that this person (by OpenReview id or e-mail) is an author of.

    Ordered by title, each with its authorships (and authors) prefetched in author order.
    """
    authors = authors_matching(conference, openreview_ids=openreview_ids, emails=emails)
    return (Paper.objects.filter(conference=conference, authorships__author__in=authors)
            .distinct()
            .order_by("title", "pk")
            .prefetch_related(Prefetch("authorships", queryset=Authorship.objects.select_related("author"))))
