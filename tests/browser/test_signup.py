"""The first journey: sign up, verify the e-mail from the outbox, log in, see the home page."""

import re

import pytest

from confsite.models import OutboxEmail
from tests.browser.conftest import assert_accessible
from tests.factories import ConferenceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_attendee_signs_up_verifies_and_logs_in(page, live_server):
    ConferenceFactory(
        slug="icml2026", short_name="ICML 2026", name="International Conference on Machine Learning 2026", is_current=True
    )

    page.goto("/")
    assert page.url == f"{live_server.url}/icml2026/"
    assert page.locator("h1").inner_text() == "International Conference on Machine Learning 2026"
    assert_accessible(page)

    page.get_by_role("link", name="Sign up").click()
    assert_accessible(page)
    page.get_by_label("Email:").fill("ji-woo.park@kaist.ac.kr")
    page.get_by_label("Password:", exact=True).fill("seoul-poster-session-2026")
    page.get_by_label("Password (again):").fill("seoul-poster-session-2026")
    page.get_by_role("button", name="Sign Up").click()

    page.wait_for_url("**/accounts/confirm-email/")
    assert "Verify Your Email Address" in page.content()
    assert_accessible(page)

    email = OutboxEmail.objects.get(recipient="ji-woo.park@kaist.ac.kr")
    assert email.status == OutboxEmail.Status.SENT
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", email.body_text).group(0)
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()

    # Confirming logs the person in and lands on the site's home page.
    page.wait_for_url("**/icml2026/")
    assert page.get_by_role("link", name="Log out").is_visible()
    assert_accessible(page)

    # Log out and back in with the verified address.
    page.get_by_role("link", name="Log out").click()
    page.get_by_role("button", name="Sign Out").click()
    page.wait_for_url("**/icml2026/")
    page.get_by_role("link", name="Log in").click()
    assert_accessible(page)
    page.get_by_label("Email:").fill("ji-woo.park@kaist.ac.kr")
    page.get_by_label("Password:").fill("seoul-poster-session-2026")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/icml2026/")
    assert page.get_by_role("link", name="My registration").is_visible()
    assert page.get_by_role("link", name="Log out").is_visible()
