"""Exports of the latest release (iCal, frab XML and JSON) and the release changelog.

All are public and cached by release for anonymous visitors (`cached_by_release`); each reads the
programme in a fixed number of queries. Before the first release the exports answer 404 with a
sentence saying so: the frab XSD requires at least one day, so there is no valid empty document.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from confsite.editions import edition_view
from confsite.models import Conference

from .. import exports, releases
from ..caching import cached_by_release


def _unpublished(edition: Conference) -> HttpResponse:
    message = _("The programme of %(edition)s has not been published yet; the exports appear with its first "
                "release.") % {"edition": edition.short_name}
    return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")


def _programme(request: HttpRequest, edition: Conference) -> exports.Programme:
    release = request.release
    release.conference = edition
    return exports.build_programme(release)


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
@edition_view
@cached_by_release
def ical(request: HttpRequest, edition: Conference) -> HttpResponse:
    if request.release is None:
        return _unpublished(edition)
    body = exports.to_ical(_programme(request, edition), name=edition.short_name)
    return _download(body, "text/calendar; charset=utf-8", f"{edition.slug}.ics")


@require_safe
@edition_view
@cached_by_release
def frab_xml(request: HttpRequest, edition: Conference) -> HttpResponse:
    if request.release is None:
        return _unpublished(edition)
    return _download(exports.to_frab_xml(_programme(request, edition)), "application/xml; charset=utf-8",
                     "schedule.xml")


@require_safe
@edition_view
@cached_by_release
def frab_json(request: HttpRequest, edition: Conference) -> HttpResponse:
    if request.release is None:
        return _unpublished(edition)
    return _download(exports.to_frab_json(_programme(request, edition)), "application/json", "schedule.json")


@require_safe
@edition_view
@cached_by_release
def changelog(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Every release, newest first, with its comment and what it changed (two queries)."""
    return render(request, "schedule/changes.html", {
        "conference": edition, "release": request.release, "history": releases.changelog(edition),
    })
