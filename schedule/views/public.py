"""Public programme pages: no login, cached by release for anonymous visitors (see `caching`)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from confsite.editions import edition_view
from confsite.models import Conference

from ..caching import cached_by_release


@require_GET
@edition_view
@cached_by_release
def programme(request: HttpRequest, edition: Conference) -> HttpResponse:
    return render(request, "schedule/programme.html", {"conference": edition})


def _todo(request, edition, *args, **kwargs):  # placeholder until the page is built
    raise Http404


search = session_detail = paper_detail = author_detail = speaker_detail = edition_view(_todo)
