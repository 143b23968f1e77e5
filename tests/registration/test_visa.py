"""Visa invitation letters: who may have one, the PDF, the public verification page, the purge."""

import io
from datetime import UTC, date, datetime, timedelta

import pypdf
import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from confsite.models import Conference, OutboxEmail
from registration import billing, documents, services, visa
from registration.errors import NotAllowed
from registration.models import PassportData, Product, VisaLetter
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

PASSPORT = {"passport_name": "KIM MINJI", "nationality": "IN", "passport_number": "Z9876543",
            "date_of_birth": date(1995, 3, 14)}


def pdf_text(field) -> str:
    with field.open("rb") as handle:
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(handle.read())).pages)


@pytest.fixture(autouse=True)
def upcoming(conference):
    """The edition lies ahead, whatever today's date: letters are issued only until it ends."""
    start = timezone.localdate() + timedelta(days=60)
    Conference.objects.filter(pk=conference.pk).update(start_date=start, end_date=start + timedelta(days=5))
    conference.refresh_from_db()
    return conference


@pytest.fixture
def minji(db):
    return VerifiedUserFactory(email="minji@example.com")


@pytest.fixture
def order(conference, catalogue, full_pass, industry, minji):
    return services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                                attendees=[attendee(minji.email, industry, full_pass)])


@pytest.fixture
def registration(order, staff_user):
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    return order.registrations.get()


@pytest.fixture
def letter(registration, minji):
    return visa.request_visa_letter(registration, by=minji, **PASSPORT)


def dates(conference):
    return f"{conference.start_date:%-d %B %Y} – {conference.end_date:%-d %B %Y}"


# --- Who may have a letter ---------------------------------------------------------------------

def test_it_refuses_a_letter_for_an_unpaid_order(order, minji):
    with pytest.raises(NotAllowed) as refused:
        visa.request_visa_letter(order.registrations.get(), by=minji, **PASSPORT)
    assert str(refused.value.message) == (
        f"A visa letter is issued once your registration is paid. Please complete the payment of order "
        f"{order.reference} first.")
    assert VisaLetter.objects.count() == 0 and PassportData.objects.count() == 0


def test_it_refuses_a_letter_for_someone_elses_registration(conference, catalogue, full_pass, industry, staff_user):
    lab_head = VerifiedUserFactory(email="head@lab.example")
    order = services.place_order(conference=conference, buyer=lab_head, accept_code_of_conduct=True,
                                 attendees=[attendee("student@lab.example", industry, full_pass)])
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    with pytest.raises(NotAllowed) as refused:
        visa.request_visa_letter(order.registrations.get(), by=lab_head, **PASSPORT)
    assert str(refused.value.message) == (
        "Only the attendee can request their own visa letter. Register first, or ask the person you registered to "
        "request it from their own account.")
    assert VisaLetter.objects.count() == 0 and PassportData.objects.count() == 0


def test_it_refuses_a_letter_for_a_virtual_pass(conference, catalogue, industry, minji, staff_user):
    virtual = catalogue.products[Product.Kind.VIRTUAL]
    order = services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                                 attendees=[attendee(minji.email, industry, virtual)])
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    with pytest.raises(NotAllowed) as refused:
        visa.request_visa_letter(order.registrations.get(), by=minji, **PASSPORT)
    assert str(refused.value.message) == (
        "A visa letter is for attending in person; your pass (Virtual pass) is for online attendance.")


def test_it_refuses_a_letter_once_the_edition_has_ended(conference, registration, minji):
    Conference.objects.filter(pk=conference.pk).update(start_date=date(2020, 7, 1), end_date=date(2020, 7, 5))
    with pytest.raises(NotAllowed) as refused:
        visa.request_visa_letter(registration, by=minji, **PASSPORT)
    assert str(refused.value.message) == "ICML 2026 has ended; visa letters are no longer issued."


@pytest.mark.parametrize(("field", "value", "message"), [
    ("passport_name", "   ", "Enter your name exactly as it is printed in your passport."),
    ("nationality", "XX", "Choose the country that issued your passport."),
    ("nationality", "IND", "Choose the country that issued your passport."),
    ("passport_number", "AB12", "A passport number has 5 to 20 letters and digits (no other characters); copy it "
                                "from your passport."),
    ("passport_number", "AB-123456", "A passport number has 5 to 20 letters and digits (no other characters); "
                                     "copy it from your passport."),
    ("passport_number", "A" * 21, "A passport number has 5 to 20 letters and digits (no other characters); copy "
                                  "it from your passport."),
    ("date_of_birth", timezone.localdate() + timedelta(days=1), "Enter your date of birth; it must be in the past."),
    ("date_of_birth", date(1880, 1, 1), "Check your date of birth: 1880-01-01 does not look right."),
    ("date_of_birth", timezone.localdate() - timedelta(days=365 * 3), "Check your date of birth: "
                                                                      f"{timezone.localdate() - timedelta(days=365 * 3)}"
                                                                      " does not look right."),
])
def test_it_rejects_details_that_cannot_be_right(registration, minji, field, value, message):
    with pytest.raises(visa.InvalidVisaDetails) as rejected:
        visa.request_visa_letter(registration, by=minji, **{**PASSPORT, field: value})
    assert rejected.value.field == field
    assert str(rejected.value.message) == message
    assert VisaLetter.objects.count() == 0 and PassportData.objects.count() == 0


def test_it_issues_a_letter_for_a_paid_registration(registration, minji):
    letter = visa.request_visa_letter(registration, by=minji, passport_name=" KIM  MINJI ", nationality="in",
                                      passport_number="z987 6543", date_of_birth=date(1995, 3, 14))
    assert (letter.registration, letter.name_on_letter, letter.role) == (registration, "KIM MINJI", "Attendee")
    assert len(letter.reference) == 12
    passport = PassportData.objects.get()
    assert (passport.letter, passport.passport_name, passport.nationality, passport.passport_number,
            passport.date_of_birth) == (letter, "KIM MINJI", "IN", "Z9876543", date(1995, 3, 14))


def test_it_names_the_papers_the_attendee_wrote_at_this_edition(registration, minji, conference):
    from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory

    paper = PaperFactory(conference=conference, title="Scaling Laws for Posters")
    AuthorshipFactory(paper=paper, author=AuthorFactory(conference=conference, name="Kim Minji",
                                                        openreview_id="", email="MINJI@example.com"))
    letter = visa.request_visa_letter(registration, by=minji, **PASSPORT)
    documents.render_visa_letter(letter.pk)
    letter.refresh_from_db()
    assert letter.role == "Author of “Scaling Laws for Posters”"
    assert "Role Author of “Scaling Laws for Posters”" in pdf_text(letter.pdf)


def test_it_never_matches_an_author_by_name(registration, minji, conference):
    from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory

    minji.first_name, minji.last_name = "Minji", "Kim"
    minji.save()
    AuthorshipFactory(paper=PaperFactory(conference=conference),
                      author=AuthorFactory(conference=conference, name="Minji Kim", openreview_id="~Minji_Kim9"))
    letter = visa.request_visa_letter(registration, by=minji, **PASSPORT)
    assert letter.role == "Attendee"


def test_it_renders_the_letter_after_commit_with_the_passport_details_and_the_verification_url(
        registration, minji, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        letter = visa.request_visa_letter(registration, by=minji, **PASSPORT)
    letter.refresh_from_db()
    text = pdf_text(letter.pdf)
    assert "We are pleased to confirm that KIM MINJI is registered to attend" in text
    assert "Name as in passport KIM MINJI\nNationality India\nPassport number Z9876543\nDate of birth 14 March 1995" in text
    assert f"http://127.0.0.1:8000/icml2026/documents/verify/{letter.reference}/" in text
    assert f"Reference {letter.reference}" in text


def test_it_prints_a_name_in_arabic_script(registration, minji):
    letter = visa.request_visa_letter(registration, by=minji, **{**PASSPORT, "passport_name": "أميرة حداد"})
    documents.render_visa_letter(letter.pk)
    letter.refresh_from_db()
    assert "أميرة حداد" in pdf_text(letter.pdf)


def test_it_mails_the_attendee_a_link_and_no_passport_data(letter):
    mail = OutboxEmail.objects.get(purpose="registration.visa_letter_ready")
    assert mail.recipient == "minji@example.com"
    assert mail.object_key == f"visaletter:{letter.pk}"
    assert mail.subject.endswith("Your visa invitation letter for ICML 2026")
    assert f"http://127.0.0.1:8000/icml2026/documents/visa-letters/{letter.pk}/pdf/" in mail.body_text
    assert "Z9876543" not in mail.body_text and "1995" not in mail.body_text


# --- Downloads ---------------------------------------------------------------------------------

def test_it_serves_the_attendee_their_letter(client, minji, letter):
    client.force_login(minji)
    response = client.get(f"/icml2026/documents/visa-letters/{letter.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="visa-letter-{letter.reference}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_it_sends_anonymous_visitors_to_the_login_page_for_a_letter(client, letter):
    url = reverse("visa_letter_pdf", args=["icml2026", letter.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"


def test_it_hides_a_letter_from_the_buyer_of_a_group_order(client, conference, catalogue, full_pass, industry,
                                                          staff_user):
    lab_head = VerifiedUserFactory(email="head@lab.example")
    student = VerifiedUserFactory(email="student@lab.example")
    order = services.place_order(conference=conference, buyer=lab_head, accept_code_of_conduct=True,
                                 attendees=[attendee(student.email, industry, full_pass)])
    billing.record_payment(order, amount=order.total, provider="bank", by=staff_user)
    letter = visa.request_visa_letter(order.registrations.get(), by=student, **PASSPORT)
    client.force_login(lab_head)
    assert client.get(reverse("visa_letter_pdf", args=["icml2026", letter.pk])).status_code == 404


@pytest.mark.parametrize(("codename", "status"), [(None, 404), ("view_finance", 404), ("view_passportdata", 200)])
def test_it_serves_letters_to_staff_only_with_the_passport_permission(client, letter, codename, status):
    staff = VerifiedUserFactory(email="visa-desk@example.org", is_staff=True)
    if codename:
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(staff)
    assert client.get(reverse("visa_letter_pdf", args=["icml2026", letter.pk])).status_code == status


def test_it_answers_404_for_a_letter_under_another_editions_address(client, minji, letter):
    ConferenceFactory(slug="icml2027")
    client.force_login(minji)
    assert client.get(reverse("visa_letter_pdf", args=["icml2027", letter.pk])).status_code == 404


# --- The request page --------------------------------------------------------------------------

def test_the_request_page_needs_a_login(client, conference):
    response = client.get("/icml2026/documents/visa-letter/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/icml2026/documents/visa-letter/"


def test_the_request_page_offers_the_form_with_a_country_list(client, minji, registration):
    client.force_login(minji)
    html = client.get("/icml2026/documents/visa-letter/").content.decode()
    assert 'name="passport_name" value="Kim Minji"' in html
    assert '<select name="nationality"' in html and '<option value="KR">South Korea</option>' in html
    assert 'type="date" name="date_of_birth"' in html
    assert "<script" not in html.split("</head>")[1] and "<style" not in html


def test_the_request_page_issues_the_letter_and_lists_it_without_passport_data(client, minji, registration):
    client.force_login(minji)
    response = client.post("/icml2026/documents/visa-letter/", {
        "passport_name": "KIM MINJI", "nationality": "IN", "passport_number": "Z9876543", "date_of_birth": "1995-03-14"},
        follow=True)
    letter = VisaLetter.objects.get()
    assert response.redirect_chain == [("/icml2026/documents/visa-letter/", 302)]
    html = response.content.decode()
    assert f"Your visa letter {letter.reference} is ready; we have also e-mailed you the link." in html
    assert f'href="/icml2026/documents/visa-letters/{letter.pk}/pdf/">Letter {letter.reference} (PDF)</a>' in html
    assert "Z9876543" not in html and "1995" not in html and "India" not in html.split("</select>")[1]


def test_the_request_page_shows_what_is_wrong_with_a_detail(client, minji, registration):
    client.force_login(minji)
    response = client.post("/icml2026/documents/visa-letter/", {
        "passport_name": "KIM MINJI", "nationality": "IN", "passport_number": "12", "date_of_birth": "1995-03-14"})
    assert response.status_code == 200
    assert ("A passport number has 5 to 20 letters and digits (no other characters); copy it from your passport."
            in response.content.decode())
    assert VisaLetter.objects.count() == 0


def test_the_request_page_explains_why_an_unpaid_registration_has_no_form(client, minji, order):
    client.force_login(minji)
    response = client.post("/icml2026/documents/visa-letter/", {
        "passport_name": "KIM MINJI", "nationality": "IN", "passport_number": "Z9876543", "date_of_birth": "1995-03-14"})
    html = response.content.decode()
    assert response.status_code == 200
    assert (f"A visa letter is issued once your registration is paid. Please complete the payment of order "
            f"{order.reference} first.") in html
    assert 'name="passport_number"' not in html
    assert VisaLetter.objects.count() == 0


# --- Public verification -----------------------------------------------------------------------

def test_it_verifies_a_letter_for_anyone_without_passport_data(client, conference, letter):
    response = client.get(f"/icml2026/documents/verify/{letter.reference}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>This letter is genuine</h1>" in html
    assert f"<dt>Reference</dt><dd>{letter.reference}</dd>" in html
    assert "<dt>Issued to</dt><dd><bdi>KIM MINJI</bdi></dd>" in html
    assert f"<dt>Dates</dt><dd>{dates(conference)}</dd>" in html
    assert "<dt>City</dt><dd>Seoul</dd>" in html
    assert "Z9876543" not in html and "1995" not in html and "India" not in html
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_it_shows_the_issue_date_in_the_editions_time_zone(client, letter):
    VisaLetter.objects.filter(pk=letter.pk).update(issued_at=datetime(2026, 5, 31, 20, 0, tzinfo=UTC))
    html = client.get(f"/icml2026/documents/verify/{letter.reference}/").content.decode()
    assert "<dt>Issued on</dt><dd>1 June 2026</dd>" in html


def test_it_verifies_a_reference_typed_in_lower_case(client, letter):
    assert client.get(f"/icml2026/documents/verify/{letter.reference.lower()}/").status_code == 200


def test_it_says_when_the_registration_was_cancelled_since(client, letter):
    letter.registration.status = "cancelled"
    letter.registration.save(update_fields=["status"])
    html = client.get(f"/icml2026/documents/verify/{letter.reference}/").content.decode()
    assert "The registration this letter was issued for has since been cancelled." in html


def test_it_answers_404_for_an_unknown_reference(client, conference, letter):
    response = client.get("/icml2026/documents/verify/0123456789AB/")
    assert response.status_code == 404
    assert ("No visa invitation letter with the reference “0123456789AB” was issued for ICML 2026."
            in response.content.decode())


def test_it_answers_404_for_a_letter_of_another_edition(client, letter):
    ConferenceFactory(slug="icml2027")
    assert client.get(f"/icml2027/documents/verify/{letter.reference}/").status_code == 404


def test_the_verification_page_issues_the_same_queries_for_1_and_20_letters(client, registration, minji):
    def count(reference):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/icml2026/documents/verify/{reference}/").status_code == 200
        return len(queries)

    first = visa.request_visa_letter(registration, by=minji, **PASSPORT)
    with_one = count(first.reference)
    last = [visa.request_visa_letter(registration, by=minji, **PASSPORT) for _ in range(19)][-1]
    assert with_one == count(last.reference) == 2


# --- Purge -------------------------------------------------------------------------------------

def test_the_purge_refuses_before_the_edition_has_ended(conference, letter):
    with pytest.raises(CommandError) as refused:
        call_command("purge_passport_data", "--edition", "icml2026", stdout=io.StringIO())
    assert str(refused.value) == (
        f"ICML 2026 runs until {conference.end_date:%Y-%m-%d}; attendees may still need their letters. Run again "
        f"after that day, or add --force.")
    assert PassportData.objects.count() == 1


def test_the_purge_names_an_unknown_edition(db):
    with pytest.raises(CommandError) as refused:
        call_command("purge_passport_data", "--edition", "nope", stdout=io.StringIO())
    assert str(refused.value) == "No edition with the slug 'nope'."


def test_the_purge_deletes_passport_data_and_letter_pdfs_but_keeps_letters_verifiable(
        client, conference, letter, minji, django_capture_on_commit_callbacks):
    documents.render_visa_letter(letter.pk)
    letter.refresh_from_db()
    storage, name = letter.pdf.storage, letter.pdf.name
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_passport_data", "--edition", "icml2026", "--force", stdout=out)
    assert out.getvalue() == "Purged the passport data of 1 visa letter(s) of ICML 2026.\n"
    assert PassportData.objects.count() == 0
    letter.refresh_from_db()
    assert letter.pdf.name == "" and not storage.exists(name)
    assert client.get(f"/icml2026/documents/verify/{letter.reference}/").status_code == 200
    assert documents.render_visa_letter(letter.pk) == "purged"
    client.force_login(minji)
    assert client.get(reverse("visa_letter_pdf", args=["icml2026", letter.pk])).status_code == 404


def test_the_purge_runs_without_force_after_the_edition(conference, letter):
    Conference.objects.filter(pk=conference.pk).update(start_date=date(2020, 7, 1), end_date=date(2020, 7, 5))
    out = io.StringIO()
    call_command("purge_passport_data", "--edition", "icml2026", stdout=out)
    assert out.getvalue() == "Purged the passport data of 1 visa letter(s) of ICML 2026.\n"
    assert PassportData.objects.count() == 0 and VisaLetter.objects.count() == 1


def test_the_purge_leaves_other_editions_alone(conference, letter):
    other = ConferenceFactory(slug="icml2027")
    assert visa.purge_passport_data(other) == 0
    assert PassportData.objects.count() == 1
