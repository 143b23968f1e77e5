"""Exports of the latest release: frab schedule.xml (XSD-valid), schedule.json (schema-valid), iCal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import jsonschema
import pytest
import vobject
from lxml import etree

from schedule import services
from schedule.models import Authorship, Session
from tests.factories.schedule import PresentationFactory, kst
from tests.schedule.release_helpers import keynote, oral_session, poster_session, room, session

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parent / "schemas"  # copies of shared/schemas (see its README)


@pytest.fixture(scope="module")
def xsd():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "frab-schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator():
    schema = json.loads((SCHEMAS / "frab-schedule.json.schema.json").read_text())
    return jsonschema.Draft6Validator(schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)


def build(conference, posters=3, talks=2):
    hall_e, hall_c = room(conference, "Hall E", 1, capacity=3000), room(conference, "Hall C", 2)
    poster_session(conference, "Poster session 1", hall_e, posters)
    oral_session(conference, "Oral 1: 확률 모형", hall_c, talks)
    keynote(conference, "Keynote: Über Lernen", hall_c)
    session(conference, "Welcome reception", room=None, day=7, hour=19, kind=Session.Kind.SOCIAL)
    return services.publish_release(conference)


def test_the_exports_before_the_first_release_say_so(client, conference):
    for name in ("schedule.xml", "schedule.json", "schedule.ics"):
        response = client.get(f"/icml2026/programme/{name}")
        assert response.status_code == 404
        assert response.content.decode() == (
            "The programme of ICML 2026 has not been published yet; the exports appear with its first release.")


def test_the_xml_validates_against_the_frab_xsd(client, conference, xsd):
    build(conference)
    response = client.get("/icml2026/programme/schedule.xml")
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    document = etree.fromstring(response.content)
    xsd.assertValid(document)
    assert document.findtext("version") == "1"
    assert [d.get("date") for d in document.findall("day")] == ["2026-07-07", "2026-07-08"]
    first_day = document.find("day")
    assert (first_day.get("start"), first_day.get("end")) == ("2026-07-07T10:00:00+09:00", "2026-07-07T20:00:00+09:00")
    assert [r.get("name") for r in first_day.findall("room")] == ["Hall E", "Hall C", "Room to be announced"]


def test_every_poster_and_talk_is_an_event_and_a_poster_carries_its_board(client, conference):
    build(conference, posters=3, talks=2)
    document = etree.fromstring(client.get("/icml2026/programme/schedule.xml").content)
    events = document.findall("day/room/event")
    assert [(e.findtext("type"), e.findtext("subtitle")) for e in events] == [
        ("poster", "Poster E-1001"), ("poster", "Poster E-1002"), ("poster", "Poster E-1003"),
        ("talk", "Oral 1: 확률 모형"), ("talk", "Oral 1: 확률 모형"),
        ("other", "social event"),
        ("keynote", "keynote"),
    ]
    talk = events[4]
    assert (talk.findtext("date"), talk.findtext("start"), talk.findtext("duration")) == (
        "2026-07-07T14:15:00+09:00", "14:15", "00:15")
    keynote_event = events[6]
    assert [p.text for p in keynote_event.findall("persons/person")] == ["Yoshua Example"]
    assert keynote_event.findtext("slug") == f"icml2026-{keynote_event.get('id')}-keynote-uber-lernen"


def test_slugs_are_ascii_for_hangul_titles(client, conference, xsd):
    hall = room(conference, "Hall A")
    s = session(conference, "기계 학습", room=hall)
    services.publish_release(conference)
    document = etree.fromstring(client.get("/icml2026/programme/schedule.xml").content)
    xsd.assertValid(document)
    assert document.findtext("day/room/event/slug") == f"icml2026-{2 * s.pk - 1}-event"
    assert document.findtext("day/room/event/title") == "기계 학습"


def test_the_json_validates_against_the_frab_schema(client, conference, json_validator):
    build(conference)
    response = client.get("/icml2026/programme/schedule.json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    errors = [f"{list(e.path)}: {e.message}" for e in json_validator.iter_errors(data)]
    assert errors == []
    assert data["schedule"]["version"] == "1"
    poster = data["schedule"]["conference"]["days"][0]["rooms"]["Hall E"][0]
    assert (poster["subtitle"], poster["date"], poster["end"], poster["duration"]) == (
        "Poster E-1001", "2026-07-07T10:00:00+09:00", "2026-07-07T12:00:00+09:00", "02:00")
    board = Session.objects.get(title="Poster session 1").presentations.get(board="E-1001")
    names = list(Authorship.objects.filter(paper=board.paper).order_by("position").values_list("author__name", flat=True))
    assert [p["name"] for p in poster["persons"]] == names
    assert poster["title"] == board.paper.title
    assert poster["links"][0]["type"] == "paper"


def test_the_json_schema_check_catches_a_broken_document(json_validator):
    """Negative control: the validator really checks formats (a date-time without an offset fails)."""
    broken = {"schedule": {"version": "1", "conference": {
        "acronym": "icml2026", "title": "x", "start": "2026-07-06", "end": "2026-07-11", "daysCount": 1,
        "timeslot_duration": "00:05", "days": [{"index": 1, "date": "2026-07-07", "day_start": "2026-07-07 10:00",
                                                "day_end": "2026-07-07T20:00:00+09:00", "rooms": {}}]}}}
    assert [e.message for e in json_validator.iter_errors(broken)] == ["'2026-07-07 10:00' is not a 'date-time'"]


def test_the_ical_parses_back_with_exact_times(client, conference):
    build(conference, posters=2, talks=1)
    response = client.get("/icml2026/programme/schedule.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert str(calendar["x-wr-calname"]) == "ICML 2026"
    keynote_event = events["Keynote: Über Lernen"]
    assert keynote_event.decoded("dtstart") == datetime(2026, 7, 8, 0, 0, tzinfo=UTC)
    assert keynote_event.decoded("dtend") == datetime(2026, 7, 8, 1, 0, tzinfo=UTC)
    assert str(keynote_event["location"]) == "Hall C"
    assert int(keynote_event["sequence"]) == 1
    code = Session.objects.get(title="Keynote: Über Lernen").code
    assert str(keynote_event["uid"]) == f"{code}@icml2026.confsite"
    assert str(keynote_event["url"]).endswith(f"/icml2026/programme/sessions/{code}/")
    assert len(events) == 5


def test_the_ical_parses_in_vobject_too(client, conference):
    build(conference, posters=2, talks=1)
    parsed = vobject.readOne(client.get("/icml2026/programme/schedule.ics").content.decode())
    starts = sorted(e.dtstart.value for e in parsed.vevent_list)
    assert starts[0] == datetime(2026, 7, 7, 1, 0, tzinfo=UTC)
    assert len(starts) == 5


def test_uids_and_guids_stay_the_same_across_releases(client, conference):
    build(conference)
    first = etree.fromstring(client.get("/icml2026/programme/schedule.xml").content)
    Session.objects.filter(title="Keynote: Über Lernen").update(start=kst(9, 9), end=kst(9, 10))
    services.publish_release(conference)
    second = etree.fromstring(client.get("/icml2026/programme/schedule.xml").content)
    assert second.findtext("version") == "2"
    assert sorted(e.get("guid") for e in first.iter("event")) == sorted(e.get("guid") for e in second.iter("event"))


def test_a_talk_keeps_the_session_times_when_its_own_lie_outside_the_slot(client, conference):
    hall = room(conference, "Hall C")
    s = oral_session(conference, "Oral 2", hall, 1)
    services.publish_release(conference)
    s.presentations.update(start=kst(9, 9), end=kst(9, 10))  # an unpublished edit of the talk time
    data = json.loads(client.get("/icml2026/programme/schedule.json").content)
    talk = data["schedule"]["conference"]["days"][0]["rooms"]["Hall C"][0]
    assert (talk["date"], talk["duration"]) == ("2026-07-07T14:00:00+09:00", "02:00")


# --- Query counts at two sizes --------------------------------------------------------------------

def _grow(conference, posters, talks):
    hall = room(conference, f"Hall {posters}", 10 + posters)
    poster_session(conference, f"Poster session {posters}", hall, posters, day=9)
    oral_session(conference, f"Oral {talks}", hall, talks, day=10)


@pytest.mark.parametrize("name", ["schedule.xml", "schedule.json", "schedule.ics"])
def test_exports_take_the_same_queries_for_a_small_and_a_larger_programme(client, conference, name,
                                                                           django_assert_num_queries):
    build(conference, posters=2, talks=1)
    with django_assert_num_queries(6):
        assert client.get(f"/icml2026/programme/{name}").status_code == 200
    _grow(conference, posters=40, talks=8)
    services.publish_release(conference)
    with django_assert_num_queries(6):
        response = client.get(f"/icml2026/programme/{name}")
    assert response.status_code == 200
    assert response.content.count(b"E-1040") == (1 if name == "schedule.ics" else 2)  # subtitle and description


def test_a_cached_export_is_served_without_queries_until_the_next_release(client, conference,
                                                                          django_assert_num_queries):
    build(conference)
    first = client.get("/icml2026/programme/schedule.json")
    with django_assert_num_queries(2):  # the edition and its latest release; the body comes from the cache
        again = client.get("/icml2026/programme/schedule.json")
    assert again.content == first.content
    paper_session = Session.objects.get(title="Poster session 1")
    PresentationFactory(session=paper_session, board="E-1999")
    assert b"E-1999" in client.get("/icml2026/programme/schedule.json").content


def test_text_is_escaped_folded_and_cleaned_in_every_format(client, conference, xsd):
    hall = room(conference, "Hall A")
    title = "Ranks, ties; and back\\slashes\nin 확률적 경사 하강법을 이용한 대규모 언어 모델의 효율적인 학습 방법\x0b"
    s = session(conference, title, room=hall)
    services.publish_release(conference)
    ics = client.get("/icml2026/programme/schedule.ics").content
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["summary"]) == title[:-1]
    assert str(event["uid"]) == f"{s.code}@icml2026.confsite"
    [card] = vobject.readOne(ics.decode()).vevent_list
    assert card.summary.value == title[:-1]
    document = etree.fromstring(client.get("/icml2026/programme/schedule.xml").content)
    xsd.assertValid(document)
    assert document.findtext("day/room/event/title") == title[:-1]
    data = json.loads(client.get("/icml2026/programme/schedule.json").content)
    assert data["schedule"]["conference"]["days"][0]["rooms"]["Hall A"][0]["title"] == title

