"""Exports of the latest release (iCal, frab XML and JSON) and the release changelog."""

from django.http import Http404

from confsite.editions import edition_view


def _todo(request, edition, *args, **kwargs):  # placeholder until the page is built
    raise Http404


changelog = ical = frab_xml = frab_json = edition_view(_todo)
