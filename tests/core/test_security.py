"""Security headers on every page, the admin and API docs included; no inline script anywhere."""

import re

import pytest
from django.urls import reverse

CSP = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'")
# A <script> without src is inline code, unless it is a JSON data block (which browsers never run).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


PUBLIC = ["/icml2026/", "/icml2026/programme/", "/icml2026/sponsors/", "/icml2026/code-of-conduct/",
          "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/api/docs/", "/dev/mailbox/"]
STAFF = ["/admin/", "/admin/confsite/conference/", "/admin/confsite/conference/add/", "/admin/confsite/outboxemail/",
         "/admin/confsite/user/", "/accounts/email/", "/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/password/change/"]


def assert_strict(response, path):
    assert response.status_code == 200, path
    policy = response["Content-Security-Policy"]
    assert all(directive in policy for directive in CSP), path
    assert "unsafe-inline" not in policy and "http" not in policy, path
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == [], path
    assert "<style" not in html, path
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_every_public_page_carries_a_strict_csp_and_no_inline_script(client, conference):
    for path in PUBLIC:
        assert_strict(client.get(path), path)


@pytest.mark.django_db
def test_every_admin_and_account_page_carries_a_strict_csp_and_no_inline_script(client, conference, staff_user):
    client.force_login(staff_user)
    for path in [*STAFF, f"/admin/confsite/conference/{conference.pk}/change/"]:
        response = client.get(path)
        assert_strict(response, path)


@pytest.mark.django_db
def test_https_requests_get_hsts_when_debug_is_off(client, conference):
    response = client.get("/icml2026/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_logout_needs_a_post(client, user, conference):
    client.force_login(user)
    assert client.get(reverse("account_logout")).status_code == 200
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
