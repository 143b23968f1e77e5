"""The gate of every sponsor-portal page: a logged-in member of this sponsor, with two-factor login.

Portal URLs are /<edition>/sponsor-portal/<sponsor slug>/…; the decorated view receives the edition,
and finds `request.sponsor` and `request.member` set. Anonymous visitors go to the login page; a
member without an authenticator is sent to set one up (always: sponsor members see personal data);
anyone else gets 404, so the portal does not reveal which sponsors exist or who belongs to them.
Every answer the view returns, redirects and the closed page included, carries `Cache-Control: private, no-store` (never_cache).
"""

from __future__ import annotations

from functools import wraps

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from confsite.editions import edition_view

from .models import Sponsor, SponsorMember


def sponsor_portal_view(view=None, *, roles: tuple[str, ...] | None = None):
    """Decorate a portal view `view(request, edition, *args, **kwargs)`; `roles` limits it (e.g. admins)."""

    def decorate(view):
        # Every portal page is personal (profiles, notes, tokens, members): no cache may keep a copy.
        @never_cache
        @edition_view
        @wraps(view)
        def wrapper(request, edition, sponsor: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            member = (SponsorMember.objects.select_related("sponsor__tier")
                      .filter(user=request.user, sponsor__slug=sponsor, sponsor__conference=edition).first())
            if member is None or (roles and member.role not in roles):
                raise Http404(_("No such sponsor portal."))
            if not is_mfa_enabled(request.user):
                messages.warning(request, _("Sponsor accounts need two-factor authentication. Set up an "
                                            "authenticator app to reach the sponsor portal."))
                return redirect("mfa_activate_totp")
            request.sponsor: Sponsor = member.sponsor
            request.member = member
            return view(request, edition, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
