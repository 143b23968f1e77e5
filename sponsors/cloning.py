"""Sponsors' part of cloning an edition (see confsite/cloning.py): the tiers, with their access windows shifted.

Sponsors themselves, their members, profiles and decisions are never copied: each year's sponsors sign anew.
"""

from __future__ import annotations

from confsite.cloning import CloneContext, register

from .models import Tier

TIER_FIELDS = ["name", "position", "recruitment_access", "interview_hours", "complimentary_passes", "logo_size", "placement"]


@register("sponsors", order=30)
def clone_sponsors(context: CloneContext) -> dict[str, int]:
    tiers = [Tier(conference=context.target, access_from=context.shift_datetime(tier.access_from),
                  access_until=context.shift_datetime(tier.access_until), **{f: getattr(tier, f) for f in TIER_FIELDS})
             for tier in Tier.objects.filter(conference=context.source)]
    Tier.objects.bulk_create(tiers)
    return {"sponsorship tiers": len(tiers)}
