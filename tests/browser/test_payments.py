"""The payments journey in a browser: proforma, bank payment recorded by the organiser, receipt and
invoice (PDF text checked, Hangul included), a visa letter that verifies, cancellation with a credit note."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from confsite.models import OutboxEmail
from registration.catalogue import build_standard_catalogue
from registration.models import Invoice, Order, RefundPolicy, VisaLetter
from tests.browser.conftest import assert_accessible, open_page
from tests.browser.test_registration import fill_profile, sign_up_and_verify
from tests.factories import ConferenceFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edition():
    # An edition still to come: visa letters are only issued before it ends.
    today = timezone.now().date()
    conference = ConferenceFactory(slug="icml2027", short_name="ICML 2027", is_current=True,
                                   start_date=today + timedelta(days=120), end_date=today + timedelta(days=125))
    build_standard_catalogue(conference, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
                             order_prefix="ICML27")
    RefundPolicy.objects.create(conference=conference, full_refund_until=timezone.now() + timedelta(days=30),
                                fee_until=timezone.now() + timedelta(days=60), fee_percent=20)
    return conference


def pdf_text(page, link) -> str:
    with page.expect_download() as info:
        link.click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_proforma_bank_payment_invoice_visa_letter_and_cancellation(page, browser, live_server, edition):
    sign_up_and_verify(page, "minji.kim@naver.example")
    page.goto("/icml2027/register/")
    page.get_by_label("Non-academic").check()
    page.get_by_label("Main conference").check()
    fill_profile(page, "김민지", "Kim Minji", "Naver AI Lab", "Industry researcher", "South Korea")
    page.get_by_label("I accept the code of conduct.").check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/icml2027/my-registration/")
    order = Order.objects.get()

    # A proforma for the employer.
    page.get_by_role("link", name="Billing details and proforma invoice").click()
    assert_accessible(page)
    page.get_by_label("Invoice to (company or person):").fill("Naver Corporation")
    page.get_by_label("Billing address:").fill("6 Buljeong-ro, Bundang-gu\nSeongnam 13561\nKorea")
    page.get_by_label("Purchase order number (optional):").fill("PO-8812")
    page.get_by_role("button", name="Save and get a proforma invoice").click()
    page.wait_for_url("**/icml2027/my-registration/")
    text = pdf_text(page, page.get_by_role("link", name="Proforma invoice ICML2027-PF-00001"))
    assert "ICML2027-PF-00001" in text and "Naver Corporation" in text and "PO-8812" in text
    assert OutboxEmail.objects.filter(purpose="registration.proforma_ready").count() == 1

    # The organiser records the bank transfer in the admin.
    VerifiedUserFactory(email="finance@example.org", is_staff=True, is_superuser=True)
    finance = open_page(browser, live_server.url)
    finance.goto("/accounts/login/?next=/admin/registration/payment/add/")
    finance.get_by_label("Email:").fill("finance@example.org")
    finance.get_by_label("Password:").fill("correct horse battery staple")
    with finance.expect_navigation():
        finance.get_by_role("button", name="Sign In").click()
    finance.wait_for_url("**/admin/registration/payment/add/")
    finance.locator("#id_order").evaluate(f"el => {{ el.innerHTML = '<option value=\"{order.pk}\" selected>x</option>'; }}")
    finance.get_by_label("Amount:").fill(str(order.total))
    finance.get_by_label("Bank reference:").fill("KEB-0042")
    finance.get_by_role("button", name="Save", exact=True).click()
    finance.wait_for_url("**/admin/registration/payment/")
    assert finance.console_problems == []
    finance.context.close()

    receipt = OutboxEmail.objects.get(purpose="registration.payment_received")
    assert receipt.recipient == "minji.kim@naver.example" and order.reference in receipt.subject
    page.reload()
    assert page.locator(".status-paid").first.is_visible()
    text = pdf_text(page, page.get_by_role("link", name="Invoice ICML2027-INV-00001"))
    assert "ICML2027-INV-00001" in text and "김민지" in text and "950.00" in text
    assert "Receipt" in pdf_text(page, page.get_by_role("link", name="Receipt (PDF)"))

    # A visa letter that the public verification page confirms.
    page.get_by_role("link", name="Request a visa invitation letter").click()
    assert_accessible(page)
    page.get_by_label("Name as in your passport:").fill("KIM MINJI")
    page.get_by_label("Nationality:").select_option(label="South Korea")
    page.get_by_label("Passport number:").fill("M12345678")
    page.get_by_label("Date of birth:").fill("1994-03-02")
    page.get_by_role("button", name="Issue my letter").click()
    letter = VisaLetter.objects.get()
    assert OutboxEmail.objects.filter(purpose="registration.visa_letter_ready").count() == 1
    page.goto("/icml2027/my-registration/")
    text = pdf_text(page, page.get_by_role("link", name=f"Letter {letter.reference} (PDF)").first)
    assert "KIM MINJI" in text and "M12345678" in text
    verify_path = re.search(r"/icml2027/documents/verify/\w+/", text.replace("\n", "")).group(0)
    page.goto(verify_path)
    assert page.get_by_text("This letter is genuine").is_visible()
    assert "M12345678" not in page.content() and "1994" not in page.content()
    assert_accessible(page)

    # Cancelling shows the refund first, then issues a credit note.
    page.goto("/icml2027/my-registration/")
    page.get_by_role("link", name="Cancel order").click()
    assert page.locator(".refund-amount").inner_text() == "950.00 USD"
    assert_accessible(page)
    page.get_by_label("Yes, cancel this order.").check()
    page.get_by_role("button", name="Cancel the order").click()
    page.wait_for_url("**/icml2027/my-registration/")
    assert page.get_by_text(f"Order {order.reference} is cancelled; 950.00 USD will be refunded.").is_visible()
    credit = Invoice.objects.get(kind="credit_note")
    text = pdf_text(page, page.get_by_role("link", name="Credit note ICML2027-CN-00001"))
    assert "ICML2027-CN-00001" in text and "-950.00" in text and credit.corrects.display_number in text
    assert OutboxEmail.objects.filter(purpose="registration.order_cancelled").count() == 1
