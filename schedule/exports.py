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
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import icalendar
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


@dataclass
class Person:
    code: str
    name: str
    pk: int


@dataclass
class Event:
    id: int
    guid: str
    uid: str
    session: Session
    presentation: Presentation | None
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


def _session_event(conference: Conference, slot: Slot, speakers, presentations) -> Event:
    session = slot.session
    lines = [session.description] if session.description else []
    for p in presentations:
        lines.append(f"{p.board} {p.paper.title}".strip() if p.board else p.paper.title)
    return Event(
        id=2 * session.pk - 1,
        guid=_guid(conference.slug, "session", session.code),
        uid=f"{session.code}@{conference.slug}.confsite",
        session=session, presentation=None, title=session.title, start=slot.start, end=slot.end,
        room=slot.room, abstract=session.description, description="\n".join(lines),
        subtitle=str(session.get_kind_display()),
        url=_site(reverse("session_detail", args=[conference.slug, session.code])),
        persons=[Person(s.code, s.name, s.pk) for s in speakers],
    )


def _presentation_event(conference: Conference, slot: Slot, presentation: Presentation, authors) -> Event:
    session, paper = slot.session, presentation.paper
    if _inside(presentation.start, presentation.end, slot):
        start, end = presentation.start, presentation.end
    else:
        start, end = slot.start, slot.end
    board = presentation.board
    subtitle = _("Poster %(board)s") % {"board": board} if board else session.title
    description = "\n".join(x for x in [
        _("Board %(board)s") % {"board": board} if board else "",
        _("In %(session)s") % {"session": session.title},
        ", ".join(a.name for a in authors),
    ] if x)
    links = [(kind, url, label) for kind, url, label in [
        ("paper", paper.openreview_url, "OpenReview"), ("paper", paper.arxiv_url, "arXiv")] if url]
    return Event(
        id=2 * presentation.pk,
        guid=_guid(conference.slug, "session", session.code, "paper", paper.pk),
        uid=f"{session.code}-{paper.pk}@{conference.slug}.confsite",
        session=session, presentation=presentation, title=paper.title, start=start, end=end,
        room=slot.room, abstract=paper.abstract, description=description, subtitle=subtitle,
        url=_site(reverse("paper_detail", args=[conference.slug, paper.pk])),
        persons=[Person(a.code, a.name, a.pk) for a in authors], links=links,
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
    for p in (Presentation.objects.filter(session_id__in=ids)
              .select_related("paper").order_by("session_id", "position", "board", "pk")):
        presentations[p.session_id].append(p)
    wanted_papers = {p.paper_id for ps in presentations.values() for p in ps}
    if personal:
        wanted_papers &= paper_ids
    authors = defaultdict(list)
    if wanted_papers:
        rows = (Authorship.objects.filter(paper_id__in=wanted_papers)
                .select_related("author").only("paper_id", "position", "author__name", "author__code")
                .order_by("paper_id", "position"))
        for row in rows:
            authors[row.paper_id].append(row.author)
    events = []
    for slot in slots:
        session_presentations = presentations[slot.session_id]
        if (personal and slot.session_id in session_ids) or (not personal and not session_presentations):
            events.append(_session_event(conference, slot, speakers[slot.session_id], session_presentations))
        for p in session_presentations:
            if (not personal) or p.paper_id in paper_ids:
                events.append(_presentation_event(conference, slot, p, authors[p.paper_id]))
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

def to_ical(programme: Programme, *, name: str) -> bytes:
    """RFC 5545: times in UTC (no VTIMEZONE to resolve), UIDs stable per session/paper, SEQUENCE = release."""
    conference, release = programme.conference, programme.release
    calendar = icalendar.Calendar()
    number = release.number if release is not None else 0
    stamp = release.published_at if release is not None else conference.created_at
    calendar.add("prodid", f"-//{GENERATOR}//{conference.slug} schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", conference.time_zone)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for e in programme.events:
        event = icalendar.Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", e.start)
        event.add("dtend", e.end)
        event.add("summary", e.title)
        event.add("location", e.room_name)
        if e.description or e.abstract:
            event.add("description", "\n\n".join(x for x in [e.description, e.abstract] if x))
        event.add("url", e.url)
        event.add("categories", [str(e.session.get_kind_display())])
        event.add("last-modified", stamp)
        event.add("sequence", number)
        calendar.add_component(event)
    return calendar.to_ical()


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
    return sorted({str(e.session.get_kind_display()) for e in programme.events})


def _export_url(conference: Conference, name: str) -> str:
    return _site(reverse(name, args=[conference.slug]))


def to_frab_xml(programme: Programme) -> bytes:
    """frab/c3voc `schedule.xml`, valid against shared/schemas/frab-schedule.xml.xsd; `version` = release number."""
    conference, release = programme.conference, programme.release
    zone = conference.tzinfo
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name=GENERATOR)
    ET.SubElement(root, "url").text = _export_url(conference, "schedule_xml")
    ET.SubElement(root, "version").text = release.version
    conf = ET.SubElement(root, "conference")
    ET.SubElement(conf, "title").text = conference.name
    ET.SubElement(conf, "acronym").text = acronym(conference)
    ET.SubElement(conf, "start").text = conference.start_date.isoformat()
    ET.SubElement(conf, "end").text = conference.end_date.isoformat()
    ET.SubElement(conf, "days").text = str(len(conference.days))
    ET.SubElement(conf, "timeslot_duration").text = "00:05"
    ET.SubElement(conf, "base_url").text = settings.SITE_URL + "/"
    ET.SubElement(conf, "url").text = _site(reverse("programme", args=[conference.slug]))
    ET.SubElement(conf, "time_zone_name").text = conference.time_zone
    for track in _tracks(programme):
        ET.SubElement(conf, "track", name=track)
    for index, day, start, end, rooms in _days(programme):
        day_el = ET.SubElement(root, "day", index=str(index), date=day.isoformat(),
                               start=start.isoformat(), end=end.isoformat())
        for room_name, events in rooms.items():
            room_el = ET.SubElement(day_el, "room", name=room_name)
            for e in events:
                local = e.start.astimezone(zone)
                ev = ET.SubElement(room_el, "event", id=str(e.id), guid=e.guid)
                ET.SubElement(ev, "date").text = local.isoformat()
                ET.SubElement(ev, "start").text = local.strftime("%H:%M")
                ET.SubElement(ev, "duration").text = _duration(e)
                ET.SubElement(ev, "room").text = room_name
                ET.SubElement(ev, "slug").text = _slug(conference, e.id, e.title)
                ET.SubElement(ev, "url").text = e.url
                ET.SubElement(ev, "title").text = e.title
                ET.SubElement(ev, "subtitle").text = e.subtitle
                ET.SubElement(ev, "track").text = str(e.session.get_kind_display())
                ET.SubElement(ev, "type").text = FRAB_TYPES.get(e.session.kind, "other")
                ET.SubElement(ev, "language").text = "en"
                ET.SubElement(ev, "abstract").text = e.abstract
                ET.SubElement(ev, "description").text = e.description
                persons = ET.SubElement(ev, "persons")
                for p in e.persons:
                    ET.SubElement(persons, "person", id=str(p.pk)).text = p.name
                links = ET.SubElement(ev, "links")
                for kind, url, label in e.links:
                    ET.SubElement(links, "link", href=url, type=kind).text = label
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


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
        "track": str(e.session.get_kind_display()),
        "type": FRAB_TYPES.get(e.session.kind, "other"),
        "language": "en",
        "abstract": e.abstract,
        "description": e.description,
        "persons": [{"code": p.code, "name": p.name} for p in e.persons],
        "links": [{"type": kind, "url": url, "title": label} for kind, url, label in e.links],
    }
