"""My data: the export of everything about a person (theirs only, in a constant number of queries) and
the erasure of their account (what is erased, what the law keeps, files, sessions, the confirmation)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from confsite import consent, privacy
from confsite.models import Conference, ConsentRecord, ConsentText, OutboxEmail, User
from registration import billing, services
from registration.catalogue import build_standard_catalogue
from registration.models import (
    Category,
    CheckIn,
    EligibilityProof,
    Invoice,
    Order,
    PassportData,
    Payment,
    Product,
    Registration,
    SensitiveNeeds,
    VisaLetter,
    Voucher,
    WaitingListEntry,
)
from registration.services import AttendeeRequest
from schedule.models import Author, CalendarFeed, Star
from schedule.queries import papers_for_person
from sponsors import passes
from sponsors.models import (
    AccessLogEntry,
    InterviewRoom,
    InterviewSlot,
    Invitation,
    MemberInvitation,
    RecruitmentProfile,
    SponsorDecision,
    SponsorMember,
)
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    SessionFactory,
    SpeakerFactory,
)
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def catalogue(conference):
    today = timezone.now().date()
    return build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                    regular_until=today + timedelta(days=60), venue_seats=100, social_seats=20,
                                    order_prefix="ICML26")


@pytest.fixture
def acme(conference):
    return SponsorFactory(conference=conference, name="Acme", slug="acme")


@pytest.fixture
def recruiter(acme):
    return SponsorMember.objects.create(sponsor=acme, user=VerifiedUserFactory(email="rita@acme.example"))


def give_everything(person: User, conference: Conference, catalogue, staff: User, acme, recruiter, *, n: int = 1,
                    name: str = "Kim Minji", passport: str = "M1234567") -> Registration:
    """A registration with `n` of each kind of personal data: payments, proofs, letters, check-ins, stars,
    sponsor decisions, invitations, access-log entries; needs; a consent; a recruitment profile with a CV."""
    industry = catalogue.categories[Category.Kind.NON_ACADEMIC]
    full = catalogue.products[Product.Kind.FULL]
    order = services.place_order(
        conference=conference, buyer=person, accept_code_of_conduct=True,
        attendees=[AttendeeRequest(email=person.email, category=industry, pass_product=full,
                                   profile={"badge_name": name, "legal_name": name, "affiliation": "KAIST",
                                            "position": "phd", "country": "KR", "pronouns": "she/her",
                                            "openreview_id": f"~{name.replace(' ', '_')}1"},
                                   dietary="vegan", accessibility="step-free access")])
    Order.objects.filter(pk=order.pk).update(billing_name=f"{name} Lab", billing_address="291 Daehak-ro, Daejeon")
    share = (order.total / n).quantize(Decimal("0.01"))
    for i in range(n):
        amount = order.total - share * (n - 1) if i == n - 1 else share
        billing.record_payment(order, amount=amount, provider="bank", by=staff, external_id=f"BANK-{person.pk}-{i}")
    registration = order.registrations.get()
    for i in range(n):
        proof = EligibilityProof(registration=registration, original_name=f"id-{i}.pdf", content_type="application/pdf",
                                 size=len(PDF), status=EligibilityProof.Status.APPROVED)
        proof.file.save(f"proof-{person.pk}-{i}.pdf", ContentFile(PDF), save=True)
        letter = VisaLetter.objects.create(registration=registration, name_on_letter=name.upper(), role="Attendee")
        letter.pdf.save(f"letter-{person.pk}-{i}.pdf", ContentFile(PDF), save=True)
        PassportData.objects.create(letter=letter, passport_name=name.upper(), nationality="KR",
                                    passport_number=passport, date_of_birth="1995-03-14")
        CheckIn.objects.create(registration=registration, date=conference.start_date + timedelta(days=i), part="main",
                               checked_in_by=staff)
        Star.objects.create(user=person, conference=conference, session=SessionFactory(conference=conference))
    CalendarFeed.objects.create(user=person, conference=conference)
    text, _ = ConsentText.objects.get_or_create(conference=conference, purpose="recruitment", version="1",
                                                defaults={"text": "Share my profile with the sponsors named."})
    consent.grant(person, text, scope={"recipients": ["Acme"]})
    profile = RecruitmentProfileFactory(user=person, conference=conference, headline=f"{name}, PhD student",
                                        opted_in=True)
    profile.cv.save(f"cv-{person.pk}.pdf", ContentFile(PDF), save=True)
    SponsorDecision.objects.create(profile=profile, sponsor=acme, decision="accepted")
    room, _ = InterviewRoom.objects.get_or_create(conference=conference, name="Room 1")
    for i in range(n):
        start = timezone.now() + timedelta(days=1, hours=i + 10 * person.pk)
        slot = InterviewSlot.objects.create(room=room, start=start, end=start + timedelta(minutes=30), sponsor=acme)
        Invitation.objects.create(slot=slot, sponsor=acme, profile=profile, message=f"Hello {name}",
                                  invited_by=recruiter.user)
        AccessLogEntry.objects.create(sponsor=acme, user=recruiter.user, profile=profile, action="view")
    return registration


@pytest.fixture
def minji(db):
    return VerifiedUserFactory(email="minji@kaist.example", first_name="Minji", last_name="Kim")


@pytest.fixture
def jun(db):
    return VerifiedUserFactory(email="jun@snu.example", first_name="Jun", last_name="Park")


@pytest.fixture
def minji_registration(minji, conference, catalogue, staff_user, acme, recruiter):
    return give_everything(minji, conference, catalogue, staff_user, acme, recruiter)


@pytest.fixture
def jun_registration(jun, conference, catalogue, staff_user, acme, recruiter):
    return give_everything(jun, conference, catalogue, staff_user, acme, recruiter, name="Park Jun", passport="J7654321")


def private_file_exists(field) -> bool:
    return field.storage.exists(field.name)


# --- Export ------------------------------------------------------------------------------------------

def test_it_exports_every_kind_of_personal_data_with_exact_keys(minji, minji_registration):
    data = privacy.export_user_data(minji)
    assert set(data) == {"format", "exported_at", "account", "consents", "registration", "schedule", "sponsors"}
    assert data["format"] == "confsite.export/1"
    assert data["account"]["email"] == "minji@kaist.example"
    assert data["account"]["email_addresses"] == [{"email": "minji@kaist.example", "verified": True, "primary": True}]
    assert [(c["purpose"], c["action"], c["text_version"], c["scope"]) for c in data["consents"]] == [
        ("recruitment", "granted", "1", {"recipients": ["Acme"]})]

    assert set(data["registration"]) == {"orders", "registrations", "waiting_list"}
    [order] = data["registration"]["orders"]
    assert set(order) == {"edition", "reference", "status", "currency", "total", "placed_at", "paid_at", "cancelled_at",
                          "billing", "lines", "payments", "refunds", "invoices"}
    assert order["status"] == "paid"
    assert order["billing"]["name"] == "Kim Minji Lab"
    assert [(line["product"], line["category"]) for line in order["lines"]] == [("Full conference", "Non-academic")]
    assert [(p["provider"], p["status"], p["reference"]) for p in order["payments"]] == [
        ("bank", "confirmed", f"BANK-{minji.pk}-0")]
    assert [(i["kind"], i["number"]) for i in order["invoices"]] == [("invoice", "ICML2026-INV-00001")]

    [registration] = data["registration"]["registrations"]
    assert set(registration) == {"id", "edition", "order", "status", "category", "pass", "eligibility", "badge_name",
                                 "legal_name", "affiliation", "position", "country", "pronouns", "openreview_id",
                                 "code_of_conduct_accepted_at", "needs", "eligibility_proofs", "visa_letters",
                                 "check_ins"}
    assert (registration["legal_name"], registration["pronouns"], registration["openreview_id"]) == (
        "Kim Minji", "she/her", "~Kim_Minji1")
    assert registration["needs"] == {"dietary": "vegan", "accessibility": "step-free access"}
    assert [(p["file_name"], p["status"], p["size"]) for p in registration["eligibility_proofs"]] == [
        ("id-0.pdf", "approved", len(PDF))]
    assert "file" not in registration["eligibility_proofs"][0]
    assert registration["visa_letters"][0]["passport"] == {"name": "KIM MINJI", "nationality": "KR",
                                                           "number": "M1234567", "date_of_birth": "1995-03-14"}
    assert [(c["date"], c["part"]) for c in registration["check_ins"]] == [("2026-07-06", "main")]

    assert set(data["schedule"]) == {"stars", "calendar_feeds", "author_records", "speaker_records"}
    assert (data["schedule"]["author_records"], data["schedule"]["speaker_records"]) == ([], [])
    assert len(data["schedule"]["stars"]) == 1
    assert set(data["schedule"]["calendar_feeds"][0]) == {"edition", "created_at", "revoked_at"}  # never the token

    [profile] = data["sponsors"]["recruitment_profiles"]
    assert profile["headline"] == "Kim Minji, PhD student"
    assert profile["sponsor_decisions"][0]["sponsor"] == "Acme"
    assert [(i["sponsor"], i["message"], i["status"]) for i in profile["interview_invitations"]] == [
        ("Acme", "Hello Kim Minji", "pending")]
    assert [(e["sponsor"], e["action"], e["channel"]) for e in profile["access_log"]] == [("Acme", "view", "portal")]
    assert set(profile["access_log"][0]) == {"sponsor", "action", "channel", "at"}  # the sponsor, never the recruiter
    assert data["sponsors"]["sponsor_memberships"] == []


def test_it_exports_the_author_and_speaker_records_that_carry_the_persons_identifiers(
        minji, jun, minji_registration, conference):
    """Matched as everywhere else: by any address of the account (any case) or an OpenReview id from a
    registration, never by name."""
    EmailAddress.objects.create(user=minji, email="kim.minji@alumni.example", verified=True)
    by_id = AuthorFactory(conference=conference, name="Kim Minji", openreview_id="~Kim_Minji1")
    by_second_address = AuthorFactory(conference=conference, name="M. Kim", openreview_id="",
                                      email="KIM.MINJI@alumni.example")
    AuthorFactory(conference=conference, name="Kim Minji", openreview_id="~Kim_Minji2")  # a namesake
    AuthorshipFactory(author=by_id, paper=PaperFactory(conference=conference, title="Sparse attention"),
                      position=2, affiliation="KAIST")
    AuthorshipFactory(author=by_second_address, paper=PaperFactory(conference=conference, title="Dense retrieval"),
                      position=1, affiliation="KAIST AI")
    SpeakerFactory(conference=conference, name="Kim Minji", email="Minji@KAIST.example", biography="Works on ML.")
    SpeakerFactory(conference=conference, name="Kim Minji", email="other@example.org")
    schedule = privacy.export_user_data(minji)["schedule"]
    assert schedule["author_records"] == [
        {"edition": "icml2026", "name": "Kim Minji", "email": "", "openreview_id": "~Kim_Minji1",
         "papers": [{"title": "Sparse attention", "author_position": 2, "affiliation": "KAIST"}]},
        {"edition": "icml2026", "name": "M. Kim", "email": "KIM.MINJI@alumni.example", "openreview_id": "",
         "papers": [{"title": "Dense retrieval", "author_position": 1, "affiliation": "KAIST AI"}]},
    ]
    assert schedule["speaker_records"] == [
        {"edition": "icml2026", "name": "Kim Minji", "email": "Minji@KAIST.example", "affiliation": "KAIST",
         "biography": "Works on ML.", "homepage": ""}]
    assert privacy.export_user_data(jun)["schedule"]["author_records"] == []


def test_it_never_includes_another_persons_data(minji, jun, minji_registration, jun_registration):
    text = json.dumps(privacy.export_user_data(minji), default=str)
    for secret in ("jun@snu.example", "Park Jun", "PARK JUN", "J7654321", f"BANK-{jun.pk}", "Jun"):
        assert secret not in text
    assert "M1234567" in text


def test_a_buyers_export_leaves_out_the_people_they_registered(minji, jun, conference, catalogue):
    industry = catalogue.categories[Category.Kind.NON_ACADEMIC]
    full = catalogue.products[Product.Kind.FULL]
    services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                         attendees=[AttendeeRequest(email=jun.email, category=industry, pass_product=full,
                                                    profile={"badge_name": "Jun", "legal_name": "Park Jun Secret",
                                                             "affiliation": "SNU", "position": "phd",
                                                             "country": "KR"}, dietary="no nuts")])
    buyer = privacy.export_user_data(minji)["registration"]
    assert buyer["registrations"] == []
    assert len(buyer["orders"]) == 1
    assert "Park Jun Secret" not in json.dumps(buyer) and "no nuts" not in json.dumps(buyer)
    attendee = privacy.export_user_data(jun)["registration"]
    assert attendee["orders"] == []
    assert [(r["legal_name"], r["needs"]["dietary"]) for r in attendee["registrations"]] == [("Park Jun Secret", "no nuts")]


def test_the_export_issues_the_same_number_of_queries_whatever_the_amount_of_data(
        minji, jun, conference, catalogue, staff_user, acme, recruiter, django_assert_num_queries):
    give_everything(minji, conference, catalogue, staff_user, acme, recruiter, n=1)
    give_everything(jun, conference, catalogue, staff_user, acme, recruiter, n=4, name="Park Jun")
    for person, n in ((minji, 1), (jun, 4)):
        author = AuthorFactory(conference=conference, email=person.email, openreview_id="")
        for _ in range(n):
            AuthorshipFactory(author=author, paper=PaperFactory(conference=conference))
        SpeakerFactory(conference=conference, email=person.email)
    # 20 before the programme's records: the person's identifiers (addresses, registrations' OpenReview
    # ids), then authors, their authorships and speakers.
    with django_assert_num_queries(25):
        small = privacy.export_user_data(minji)
    with django_assert_num_queries(25):
        large = privacy.export_user_data(jun)
    assert [len(a["papers"]) for a in large["schedule"]["author_records"]] == [4]
    assert len(small["registration"]["registrations"][0]["visa_letters"]) == 1
    assert len(large["registration"]["registrations"][0]["visa_letters"]) == 4
    assert len(large["registration"]["orders"][0]["payments"]) == 4
    assert len(large["sponsors"]["recruitment_profiles"][0]["access_log"]) == 4


# --- Export page -------------------------------------------------------------------------------------

def test_the_pages_require_login(client):
    for name in ("privacy", "privacy_export", "privacy_erase"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("privacy_erase"), {"confirm": "x", "understood": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_downloads_the_signed_in_persons_data_as_a_json_attachment(client, minji, jun, minji_registration,
                                                                       jun_registration):
    client.force_login(minji)
    page = client.get(reverse("privacy"))
    assert page.status_code == 200
    assert reverse("privacy_export").encode() in page.content
    response = client.get(reverse("privacy_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "minji@kaist.example"
    assert "jun@snu.example" not in response.content.decode()


def test_the_export_refuses_post(client, minji):
    client.force_login(minji)
    assert client.post(reverse("privacy_export")).status_code == 405


# --- Erasure -----------------------------------------------------------------------------------------

def test_erasure_removes_personal_data_and_keeps_what_the_law_requires(
        minji, jun, minji_registration, jun_registration, django_capture_on_commit_callbacks, mailoutbox):
    registration = minji_registration
    order = registration.order
    invoice = Invoice.objects.get(order=order)
    invoice_before = (invoice.number, invoice.recipient, invoice.gross, invoice.lines)
    proof_file = EligibilityProof.objects.get(registration=registration).file
    letter_pdf = VisaLetter.objects.get(registration=registration).pdf
    cv = RecruitmentProfile.objects.get(user=minji).cv
    old_token = registration.checkin_token
    registration_before = Registration.objects.values().get(pk=registration.pk)
    order_before = Order.objects.values().get(pk=order.pk)
    letter_before = VisaLetter.objects.values().get(registration=registration)
    assert private_file_exists(proof_file) and private_file_exists(letter_pdf) and private_file_exists(cv)

    with django_capture_on_commit_callbacks(execute=True):
        erasure = privacy.erase_user(minji)

    minji.refresh_from_db()
    assert minji.email == f"erased-{minji.pk}@erased.invalid"
    assert (minji.first_name, minji.last_name, minji.is_active, minji.has_usable_password()) == ("", "", False, False)
    assert not EmailAddress.objects.filter(user=minji).exists()
    registration.refresh_from_db()
    # What remains of the registration: exactly these fields changed, every other one is as it was
    # (edition, order, person's anonymous account, category, pass, status, eligibility, dates).
    registration_after = Registration.objects.values().get(pk=registration.pk)
    assert registration_after == {**registration_before, "badge_name": "—", "legal_name": "—", "affiliation": "",
                                  "position": "", "country": "", "pronouns": "", "openreview_id": "",
                                  "checkin_token": registration.checkin_token}
    assert (registration_before["position"], registration_before["country"]) == ("phd", "KR")
    assert registration.checkin_token != old_token
    assert not SensitiveNeeds.objects.filter(registration=registration).exists()
    assert not EligibilityProof.objects.filter(registration=registration).exists()
    assert not PassportData.objects.filter(letter__registration=registration).exists()
    assert VisaLetter.objects.values().get(registration=registration) == {
        **letter_before, "name_on_letter": "—", "role": "", "pdf": ""}
    assert not RecruitmentProfile.objects.filter(user=minji).exists()
    assert not Star.objects.filter(user=minji).exists() and not CalendarFeed.objects.filter(user=minji).exists()
    assert not AccessLogEntry.objects.filter(profile__user=minji).exists()
    assert not private_file_exists(proof_file) and not private_file_exists(letter_pdf) and not private_file_exists(cv)
    assert erasure.counts == {"outbox e-mails": 2, "eligibility proofs": 1, "dietary and accessibility needs": 1,
                              "passport data": 1, "registrations anonymised": 1, "waiting-list places": 0,
                              "vouchers unbound": 0, "stars": 1, "calendar feeds": 1, "author identifiers": 0,
                              "speaker e-mail addresses": 0, "recruitment profiles": 1, "sponsor memberships": 0,
                              "sponsor team invitations": 0, "complimentary passes unbound": 0,
                              "e-mail addresses": 1, "two-factor devices": 0, "API tokens": 0}

    # Kept: the order's amounts and status, its payments, the invoice exactly as issued, the check-in. The
    # order is invoiced, so its billing details stay (a credit note goes to the same recipient); only the
    # invoice address and the idempotency key go.
    assert Order.objects.values().get(pk=order.pk) == {**order_before, "invoice_email": "", "idempotency_key": ""}
    order.refresh_from_db()
    assert (order.status, order.total, order.billing_name, order.billing_address) == (
        "paid", order.total, "Kim Minji Lab", "291 Daehak-ro, Daejeon")
    assert Payment.objects.filter(order=order, status="confirmed").count() == 1
    invoice.refresh_from_db()
    assert (invoice.number, invoice.recipient, invoice.gross, invoice.lines) == invoice_before
    assert CheckIn.objects.filter(registration=registration).count() == 1
    # The ledger records the erasure; the recruitment consent is withdrawn.
    assert list(ConsentRecord.objects.filter(user=minji).order_by("id").values_list("purpose", "action")) == [
        ("recruitment", "granted"), ("recruitment", "withdrawn"), ("account.erasure", "withdrawn")]
    # The confirmation went to the address before it was erased, and is the only mail left for it.
    assert list(OutboxEmail.objects.filter(recipient="minji@kaist.example").values_list("purpose", "status")) == [
        ("account.erasure", "sent")]
    assert [(m.to, m.subject) for m in mailoutbox] == [(["minji@kaist.example"], "Your Confsite account has been erased")]

    # Someone else's data is untouched.
    assert Registration.objects.get(user=jun).legal_name == "Park Jun"
    assert PassportData.objects.filter(letter__registration__user=jun).count() == 1
    assert private_file_exists(RecruitmentProfile.objects.get(user=jun).cv)
    assert Star.objects.filter(user=jun).count() == 1


def test_after_erasure_nothing_personal_is_left_in_the_export(minji, minji_registration):
    privacy.erase_user(minji)
    minji.refresh_from_db()
    data = privacy.export_user_data(minji)
    # What stays is the accounting record: the invoice as issued, with its recipient, and the billing details.
    [order] = data["registration"]["orders"]
    [invoice] = order.pop("invoices")
    assert (invoice["recipient"]["name"], invoice["recipient"]["email"]) == ("Kim Minji Lab", "minji@kaist.example")
    assert order.pop("billing")["name"] == "Kim Minji Lab"
    [registration] = data["registration"]["registrations"]
    assert {k: registration[k] for k in ("badge_name", "legal_name", "affiliation", "position", "country", "pronouns",
                                         "openreview_id", "needs", "eligibility_proofs", "status", "category",
                                         "pass")} == {
        "badge_name": "—", "legal_name": "—", "affiliation": "", "position": "", "country": "", "pronouns": "",
        "openreview_id": "", "needs": None, "eligibility_proofs": [], "status": "active",
        "category": "Non-academic", "pass": registration["pass"]}
    assert [(letter["name_on_letter"], letter["passport"]) for letter in registration["visa_letters"]] == [("—", None)]
    assert data["account"]["email"] == f"erased-{minji.pk}@erased.invalid"
    assert (data["account"]["first_name"], data["account"]["last_name"], data["account"]["email_addresses"]) == (
        "", "", [])
    text = json.dumps(data, default=str)
    for secret in ("Kim Minji", "KIM MINJI", "minji@kaist.example", "M1234567", "vegan", "she/her", "~Kim_Minji1",
                   "Hello", "KAIST", '"KR"', '"phd"'):
        assert secret not in text


def test_a_recruiter_who_is_erased_leaves_the_sponsors_log_without_a_name(minji, jun, recruiter, jun_registration):
    privacy.erase_user(recruiter.user)
    assert not SponsorMember.objects.filter(pk=recruiter.pk).exists()
    assert list(AccessLogEntry.objects.filter(profile__user=jun).values_list("user", flat=True)) == [None]
    assert list(Invitation.objects.filter(profile__user=jun).values_list("invited_by", flat=True)) == [None]


def test_erasure_keeps_the_published_name_on_papers_and_drops_the_private_identifiers(minji, jun, conference,
                                                                                       minji_registration,
                                                                                       jun_registration):
    EmailAddress.objects.create(user=minji, email="minji.kim@mail.example", verified=True)
    last_year = ConferenceFactory(slug="icml2025", start_date=date(2025, 7, 13), end_date=date(2025, 7, 19))
    # Matched by the OpenReview id of her registration, by her account address (any case) in another
    # edition, and by a secondary address; never by name.
    by_id = AuthorFactory(conference=conference, name="Kim Minji", openreview_id="~Kim_Minji1",
                          email="minji@kaist.example")
    by_address = AuthorFactory(conference=last_year, name="Minji Kim", openreview_id="", email="MINJI@kaist.example")
    by_secondary = AuthorFactory(conference=last_year, name="M. Kim", openreview_id="~Minji_Kim2",
                                 email="minji.kim@mail.example")
    namesake = AuthorFactory(conference=last_year, name="Kim Minji", openreview_id="~Kim_Minji7", email="")
    jun_author = AuthorFactory(conference=conference, name="Park Jun", openreview_id="~Park_Jun1",
                               email="jun@snu.example")
    paper = PaperFactory(conference=conference, title="Erasable models")
    AuthorshipFactory(paper=paper, author=by_id, position=0, affiliation="KAIST")
    AuthorshipFactory(paper=paper, author=jun_author, position=1, affiliation="SNU")
    speaker = SpeakerFactory(conference=conference, name="Minji Kim", email="minji@kaist.example",
                             biography="Works on forgetting.")

    erasure = privacy.erase_user(minji)

    assert erasure.counts["author identifiers"] == 3
    assert erasure.counts["speaker e-mail addresses"] == 1
    rows = {a.pk: (a.name, a.email, a.openreview_id, a.erased_at is not None)
            for a in Author.objects.filter(pk__in=[by_id.pk, by_address.pk, by_secondary.pk, namesake.pk, jun_author.pk])}
    assert rows == {by_id.pk: ("Kim Minji", "", "", True), by_address.pk: ("Minji Kim", "", "", True),
                    by_secondary.pk: ("M. Kim", "", "", True), namesake.pk: ("Kim Minji", "", "~Kim_Minji7", False),
                    jun_author.pk: ("Park Jun", "jun@snu.example", "~Park_Jun1", False)}
    # The paper reads as published: same names, order, affiliations and public codes.
    assert list(paper.authorships.order_by("position").values_list("author__name", "affiliation", "author__code")) == [
        ("Kim Minji", "KAIST", by_id.code), ("Park Jun", "SNU", jun_author.code)]
    speaker.refresh_from_db()
    assert (speaker.name, speaker.biography, speaker.email) == ("Minji Kim", "Works on forgetting.", "")
    # Nothing links the paper to anybody's account any more, and no reminder can reach her.
    assert list(papers_for_person(conference, openreview_ids=["~Kim_Minji1"], emails=["minji@kaist.example"])) == []


def test_passes_vouchers_and_team_invitations_for_the_persons_addresses_name_the_erased_address(
        minji, conference, catalogue, acme):
    complimentary = passes.assign_pass(acme, "Minji@KAIST.example")
    other = passes.assign_pass(acme, "rita@acme.example")
    invited = MemberInvitation.objects.create(sponsor=acme, email="minji@kaist.example")
    kept_invitation = MemberInvitation.objects.create(sponsor=acme, email="rita@acme.example", invited_by=minji)

    erasure = privacy.erase_user(minji)

    erased = f"erased-{minji.pk}@erased.invalid"
    assert (erasure.counts["complimentary passes unbound"], erasure.counts["vouchers unbound"],
            erasure.counts["sponsor team invitations"]) == (1, 1, 1)
    complimentary.refresh_from_db()
    voucher = Voucher.objects.get(pk=complimentary.voucher_id)
    assert (complimentary.email, complimentary.revoked_at, voucher.for_email, voucher.source, voucher.max_uses) == (
        erased, None, erased, f"sponsor: Acme ({erased})", 1)
    other.refresh_from_db()
    assert (other.email, Voucher.objects.get(pk=other.voucher_id).source) == (
        "rita@acme.example", "sponsor: Acme (rita@acme.example)")
    assert not MemberInvitation.objects.filter(pk=invited.pk).exists()
    kept_invitation.refresh_from_db()
    assert (kept_invitation.email, kept_invitation.invited_by) == ("rita@acme.example", None)


def test_mail_to_any_of_the_persons_addresses_is_deleted(minji, jun):
    EmailAddress.objects.create(user=minji, email="minji.kim@mail.example", verified=True)
    for recipient in ("minji.kim@mail.example", "minji@kaist.example", "jun@snu.example"):
        OutboxEmail.objects.create(purpose="test", object_key=recipient, recipient=recipient, subject="Hi",
                                   body_text="Hello Minji")

    erasure = privacy.erase_user(minji)

    assert erasure.counts["outbox e-mails"] == 2
    assert sorted(OutboxEmail.objects.values_list("purpose", "recipient")) == [
        ("account.erasure", "minji@kaist.example"), ("test", "jun@snu.example")]


def test_erasure_ends_every_session_of_the_person(client, minji, minji_registration):
    client.force_login(minji)
    assert client.get(reverse("privacy")).status_code == 200
    privacy.erase_user(minji)
    response = client.get(reverse("privacy"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_unpaid_order_or_a_coming_edition_refuses_erasure_and_changes_nothing(minji, conference, catalogue):
    industry = catalogue.categories[Category.Kind.NON_ACADEMIC]
    full = catalogue.products[Product.Kind.FULL]
    order = services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                                 attendees=[AttendeeRequest(email=minji.email, category=industry, pass_product=full,
                                                            profile={"badge_name": "Minji", "legal_name": "Kim Minji",
                                                                     "affiliation": "KAIST", "position": "phd",
                                                                     "country": "KR"})])
    with pytest.raises(privacy.ErasureRefused, match="You have an unpaid order"):
        privacy.erase_user(minji)
    services.mark_paid(order)
    Conference.objects.filter(pk=conference.pk).update(end_date=timezone.localdate() + timedelta(days=3),
                                                       start_date=timezone.localdate())
    with pytest.raises(privacy.ErasureRefused, match="registered for an edition that has not ended"):
        privacy.erase_user(minji)
    minji.refresh_from_db()
    assert (minji.email, minji.is_active) == ("minji@kaist.example", True)
    assert Registration.objects.get(user=minji).legal_name == "Kim Minji"
    assert not OutboxEmail.objects.filter(purpose="account.erasure").exists()


def test_staff_accounts_are_not_erased_by_themselves(staff_user):
    with pytest.raises(privacy.ErasureRefused, match="Staff accounts are closed by an administrator"):
        privacy.erase_user(staff_user)


# --- Erasure page ------------------------------------------------------------------------------------

def test_the_erasure_page_explains_first(client, minji):
    client.force_login(minji)
    response = client.get(reverse("privacy_erase"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "What is erased" in content and "What is kept, and why" in content
    assert 'type="password"' in content
    # The strict CSP allows no inline script or style.
    for page in (content, client.get(reverse("privacy")).content.decode()):
        assert "<style" not in page and " style=" not in page and "<script>" not in page


def test_a_wrong_password_changes_nothing(client, minji, minji_registration):
    client.force_login(minji)
    response = client.post(reverse("privacy_erase"), {"confirm": "wrong", "understood": "on"})
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    minji.refresh_from_db()
    assert (minji.email, minji.is_active) == ("minji@kaist.example", True)
    assert SensitiveNeeds.objects.filter(registration__user=minji).count() == 1


def test_the_confirmation_box_must_be_ticked(client, minji):
    client.force_login(minji)
    response = client.post(reverse("privacy_erase"), {"confirm": "correct horse battery staple"})
    assert response.status_code == 400
    assert User.objects.get(pk=minji.pk).is_active is True


@pytest.mark.parametrize("payload", [{}, {"confirm": "x" * 5000, "understood": "maybe"}, {"confirm": ["a", "b"]}])
def test_bad_input_is_a_400_never_a_500(client, minji, payload):
    client.force_login(minji)
    assert client.post(reverse("privacy_erase"), payload).status_code == 400
    assert User.objects.get(pk=minji.pk).is_active is True


def test_the_right_password_erases_and_logs_out(client, minji, minji_registration, django_capture_on_commit_callbacks):
    client.force_login(minji)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy_erase"), {"confirm": "correct horse battery staple", "understood": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert User.objects.get(pk=minji.pk).email == f"erased-{minji.pk}@erased.invalid"
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("privacy")).status_code == 302


def test_an_account_without_a_password_confirms_by_typing_its_address(client, conference):
    person = VerifiedUserFactory(email="nopass@example.org")
    person.set_unusable_password()
    person.save()
    client.force_login(person)
    assert client.post(reverse("privacy_erase"), {"confirm": "other@example.org", "understood": "on"}).status_code == 400
    response = client.post(reverse("privacy_erase"), {"confirm": " NoPass@example.org ", "understood": "on"})
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).is_active is False


def test_a_refused_erasure_shows_the_reason_and_no_form(client, minji, conference, catalogue):
    industry = catalogue.categories[Category.Kind.NON_ACADEMIC]
    services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                         attendees=[AttendeeRequest(email=minji.email, category=industry,
                                                    pass_product=catalogue.products[Product.Kind.FULL],
                                                    profile={"badge_name": "M", "legal_name": "Kim Minji",
                                                             "affiliation": "KAIST", "position": "phd", "country": "KR"})])
    client.force_login(minji)
    page = client.get(reverse("privacy_erase"))
    assert "You have an unpaid order." in page.content.decode()
    assert 'type="password"' not in page.content.decode()
    response = client.post(reverse("privacy_erase"), {"confirm": "correct horse battery staple", "understood": "on"})
    assert response.status_code == 400
    assert User.objects.get(pk=minji.pk).is_active is True
    assert WaitingListEntry.objects.count() == 0


def test_the_admin_history_no_longer_names_the_person(minji, jun, staff_user, minji_registration, jun_registration):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    def history(obj):
        return LogEntry.objects.create(user=staff_user, content_type=ContentType.objects.get_for_model(obj),
                                       object_id=str(obj.pk), object_repr=str(obj), action_flag=CHANGE,
                                       change_message="[]")

    about_minji = [history(minji), history(minji_registration),
                   history(EligibilityProof.objects.get(registration=minji_registration))]
    about_jun = history(jun_registration)
    privacy.erase_user(minji)
    assert [LogEntry.objects.get(pk=e.pk).object_repr for e in about_minji] == [
        f"user #{minji.pk}", f"registration #{minji_registration.pk}",
        f"eligibility proof #{about_minji[2].object_id}"]
    assert LogEntry.objects.get(pk=about_jun.pk).object_repr == "Park Jun (ICML 2026)"


def test_every_page_links_a_signed_in_person_to_their_data(client, conference):
    url = reverse("privacy")
    assert f'href="{url}"' not in client.get("/icml2026/").content.decode()
    client.force_login(VerifiedUserFactory())
    assert f'href="{url}"' in client.get("/icml2026/").content.decode()
