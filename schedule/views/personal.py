"""The logged-in attendee's stars, "My schedule" and private calendar feed.

Nothing here is shared-cached: every response is private (the feed and the stars `no-store`), and
stars are read from the database on each request, so a star shows at once everywhere.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from confsite.editions import edition_view
from confsite.models import Conference

from .. import exports, services
from ..models import CalendarFeed, Session
from ..personal import my_schedule as build_my_schedule
from ..queries import latest_release


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def _target_url(edition: Conference, target) -> str:
    if isinstance(target, Session):
        return reverse("session_detail", args=[edition.slug, target.code])
    return reverse("paper_detail", args=[edition.slug, target.pk])


@edition_view
def toggle_star(request: HttpRequest, edition: Conference) -> HttpResponse:
    """POST `session=<code>` or `paper=<id>`, optional `action=star|unstar` (else toggles) and `next`."""
    if request.method != "POST":
        response = HttpResponseNotAllowed(["POST"], _("Stars are set with the Star button on a session or paper page."),
                                          content_type="text/plain; charset=utf-8")
        return response
    return _toggle_star(request, edition)


@login_required
def _toggle_star(request: HttpRequest, edition: Conference) -> HttpResponse:
    fallback = reverse("my_schedule", args=[edition.slug])
    action = request.POST.get("action", "")
    try:
        if action not in ("", "star", "unstar"):
            raise services.ScheduleError(_("Choose whether to star or unstar."))
        target = services.star_target(edition, session_code=request.POST.get("session", ""),
                                      paper_id=request.POST.get("paper", ""))
    except services.ScheduleError as error:
        if _wants_json(request):
            return _private(JsonResponse({"error": str(error)}, status=400))
        messages.error(request, str(error))
        return redirect(_safe_next(request, fallback))
    field = "session__code" if isinstance(target, Session) else "paper_id"
    if action == "":
        action = "unstar" if services.is_starred(request.user, target) else "star"
    if action == "star":
        services.star(request.user, target)
        message = _("“%(title)s” is in your schedule.") % {"title": target.title}
    else:
        services.unstar(request.user, target)
        message = _("“%(title)s” is no longer in your schedule.") % {"title": target.title}
    if _wants_json(request):
        key = "session" if field == "session__code" else "paper"
        return _private(JsonResponse({key: target.code if key == "session" else target.pk,
                                      "starred": action == "star", "message": message}))
    messages.success(request, message)
    return redirect(_safe_next(request, _target_url(edition, target)))


@require_GET
@edition_view
@login_required
def my_stars(request: HttpRequest, edition: Conference) -> HttpResponse:
    """The person's starred session codes and paper ids, for pages that load personal state separately."""
    codes, papers = services.starred_ids(request.user, edition)
    return _private(JsonResponse({"sessions": codes, "papers": papers}))


@require_GET
@edition_view
@login_required
def my_schedule(request: HttpRequest, edition: Conference) -> HttpResponse:
    release = latest_release(edition)
    schedule = build_my_schedule(request.user, edition, release)
    response = render(request, "schedule/my_schedule.html",
                      {"conference": edition, "release": release, "schedule": schedule})
    return _private(response)


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def calendar_feed_settings(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Create, reveal, replace or revoke the person's private calendar URL."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create":
            services.create_calendar_feed(request.user, edition)
            messages.success(request, _("Your private calendar address is ready: add it to your calendar app."))
        elif action == "reset":
            services.create_calendar_feed(request.user, edition, replace=True)
            messages.success(request, _("You have a new calendar address; the old one no longer works."))
        elif action == "revoke":
            if services.revoke_calendar_feed(request.user, edition):
                messages.success(request, _("Your calendar address no longer works. Create a new one at any time."))
            else:
                messages.info(request, _("You had no calendar address to revoke."))
        else:
            messages.error(request, _("Choose create, reset or revoke."))
        return redirect("calendar_feed_settings", edition.slug)
    feed = services.active_calendar_feed(request.user, edition)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[edition.slug, feed.token])) if feed else ""
    response = render(request, "schedule/calendar_settings.html",
                      {"conference": edition, "feed": feed, "feed_url": feed_url,
                       "webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else ""})
    return _private(response)


@require_GET
@edition_view
def calendar_feed(request: HttpRequest, edition: Conference, token: str) -> HttpResponse:
    """The person's starred programme as iCal, by secret token only; unknown or revoked tokens: 404.

    Built from the latest release at each request, so a subscription follows every new release.
    """
    feed = (CalendarFeed.objects.filter(token=token, conference=edition, revoked_at__isnull=True)
            .select_related("user").first())
    if feed is None:
        raise Http404(_("This calendar address is unknown or was revoked."))
    release = latest_release(edition)
    session_ids, paper_ids = services.starred_pks(feed.user, edition)
    programme = exports.personal_programme(edition, release, session_ids=session_ids, paper_ids=paper_ids)
    body = exports.to_ical(programme, name=_("%(edition)s: my schedule") % {"edition": edition.short_name})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{edition.slug}-my-schedule.ics"'
    response["X-Robots-Tag"] = "noindex"
    return _private(response)
