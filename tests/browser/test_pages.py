"""Pages in a real browser: no CSP violation or script error, no serious accessibility violation."""

import pytest

from tests.browser.conftest import assert_accessible
from tests.factories import ConferenceFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edition():
    return ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()


def test_public_pages_work_on_a_phone(page, edition):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/icml2026/", "/icml2026/programme/", "/icml2026/sponsors/", "/icml2026/code-of-conduct/",
                 "/accounts/signup/", "/accounts/password/reset/"]:
        page.goto(path)
        # Nothing overflows sideways on a narrow phone.
        assert page.evaluate("document.documentElement.scrollWidth") == 360, path
        assert_accessible(page)


def test_the_navigation_is_reachable_by_keyboard(page, edition):
    page.goto("/icml2026/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_the_organiser_logs_in_through_the_site_and_uses_the_admin(page, edition):
    VerifiedUserFactory(email="organiser@example.org", is_staff=True, is_superuser=True)
    page.goto("/admin/")
    page.wait_for_url("**/accounts/login/?next=%2Fadmin%2F")
    page.get_by_label("Email:").fill("organiser@example.org")
    page.get_by_label("Password:").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/admin/")
    assert page.get_by_role("link", name="Conference editions").is_visible()
    for path in ["/admin/", "/admin/confsite/conference/", f"/admin/confsite/conference/{edition.pk}/change/",
                 "/admin/confsite/outboxemail/", "/admin/confsite/user/"]:
        page.goto(path)
        assert_accessible(page)


def test_the_api_docs_render_offline(page, edition):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs/")
    page.get_by_text("/api/editions/{slug}/").wait_for()
    schema = page.request.get("/api/schema/?format=json").json()
    operations = sum(1 for item in schema["paths"].values() for method in item if method in {"get", "post", "put", "patch", "delete"})
    assert page.locator(".opblock").count() == operations
    assert all(url.startswith(page.url.split("/api/")[0]) or url.startswith("data:") for url in requested), requested


def test_the_demo_mailbox_shows_what_the_site_sent(page, edition):
    page.goto("/accounts/signup/")
    page.get_by_label("Email:").fill("hana@yonsei.ac.kr")
    page.get_by_label("Password:", exact=True).fill("seoul-poster-session-2026")
    page.get_by_label("Password (again):").fill("seoul-poster-session-2026")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url("**/accounts/confirm-email/")
    page.get_by_role("link", name="Demo mailbox").click()
    assert_accessible(page)
    page.get_by_role("link", name="[Confsite] Please Confirm Your Email Address").click()
    assert "hana@yonsei.ac.kr" in page.locator(".meta").inner_text()
    assert_accessible(page)
    page.locator(".mail-body a[href*='/accounts/confirm-email/']").click()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/icml2026/")
    assert page.get_by_role("link", name="Log out").is_visible()


def totp_code(secret: str, *, not_in: int | None = None) -> tuple[int, str]:
    """The authenticator app's side of TOTP (RFC 6238), computed with allauth's own HOTP function:
    (the 30-second window, its code). It waits for a window other than `not_in` (allauth refuses a
    code it has accepted once) and for one with at least 5 seconds left (a code typed in a window's
    last moment is checked in the next, where it is no longer valid)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    while True:
        now = time.time()
        window, elapsed = int(now) // 30, now % 30
        if window != not_in and elapsed < 25:
            return window, format_hotp_value(hotp_value(secret, window))
        time.sleep(30 - elapsed + 0.05)


def test_with_production_settings_staff_set_up_totp_before_the_admin(page, edition, settings):
    settings.STAFF_REQUIRE_MFA = True
    VerifiedUserFactory(email="chair@example.org", is_staff=True, is_superuser=True)
    log_in(page, "chair@example.org", "correct horse battery staple")
    page.goto("/admin/")
    # allauth asks for the password again before a security change, then goes on to the setup.
    page.wait_for_url("**/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F")
    assert "Staff accounts need two-factor authentication." in page.content()
    page.get_by_label("Password:").fill("correct horse battery staple")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert_accessible(page)
    secret = page.locator("#authenticator_secret").input_value()
    window, code = totp_code(secret)
    page.get_by_label("Authenticator code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Activate").click()
    page.goto("/admin/")
    assert page.get_by_role("link", name="Conference editions").is_visible()

    # Next time, the password alone is not enough: the code is asked for.
    page.context.clear_cookies()
    log_in(page, "chair@example.org", "correct horse battery staple")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Code").fill(totp_code(secret, not_in=window)[1])
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()
    page.goto("/admin/")
    assert page.get_by_role("link", name="Conference editions").is_visible()
