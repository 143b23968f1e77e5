"""Operations on the programme. Each is one transaction with explicit arguments.

Other apps call these (and `queries`); views and admin actions are thin wrappers around them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite.models import Conference

from . import caching, releases
from .models import Authorship, CalendarFeed, Paper, Release, Session, Slot, Star, normalize


class ScheduleError(Exception):
    """An operation that cannot be done; the message is a sentence for the person who asked."""


def refresh_search_text(papers: Iterable[Paper]) -> int:
    """Rebuild the folded search text (title, authors, keywords, topics) of `papers`; returns how many.

    Call after changing a paper's title, authors, keywords or topics in bulk (imports do).
    """
    ids = [p.pk for p in papers]
    rows = (Paper.objects.filter(pk__in=ids)
            .prefetch_related(Prefetch("authorships", queryset=Authorship.objects.select_related("author")), "topics"))
    changed = []
    for paper in rows:
        parts = [paper.title, paper.keywords]
        parts += [a.author.name for a in paper.authorships.all()]
        parts += [t.name for t in paper.topics.all()]
        text = normalize(" ".join(parts))
        if text != paper.search_text:
            paper.search_text = text
            changed.append(paper)
    Paper.objects.bulk_update(changed, ["search_text"], batch_size=500)
    return len(changed)


@transaction.atomic
def publish_release(conference: Conference, *, user=None, comment: str = "") -> Release:
    """Freeze every placed session's time and room into a new, numbered release of `conference`.

    Sessions without a start and end are not part of the release (they are drafts). Numbers are
    1, 2, 3 … per edition; two organisers publishing at once get consecutive numbers (the edition's
    row is locked for the numbering). In the same transaction, everyone whose starred sessions (or
    sessions presenting their starred papers) this release changed gets one digest e-mail through
    the outbox (see `releases.queue_digests`); the first release sends none, as nothing moved.
    """
    Conference.objects.select_for_update().filter(pk=conference.pk).first()
    sessions = list(Session.objects.filter(conference=conference, start__isnull=False, end__isnull=False))
    if not sessions:
        raise ScheduleError("There is nothing to publish: give at least one session a start and an end first.")
    number = (Release.objects.filter(conference=conference).aggregate(n=Max("number"))["n"] or 0) + 1
    release = Release.objects.create(conference=conference, number=number, published_at=timezone.now(),
                                     published_by=user, comment=comment)
    Slot.objects.bulk_create([Slot(release=release, session=s, room_id=s.room_id, start=s.start, end=s.end)
                              for s in sessions], batch_size=1000)
    if number > 1:
        release.conference = conference
        releases.queue_digests(release, releases.release_changes(release))
    transaction.on_commit(lambda: caching.bump(conference.pk))
    return release


# --- Stars: an attendee's sessions and papers ------------------------------------------------------

def star_target(conference: Conference, *, session_code: str = "", paper_id: str | int = "") -> Session | Paper:
    """The session (by public code) or paper (by id) of `conference` to star; ScheduleError if none."""
    session_code, paper_id = str(session_code or "").strip(), str(paper_id or "").strip()
    if bool(session_code) == bool(paper_id):
        raise ScheduleError(_("Say which session or which paper to star."))
    if session_code:
        session = Session.objects.filter(conference=conference, code=session_code.upper()).first()
        if session is None:
            raise ScheduleError(_("There is no session “%(code)s” in this programme.") % {"code": session_code})
        return session
    paper = Paper.objects.filter(conference=conference, pk=int(paper_id)).first() if paper_id.isdigit() else None
    if paper is None:
        raise ScheduleError(_("There is no paper “%(id)s” in this programme.") % {"id": paper_id})
    return paper


def _star_fields(target: Session | Paper) -> dict:
    return {"session": target} if isinstance(target, Session) else {"paper": target}


def star(user, target: Session | Paper) -> Star:
    """Star a session or paper for `user`; starring it again changes nothing (and two clicks at once make one star)."""
    fields = _star_fields(target)
    existing = Star.objects.filter(user=user, **fields).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Star.objects.create(user=user, conference_id=target.conference_id, **fields)
    except IntegrityError:  # a concurrent click won the race
        return Star.objects.get(user=user, **fields)


def unstar(user, target: Session | Paper) -> bool:
    """Remove `user`'s star on a session or paper; True if there was one."""
    deleted, _counts = Star.objects.filter(user=user, **_star_fields(target)).delete()
    return bool(deleted)


def starred_ids(user, conference: Conference) -> tuple[list[str], list[int]]:
    """The codes of the sessions and the ids of the papers `user` starred at `conference` (one query)."""
    codes, papers = [], []
    for code, paper_id in (Star.objects.filter(user=user, conference=conference)
                           .values_list("session__code", "paper_id").order_by("pk")):
        if code:
            codes.append(code)
        if paper_id:
            papers.append(paper_id)
    return codes, papers


def starred_pks(user, conference: Conference) -> tuple[set[int], set[int]]:
    """The primary keys of the sessions and of the papers `user` starred at `conference` (one query)."""
    sessions, papers = set(), set()
    for session_id, paper_id in Star.objects.filter(user=user, conference=conference).values_list("session_id", "paper_id"):
        if session_id:
            sessions.add(session_id)
        if paper_id:
            papers.add(paper_id)
    return sessions, papers


def is_starred(user, target: Session | Paper) -> bool:
    return Star.objects.filter(user=user, **_star_fields(target)).exists()


# --- Private calendar feeds ------------------------------------------------------------------------

def active_calendar_feed(user, conference: Conference) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, conference=conference, revoked_at__isnull=True).first()


@transaction.atomic
def create_calendar_feed(user, conference: Conference, *, replace: bool = False) -> CalendarFeed:
    """The person's active feed for `conference`, created if there is none.

    With `replace`, the active feed is revoked first and a new secret issued: the old URL answers 404
    from then on, for whoever has it.
    """
    if replace:
        revoke_calendar_feed(user, conference)
    feed = active_calendar_feed(user, conference)
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user, conference=conference)
    except IntegrityError:  # created by a concurrent request (one active feed per person and edition)
        return active_calendar_feed(user, conference)


def revoke_calendar_feed(user, conference: Conference) -> int:
    """Revoke the person's active feed for `conference` (its URL answers 404 from now on); returns how many."""
    return CalendarFeed.objects.filter(user=user, conference=conference, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
