"""The organiser's journey in a browser (axe on the check-in page, strict CSP): log in with two-factor,
approve a student's eligibility proof, record their bank transfer, print their badge, check them in by
scanning the code; a second scan is warned, a workshops-only pass is refused on a main-conference day."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from registration import checkin, services
from registration.catalogue import build_standard_catalogue
from registration.models import CheckIn, ConferenceDay, EligibilityProof, Order, Product, Registration
from tests.browser.conftest import assert_accessible
from tests.browser.test_sponsor_recruitment import SECRET, log_in_with_code
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee
from tests.registration.test_eligibility import PDF

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edition():
    conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    today = timezone.now().date()
    build_standard_catalogue(conference, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
                             order_prefix="ICML26")
    # "Today" in Seoul is a main-conference day, whatever day the test runs.
    ConferenceDay.objects.create(conference=conference, date=checkin.local_today(conference), part=ConferenceDay.Part.MAIN)
    return conference


def registered(conference, email, category_kind, pass_kind, badge_name):
    user = VerifiedUserFactory(email=email)
    category = conference.categories.get(kind=category_kind)
    product = conference.products.get(kind=pass_kind)
    order = services.place_order(conference=conference, buyer=user, accept_code_of_conduct=True,
                                 attendees=[attendee(email, category, product, badge_name=badge_name)])
    return Registration.objects.get(order=order)


def run_action(page, changelist: str, pk: int, action: str):
    page.goto(changelist)
    page.locator(f"input[name='_selected_action'][value='{pk}']").check()
    page.locator("select[name='action']").select_option(action)


def scan(page, token: str) -> None:
    """What a keyboard-wedge scanner does: type into the focused input, then Enter."""
    expect(page.locator("#checkin-code")).to_be_focused()
    page.keyboard.type(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_organiser_approves_records_payment_prints_the_badge_and_checks_in(page, edition):
    student = registered(edition, "minji@example.com", "student", Product.Kind.FULL, "김민지")
    proof = services.submit_proof(student, SimpleUploadedFile("student-card.pdf", PDF, content_type="application/pdf"),
                                  by=student.user)
    workshops = registered(edition, "layla@example.com", "non_academic", Product.Kind.WORKSHOPS, "ليلى حداد")
    services.mark_paid(workshops.order)
    organiser = VerifiedUserFactory(email="organiser@example.org", is_staff=True, is_superuser=True)
    Authenticator.objects.create(user=organiser, type=Authenticator.Type.TOTP, data={"secret": SECRET})

    log_in_with_code(page, "organiser@example.org")

    # The student's proof, approved in the admin.
    run_action(page, "/admin/registration/eligibilityproof/", proof.pk, "approve_proofs")
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()
    proof.refresh_from_db()
    student.refresh_from_db()
    assert (proof.status, student.eligibility) == (EligibilityProof.Status.APPROVED, Registration.Eligibility.APPROVED)

    # Their bank transfer, recorded with the statement's reference.
    run_action(page, "/admin/registration/order/", student.order_id, "record_bank_payment")
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()
    page.get_by_label("Bank reference:").fill("KEB-2026-0042")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the transfer").click()
    expect(page.locator(".messagelist")).to_contain_text("the order is paid in full")
    assert Order.objects.get(pk=student.order_id).status == Order.Status.PAID

    # Their badge, printed from the registrations list.
    run_action(page, "/admin/registration/registration/", student.pk, "print_badges")
    with page.expect_download() as download:
        page.get_by_role("button", name="Go").click()
    pdf = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\x00", "")
    assert "김민지" in text and "Student" in text and "ليلى" not in text

    # At the desk: the scan admits her once; the page is ready for the next scan.
    page.goto("/icml2026/staff/check-in/")
    assert_accessible(page)
    scan(page, student.checkin_token)
    expect(page.locator(".checkin-result")).to_have_class("checkin-result checkin-admitted checkin-ok")
    expect(page.get_by_role("status")).to_contain_text("Checked in: welcome, 김민지.")
    assert_accessible(page)

    # The same badge again: a loud alert naming the first check-in, nothing recorded.
    scan(page, student.checkin_token)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Already checked in")
    expect(alert).to_contain_text("by organiser@example.org")
    assert_accessible(page)

    # A workshops-only pass on a main-conference day: refused.
    scan(page, workshops.checkin_token)
    expect(page.get_by_role("alert")).to_contain_text("The pass “Workshops only” does not admit to Main conference")
    expect(page.locator(".checkin-verdict")).to_have_text("Do not admit")
    assert_accessible(page)

    assert list(CheckIn.objects.values_list("registration_id", "checked_in_by__email", "part")) == [
        (student.pk, "organiser@example.org", "main")]
