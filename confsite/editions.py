"""Edition scoping: public URLs start with the edition's slug (/icml2026/...)."""

from __future__ import annotations

from functools import wraps

from django.db import transaction
from django.shortcuts import get_object_or_404

from .models import Conference


def edition_view(view):
    """Resolve the `edition` URL slug to a Conference (404 if unknown) and set `request.edition`."""

    @wraps(view)
    def wrapper(request, edition: str, *args, **kwargs):
        request.edition = get_object_or_404(Conference, slug=edition)
        return view(request, request.edition, *args, **kwargs)

    return wrapper


def current_edition(request) -> Conference | None:
    """The page's edition if it has one, else the current edition (looked up once per request)."""
    if not hasattr(request, "edition"):
        request.edition = Conference.objects.current()
    return request.edition


@transaction.atomic
def make_current(conference: Conference) -> None:
    """Mark `conference` as the current edition and every other edition as not current."""
    Conference.objects.filter(is_current=True).exclude(pk=conference.pk).update(is_current=False)
    Conference.objects.filter(pk=conference.pk).update(is_current=True)
    conference.is_current = True
