"""Shared builders for the personal-schedule, release and export tests (not a test module)."""

from __future__ import annotations

from datetime import timedelta

from schedule.models import Session
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    PresentationFactory,
    RoomFactory,
    SessionFactory,
    SpeakerFactory,
    kst,
)


def session(conference, title, *, day=7, hour=10, hours=1, room=None, kind=Session.Kind.ORAL, minute=0):
    start = kst(day, hour, minute)
    return SessionFactory(conference=conference, title=title, kind=kind, room=room,
                          start=start, end=start + timedelta(hours=hours))


def room(conference, name, position=0, **kwargs):
    return RoomFactory(conference=conference, name=name, position=position, **kwargs)


def poster_session(conference, title, hall, posters, *, day=7, hour=10, authors_per_paper=3):
    """A poster session in `hall` with `posters` papers on boards E-1001…, each with a few authors."""
    s = session(conference, title, day=day, hour=hour, hours=2, room=hall, kind=Session.Kind.POSTER)
    for n in range(posters):
        paper = PaperFactory(conference=conference, openreview_url=f"https://openreview.net/forum?id=p{s.pk}x{n}")
        for position in range(authors_per_paper):
            AuthorshipFactory(paper=paper, author=AuthorFactory(conference=conference), position=position)
        PresentationFactory(session=s, paper=paper, board=f"E-{1001 + n}", position=n)
    return s


def oral_session(conference, title, hall, talks, *, day=7, hour=14):
    """An oral session with `talks` timed 15-minute talks."""
    s = session(conference, title, day=day, hour=hour, hours=2, room=hall, kind=Session.Kind.ORAL)
    for n in range(talks):
        paper = PaperFactory(conference=conference, decision="oral")
        AuthorshipFactory(paper=paper, author=AuthorFactory(conference=conference), position=0)
        start = s.start + timedelta(minutes=15 * n)
        PresentationFactory(session=s, paper=paper, position=n, start=start, end=start + timedelta(minutes=15))
    return s


def keynote(conference, title, hall, *, day=8, hour=9):
    s = session(conference, title, day=day, hour=hour, hours=1, room=hall, kind=Session.Kind.KEYNOTE)
    s.speakers.add(SpeakerFactory(conference=conference, name="Yoshua Example"))
    return s
