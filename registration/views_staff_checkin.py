"""The registration desk's pages: the check-in page (staff), and the attendee's certificate of attendance.

Thin: parse the scanned code, call `checkin.check_in()`, render the result with the input ready for
the next scan. Staff pages need `is_staff` and the specific permission; anonymous visitors are sent
to the login page, everyone else gets 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from confsite.editions import edition_view
from confsite.models import Conference

from . import certificates, checkin, queries


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
@staff_only
@permission_required("registration.add_checkin", raise_exception=True)
def check_in(request: HttpRequest, edition: Conference) -> HttpResponse:
    result = None
    desk = request.POST.get("desk", request.GET.get("desk", ""))[:40].strip()
    if request.method == "POST":
        # What was typed is never echoed back: the input is empty again, ready for the next scan.
        result = checkin.check_in(edition, request.POST.get("code", ""), by=request.user, desk=desk)
    context = {
        "conference": edition,
        "result": result,
        "desk": desk,
        "today": checkin.local_today(edition),
    }
    return render(request, "registration/staff/checkin/check_in.html", context)


@require_GET
@edition_view
@login_required
def my_certificate(request: HttpRequest, edition: Conference) -> HttpResponse:
    """The signed-in attendee's certificate of attendance, once they have been checked in."""
    registration = queries.active_registration(edition, request.user)
    if registration is None:
        raise Http404(_("You have no registration for this edition."))
    pdf = certificates.certificate_for(registration)
    if pdf is None:
        return render(request, "registration/certificate/not_yet.html", {"conference": edition}, status=404)
    return certificates.pdf_response(pdf, certificates.filename(registration))
