from datetime import UTC, datetime, timedelta

import factory

from schedule.models import Author, Authorship, Paper, Presentation, Room, Session, Speaker, Topic

from .core import ConferenceFactory


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    conference = factory.SubFactory(ConferenceFactory)
    name = factory.Sequence(lambda n: f"Room {300 + n}")
    hall = "COEX"
    capacity = 500


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    conference = factory.SubFactory(ConferenceFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    conference = factory.SubFactory(ConferenceFactory)
    name = factory.Sequence(lambda n: f"Speaker {n}")
    affiliation = "KAIST"


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    conference = factory.SubFactory(ConferenceFactory)
    name = factory.Sequence(lambda n: f"Author {n}")
    openreview_id = factory.Sequence(lambda n: f"~Author_{n}1")


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    conference = factory.SubFactory(ConferenceFactory)
    external_id = factory.Sequence(lambda n: f"paper{n:05d}")
    title = factory.Sequence(lambda n: f"Paper number {n}")
    abstract = "We study things."
    decision = Paper.Decision.POSTER


class AuthorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorship

    paper = factory.SubFactory(PaperFactory)
    author = factory.SubFactory(AuthorFactory, conference=factory.SelfAttribute("..paper.conference"))
    position = factory.Sequence(lambda n: n)
    affiliation = "Seoul National University"


def kst(day: int, hour: int, minute: int = 0) -> datetime:
    """A time at the demo edition in UTC: `kst(7, 10)` is 7 July 2026, 10:00 in Seoul."""
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    conference = factory.SubFactory(ConferenceFactory)
    kind = Session.Kind.ORAL
    title = factory.Sequence(lambda n: f"Session {n}")
    room = factory.SubFactory(RoomFactory, conference=factory.SelfAttribute("..conference"))
    start = factory.LazyFunction(lambda: kst(7, 10))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=1) if o.start else None)


class PresentationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Presentation

    session = factory.SubFactory(SessionFactory)
    paper = factory.SubFactory(PaperFactory, conference=factory.SelfAttribute("..session.conference"))
    position = factory.Sequence(lambda n: n)
