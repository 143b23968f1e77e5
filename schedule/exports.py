"""The published programme as iCal (RFC 5545) and as frab `schedule.xml` / `schedule.json`.

Each export is built from one release's frozen slots, in a fixed number of queries whatever the size
of the programme (slots with sessions and rooms, speakers, presentations with papers, authorships with
authors). Event granularity follows the issue: every talk of an oral session and every poster is its
own event (a poster carries its board number in its subtitle and description), and a session without
papers (keynote, tutorial, workshop, social, break) is an event itself. Poster sessions therefore
export as one event per poster, which is what lets a conference app star a single poster.

Identifiers are stable across releases: a session event's iCal UID is `<code>@<edition>.confsite` and
its frab guid a UUID5 of the session's public URL; a presentation's add the paper id. frab integer ids
are odd for sessions (2·pk − 1) and even for presentations (2·pk), so the two never collide.

A talk's own start/end (Presentation) are a working copy that releases do not freeze; they are used
only when they lie inside the session's published slot, otherwise the talk takes the session's times.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from confsite.models import Conference

from .models import Authorship, Presentation, Release, Room, Session, Slot

GENERATOR = "Confsite"
FRAB_TYPES = {
    Session.Kind.KEYNOTE: "keynote", Session.Kind.INVITED: "talk", Session.Kind.ORAL: "talk",
    Session.Kind.SPOTLIGHT: "talk", Session.Kind.POSTER: "poster", Session.Kind.TUTORIAL: "workshop",
    Session.Kind.WORKSHOP: "workshop", Session.Kind.EXPO: "talk", Session.Kind.SOCIAL: "other",
    Session.Kind.BREAK: "other",
}


def kind_labels() -> dict[str, str]:
    """Session kinds' labels in the active language, computed once per export.

    `get_kind_display()` rebuilds a dict of lazy labels (and translates each) on every call, which
    cost more than everything else put together at 3,400 events.
    """
    return {value: str(label) for value, label in Session.Kind.choices}


@dataclass(frozen=True)
class Talk:
    """A paper in a session, read as a plain row (model instances cost a third of the build at ICML size)."""

    pk: int
    session_id: int
    paper_id: int
    board: str
    start: datetime | None
    end: datetime | None
    title: str
    abstract: str
    openreview_url: str
    arxiv_url: str


@dataclass
class Person:
    code: str
    name: str
    pk: int


@dataclass
class Event:
    id: int
    kind_label: str
    guid: str
    uid: str
    session: Session
    presentation: Talk | None
    title: str
    start: datetime
    end: datetime
    room: Room | None
    abstract: str
    description: str
    subtitle: str
    url: str
    persons: list[Person] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (type, url, title)

    @property
    def room_name(self) -> str:
        return self.room.name if self.room is not None else _("Room to be announced")


@dataclass
class Programme:
    conference: Conference
    release: Release | None
    events: list[Event]


def _site(path: str) -> str:
    return settings.SITE_URL + path


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, _site("/" + "/".join(str(p) for p in parts))))


def acronym(conference: Conference) -> str:
    """frab's acronym: lower-case letters, digits and underscores, at least four characters."""
    text = re.sub(r"[^a-z0-9_]", "_", conference.slug.lower())
    return text if len(text) >= 4 else (text + "____")[:4]


def _slug(conference: Conference, event_id: int, title: str) -> str:
    # ASCII even for Hangul titles: slugify drops what it cannot transliterate, and the id keeps it unique.
    words = slugify(title)[:50].strip("-_") or "event"
    return f"{acronym(conference)}-{event_id}-{words}"


def _inside(talk_start, talk_end, slot: Slot) -> bool:
    return (talk_start is not None and talk_end is not None
            and slot.start <= talk_start < talk_end <= slot.end)


def _session_event(conference: Conference, slot: Slot, speakers, presentations, labels) -> Event:
    session = slot.session
    lines = [session.description] if session.description else []
    for p in presentations:
        lines.append(f"{p.board} {p.title}" if p.board else p.title)
    return Event(
        id=2 * session.pk - 1,
        kind_label=labels[session.kind],
        guid=_guid(conference.slug, "session", session.code),
        uid=f"{session.code}@{conference.slug}.confsite",
        session=session, presentation=None, title=session.title, start=slot.start, end=slot.end,
        room=slot.room, abstract=session.description, description="\n".join(lines),
        subtitle=labels[session.kind],
        url=_site(reverse("session_detail", args=[conference.slug, session.code])),
        persons=[Person(s.code, s.name, s.pk) for s in speakers],
    )


class _Texts:
    """Translated phrases and URL patterns, looked up once per export rather than once per event."""

    def __init__(self, conference: Conference):
        self.poster = _("Poster %(board)s")
        self.board = _("Board %(board)s")
        self.within = _("In %(session)s")
        marker = 987654321
        self.paper_url = _site(reverse("paper_detail", args=[conference.slug, marker])).replace(str(marker), "{}")


def _presentation_event(conference: Conference, slot: Slot, presentation: Talk, authors, labels,
                        texts: _Texts) -> Event:
    session, paper = slot.session, presentation
    if _inside(presentation.start, presentation.end, slot):
        start, end = presentation.start, presentation.end
    else:
        start, end = slot.start, slot.end
    board = presentation.board
    subtitle = texts.poster % {"board": board} if board else session.title
    description = "\n".join(x for x in [
        texts.board % {"board": board} if board else "",
        texts.within % {"session": session.title},
        ", ".join(a.name for a in authors),
    ] if x)
    links = [(kind, url, label) for kind, url, label in [
        ("paper", paper.openreview_url, "OpenReview"), ("paper", paper.arxiv_url, "arXiv")] if url]
    return Event(
        id=2 * presentation.pk,
        kind_label=labels[session.kind],
        guid=_guid(conference.slug, "session", session.code, "paper", paper.paper_id),
        uid=f"{session.code}-{paper.paper_id}@{conference.slug}.confsite",
        session=session, presentation=presentation, title=paper.title, start=start, end=end,
        room=slot.room, abstract=paper.abstract, description=description, subtitle=subtitle,
        url=texts.paper_url.format(paper.paper_id),
        persons=authors, links=links,
    )


def build_programme(release: Release, *, session_ids: Iterable[int] | None = None,
                    paper_ids: Iterable[int] | None = None) -> Programme:
    """The events of `release`: the whole programme, or (given ids) only those sessions and papers.

    Whole programme: a session with papers becomes one event per paper, one without papers one event.
    Personal selection: a starred session is one event (its papers listed in the description), a
    starred paper one event per published session presenting it. Five queries in every case.
    """
    conference = release.conference
    personal = session_ids is not None or paper_ids is not None
    session_ids, paper_ids = set(session_ids or ()), set(paper_ids or ())
    slots = Slot.objects.filter(release=release).select_related("session", "room")
    if personal:
        slots = slots.filter(Q(session_id__in=session_ids) | Q(session__presentations__paper_id__in=paper_ids)).distinct()
    slots = list(slots.order_by("start", "room__position", "room__name", "session__title", "session_id"))
    ids = [s.session_id for s in slots]
    speakers = defaultdict(list)
    for link in (Session.speakers.through.objects.filter(session_id__in=ids)
                 .select_related("speaker").order_by("speaker__name", "speaker_id")):
        speakers[link.session_id].append(link.speaker)
    presentations = defaultdict(list)
    # Only the columns an export shows: a paper's folded search text alone is as long as its author list.
    rows = (Presentation.objects.filter(session_id__in=ids).order_by("session_id", "position", "board", "pk")
            .values_list("pk", "session_id", "paper_id", "board", "start", "end", "paper__title", "paper__abstract",
                         "paper__openreview_url", "paper__arxiv_url"))
    for row in rows:
        p = Talk(*row)
        presentations[p.session_id].append(p)
    wanted_papers = {p.paper_id for ps in presentations.values() for p in ps}
    if personal:
        wanted_papers &= paper_ids
    authors: dict[int, list[Person]] = defaultdict(list)
    if wanted_papers:
        # Tuples, not model instances: ~20,000 authorships on the ICML-sized programme.
        rows = (Authorship.objects.filter(paper_id__in=wanted_papers).order_by("paper_id", "position")
                .values_list("paper_id", "author_id", "author__name", "author__code"))
        for paper_id, author_id, name, code in rows:
            authors[paper_id].append(Person(code, name, author_id))
    labels, texts = kind_labels(), _Texts(conference)
    events = []
    for slot in slots:
        session_presentations = presentations[slot.session_id]
        if (personal and slot.session_id in session_ids) or (not personal and not session_presentations):
            events.append(_session_event(conference, slot, speakers[slot.session_id], session_presentations,
                                         labels))
        for p in session_presentations:
            if (not personal) or p.paper_id in paper_ids:
                events.append(_presentation_event(conference, slot, p, authors[p.paper_id], labels, texts))
    events.sort(key=lambda e: (e.start, e.room.position if e.room else 1 << 30, e.room_name, e.id))
    return Programme(conference, release, events)


def personal_programme(conference: Conference, release: Release | None, *, session_ids: Iterable[int],
                       paper_ids: Iterable[int]) -> Programme:
    """A person's starred sessions and papers in `release` (no events before the first release)."""
    session_ids, paper_ids = set(session_ids), set(paper_ids)
    if release is None or not (session_ids or paper_ids):
        return Programme(conference, release, [])
    release.conference = conference
    return build_programme(release, session_ids=session_ids, paper_ids=paper_ids)


# --- iCal ------------------------------------------------------------------------------------------
# Written directly rather than through the `icalendar` package: at 3,400 events its per-line folding
# alone took a second, and the export must render uncached in well under 300 ms. The tests read every
# feed back with `icalendar` and `vobject` (exact times, UIDs, escaping of , ; \ and newlines).

# Control characters are not allowed in XML 1.0 nor in iCal TEXT; an imported title may carry one.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _ical_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    return (_CONTROL.sub("", value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with CRLF + space, never inside a UTF-8 character."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)


def _ical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ical(programme: Programme, *, name: str) -> bytes:
    """RFC 5545 (CRLF, folded lines, escaped text): times in UTC, so there is no VTIMEZONE to resolve;
    UIDs stable per session and paper; SEQUENCE and LAST-MODIFIED from the release."""
    conference, release = programme.conference, programme.release
    number = release.number if release is not None else 0
    stamp = _ical_time(release.published_at if release is not None else conference.created_at)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{GENERATOR}//{_ical_text(conference.slug)} schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ical_text(name)}",
        f"X-WR-TIMEZONE:{_ical_text(conference.time_zone)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for e in programme.events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_ical_text(e.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ical_time(e.start)}",
            f"DTEND:{_ical_time(e.end)}",
            f"SUMMARY:{_ical_text(e.title)}",
            f"LOCATION:{_ical_text(e.room_name)}",
        ]
        description = "\n\n".join(x for x in [e.description, e.abstract] if x)
        if description:
            lines.append(f"DESCRIPTION:{_ical_text(description)}")
        lines += [
            f"URL:{e.url}",
            f"CATEGORIES:{_ical_text(e.kind_label)}",
            f"LAST-MODIFIED:{stamp}",
            f"SEQUENCE:{number}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


# --- frab ------------------------------------------------------------------------------------------

def _duration(e: Event) -> str:
    minutes = int((e.end - e.start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(programme: Programme):
    """[(index, date, day start, day end, {room name: [events]})] in the edition's zone, rooms in grid order."""
    zone = programme.conference.tzinfo
    by_day: dict = defaultdict(list)
    for e in programme.events:
        by_day[e.start.astimezone(zone).date()].append(e)
    days = []
    for index, day in enumerate(sorted(by_day), start=1):
        events = by_day[day]
        rooms: dict[str, list[Event]] = {}
        for e in sorted(events, key=lambda e: (e.room.position if e.room else 1 << 30, e.room_name, e.start, e.id)):
            rooms.setdefault(e.room_name, []).append(e)
        start = min(e.start for e in events).astimezone(zone)
        end = max(e.end for e in events).astimezone(zone)
        days.append((index, day, start, end, rooms))
    return days


def _rooms(programme: Programme) -> list[tuple[str, Room | None]]:
    seen: dict[str, Room | None] = {}
    for e in sorted(programme.events, key=lambda e: (e.room.position if e.room else 1 << 30, e.room_name)):
        seen.setdefault(e.room_name, e.room)
    return list(seen.items())


def _tracks(programme: Programme) -> list[str]:
    return sorted({e.kind_label for e in programme.events})


def _export_url(conference: Conference, name: str) -> str:
    return _site(reverse(name, args=[conference.slug]))


def _xml(text: str) -> str:
    return escape(_CONTROL.sub("", text))


def _el(name: str, text: str) -> str:
    return f"<{name}>{_xml(text)}</{name}>"


def to_frab_xml(programme: Programme) -> bytes:
    """frab/c3voc `schedule.xml`, valid against shared/schemas/frab-schedule.xml.xsd; `version` = release number.

    Written as escaped text (xml.sax.saxutils) rather than through ElementTree, whose pure-Python
    serialiser took a quarter of a second on the ICML-sized programme.
    """
    conference, release = programme.conference, programme.release
    zone = conference.tzinfo
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<schedule>", f"<generator name={quoteattr(GENERATOR)}/>",
           _el("url", _export_url(conference, "schedule_xml")), _el("version", release.version), "<conference>",
           _el("title", conference.name), _el("acronym", acronym(conference)),
           _el("start", conference.start_date.isoformat()), _el("end", conference.end_date.isoformat()),
           _el("days", str(len(conference.days))), _el("timeslot_duration", "00:05"),
           _el("base_url", settings.SITE_URL + "/"), _el("url", _site(reverse("programme", args=[conference.slug]))),
           _el("time_zone_name", conference.time_zone)]
    out += [f"<track name={quoteattr(track)}/>" for track in _tracks(programme)]
    out.append("</conference>")
    for index, day, start, end, rooms in _days(programme):
        out.append(f'<day index="{index}" date="{day.isoformat()}" start="{start.isoformat()}" end="{end.isoformat()}">')
        for room_name, events in rooms.items():
            out.append(f"<room name={quoteattr(_CONTROL.sub('', room_name))}>")
            for e in events:
                local = e.start.astimezone(zone)
                out += [
                    f'<event id="{e.id}" guid="{e.guid}">',
                    _el("date", local.isoformat()), _el("start", local.strftime("%H:%M")), _el("duration", _duration(e)),
                    _el("room", room_name), _el("slug", _slug(conference, e.id, e.title)), _el("url", e.url),
                    _el("title", e.title), _el("subtitle", e.subtitle), _el("track", e.kind_label),
                    _el("type", FRAB_TYPES.get(e.session.kind, "other")), _el("language", "en"),
                    _el("abstract", e.abstract), _el("description", e.description), "<persons>",
                ]
                out += [f'<person id="{p.pk}">{_xml(p.name)}</person>' for p in e.persons]
                out.append("</persons><links>")
                out += [f"<link href={quoteattr(url)} type={quoteattr(kind)}>{_xml(label)}</link>"
                        for kind, url, label in e.links]
                out.append("</links></event>")
            out.append("</room>")
        out.append("</day>")
    out.append("</schedule>")
    return "\n".join(out).encode()


def to_frab_json(programme: Programme) -> bytes:
    """frab/c3voc `schedule.json` (version 1), valid against shared/schemas/frab-schedule.json.schema.json."""
    conference, release = programme.conference, programme.release
    zone = conference.tzinfo
    days = []
    for index, day, start, end, rooms in _days(programme):
        days.append({
            "index": index, "date": day.isoformat(), "day_start": start.isoformat(), "day_end": end.isoformat(),
            "rooms": {room_name: [_json_event(conference, e, zone) for e in events]
                      for room_name, events in rooms.items()},
        })
    conference_json = {
        "acronym": acronym(conference),
        "title": conference.name,
        "start": conference.start_date.isoformat(),
        "end": conference.end_date.isoformat(),
        "daysCount": len(conference.days),
        "timeslot_duration": "00:05",
        "url": _site(reverse("programme", args=[conference.slug])),
        "tracks": [{"name": t} for t in _tracks(programme)],
        "rooms": [_json_room(conference, name, room) for name, room in _rooms(programme)],
        "days": days,
    }
    if re.match(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$", conference.time_zone):
        conference_json["time_zone_name"] = conference.time_zone
    document = {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": GENERATOR, "url": settings.SITE_URL + "/"},
        "schedule": {
            "version": release.version,
            "base_url": settings.SITE_URL + "/",
            "conference": conference_json,
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _json_room(conference: Conference, name: str, room: Room | None) -> dict:
    data = {"name": name, "guid": _guid(conference.slug, "room", room.pk if room else "none")}
    if room is not None and room.capacity is not None:
        data["capacity"] = room.capacity
    return data


def _json_event(conference: Conference, e: Event, zone) -> dict:
    local = e.start.astimezone(zone)
    return {
        "guid": e.guid,
        "id": e.id,
        "date": local.isoformat(),
        "start": local.strftime("%H:%M"),
        "end": e.end.astimezone(zone).isoformat(),
        "duration": _duration(e),
        "room": e.room_name,
        "slug": _slug(conference, e.id, e.title),
        "url": e.url,
        "title": e.title,
        "subtitle": e.subtitle,
        "track": e.kind_label,
        "type": FRAB_TYPES.get(e.session.kind, "other"),
        "language": "en",
        "abstract": e.abstract,
        "description": e.description,
        "persons": [{"code": p.code, "name": p.name} for p in e.persons],
        "links": [{"type": kind, "url": url, "title": label} for kind, url, label in e.links],
    }
