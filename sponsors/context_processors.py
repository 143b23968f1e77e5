"""Whether to show the "Sponsor portal" link in the site navigation.

Only for a logged-in user (anonymous pages, which the programme's shared cache stores, never
carry it), and lazily: the one query runs only when a template asks, and at most once per render.
"""

from __future__ import annotations

from functools import cache

from confsite.editions import current_edition

from .models import SponsorMember


def sponsor_portal(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def is_sponsor_member() -> bool:
        edition = current_edition(request)
        return edition is not None and SponsorMember.objects.filter(user=user, sponsor__conference=edition).exists()

    return {"is_sponsor_member": is_sponsor_member}
