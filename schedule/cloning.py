"""Schedule's part of cloning an edition (see confsite/cloning.py): the rooms, nothing else.

Papers, authors, sessions and releases belong to one year's programme and are imported afresh.
"""

from __future__ import annotations

from confsite.cloning import CloneContext, register

from .models import Room

ROOM_FIELDS = ["name", "hall", "capacity", "position", "board_prefix", "board_start"]


@register("schedule", order=20)
def clone_schedule(context: CloneContext) -> dict[str, int]:
    rooms = [Room(conference=context.target, **{f: getattr(room, f) for f in ROOM_FIELDS})
             for room in Room.objects.filter(conference=context.source)]
    Room.objects.bulk_create(rooms)
    return {"rooms": len(rooms)}
