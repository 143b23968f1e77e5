"""The registration journey in a browser: sign up, register as a student, see the price, place the
order, upload a proof that an organiser approves, and a lab manager's group order for three people.
Every e-mail is observed in the outbox."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from confsite.models import OutboxEmail
from registration.catalogue import build_standard_catalogue
from registration.models import EligibilityProof, Order, Registration
from tests.browser.conftest import assert_accessible, open_page
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.test_eligibility import PDF

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "seoul-poster-session-2026"


@pytest.fixture
def edition():
    conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    today = timezone.now().date()
    build_standard_catalogue(conference, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
                             order_prefix="ICML26")
    return conference


def sign_up_and_verify(page, email):
    page.goto("/accounts/signup/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url("**/accounts/confirm-email/")
    body = OutboxEmail.objects.get(recipient=email, purpose="account.email_confirmation_signup").body_text
    page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()


def fill_profile(scope, badge, legal, affiliation, position, country):
    scope.get_by_label("Name on badge:").fill(badge)
    scope.get_by_label("Legal name:").fill(legal)
    scope.get_by_label("Affiliation:").fill(affiliation)
    scope.get_by_label("Position:").select_option(label=position)
    scope.get_by_label("Country:").select_option(label=country)


def test_a_student_registers_uploads_a_proof_and_an_organiser_approves_it(page, browser, live_server, edition, tmp_path):
    sign_up_and_verify(page, "hana.lee@gmail.com")
    page.get_by_role("link", name="Register").first.click()
    page.wait_for_url("**/icml2026/register/")
    assert_accessible(page)
    page.get_by_label("Student").check()
    page.get_by_label("Full conference").check()
    fill_profile(page, "이하나", "Lee Hana", "Yonsei University", "PhD student", "South Korea")
    page.get_by_label("I accept the code of conduct.").check()
    page.get_by_role("button", name="Show the price").click()
    assert page.locator(".quote-total").inner_text() == "450.00 USD"
    assert_accessible(page)
    assert Order.objects.count() == 0
    page.get_by_role("button", name="Place order").click()

    page.wait_for_url("**/icml2026/my-registration/")
    order = Order.objects.get()
    assert page.get_by_text(f"Order {order.reference} is placed.").is_visible()
    assert page.get_by_text("A proof of your academic or student status.").is_visible()
    assert page.locator(".qr svg").is_visible()
    assert_accessible(page)
    placed = OutboxEmail.objects.get(purpose="registration.order_placed")
    assert placed.recipient == "hana.lee@gmail.com" and order.reference in placed.subject

    card = tmp_path / "student-card.pdf"
    card.write_bytes(PDF)
    page.get_by_label("Proof of status (PDF or image, up to 5 MB)").set_input_files(str(card))
    page.get_by_role("button", name="Upload proof").click()
    assert page.get_by_text("Organisers will review your proof; your seat and price are held.").first.is_visible()
    assert Registration.objects.get().eligibility == Registration.Eligibility.PENDING

    # The organiser approves the proof in the admin, in a browser of their own.
    VerifiedUserFactory(email="chair@example.org", is_staff=True, is_superuser=True)
    organiser = open_page(browser, live_server.url)
    organiser.goto("/accounts/login/?next=/admin/registration/eligibilityproof/")
    organiser.get_by_label("Email:").fill("chair@example.org")
    organiser.get_by_label("Password:").fill("correct horse battery staple")
    with organiser.expect_navigation():
        organiser.get_by_role("button", name="Sign In").click()
    organiser.wait_for_url("**/admin/registration/eligibilityproof/")
    assert_accessible(organiser)
    organiser.locator("input[name=_selected_action]").first.check()
    organiser.locator("select[name=action]").select_option(value="approve_proofs")
    organiser.get_by_role("button", name="Go").click()
    organiser.wait_for_load_state()
    assert EligibilityProof.objects.get().status == EligibilityProof.Status.APPROVED
    assert organiser.console_problems == []
    organiser.context.close()

    approved = OutboxEmail.objects.get(purpose="registration.eligibility_approved")
    assert approved.recipient == "hana.lee@gmail.com"
    page.reload()
    assert page.get_by_text("Approved").first.is_visible()
    assert page.get_by_text("Payment of 450.00 USD.").is_visible()


def test_a_lab_manager_registers_three_people_in_one_order(page, edition):
    sign_up_and_verify(page, "manager@lab.example")
    page.goto("/icml2026/register/group/")
    assert_accessible(page)
    people = [("ana@lab.example", "Ana Silva", "Portugal"), ("bo@lab.example", "Bo Chen", "China"),
              ("ji@lab.example", "김지우", "South Korea")]
    for index, (email, name, country) in enumerate(people):
        person = page.locator("fieldset.person").nth(index)
        person.get_by_label("E-mail:").fill(email)
        person.get_by_label("Category:").select_option(label="Non-academic")
        person.get_by_label("Pass:").select_option(label="Main conference")
        fill_profile(person, name, name, "Lab", "Engineer", country)
    page.get_by_label("Every person named has accepted the code of conduct.").check()
    page.get_by_role("button", name="Show the price").click()
    assert page.locator(".quote-total").inner_text() == "2850.00 USD"
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/icml2026/my-registration/")
    assert page.get_by_text("People you registered").is_visible()
    for _email, name, _country in people:
        assert page.get_by_text(name, exact=False).first.is_visible()
    assert_accessible(page)
    order = Order.objects.get()
    assert order.total == 2850
    assert sorted(OutboxEmail.objects.filter(purpose="registration.group_member_added").values_list("recipient", flat=True)) == [
        "ana@lab.example", "bo@lab.example", "ji@lab.example"]
    assert OutboxEmail.objects.get(purpose="registration.order_placed").recipient == "manager@lab.example"
