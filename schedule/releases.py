"""What changed between two releases of the programme, in sentences people read.

A change compares one session's frozen slot in the earlier release with its slot in the later one:
added (scheduled now, not before), cancelled (scheduled before, not now), moved in time, moved room.
Sentences are built when asked for, in the active language and the edition's time zone, so the
changelog page and each recipient's digest e-mail speak their reader's language.

Sessions deleted outright take their slots with them (Slot → Session cascades), so only sessions that
were unscheduled (start/end cleared) show as cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.utils import dateformat
from django.utils.translation import gettext as _

from confsite.models import Conference

from .models import Release, Room, Session, Slot


@dataclass(frozen=True)
class Placement:
    """Where and when a session is (a release's slot, or the working copy)."""

    start: datetime
    end: datetime
    room: Room | None

    @property
    def room_name(self) -> str:
        return self.room.name if self.room is not None else _("no room")


@dataclass(frozen=True)
class Change:
    ADDED = "added"
    CANCELLED = "cancelled"
    MOVED = "moved"

    kind: str
    session: Session
    before: Placement | None
    after: Placement | None
    zone: tzinfo

    @property
    def time_changed(self) -> bool:
        return (self.before is not None and self.after is not None
                and (self.before.start, self.before.end) != (self.after.start, self.after.end))

    @property
    def room_changed(self) -> bool:
        return (self.before is not None and self.after is not None
                and _room_id(self.before) != _room_id(self.after))

    @property
    def sentence(self) -> str:
        """e.g. "Poster session 3 moved from Tue 7 Jul 10:00 to Wed 8 Jul 14:00 (KST), Hall E → Hall C"."""
        title = self.session.title
        if self.kind == self.ADDED:
            return _("%(session)s added: %(when)s (%(zone)s), %(room)s") % {
                "session": title, "when": self._moment(self.after.start), "zone": self._zone(self.after.start),
                "room": self.after.room_name}
        if self.kind == self.CANCELLED:
            return _("%(session)s cancelled (was %(when)s (%(zone)s), %(room)s)") % {
                "session": title, "when": self._moment(self.before.start), "zone": self._zone(self.before.start),
                "room": self.before.room_name}
        rooms = {"old_room": self.before.room_name, "new_room": self.after.room_name}
        if self.before.start != self.after.start:
            text = _("%(session)s moved from %(old)s to %(new)s (%(zone)s)") % {
                "session": title, "old": self._moment(self.before.start), "new": self._moment(self.after.start),
                "zone": self._zone(self.after.start)}
        elif self.time_changed:
            text = _("%(session)s now ends at %(new)s instead of %(old)s (%(zone)s)") % {
                "session": title, "old": self._clock(self.before.end), "new": self._clock(self.after.end),
                "zone": self._zone(self.after.end)}
        else:
            return _("%(session)s moved from %(old_room)s to %(new_room)s") % {"session": title, **rooms}
        if self.room_changed:
            text = _("%(change)s, %(old_room)s → %(new_room)s") % {"change": text, **rooms}
        return text

    def _moment(self, when: datetime) -> str:
        return dateformat.format(when.astimezone(self.zone), "D j M H:i")

    def _clock(self, when: datetime) -> str:
        return dateformat.format(when.astimezone(self.zone), "H:i")

    def _zone(self, when: datetime) -> str:
        return when.astimezone(self.zone).tzname() or str(self.zone)


def _room_id(placement: Placement) -> int | None:
    return placement.room.pk if placement.room is not None else None


def compare(before: dict[int, Placement], after: dict[int, Placement], sessions: dict[int, Session],
            zone: tzinfo) -> list[Change]:
    """The changes from `before` to `after` (session id → placement), in the later programme's time order."""
    changes = []
    for session_id in before.keys() | after.keys():
        old, new = before.get(session_id), after.get(session_id)
        if old is None:
            kind = Change.ADDED
        elif new is None:
            kind = Change.CANCELLED
        elif (old.start, old.end, _room_id(old)) != (new.start, new.end, _room_id(new)):
            kind = Change.MOVED
        else:
            continue
        changes.append(Change(kind, sessions[session_id], old, new, zone))
    changes.sort(key=lambda c: ((c.after or c.before).start, c.session.title, c.session.pk))
    return changes


def _placements(slots) -> tuple[dict[int, Placement], dict[int, Session]]:
    placements, sessions = {}, {}
    for slot in slots:
        placements[slot.session_id] = Placement(slot.start, slot.end, slot.room)
        sessions[slot.session_id] = slot.session
    return placements, sessions


def release_changes(release: Release) -> list[Change]:
    """What `release` changed compared with the release before it (the first release adds everything).

    Two queries: the slots of both releases with their sessions and rooms.
    """
    conference = release.conference
    slots = (Slot.objects.filter(release__conference_id=release.conference_id,
                                 release__number__in=[release.number - 1, release.number])
             .select_related("session", "room", "release"))
    by_number: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_number[slot.release.number].append(slot)
    before, sessions = _placements(by_number[release.number - 1])
    after, later = _placements(by_number[release.number])
    return compare(before, after, {**sessions, **later}, conference.tzinfo)


def changelog(conference: Conference) -> list[tuple[Release, list[Change]]]:
    """Every release of `conference`, newest first, each with what it changed. Two queries in all."""
    releases = list(Release.objects.filter(conference=conference).order_by("number"))
    slots = (Slot.objects.filter(release__conference=conference)
             .select_related("session", "room").order_by("release_id"))
    by_release: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_release[slot.release_id].append(slot)
    zone = conference.tzinfo
    history, before, sessions = [], {}, {}
    for release in releases:
        after, current = _placements(by_release[release.pk])
        sessions.update(current)
        history.append((release, compare(before, after, sessions, zone)))
        before = after
    history.reverse()
    return history


def pending_changes(conference: Conference) -> list[Change]:
    """What publishing now would change: the latest release against the organisers' working copy."""
    latest = Release.objects.filter(conference=conference).order_by("-number").first()
    before, sessions = _placements(Slot.objects.filter(release=latest).select_related("session", "room")
                                   if latest else [])
    after = {}
    for session in (Session.objects.filter(conference=conference, start__isnull=False, end__isnull=False)
                    .select_related("room")):
        after[session.pk] = Placement(session.start, session.end, session.room)
        sessions[session.pk] = session
    return compare(before, after, sessions, conference.tzinfo)


# --- The digest: one e-mail per person per release, listing every change to what they starred -------

DIGEST_PURPOSE = "schedule_release"


@dataclass(frozen=True)
class StarredChange:
    change: Change
    papers: tuple[str, ...]  # titles of the starred papers presented in the session ("" if the session itself is starred)
    session_starred: bool


def starred_changes(conference: Conference, changes: list[Change]) -> dict[int, list[StarredChange]]:
    """user id → the changes that touch a session they starred, or a session presenting a paper they starred.

    Three queries whatever the number of people or changes.
    """
    from .models import Presentation, Star

    by_session = {c.session.pk: c for c in changes}
    if not by_session:
        return {}
    session_stars: dict[int, set[int]] = defaultdict(set)
    for user_id, session_id in (Star.objects.filter(conference=conference, session_id__in=by_session)
                                .values_list("user_id", "session_id")):
        session_stars[user_id].add(session_id)
    papers_in = defaultdict(list)  # paper id → [(session id, title)]
    for paper_id, session_id, title in (Presentation.objects.filter(session_id__in=by_session)
                                        .values_list("paper_id", "session_id", "paper__title")):
        papers_in[paper_id].append((session_id, title))
    paper_stars: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    if papers_in:
        for user_id, paper_id in (Star.objects.filter(conference=conference, paper_id__in=papers_in)
                                  .values_list("user_id", "paper_id")):
            for session_id, title in papers_in[paper_id]:
                paper_stars[user_id][session_id].append(title)
    result = {}
    for user_id in session_stars.keys() | paper_stars.keys():
        items = []
        for change in changes:
            sid = change.session.pk
            direct = sid in session_stars.get(user_id, ())
            titles = tuple(sorted(paper_stars.get(user_id, {}).get(sid, ())))
            if direct or titles:
                items.append(StarredChange(change, titles, direct))
        result[user_id] = items
    return result


def queue_digests(release: Release, changes: list[Change]) -> int:
    """Write one outbox e-mail per person whose starred sessions or papers `release` changed.

    Idempotent: the outbox key is (schedule_release, release pk, recipient), so writing the digests of
    a release twice finds the rows already written. Runs in the caller's transaction (the publish),
    so a rolled-back release sends nothing. Returns how many people have a digest for this release.
    A bounded number of queries: the starred changes (3), the people (1), one bulk INSERT per 500
    e-mails and one read-back; the outbox's own `queue_email` would take two statements per person.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from confsite import outbox
    from confsite.models import OutboxEmail

    conference = release.conference
    per_user = starred_changes(conference, changes)
    if not per_user:
        return 0
    users = get_user_model().objects.filter(pk__in=per_user, is_active=True).exclude(email="").only("email", "language")
    rows = []
    for user in users:
        context = {"conference": conference, "release": release, "user": user, "items": per_user[user.pk],
                   "site_url": settings.SITE_URL}
        language = user.language or ""
        subject, text, html = outbox.render_email("schedule/email/release_digest", context, language)
        rows.append(OutboxEmail(
            purpose=DIGEST_PURPOSE, object_key=str(release.pk), recipient=user.email.strip().lower(),
            subject=(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject)[:255], body_text=text, body_html=html,
            language=language, conference=conference, from_email=settings.DEFAULT_FROM_EMAIL))
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    due = list(OutboxEmail.objects.filter(purpose=DIGEST_PURPOSE, object_key=str(release.pk),
                                          status=OutboxEmail.Status.PENDING, attempts=0)
               .values_list("pk", flat=True))
    transaction.on_commit(lambda: [outbox.dispatch(pk) for pk in due])
    return len(rows)
