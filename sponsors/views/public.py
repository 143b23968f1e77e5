from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from confsite.editions import edition_view
from confsite.models import Conference


@require_GET
@edition_view
def sponsor_list(request: HttpRequest, edition: Conference) -> HttpResponse:
    return render(request, "sponsors/sponsor_list.html", {"conference": edition})
