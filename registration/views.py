from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from confsite.editions import edition_view
from confsite.models import Conference


@require_GET
@edition_view
@login_required
def my_registration(request: HttpRequest, edition: Conference) -> HttpResponse:
    return render(request, "registration/my_registration.html", {"conference": edition})
