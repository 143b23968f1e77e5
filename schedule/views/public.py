"""Public programme pages: no login, cached by release for anonymous visitors (see `caching`).

Every page reads the latest release (`request.release`, set by `cached_by_release`) and issues a
fixed number of queries whatever the size of the programme (tests assert it at two sizes). Nothing
personal is rendered here: the shared cache serves these pages to every anonymous visitor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby

from django.core.paginator import Paginator
from django.db.models import Case, F, Max, Min, Prefetch, Q, When
from django.db.models.functions import Length
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from confsite.editions import edition_view
from confsite.models import Conference

from .. import search as programme_search
from ..caching import cached_by_release
from ..models import Author, Authorship, Paper, Presentation, Release, Session, Slot, Speaker, Topic
from ..queries import published_slots

AUTHORS_IN_A_LINE = 10
PAPERS_PER_PAGE = 25
SEARCH_SESSIONS_SHOWN = 20
SEARCH_AUTHORS_SHOWN = 20
KINDS_WITH_POSTERS = {Session.Kind.POSTER}


# --- Days, filters ------------------------------------------------------------------------------

def day_bounds(edition: Conference, day: date) -> tuple[datetime, datetime]:
    """The start (inclusive) and end (exclusive) of `day` in the edition's zone, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=edition.tzinfo)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=edition.tzinfo)


def programme_days(edition: Conference, release: Release | None) -> list[date]:
    """The edition's days, widened to cover every session of the release (one query)."""
    first, last = edition.start_date, edition.end_date
    if release is not None:
        span = Slot.objects.filter(release=release).aggregate(first=Min("start"), last=Max("start"))
        if span["first"] is not None:
            first = min(first, span["first"].astimezone(edition.tzinfo).date())
            last = max(last, span["last"].astimezone(edition.tzinfo).date())
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def default_day(edition: Conference, days: list[date]) -> date:
    """Today during the conference, else its first day."""
    today = timezone.now().astimezone(edition.tzinfo).date()
    return today if today in days else days[0]


def _day_name(day: date) -> str:
    return formats.date_format(day, "l j F")


@dataclass
class Choices:
    """What the filter forms offer: days, kinds, topics (topics read once per page)."""

    days: list[date]
    topics: list[Topic]
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(Session.Kind.choices))


def parse_filters(request: HttpRequest, edition: Conference, choices: Choices, *,
                  day_required: bool) -> tuple[programme_search.Filters, date | None]:
    """The validated filters of the query string; each bad value is reported and ignored."""
    filters = programme_search.Filters()
    day = None
    raw_day = request.GET.get("day", "").strip()
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            day = None
        if day not in choices.days:
            day = None
            filters.errors.append(_("“%(day)s” is not a day of the programme: pick one of the listed days.")
                                  % {"day": raw_day[:20]})
    if day is None and day_required:
        day = default_day(edition, choices.days)
    if day is not None:
        filters.day_start, filters.day_end = day_bounds(edition, day)
    kind = request.GET.get("kind", "").strip()
    if kind:
        if kind in Session.Kind.values:
            filters.kind = kind
        else:
            filters.errors.append(_("There is no session kind “%(kind)s”: showing every kind.") % {"kind": kind[:40]})
    topic = request.GET.get("topic", "").strip()
    if topic:
        match = next((t for t in choices.topics if t.slug == topic), None)
        if match is None:
            filters.errors.append(_("There is no topic “%(topic)s”: showing every topic.") % {"topic": topic[:60]})
        else:
            filters.topic_id = match.pk
    board = request.GET.get("board", "").strip()
    if board:
        filters.board = programme_search.board_number(board)
        if filters.board is None:
            filters.errors.append(_("“%(board)s” is not a poster board number; they look like E-1042.")
                                  % {"board": board[:20]})
    return filters, day


def _choices(edition: Conference, release: Release | None) -> Choices:
    return Choices(days=programme_days(edition, release), topics=list(Topic.objects.filter(conference=edition)))


# --- The day grid -----------------------------------------------------------------------------

@dataclass
class Cell:
    slot: Slot | None = None
    rowspan: int = 1


@dataclass
class Grid:
    """A day as a table: one column per room (more where a room's sessions overlap), one row per
    interval between consecutive start/end times; a session spans the rows it lasts."""

    rooms: list[tuple[object, int]]  # (room or None, number of columns)
    rows: list[tuple[datetime, list[Cell]]]


def build_grid(slots: list[Slot]) -> Grid:
    boundaries = sorted({s.start for s in slots} | {s.end for s in slots})
    index = {moment: i for i, moment in enumerate(boundaries)}
    by_room: dict[object, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: (s.start, s.end)):
        by_room.setdefault(slot.room, []).append(slot)
    rooms = sorted(by_room, key=lambda r: (r is None, r.position if r else 0, r.name if r else "", r.pk if r else 0))
    columns: list[list[Slot]] = []
    header = []
    for room in rooms:
        lanes: list[list[Slot]] = []
        for slot in by_room[room]:
            lane = next((lane for lane in lanes if lane[-1].end <= slot.start), None)
            if lane is None:
                lanes.append([slot])
            else:
                lane.append(slot)
        columns.extend(lanes)
        header.append((room, len(lanes)))
    height = max(len(boundaries) - 1, 0)
    matrix: list[list[Cell | None]] = [[Cell() for _ in columns] for _ in range(height)]
    for c, lane in enumerate(columns):
        for slot in lane:
            first, last = index[slot.start], index[slot.end]
            matrix[first][c] = Cell(slot, last - first)
            for r in range(first + 1, last):
                matrix[r][c] = None  # covered by the rowspan above
    rows = [(boundaries[r], [cell for cell in matrix[r] if cell is not None]) for r in range(height)]
    return Grid(rooms=header, rows=rows)


@require_safe
@edition_view
@cached_by_release
def programme(request: HttpRequest, edition: Conference) -> HttpResponse:
    """One day of the latest release, as a grid by room (default) or as a list (`?view=list`)."""
    release = request.release
    if release is None:
        return render(request, "schedule/programme_unpublished.html", {"conference": edition})
    choices = _choices(edition, release)
    if not request.GET.get("day"):
        # The default day depends on the date, which the page cache does not key on: name it in the URL.
        params = request.GET.copy()
        params["day"] = default_day(edition, choices.days).isoformat()
        return redirect(f"{request.path}?{params.urlencode()}")
    filters, day = parse_filters(request, edition, choices, day_required=True)
    view = "list" if request.GET.get("view") == "list" else "grid"
    slots = programme_search.matching_sessions(release, "", filters).prefetch_related("session__speakers")
    slots = list(slots)
    context = {
        "conference": edition, "release": release, "choices": choices, "filters": filters, "day": day,
        "view": view, "slots": slots, "topic": request.GET.get("topic", ""), "kind": request.GET.get("kind", ""),
        "day_links": [(d, _day_name(d), d == day) for d in choices.days],
    }
    if view == "grid":
        context["grid"] = build_grid(slots)
    else:
        context["groups"] = [(start, list(group)) for start, group in groupby(slots, key=lambda s: s.start)]
    return render(request, "schedule/programme.html", context)


# --- Sessions, papers, people -----------------------------------------------------------------

@dataclass
class Row:
    """A poster or talk of a session page."""

    paper_id: int
    title: str
    board: str
    start: datetime | None
    end: datetime | None
    author_line: str = ""
    url: str = ""


def author_line(paper: Paper, limit: int = AUTHORS_IN_A_LINE) -> str:
    """"Ada Lovelace, Kim Minji and 62 more" from the prefetched authorships."""
    return join_names([a.author.name for a in paper.authorships.all()], limit)


def join_names(names: list[str], limit: int = AUTHORS_IN_A_LINE) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return _("%(names)s and %(count)d more") % {"names": ", ".join(names[:limit]), "count": len(names) - limit}


def _authorships() -> Prefetch:
    return Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position"))


def _appearances(release: Release | None, papers: list[Paper]) -> dict[int, list[Presentation]]:
    """Each paper's presentations in sessions of `release`, with `.slot` set, in time order (two queries)."""
    if release is None or not papers:
        return {}
    presentations = list(Presentation.objects.filter(paper__in=papers).select_related("session"))
    slots = {s.session_id: s for s in Slot.objects.filter(release=release,
                                                        session_id__in={p.session_id for p in presentations})
             .select_related("room")}
    found: dict[int, list[Presentation]] = {}
    for presentation in presentations:
        presentation.slot = slots.get(presentation.session_id)
        if presentation.slot is not None:
            found.setdefault(presentation.paper_id, []).append(presentation)
    for items in found.values():
        items.sort(key=lambda p: (p.slot.start, p.session.title))
    return found


@require_safe
@edition_view
@cached_by_release
def session_detail(request: HttpRequest, edition: Conference, code: str) -> HttpResponse:
    """A session of the latest release: its details and its posters or timed talks (404 otherwise)."""
    slot = (Slot.objects.select_related("session", "room")
            .filter(release=request.release, session__conference=edition, session__code=code).first()
            if request.release is not None else None)
    if slot is None:
        raise Http404(_("This session is not in the published programme."))
    session = slot.session
    # Plain rows, not model instances: a poster session holds 600 posters and thousands of authorships.
    presentations = Presentation.objects.filter(session=session)
    is_poster = session.kind in KINDS_WITH_POSTERS
    query, error, total = request.GET.get("q", "").strip(), "", None
    if is_poster:
        # Board order is the order of the hall (E-2 before E-10); posters still without a board come last.
        presentations = presentations.order_by(Case(When(board="", then=1), default=0), Length("board"), "board",
                                               "position", "pk")
        if len(query) > programme_search.MAX_QUERY_LENGTH:
            error, query = _("Search for at most %(count)d characters.") % {"count": programme_search.MAX_QUERY_LENGTH}, ""
        if query:
            total = Presentation.objects.filter(session=session).count()
            condition, _rank = programme_search.text_match("paper__search_text", query, fuzzy=False)
            board = programme_search.board_number(query)
            if board:
                condition |= Q(board__iexact=board)
            presentations = presentations.filter(condition)
    else:
        presentations = presentations.order_by(F("start").asc(nulls_last=True), "position", "pk")
    rows = [Row(*values) for values in presentations.values_list("paper_id", "paper__title", "board", "start", "end")]
    names: dict[int, list[str]] = {}
    for paper_id, name in (Authorship.objects.filter(paper__presentations__session=session)
                           .order_by("paper_id", "position").values_list("paper_id", "author__name")):
        names.setdefault(paper_id, []).append(name)
    paper_url = reverse("paper_detail", kwargs={"edition": edition.slug, "pk": 0}).removesuffix("0/")
    for row in rows:
        row.author_line = join_names(names.get(row.paper_id, []))
        row.url = f"{paper_url}{row.paper_id}/"
    return render(request, "schedule/session_detail.html", {
        "conference": edition, "release": request.release, "slot": slot, "session": session,
        "speakers": list(session.speakers.all()), "topics": list(session.topics.all()),
        "presentations": rows, "is_poster": is_poster, "query": query, "error": error,
        "total": total if total is not None else len(rows),
    })


@require_safe
@edition_view
@cached_by_release
def paper_detail(request: HttpRequest, edition: Conference, pk: int) -> HttpResponse:
    """A paper: abstract, ordered authors, topics, links, decision, and where it is presented."""
    paper = get_object_or_404(Paper.objects.prefetch_related(_authorships(), "topics"), conference=edition, pk=pk)
    return render(request, "schedule/paper_detail.html", {
        "conference": edition, "release": request.release, "paper": paper,
        "appearances": _appearances(request.release, [paper]).get(paper.pk, []),
    })


@require_safe
@edition_view
@cached_by_release
def author_detail(request: HttpRequest, edition: Conference, code: str) -> HttpResponse:
    """An author's name, affiliations and papers at this edition (never their OpenReview id or e-mail)."""
    author = get_object_or_404(Author, conference=edition, code=code)
    papers = list(Paper.objects.filter(authorships__author=author).order_by("title", "pk")
                  .prefetch_related(_authorships()))
    appearances = _appearances(request.release, papers)
    affiliations: list[str] = []
    for paper in papers:
        paper.author_line = author_line(paper)
        paper.appearances = appearances.get(paper.pk, [])
        for authorship in paper.authorships.all():
            if authorship.author_id == author.pk and authorship.affiliation and authorship.affiliation not in affiliations:
                affiliations.append(authorship.affiliation)
    return render(request, "schedule/author_detail.html", {
        "conference": edition, "release": request.release, "author": author, "papers": papers,
        "affiliations": affiliations,
    })


@require_safe
@edition_view
@cached_by_release
def speaker_detail(request: HttpRequest, edition: Conference, code: str) -> HttpResponse:
    """A speaker's name, affiliation, biography and sessions in the latest release (never the e-mail)."""
    speaker = get_object_or_404(Speaker, conference=edition, code=code)
    slots = list(published_slots(request.release).filter(session__speakers=speaker))
    return render(request, "schedule/speaker_detail.html", {
        "conference": edition, "release": request.release, "speaker": speaker, "slots": slots,
    })


# --- Search -------------------------------------------------------------------------------------

@require_safe
@edition_view
@cached_by_release
def search(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Papers, authors and sessions matching `q` and the filters (see `schedule.search` for the rules)."""
    release = request.release
    choices = _choices(edition, release)
    filters, day = parse_filters(request, edition, choices, day_required=False)
    query = request.GET.get("q", "").strip()
    if len(query) > programme_search.MAX_QUERY_LENGTH:
        filters.errors.append(_("Search for at most %(count)d characters.") % {"count": programme_search.MAX_QUERY_LENGTH})
        query = ""
    searched = bool(query or filters.board or filters.topic_id or filters.day_start or filters.kind)
    context = {
        "conference": edition, "release": release, "choices": choices, "filters": filters, "day": day,
        "query": query, "searched": searched, "kind": request.GET.get("kind", ""),
        "topic": request.GET.get("topic", ""), "board": request.GET.get("board", "").strip()[:20],
    }
    if searched:
        # One pass over the matches (ids in rank order), then only the page's papers are read.
        ids = list(programme_search.matching_papers(edition, release, query, filters).values_list("pk", flat=True))
        page = Paginator(ids, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
        found = Paper.objects.filter(pk__in=page.object_list).prefetch_related(_authorships()).in_bulk()
        results = [found[pk] for pk in page.object_list if pk in found]
        appearances = _appearances(release, results)
        for paper in results:
            paper.author_line = author_line(paper)
            paper.appearances = appearances.get(paper.pk, [])
        sessions = list(programme_search.matching_sessions(release, query, filters)[:SEARCH_SESSIONS_SHOWN + 1])
        authors = list(programme_search.matching_authors(edition, query)[:SEARCH_AUTHORS_SHOWN + 1]
                       if not (filters.board or filters.topic_id or filters.by_slot) else [])
        context.update({
            "page": page, "papers": results,
            "sessions": sessions[:SEARCH_SESSIONS_SHOWN], "more_sessions": len(sessions) > SEARCH_SESSIONS_SHOWN,
            "authors": authors[:SEARCH_AUTHORS_SHOWN], "more_authors": len(authors) > SEARCH_AUTHORS_SHOWN,
        })
    return render(request, "schedule/search.html", context)
