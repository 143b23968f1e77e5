"""One attendee's schedule: their starred sessions and papers placed by the latest release.

Read in four queries whatever the number of stars: the stars (with their sessions and papers), the
presentations of the starred papers, and the published slots of every session involved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from confsite.models import Conference

from .models import Paper, Presentation, Release, Room, Session, Slot, Star


@dataclass(eq=False)
class Item:
    """A starred session, or a starred paper in one of the sessions presenting it."""

    session: Session
    paper: Paper | None
    presentation: Presentation | None
    start: datetime
    end: datetime
    room: Room | None
    overlaps: list[Item] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.paper.title if self.paper is not None else self.session.title


@dataclass
class Day:
    day: date
    items: list[Item]


@dataclass
class MySchedule:
    release: Release | None
    days: list[Day]
    unscheduled_sessions: list[Session]
    unscheduled_papers: list[Paper]

    @property
    def is_empty(self) -> bool:
        return not (self.days or self.unscheduled_sessions or self.unscheduled_papers)

    @property
    def overlap_count(self) -> int:
        return sum(1 for d in self.days for i in d.items if i.overlaps)


def _talk_times(presentation: Presentation, slot: Slot) -> tuple[datetime, datetime]:
    # A talk's own times are a working copy that releases do not freeze: use them only inside the slot.
    if (presentation.start is not None and presentation.end is not None
            and slot.start <= presentation.start < presentation.end <= slot.end):
        return presentation.start, presentation.end
    return slot.start, slot.end


def mark_overlaps(items: list[Item]) -> None:
    """Flag every pair of items whose times overlap (touching ends do not), unless they share a session."""
    ordered = sorted(items, key=lambda i: (i.start, i.end))
    for index, item in enumerate(ordered):
        for other in ordered[index + 1:]:
            if other.start >= item.end:
                break
            if other.session.pk != item.session.pk:
                item.overlaps.append(other)
                other.overlaps.append(item)


def my_schedule(user, conference: Conference, release: Release | None) -> MySchedule:
    """`user`'s starred sessions and papers in `release`, in time order by day, with overlaps flagged.

    Stars on sessions or papers that the release does not place are listed apart ("not currently
    scheduled"): stars point at sessions and papers, never at a release, so they come back when a
    later release places them again.
    """
    stars = list(Star.objects.filter(user=user, conference=conference).select_related("session", "paper"))
    starred_sessions = {s.session_id: s.session for s in stars if s.session_id}
    starred_papers = {s.paper_id: s.paper for s in stars if s.paper_id}
    presentations = list(Presentation.objects.filter(paper_id__in=starred_papers, session__conference=conference)
                         .select_related("session")) if starred_papers else []
    session_ids = set(starred_sessions) | {p.session_id for p in presentations}
    slots = {}
    if release is not None and session_ids:
        slots = {s.session_id: s for s in Slot.objects.filter(release=release, session_id__in=session_ids)
                 .select_related("room")}
    items = []
    for session_id, session in starred_sessions.items():
        slot = slots.get(session_id)
        if slot is not None:
            items.append(Item(session, None, None, slot.start, slot.end, slot.room))
    placed_papers = set()
    for p in presentations:
        slot = slots.get(p.session_id)
        if slot is None:
            continue
        start, end = _talk_times(p, slot)
        items.append(Item(p.session, starred_papers[p.paper_id], p, start, end, slot.room))
        placed_papers.add(p.paper_id)
    mark_overlaps(items)
    zone = conference.tzinfo
    by_day = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.start, i.end, i.title)):
        by_day[item.start.astimezone(zone).date()].append(item)
    return MySchedule(
        release=release,
        days=[Day(day, by_day[day]) for day in sorted(by_day)],
        unscheduled_sessions=sorted((s for pk, s in starred_sessions.items() if pk not in slots), key=lambda s: s.title),
        unscheduled_papers=sorted((p for pk, p in starred_papers.items() if pk not in placed_papers),
                                  key=lambda p: p.title),
    )
