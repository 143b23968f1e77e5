"""Site-wide middleware."""

import re

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# The organisers' pages outside the admin: /<edition>/staff/… (check-in desk, dashboard, author attendance).
STAFF_PAGES = re.compile(r"^/[^/]+/staff/")


class StaffTwoFactorMiddleware:
    """With STAFF_REQUIRE_MFA, a staff account reaches the admin and the staff pages only after setting up TOTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.STAFF_REQUIRE_MFA
            and (request.path.startswith(reverse("admin:index")) or STAFF_PAGES.match(request.path))
            and request.user.is_authenticated
            and request.user.is_staff
            and not is_mfa_enabled(request.user)
        ):
            messages.warning(
                request,
                _("Staff accounts need two-factor authentication. Set up an authenticator app to reach the admin and the staff pages."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
