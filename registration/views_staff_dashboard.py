"""The staff dashboard: an edition's registrations, money, seats, queues and check-ins on one page.

Staff with registration.view_registration or registration.view_finance see it (every figure is a
count or a sum); revenue needs registration.view_finance and the
dietary and accessibility counts need registration.view_sensitiveneeds. Anonymous visitors are sent
to the login page, other users get 403. Like the admin, it asks staff for two-factor login when the
deployment requires it (STAFF_REQUIRE_MFA).
"""

from __future__ import annotations

from functools import wraps

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from confsite.editions import edition_view
from confsite.models import Conference

from . import charts, dashboard

REGISTRATION_PERMISSION = "registration.view_registration"
FINANCE_PERMISSION = "registration.view_finance"
NEEDS_PERMISSION = "registration.view_sensitiveneeds"


def staff_with_two_factor(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        if settings.STAFF_REQUIRE_MFA and not is_mfa_enabled(request.user):
            messages.warning(request, _("Staff accounts need two-factor authentication. Set up an authenticator "
                                        "app to reach the staff pages."))
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapper


def _admin_link(name: str, **filters) -> str:
    url = reverse(f"admin:{name}")
    return f"{url}?{urlencode(filters)}" if filters else url


@require_GET
@edition_view
@login_required
@staff_with_two_factor
def staff_dashboard(request: HttpRequest, edition: Conference) -> HttpResponse:
    user = request.user
    # Every section is a count or a sum: finance reads the counts beside the revenue without being
    # allowed to read registrations one by one.
    if not (user.has_perm(REGISTRATION_PERMISSION) or user.has_perm(FINANCE_PERMISSION)):
        raise PermissionDenied
    # "Count again" asks for the history as of now instead of up to a minute old.
    board = dashboard.build(edition, with_revenue=user.has_perm(FINANCE_PERMISSION),
                            with_needs=user.has_perm(NEEDS_PERMISSION),
                            max_age=0 if request.GET.get("fresh") == "1" else None)
    points = board.cumulative
    if points:
        description = ngettext(
            "%(total)d active registration, from %(first)s to %(last)s, one point per day.",
            "%(total)d active registrations, from %(first)s to %(last)s, one point per day.", board.total,
        ) % {"total": board.total, "first": date_format(points[0][0], "j M Y"),
             "last": date_format(points[-1][0], "j M Y")}
        chart = charts.line_chart(points, chart_id="registrations-chart",
                                  title=_("Registrations over time (cumulative)"), description=description,
                                  y_label=_("registrations"))
    else:
        chart = None
    links = {
        "proofs": _admin_link("registration_eligibilityproof_changelist", status__exact="pending",
                              registration__conference__id__exact=edition.pk),
        "outbox_pending": _admin_link("confsite_outboxemail_changelist", status__exact="pending"),
        "outbox_failed": _admin_link("confsite_outboxemail_changelist", status__exact="failed"),
        "quotas": _admin_link("registration_quota_changelist", conference__id__exact=edition.pk),
        "checkins": _admin_link("registration_checkin_changelist"),
        "needs": _admin_link("registration_sensitiveneeds_changelist", registration__conference__id__exact=edition.pk),
        "payments": _admin_link("registration_payment_changelist", order__conference__id__exact=edition.pk),
    }
    return render(request, "registration/staff/dashboard.html", {
        "conference": edition, "board": board, "chart": chart, "links": links,
        "fresh_url": f"{request.path}?fresh=1",
        "can_review_proofs": user.has_perm("registration.view_eligibilityproof"),
        "can_see_outbox": user.has_perm("confsite.view_outboxemail"),
        "can_see_checkins": user.has_perm("registration.view_checkin"),
    })
