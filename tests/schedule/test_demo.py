"""The ICML-sized demo programme: its shape, its two releases, and schema-valid exports at full size."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from confsite.models import OutboxEmail
from schedule import demo
from schedule.models import Author, Paper, Presentation, Release, Session
from tests.factories import VerifiedUserFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parent / "schemas"


@pytest.fixture
def programme(conference):
    VerifiedUserFactory(email="attendee@confsite.example", first_name="Minji", last_name="Kim")
    demo.load(conference)
    return conference


def test_it_builds_an_icml_sized_programme_with_two_releases(programme):
    assert Paper.objects.filter(conference=programme).count() == 3300
    sizes = sorted(Session.objects.filter(conference=programme, kind=Session.Kind.POSTER)
                   .values_list("title", flat=True))
    assert sizes == [f"Poster Session {n}" for n in range(1, 7)]
    per_session = Counter(Presentation.objects.filter(session__kind=Session.Kind.POSTER)
                          .values_list("session__title", flat=True))
    assert sorted(per_session.values(), reverse=True) == [600, 550, 550, 550, 550, 500]
    boards = Presentation.objects.filter(session__kind=Session.Kind.POSTER).exclude(board="").count()
    assert boards == 3300
    assert Author.objects.filter(conference=programme, name="Wei Zhang").count() >= 5
    assert list(Release.objects.filter(conference=programme).values_list("number", flat=True)) == [2, 1]


def test_the_second_release_moves_poster_session_3_and_mails_the_attendee_who_starred_it(programme, client):
    page = client.get("/icml2026/programme/changes/").content.decode()
    assert "Poster Session 3" in page
    digest = OutboxEmail.objects.get(purpose="schedule_release", recipient="attendee@confsite.example")
    assert "Poster Session 3" in digest.body_text


def test_loading_it_again_changes_nothing(programme):
    before = (Paper.objects.count(), Session.objects.count(), Release.objects.count(), Presentation.objects.count())
    demo.load(programme)
    assert (Paper.objects.count(), Session.objects.count(), Release.objects.count(),
            Presentation.objects.count()) == before


def test_its_exports_validate_against_the_frab_schemas_at_full_size(programme, client):
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "frab-schedule.xml.xsd")))
    xml = etree.fromstring(client.get("/icml2026/programme/schedule.xml").content)
    xsd.assertValid(xml)
    assert xml.findtext("version") == "2"

    schema = json.loads((SCHEMAS / "frab-schedule.json.schema.json").read_text())
    validator = jsonschema.Draft6Validator(schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)
    document = json.loads(client.get("/icml2026/programme/schedule.json").content)
    assert list(validator.iter_errors(document)) == []
    assert document["schedule"]["version"] == "2"
