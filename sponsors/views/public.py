"""The public sponsors page and sponsor logos. Nothing personal: organisations only, never members."""

from __future__ import annotations

import mimetypes
from itertools import groupby

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from confsite.editions import edition_view
from confsite.models import Conference

from ..models import Sponsor

LOGO_MAX_AGE = 3600


@require_GET
@edition_view
def sponsor_list(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Published sponsors grouped by tier, tiers in position order, sponsors by name (one query)."""
    sponsors = (Sponsor.objects.filter(conference=edition, is_published=True).select_related("tier")
                .order_by("tier__position", "tier__name", "tier_id", "name"))
    tiers = [(tier, list(members)) for tier, members in groupby(sponsors, key=lambda s: s.tier)]
    return render(request, "sponsors/sponsor_list.html", {"conference": edition, "tiers": tiers})


@require_GET
@edition_view
def sponsor_logo(request: HttpRequest, edition: Conference, sponsor: str) -> FileResponse:
    """A published sponsor's logo (uploads live under MEDIA_ROOT, which the site does not serve itself)."""
    found = get_object_or_404(Sponsor.objects.only("logo"), conference=edition, slug=sponsor, is_published=True)
    if not found.logo:
        raise Http404("no logo")
    try:
        handle = found.logo.open("rb")
    except FileNotFoundError as error:
        raise Http404("logo file missing") from error
    # Uploads are checked to be PNG/JPEG/GIF/WebP images with a matching extension (never SVG).
    content_type = mimetypes.guess_type(found.logo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={LOGO_MAX_AGE}"
    return response
