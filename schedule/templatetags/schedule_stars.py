"""The ☆ Star / ★ Starred button of session and paper pages.

Public pages are shared-cached for anonymous visitors only (see `caching.is_shareable`): a logged-in
person always gets a freshly rendered, private page, so the button may show their own star state and
carry a CSRF token. Anonymous visitors get a plain "log in to star" link: nothing personal, safe to
share. The person's stars are read once per request (one query), however many buttons the page has.
"""

from __future__ import annotations

from django import template

from .. import services
from ..models import Paper, Session

register = template.Library()


def _starred(request, conference) -> tuple[set[int], set[int]]:
    cache = getattr(request, "_schedule_starred", None)
    if cache is None or cache[0] != conference.pk:
        cache = (conference.pk, services.starred_pks(request.user, conference))
        request._schedule_starred = cache
    return cache[1]


@register.inclusion_tag("schedule/_star_button.html", takes_context=True)
def star_button(context, target, conference=None) -> dict:
    request = context.get("request")
    conference = conference or context.get("conference") or getattr(request, "edition", None)
    data = {"target": target, "conference": conference, "request": request, "show": False}
    if request is None or conference is None or not isinstance(target, (Session, Paper)):
        return data
    data["show"] = True
    data["is_session"] = isinstance(target, Session)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        data["anonymous"] = True
        return data
    sessions, papers = _starred(request, conference)
    data["starred"] = target.pk in (sessions if data["is_session"] else papers)
    data["csrf_token"] = context.get("csrf_token")
    return data
