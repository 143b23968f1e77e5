"""Programme chairs' page: accepted papers with no registered author, and a reminder to their authors."""

from __future__ import annotations

import logging
from datetime import date
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from confsite.editions import edition_view
from confsite.models import Conference
from schedule.models import Paper, Session, Topic

from . import author_attendance, tasks

logger = logging.getLogger(__name__)
PAGE_SIZE = 200
PERMISSIONS = ("schedule.view_paper", "registration.view_registration")


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class AuthorAttendanceFilter(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("track"), required=False,
                                 choices=[("", gettext_lazy("all"))] + list(Paper.Decision.choices))
    topic = forms.ModelChoiceField(label=gettext_lazy("topic"), queryset=Topic.objects.none(), required=False,
                                   empty_label=gettext_lazy("all"))
    session = forms.ModelChoiceField(label=gettext_lazy("session"), queryset=Session.objects.none(), required=False,
                                     empty_label=gettext_lazy("all"))

    def __init__(self, conference: Conference, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(conference=conference).order_by("name")
        self.fields["session"].queryset = (
            Session.objects.filter(conference=conference, kind__in=[Session.Kind.ORAL, Session.Kind.SPOTLIGHT,
                                                                    Session.Kind.POSTER]).order_by("start", "title"))

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"decision": data.get("decision") or "", "topic": data.get("topic"), "session": data.get("session")}

    def query_string(self) -> str:
        data = {k: v for k, v in self.data.items() if k in self.fields and v}
        return urlencode(data)


@login_required
@staff_only
@permission_required(PERMISSIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@edition_view
def author_attendance_view(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = AuthorAttendanceFilter(edition, request.POST if request.method == "POST" else request.GET)
    valid = form.is_valid()
    # Unevaluated: the reminders walk all of it in batches, the page counts it and fetches one slice.
    papers = author_attendance.papers_without_registered_author(edition, **(form.filters() if valid else {}))
    day = timezone.localdate(timezone=edition.tzinfo)
    if request.method == "POST":
        if not valid:
            fields = ", ".join(str(form.fields[name].label) for name in form.errors if name in form.fields)
            messages.error(request, _("The filters are not valid (%(fields)s), so no reminder was queued; choose "
                                      "them again.") % {"fields": fields or _("filters")})
        elif request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the confirmation box to send the reminders; nothing was sent."))
        else:
            count = author_attendance.totals(papers).papers
            if count:
                _dispatch_reminders(request, edition, form, day)
                messages.success(request, ngettext(
                    "Reminders are being queued for %(count)d paper; reload to see progress.",
                    "Reminders are being queued for %(count)d papers; reload to see progress.", count)
                    % {"count": count})
            else:
                messages.info(request, _("Every paper of this list has a registered author; no reminder was sent."))
            url = reverse("staff_author_attendance", args=[edition.slug])
            query = form.query_string()
            return HttpResponseRedirect(f"{url}?{query}" if query else url)
    # The counts and the reminders cover every listed paper; the table shows them a page at a time, and
    # only that page's papers are fetched with their authors.
    totals = author_attendance.totals(papers)
    paginator = Paginator(author_attendance.with_authors(papers), PAGE_SIZE)
    paginator.count = totals.papers  # known from the aggregate: spares the paginator its own COUNT query
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = rows = author_attendance.paper_rows(page.object_list)
    return render(request, "registration/staff/author_attendance.html", {
        "edition": edition, "form": form, "rows": rows, "page": page, "query": form.query_string() if valid else "",
        "paper_count": totals.papers, "reachable_count": totals.reachable, "unreachable_count": totals.unreachable,
        "reminders_today": author_attendance.reminders_queued_on(edition, day),
    }, status=200)


def _dispatch_reminders(request: HttpRequest, edition: Conference, form: AuthorAttendanceFilter, day: date) -> None:
    """Hand the reminders of this filter and day to a worker after commit: ids and plain values only."""
    filters = form.filters()
    args = (edition.pk, filters["decision"], filters["topic"].pk if filters["topic"] else None,
            filters["session"].pk if filters["session"] else None, day.isoformat())

    def send():
        try:
            tasks.send_author_reminders.delay(*args)
        except Exception as exc:  # broker down: say so, the chairs press the button again later
            logger.warning("send_author_reminders%s not queued: %s", args, exc)
            messages.error(request, _("The reminders could not be handed to the mail workers after all; "
                                      "nothing was sent. Try again in a few minutes."))

    transaction.on_commit(send)
