"""Poster boards: numbering the posters of a poster session, and authors needed in two places at once."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from confsite.models import Conference

from . import caching
from .models import Author, Authorship, Paper, Presentation, Session
from .services import ScheduleError


@dataclass(frozen=True)
class BoardAssignment:
    assigned: list[str]  # the boards given now, in order
    kept: int            # posters that already had a board

    @property
    def total(self) -> int:
        return len(self.assigned) + self.kept


@transaction.atomic
def assign_boards(session: Session) -> BoardAssignment:
    """Give every poster of `session` without a board the next free board of its room's range.

    Boards are `{room.board_prefix}-{n}` from `room.board_start` upwards; posters are numbered in the
    order of their papers' external ids, so the same programme always gets the same boards. Posters
    that have a board keep it (also one typed by hand), and their numbers are skipped: re-running
    after late additions numbers only the newcomers. The session's row is locked meanwhile, so two
    organisers assigning at once cannot hand out one board twice.
    """
    session = Session.objects.select_for_update(of=("self",)).select_related("room").get(pk=session.pk)
    if session.kind != Session.Kind.POSTER:
        raise ScheduleError(f"“{session.title}” is not a poster session (kind: {session.get_kind_display()}): "
                            "only posters get boards.")
    room = session.room
    if room is None:
        raise ScheduleError(f"“{session.title}” has no room: place it in a poster hall first, then assign boards.")
    if not room.board_prefix:
        raise ScheduleError(f"The room “{room.name}” of “{session.title}” has no poster board prefix: give the room "
                            "one (e.g. “E” for boards E-1001 …), then assign boards again.")
    pattern = re.compile(rf"^{re.escape(room.board_prefix)}-(\d+)$")
    # Ordered in Python: the database's collation (PostgreSQL's locale vs SQLite's bytes) must not
    # decide the numbering.
    presentations = sorted(Presentation.objects.filter(session=session).select_related("paper")
                           .only("pk", "board", "paper__external_id"),
                           key=lambda p: (p.paper.external_id, p.pk))
    taken = {int(m.group(1)) for p in presentations if p.board and (m := pattern.match(p.board))}
    number, changed = room.board_start, []
    for presentation in presentations:
        if presentation.board:
            continue
        while number in taken:
            number += 1
        presentation.board = f"{room.board_prefix}-{number}"
        taken.add(number)
        changed.append(presentation)
    Presentation.objects.bulk_update(changed, ["board"], batch_size=500)
    if changed:
        transaction.on_commit(lambda: caching.bump(session.conference_id))
    return BoardAssignment(assigned=[p.board for p in changed], kept=len(presentations) - len(changed))


@dataclass(frozen=True)
class Appearance:
    session: Session
    papers: list[Paper]


@dataclass(frozen=True)
class AuthorConflict:
    """One author presenting in two poster sessions whose (working-copy) times overlap."""

    author: Author
    first: Appearance
    second: Appearance


def simultaneous_author_conflicts(conference: Conference,
                                  kinds: tuple[str, ...] = (Session.Kind.POSTER,)) -> list[AuthorConflict]:
    """Authors with posters in two sessions of `conference` that overlap in time, one entry per pair.

    Uses the sessions' working-copy start and end (what organisers are editing), so a clash shows
    before it is published; sessions without times are ignored. Sorted by author name, then by the
    first session's start. Four queries whatever the size of the programme.
    """
    sessions = {s.pk: s for s in Session.objects.filter(conference=conference, kind__in=kinds, start__isnull=False,
                                                        end__isnull=False).select_related("room")}
    if len(sessions) < 2:
        return []
    rows = (Authorship.objects.filter(paper__presentations__session__in=list(sessions))
            .values_list("author_id", "paper__presentations__session_id", "paper_id"))
    by_author: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for author_id, session_id, paper_id in rows:
        by_author[author_id][session_id].add(paper_id)
    pairs: list[tuple[int, int, int]] = []
    for author_id, appearances in by_author.items():
        if len(appearances) < 2:
            continue
        ordered = sorted(appearances, key=lambda pk: (sessions[pk].start, pk))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if sessions[b].start >= sessions[a].end:
                    break
                pairs.append((author_id, a, b))
    if not pairs:
        return []
    authors = Author.objects.in_bulk({author_id for author_id, _, _ in pairs})
    paper_ids = {pid for author_id, a, b in pairs for pid in by_author[author_id][a] | by_author[author_id][b]}
    papers = Paper.objects.only("pk", "title", "external_id").in_bulk(paper_ids)

    def appearance(author_id: int, session_id: int) -> Appearance:
        found = sorted((papers[pid] for pid in by_author[author_id][session_id]), key=lambda p: (p.title, p.pk))
        return Appearance(session=sessions[session_id], papers=found)

    conflicts = [AuthorConflict(author=authors[author_id], first=appearance(author_id, a),
                                second=appearance(author_id, b)) for author_id, a, b in pairs]
    conflicts.sort(key=lambda c: (c.author.name, c.author.pk, c.first.session.start, c.second.session.start))
    return conflicts
