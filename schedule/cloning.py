"""Schedule's part of cloning an edition (see confsite/cloning.py): the rooms and the topics.

Rooms (with their halls, capacities, grid order and poster-board numbering) and topics (the programme
committee's subject areas, with their slugs, which papers' imports match on) are the venue's and the
committee's configuration, reused year after year. Papers, authors, speakers, sessions, presentations
and releases belong to one year's programme and are imported afresh; stars and calendar feeds are
attendees' own.
"""

from __future__ import annotations

from confsite.cloning import CloneContext, register

from .models import Room, Topic

ROOM_FIELDS = ["name", "hall", "capacity", "position", "board_prefix", "board_start"]
TOPIC_FIELDS = ["name", "slug"]


@register("schedule", order=20)
def clone_schedule(context: CloneContext) -> dict[str, int]:
    rooms = [Room(conference=context.target, **{f: getattr(room, f) for f in ROOM_FIELDS})
             for room in Room.objects.filter(conference=context.source)]
    Room.objects.bulk_create(rooms)
    topics = [Topic(conference=context.target, **{f: getattr(topic, f) for f in TOPIC_FIELDS})
              for topic in Topic.objects.filter(conference=context.source)]
    Topic.objects.bulk_create(topics)
    return {"rooms": len(rooms), "topics": len(topics)}
