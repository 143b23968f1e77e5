"""Programme search: papers (title, authors, keywords, topics), authors, sessions, board numbers.

Every searched column holds text folded in Python (`schedule.models.normalize`: accents stripped,
case folded, Hangul kept), and the query is folded the same way, so "muller" finds "Müller" and
"MÜLLER" on every database.

- On PostgreSQL a row matches when every query word occurs in it as a substring, *or* when the
  query is close to some run of words in it by pg_trgm's `word_similarity(query, text) >= 0.5`, so
  "trasformer" finds "Transformer" (0.64) and "Transformers" (0.57; pg_trgm's own `%>` operator
  stops at 0.6, which is why the threshold is explicit here). Rows are ranked by that similarity.
  At ICML size (3,300 papers, 9,000 authors) PostgreSQL scans the table for this either way (its
  planner does not price the similarity function), about 40 ms a search; the substring part alone
  can use the GIN trigram indexes of migration 0002.
- On SQLite (the embedded default) the stated fallback is the substring rule alone: every folded
  query word must occur in the row, no typo tolerance; rows are ordered by title.

A query that looks like a poster board ("E-1042", "e1042") also matches that board exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Value
from django.db.models.lookups import GreaterThanOrEqual

from confsite.models import Conference

from .models import Author, Paper, Presentation, Release, Session, Slot, normalize

MAX_QUERY_LENGTH = 200
# word_similarity at or above which a misspelt query still matches (PostgreSQL only).
TYPO_THRESHOLD = 0.5
_BOARD = re.compile(r"^([A-Za-z]{1,4})-?(\d{1,6})$")


class WordSimilarity(Func):
    """pg_trgm's `word_similarity(query, text)`: how well `query` matches some run of words in `text`."""

    function = "word_similarity"
    output_field = FloatField()


def trigram_available() -> bool:
    return connection.vendor == "postgresql"


def board_number(query: str) -> str | None:
    """"e1042" / "E-1042" → "E-1042"; None if the query does not look like a board number."""
    match = _BOARD.match(query.strip())
    if not match:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}"


def text_match(column: str, query: str, *, fuzzy: bool = True) -> tuple[Q, object | None]:
    """The condition for `column` (a folded column) to match `query`, and a rank expression (or None).

    `fuzzy=False` keeps the substring rule alone on every database (the poster filter of a session
    page, which should narrow a list exactly as its script does in the browser).
    """
    folded = normalize(query)
    words = folded.split()
    condition = Q()
    for word in words:
        condition &= Q(**{f"{column}__contains": word})
    if not fuzzy or not trigram_available() or not folded:
        return condition, None
    rank = WordSimilarity(Value(folded), F(column))
    return condition | Q(GreaterThanOrEqual(rank, TYPO_THRESHOLD)), rank


@dataclass
class Filters:
    """Validated filters of a search or programme page (None: not filtered)."""

    day_start: object | None = None  # aware datetime, inclusive
    day_end: object | None = None    # aware datetime, exclusive
    kind: str | None = None
    topic_id: int | None = None
    board: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def by_slot(self) -> bool:
        return self.day_start is not None or self.kind is not None


def matching_papers(conference: Conference, release: Release | None, query: str, filters: Filters) -> QuerySet[Paper]:
    """Papers of `conference` matching `query` (text or board) and `filters`, best first.

    Day and kind filters keep papers presented in a session of the latest release on that day or
    of that kind; the topic filter keeps papers with that topic; the board filter one board.
    """
    papers = Paper.objects.filter(conference=conference)
    rank = None
    if query.strip():
        condition, rank = text_match("search_text", query)
        board = board_number(query)
        if board:
            condition |= Q(Exists(Presentation.objects.filter(paper=OuterRef("pk"), board__iexact=board)))
        papers = papers.filter(condition)
    if filters.board:
        papers = papers.filter(Exists(Presentation.objects.filter(paper=OuterRef("pk"), board__iexact=filters.board)))
    if filters.topic_id is not None:
        papers = papers.filter(Exists(Paper.topics.through.objects.filter(paper=OuterRef("pk"), topic=filters.topic_id)))
    if filters.by_slot:
        slots = _slots(release, filters).filter(session__presentations__paper=OuterRef("pk"))
        papers = papers.filter(Exists(slots))
    if rank is not None:
        return papers.annotate(rank=rank).order_by("-rank", "title", "pk")
    return papers.order_by("title", "pk")


def matching_sessions(release: Release | None, query: str, filters: Filters) -> QuerySet[Slot]:
    """Slots of the latest release whose session title or description matches `query` and `filters`."""
    slots = _slots(release, filters).select_related("session", "room")
    if filters.topic_id is not None:
        slots = slots.filter(Exists(Session.topics.through.objects.filter(session=OuterRef("session"),
                                                                         topic=filters.topic_id)))
    if filters.board:
        slots = slots.filter(Exists(Presentation.objects.filter(session=OuterRef("session"),
                                                                board__iexact=filters.board)))
    if query.strip():
        condition, rank = text_match("session__search_text", query)
        slots = slots.filter(condition)
        if rank is not None:
            return slots.annotate(rank=rank).order_by("-rank", "start", "session__title")
    return slots.order_by("start", "room__position", "session__title")


def matching_authors(conference: Conference, query: str) -> QuerySet[Author]:
    """Authors of `conference` whose name matches `query`, best first."""
    if not query.strip():
        return Author.objects.none()
    condition, rank = text_match("search_name", query)
    authors = Author.objects.filter(conference=conference).filter(condition)
    if rank is not None:
        return authors.annotate(rank=rank).order_by("-rank", "name", "pk")
    return authors.order_by("name", "pk")


def _slots(release: Release | None, filters: Filters) -> QuerySet[Slot]:
    if release is None:
        return Slot.objects.none()
    slots = Slot.objects.filter(release=release)
    if filters.day_start is not None:
        slots = slots.filter(start__gte=filters.day_start, start__lt=filters.day_end)
    if filters.kind is not None:
        slots = slots.filter(session__kind=filters.kind)
    return slots

