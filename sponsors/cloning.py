"""Sponsors' part of cloning an edition (see confsite/cloning.py): the tiers, with their access windows
shifted, and the interview rooms.

Tiers carry every benefit of a sponsorship level (recruitment access and its window, interview-room
hours, complimentary passes, logo size and placement); interview rooms are the venue's layout.

Never copied: sponsors themselves (each year's sponsors sign anew), their members, API tokens, team
invitations and complimentary passes (issued to people), recruitment profiles, decisions, shortlists,
the access log, and interview slots (booked by sponsors, set per year's timetable).
"""

from __future__ import annotations

from confsite.cloning import CloneContext, register

from .models import InterviewRoom, Tier

TIER_FIELDS = ["name", "position", "recruitment_access", "interview_hours", "complimentary_passes", "logo_size", "placement"]
INTERVIEW_ROOM_FIELDS = ["name", "location"]


@register("sponsors", order=30)
def clone_sponsors(context: CloneContext) -> dict[str, int]:
    tiers = [Tier(conference=context.target, access_from=context.shift_datetime(tier.access_from),
                  access_until=context.shift_datetime(tier.access_until), **{f: getattr(tier, f) for f in TIER_FIELDS})
             for tier in Tier.objects.filter(conference=context.source)]
    Tier.objects.bulk_create(tiers)
    rooms = [InterviewRoom(conference=context.target, **{f: getattr(room, f) for f in INTERVIEW_ROOM_FIELDS})
             for room in InterviewRoom.objects.filter(conference=context.source)]
    InterviewRoom.objects.bulk_create(rooms)
    return {"sponsorship tiers": len(tiers), "interview rooms": len(rooms)}
