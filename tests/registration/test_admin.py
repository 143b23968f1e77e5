"""The organisers' console for registration: lists without N+1, state changed only through services."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from confsite.models import OutboxEmail
from registration import services
from registration.catalogue import build_standard_catalogue
from registration.models import (
    EligibilityProof,
    Order,
    Product,
    Quota,
    Registration,
    RevokedCheckinToken,
    Voucher,
    WaitingListEntry,
)
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%...\n"


def place(conference, category, product, email=None, **needs):
    buyer = VerifiedUserFactory(**({"email": email} if email else {}))
    person = attendee(buyer.email, category, product)
    person.dietary, person.accessibility = needs.get("dietary", ""), needs.get("accessibility", "")
    return services.place_order(conference=conference, buyer=buyer, attendees=[person], accept_code_of_conduct=True)


def proof_for(conference, student, full_pass):
    order = place(conference, student, full_pass)
    registration = order.registrations.get()
    upload = SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf")
    return services.submit_proof(registration, upload, by=registration.user)


def staff_with(*codenames):
    user = VerifiedUserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="registration",
                                                         codename__in=codenames))
    return user


def notes(response):
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def act(client, model, action, *objects):
    return client.post(reverse(f"admin:registration_{model}_changelist"),
                       {"action": action, "_selected_action": [o.pk for o in objects]})


# --- Lists: 200, and the same number of queries at 3 and at 30 rows ------------------------------

def make_orders(conference, cats, n):
    for _ in range(n):
        place(conference, cats.categories["non_academic"], cats.products["full"])


def make_proofs(conference, cats, n):
    for _ in range(n):
        proof_for(conference, cats.categories["student"], cats.products["full"])


def make_vouchers(conference, cats, n):
    start = Voucher.objects.count()
    for i in range(start, start + n):
        voucher = Voucher.objects.create(conference=conference, code=f"SPONSOR-{i}", kind=Voucher.Kind.COMPLIMENTARY)
        voucher.products.set([cats.products["full"]])


def make_products(conference, cats, n):
    quota = cats.quotas["venue"]
    for i in range(n):
        product = Product.objects.create(conference=conference, kind=Product.Kind.ADDON, name=f"Workshop dinner {i}")
        product.quotas.set([quota])


def make_quotas(conference, cats, n):
    for i in range(n):
        Quota.objects.create(conference=conference, name=f"Room {i}", size=40)


def make_waiting(conference, cats, n):
    for _ in range(n):
        WaitingListEntry.objects.create(conference=conference, user=VerifiedUserFactory(),
                                        product=cats.products["social"])


@pytest.mark.parametrize(("model", "make"), [
    ("order", make_orders),
    ("registration", make_orders),
    ("eligibilityproof", make_proofs),
    ("voucher", make_vouchers),
    ("product", make_products),
    ("quota", make_quotas),
    ("waitinglistentry", make_waiting),
])
def test_it_lists_with_the_same_number_of_queries_for_3_and_30_rows(client, staff_user, conference, catalogue,
                                                                    model, make):
    url = reverse(f"admin:registration_{model}_changelist")
    client.force_login(staff_user)
    base = client.get(url).context["cl"].result_count  # the catalogue's own passes and quotas
    make(conference, catalogue, 3)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == base + 3
    make(conference, catalogue, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == base + 30
    assert len(many) == len(few)


@pytest.mark.parametrize("model", [
    "registrationsettings", "category", "quota", "product", "priceperiod", "price", "eligibilitydomain", "voucher",
    "order", "registration", "sensitiveneeds", "revokedcheckintoken", "eligibilityproof", "waitinglistentry",
])
def test_it_shows_every_registration_list_to_a_superuser(client, staff_user, catalogue, model):
    client.force_login(staff_user)
    assert client.get(reverse(f"admin:registration_{model}_changelist")).status_code == 200


def test_it_shows_an_order_with_its_lines_and_registrations(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass, email="ji@example.com")
    client.force_login(staff_user)
    response = client.get(reverse("admin:registration_order_change", args=[order.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "1250.00" in html
    assert "김민지" in html
    assert "Registrations created by this order" in html
    assert response.context["inline_admin_formsets"][0].formset.queryset.count() == 1
    assert response.context["inline_admin_formsets"][1].formset.queryset.count() == 1


# --- Orders --------------------------------------------------------------------------------------

def test_it_marks_an_order_paid_through_the_service(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = act(client, "order", "mark_paid", order)
    assert response.status_code == 302
    assert notes(response) == [(messages.SUCCESS, "1 order marked as paid.")]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.expires_at is None
    entry = LogEntry.objects.get(object_id=str(order.pk))
    assert (entry.user, entry.change_message) == (staff_user, "Marked as paid.")


def test_it_cancels_orders_and_frees_their_seats(client, staff_user, conference, catalogue, full_pass, industry):
    first, second = place(conference, industry, full_pass), place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = act(client, "order", "cancel_orders", first, second)
    assert notes(response) == [(messages.SUCCESS, "2 orders cancelled; their seats and voucher uses are free again.")]
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CANCELLED}
    assert Registration.objects.filter(status=Registration.Status.ACTIVE).count() == 0
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 0


def test_it_names_the_order_it_could_not_change_and_changes_nothing(client, staff_user, conference, full_pass,
                                                                     industry):
    cancelled = services.cancel_order(place(conference, industry, full_pass))
    pending = place(conference, industry, full_pass)
    client.force_login(staff_user)
    response = act(client, "order", "mark_paid", cancelled, pending)
    assert sorted(notes(response)) == [
        (messages.SUCCESS, "1 order marked as paid."),
        (messages.ERROR, f"{cancelled.reference} was not marked as paid: "
                         f"Order {cancelled.reference} is cancelled, not pending."),
    ]
    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.paid_at) == (Order.Status.CANCELLED, None)
    assert Order.objects.get(pk=pending.pk).status == Order.Status.PAID


def test_it_refuses_to_cancel_an_already_cancelled_order(client, staff_user, conference, full_pass, industry):
    order = services.cancel_order(place(conference, industry, full_pass))
    cancelled_at = order.cancelled_at
    client.force_login(staff_user)
    response = act(client, "order", "cancel_orders", order)
    assert notes(response) == [
        (messages.ERROR, f"{order.reference} was not cancelled: Order {order.reference} is already cancelled."),
    ]
    order.refresh_from_db()
    assert (order.status, order.cancelled_at) == (Order.Status.CANCELLED, cancelled_at)


def test_it_ignores_status_and_total_posted_to_the_order_form(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    client.force_login(staff_user)
    management = {f"{prefix}-{key}": value for prefix in ("lines", "registrations")
                  for key, value in {"TOTAL_FORMS": 1, "INITIAL_FORMS": 1, "MIN_NUM_FORMS": 0,
                                     "MAX_NUM_FORMS": 1000}.items()}
    management |= {f"{prefix}-{key}": value for prefix in ("payments", "refunds", "invoices")
                   for key, value in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0,
                                      "MAX_NUM_FORMS": 1000}.items()}
    response = client.post(reverse("admin:registration_order_change", args=[order.pk]),
                           {"status": "paid", "total": "0.00", "currency": "EUR", "reference": "X-1", **management})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.total, order.currency) == (Order.Status.PENDING, Decimal("1250.00"), "USD")
    assert order.reference.startswith("ICML26-")


def test_it_offers_no_way_to_add_or_delete_orders(client, staff_user, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    client.force_login(staff_user)
    assert client.get(reverse("admin:registration_order_add")).status_code == 403
    assert client.post(reverse("admin:registration_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_staff_who_may_only_view_orders_cannot_mark_them_paid(client, conference, full_pass, industry):
    order = place(conference, industry, full_pass)
    client.force_login(staff_with("view_order"))
    page = client.get(reverse("admin:registration_order_changelist"))
    response = act(client, "order", "mark_paid", order)
    assert 'value="mark_paid"' not in page.content.decode()  # they are offered the exports only
    assert response.status_code == 302  # "No action selected"
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_staff_without_order_permissions_see_no_orders(client):
    client.force_login(VerifiedUserFactory(is_staff=True))
    assert client.get(reverse("admin:registration_order_changelist")).status_code == 403


# --- Eligibility proofs --------------------------------------------------------------------------

def test_it_approves_proofs_and_emails_the_attendee(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    client.force_login(staff_user)
    response = act(client, "eligibilityproof", "approve_proofs", proof)
    assert notes(response) == [(messages.SUCCESS, "1 proof approved; the attendee was e-mailed.")]
    proof.refresh_from_db()
    assert (proof.status, proof.reviewed_by) == (EligibilityProof.Status.APPROVED, staff_user)
    assert proof.registration.eligibility == Registration.Eligibility.APPROVED
    email = OutboxEmail.objects.get(purpose="registration.eligibility_approved")
    assert email.recipient == proof.registration.user.email
    assert proof.registration.order.expires_at is not None


def test_it_rejects_a_proof_with_the_note_staff_wrote(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    EligibilityProof.objects.filter(pk=proof.pk).update(note="The card has expired; upload this year's.")
    client.force_login(staff_user)
    response = act(client, "eligibilityproof", "reject_proofs", proof)
    assert notes(response) == [(messages.SUCCESS, "1 proof rejected; the attendee was e-mailed.")]
    proof.refresh_from_db()
    assert proof.status == EligibilityProof.Status.REJECTED
    assert proof.registration.eligibility == Registration.Eligibility.REJECTED
    email = OutboxEmail.objects.get(purpose="registration.eligibility_rejected")
    assert email.recipient == proof.registration.user.email
    assert "The card has expired; upload this year's." in email.body_text


def test_it_refuses_to_reject_a_proof_without_a_note(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    client.force_login(staff_user)
    response = act(client, "eligibilityproof", "reject_proofs", proof)
    assert notes(response) == [
        (messages.ERROR, f"Proof card.pdf of {proof.registration.user.email}: "
                         "write a note to the attendee on its page before rejecting it."),
    ]
    assert EligibilityProof.objects.get(pk=proof.pk).status == EligibilityProof.Status.PENDING
    assert OutboxEmail.objects.filter(purpose="registration.eligibility_rejected").count() == 0


def test_it_names_a_proof_that_was_already_decided(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    services.decide_proof(proof, approve=True, by=staff_user)
    client.force_login(staff_user)
    response = act(client, "eligibilityproof", "approve_proofs", proof)
    assert notes(response) == [
        (messages.ERROR, f"Proof card.pdf of {proof.registration.user.email}: This proof was already approved."),
    ]
    assert OutboxEmail.objects.filter(purpose="registration.eligibility_approved").count() == 1


def test_it_rejects_from_the_proof_page_with_a_note(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    client.force_login(staff_user)
    url = reverse("admin:registration_eligibilityproof_change", args=[proof.pk])
    response = client.post(url, {"note": "Blurred scan: please upload a sharper one.", "decision": "reject"})
    assert response.status_code == 302
    proof.refresh_from_db()
    assert proof.status == EligibilityProof.Status.REJECTED
    assert proof.note == "Blurred scan: please upload a sharper one."
    assert OutboxEmail.objects.filter(purpose="registration.eligibility_rejected").count() == 1


def test_it_asks_for_a_note_before_rejecting_from_the_proof_page(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    client.force_login(staff_user)
    url = reverse("admin:registration_eligibilityproof_change", args=[proof.pk])
    response = client.post(url, {"note": "", "decision": "reject"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "note": ["Tell the attendee why the proof is not accepted and what to do next."],
    }
    assert EligibilityProof.objects.get(pk=proof.pk).status == EligibilityProof.Status.PENDING


def test_it_saves_a_note_without_deciding(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    client.force_login(staff_user)
    url = reverse("admin:registration_eligibilityproof_change", args=[proof.pk])
    response = client.post(url, {"note": "Name on the card differs.", "decision": "", "status": "approved"})
    assert response.status_code == 302
    proof.refresh_from_db()
    assert (proof.status, proof.note, proof.reviewed_by) == (EligibilityProof.Status.PENDING,
                                                             "Name on the card differs.", None)
    assert OutboxEmail.objects.filter(purpose__startswith="registration.eligibility_").count() == 0


def test_it_links_the_proof_file_through_the_access_checked_view(client, staff_user, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    link = reverse("proof_file", args=[conference.slug, proof.pk])
    client.force_login(staff_user)
    html = client.get(reverse("admin:registration_eligibilityproof_change", args=[proof.pk])).content.decode()
    assert f'<a href="{link}">card.pdf</a>' in html
    assert proof.file.name not in html
    assert 'type="file"' not in html
    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_staff_who_may_only_view_proofs_see_them_without_a_decision(client, conference, full_pass, student):
    proof = proof_for(conference, student, full_pass)
    client.force_login(staff_with("view_eligibilityproof", "view_registration"))
    response = client.get(reverse("admin:registration_eligibilityproof_change", args=[proof.pk]))
    assert response.status_code == 200
    assert 'name="decision"' not in response.content.decode()
    response = act(client, "eligibilityproof", "approve_proofs", proof)
    assert response.context["action_form"] is None
    assert EligibilityProof.objects.get(pk=proof.pk).status == EligibilityProof.Status.PENDING


# --- Registrations -------------------------------------------------------------------------------

def test_staff_without_the_sensitive_permission_do_not_see_needs(client, conference, full_pass, industry):
    order = place(conference, industry, full_pass, dietary="Halal, no peanuts", accessibility="Step-free seating")
    registration = order.registrations.get()
    client.force_login(staff_with("view_registration"))
    response = client.get(reverse("admin:registration_registration_change", args=[registration.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "김민지" in html
    assert "Halal, no peanuts" not in html
    assert "Step-free seating" not in html
    assert client.get(reverse("admin:registration_sensitiveneeds_changelist")).status_code == 403


def test_staff_with_the_sensitive_permission_see_needs(client, conference, full_pass, industry):
    order = place(conference, industry, full_pass, dietary="Halal, no peanuts", accessibility="Step-free seating")
    registration = order.registrations.get()
    client.force_login(staff_with("view_registration", "view_sensitiveneeds"))
    html = client.get(reverse("admin:registration_registration_change", args=[registration.pk])).content.decode()
    assert "Halal, no peanuts" in html
    assert "Step-free seating" in html
    response = client.get(reverse("admin:registration_sensitiveneeds_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_it_reissues_a_check_in_code_and_revokes_the_old_one(client, staff_user, conference, full_pass, industry):
    registration = place(conference, industry, full_pass).registrations.get()
    old = registration.checkin_token
    client.force_login(staff_user)
    response = act(client, "registration", "reissue_checkin_code", registration)
    assert notes(response) == [
        (messages.SUCCESS, "1 registration has a new check-in code; the old one no longer admits anyone."),
    ]
    registration.refresh_from_db()
    assert registration.checkin_token != old
    assert len(registration.checkin_token) == 32
    assert list(RevokedCheckinToken.objects.values_list("token", "registration")) == [(old, registration.pk)]


def test_it_does_not_show_the_full_check_in_code(client, staff_user, conference, full_pass, industry):
    registration = place(conference, industry, full_pass).registrations.get()
    client.force_login(staff_user)
    html = client.get(reverse("admin:registration_registration_change", args=[registration.pk])).content.decode()
    assert f"{registration.checkin_token[:6]}…" in html
    assert registration.checkin_token not in html


def test_it_saves_a_badge_name_without_touching_state(client, staff_user, conference, full_pass, industry):
    registration = place(conference, industry, full_pass).registrations.get()
    token = registration.checkin_token
    client.force_login(staff_user)
    # No needs were given at registration, so there is no needs row: the inline starts empty.
    management = {f"{prefix}-{key}": value for prefix, total in (("needs", 0), ("proofs", 0), ("revoked_tokens", 0),
                                                                 ("checkins", 0))
                  for key, value in {"TOTAL_FORMS": total, "INITIAL_FORMS": total, "MIN_NUM_FORMS": 0,
                                     "MAX_NUM_FORMS": 1000}.items()}
    response = client.post(reverse("admin:registration_registration_change", args=[registration.pk]), {
        "badge_name": "Minji Kim", "legal_name": "Kim Minji", "affiliation": "KAIST", "position": "phd",
        "country": "KR", "pronouns": "", "openreview_id": "", "status": "cancelled", "eligibility": "approved",
        **management,
    })
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.badge_name == "Minji Kim"
    assert (registration.status, registration.eligibility, registration.checkin_token) == (
        Registration.Status.ACTIVE, Registration.Eligibility.NOT_NEEDED, token)


# --- Vouchers, quotas, prices ---------------------------------------------------------------------

def test_it_creates_a_voucher_limited_to_a_pass(client, staff_user, conference, full_pass):
    client.force_login(staff_user)
    response = client.post(reverse("admin:registration_voucher_add"), {
        "conference": conference.pk, "code": "ACME-COMP", "kind": "comp", "value": "0", "max_uses": 5,
        "products": [full_pass.pk], "source": "sponsor: Acme", "used": 4,
    })
    assert response.status_code == 302
    voucher = Voucher.objects.get(code="ACME-COMP")
    assert (voucher.max_uses, voucher.used, voucher.source) == (5, 0, "sponsor: Acme")
    assert list(voucher.products.all()) == [full_pass]


def test_it_keeps_voucher_uses_when_the_voucher_is_edited(client, staff_user, conference, full_pass):
    voucher = Voucher.objects.create(conference=conference, code="VOLUNTEER", kind=Voucher.Kind.COMPLIMENTARY,
                                     max_uses=10)
    Voucher.objects.filter(pk=voucher.pk).update(used=3)
    client.force_login(staff_user)
    url = reverse("admin:registration_voucher_change", args=[voucher.pk])
    response = client.post(url, {"code": "VOLUNTEER", "kind": "comp", "value": "0", "max_uses": 2, "used": 0})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "max_uses": ["The code was already used 3 times; allow at least that many."],
    }
    response = client.post(url, {"code": "VOLUNTEER", "kind": "comp", "value": "0", "max_uses": 20, "used": 0})
    assert response.status_code == 302
    voucher.refresh_from_db()
    assert (voucher.max_uses, voucher.used) == (20, 3)


def test_it_explains_a_voucher_code_already_taken_in_the_edition(client, staff_user, conference):
    Voucher.objects.create(conference=conference, code="SOCIETY", kind=Voucher.Kind.PERCENT, value=20)
    voucher = Voucher.objects.create(conference=conference, code="VOLUNTEER", kind=Voucher.Kind.COMPLIMENTARY)
    client.force_login(staff_user)
    response = client.post(reverse("admin:registration_voucher_change", args=[voucher.pk]),
                           {"code": "SOCIETY", "kind": "comp", "value": "0", "max_uses": 1,
                            "conference": ConferenceFactory(slug="icml2027").pk})
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Voucher with this Conference and Code already exists.",
    ]
    voucher.refresh_from_db()
    assert (voucher.code, voucher.conference) == ("VOLUNTEER", conference)


def test_it_refuses_a_quota_smaller_than_the_seats_it_holds(client, staff_user, conference, catalogue, full_pass,
                                                            industry):
    place(conference, industry, full_pass)
    place(conference, industry, full_pass)
    venue = catalogue.quotas["venue"]
    client.force_login(staff_user)
    url = reverse("admin:registration_quota_change", args=[venue.pk])
    response = client.post(url, {"name": venue.name, "size": 1, "held": 0})
    assert response.context["adminform"].form.errors == {
        "size": ["2 seats are already held; the quota cannot be smaller than that."],
    }
    response = client.post(url, {"name": venue.name, "size": 50, "held": 0})
    assert response.status_code == 302
    venue.refresh_from_db()
    assert (venue.size, venue.held) == (50, 2)


def test_it_refuses_a_price_that_mixes_editions(client, staff_user, conference, full_pass, catalogue):
    other = ConferenceFactory(slug="icml2027")
    foreign = build_standard_catalogue(other, early_until=date(2027, 3, 1), regular_until=date(2027, 5, 1))
    client.force_login(staff_user)
    response = client.post(reverse("admin:registration_price_add"), {
        "product": full_pass.pk, "category": foreign.categories["student"].pk,
        "period": catalogue.periods["early"].pk, "amount": "10.00",
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Not of this edition: Student. Choose from this edition's own.",
    ]


# --- Waiting list --------------------------------------------------------------------------------

def test_it_offers_free_seats_to_the_waiting_list(client, staff_user, conference, catalogue):
    social = catalogue.products["social"]
    first = WaitingListEntry.objects.create(conference=conference, user=VerifiedUserFactory(), product=social)
    client.force_login(staff_user)
    response = act(client, "waitinglistentry", "offer_free_seats", first)
    assert notes(response) == [(messages.SUCCESS, "1 seat offered; the person was e-mailed a claim link.")]
    first.refresh_from_db()
    assert first.status == WaitingListEntry.Status.OFFERED
    assert Quota.objects.get(pk=catalogue.quotas["social"].pk).held == 1
    assert OutboxEmail.objects.get(purpose="registration.waiting_list_offer").recipient == first.user.email


def test_it_says_so_when_no_seat_is_free(client, staff_user, conference, catalogue):
    social = catalogue.products["social"]
    Quota.objects.filter(pk=catalogue.quotas["social"].pk).update(held=2)
    entry = WaitingListEntry.objects.create(conference=conference, user=VerifiedUserFactory(), product=social)
    client.force_login(staff_user)
    response = act(client, "waitinglistentry", "offer_free_seats", entry)
    assert notes(response) == [(messages.INFO, "No seat is free, or nobody is waiting: no offer was made.")]
    assert WaitingListEntry.objects.get(pk=entry.pk).status == WaitingListEntry.Status.WAITING


def test_a_price_period_deadline_is_set_as_end_of_day_anywhere_on_earth(client, staff_user, conference):
    from datetime import UTC, datetime

    from registration.models import PricePeriod

    client.force_login(staff_user)
    response = client.post("/admin/registration/priceperiod/add/", {
        "conference": conference.pk, "kind": "early", "name": "Early-bird", "deadline_day": "2026-05-15",
    })
    assert response.status_code == 302
    period = PricePeriod.objects.get()
    assert period.ends_at == datetime(2026, 5, 16, 11, 59, 59, tzinfo=UTC)
    html = client.get("/admin/registration/priceperiod/").content.decode()
    assert "2026-05-15 23:59 AoE" in html


def test_finance_records_a_bank_payment_by_adding_a_payment(client, staff_user, conference, catalogue, full_pass, industry):
    from registration.models import Payment

    buyer = VerifiedUserFactory()
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                 attendees=[attendee(buyer.email, industry, full_pass)])
    client.force_login(staff_user)
    too_much = client.post("/admin/registration/payment/add/", {"order": order.pk, "amount": "5000", "external_id": "B-1"})
    assert f"Only 1250.00 USD is due on {order.reference}." in too_much.content.decode()
    response = client.post("/admin/registration/payment/add/", {"order": order.pk, "amount": "1250.00",
                                                                "external_id": "BANK-2026-0042", "note": "SWIFT"})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.provider, payment.external_id, payment.recorded_by) == ("bank", "BANK-2026-0042", staff_user)
    order.refresh_from_db()
    assert order.status == "paid" and order.invoices.get().number == 1


def test_finance_marks_a_bank_refund_paid_out(client, staff_user, conference, catalogue, full_pass, industry):
    from datetime import timedelta

    from django.utils import timezone

    from registration import billing
    from registration.models import Refund, RefundPolicy

    RefundPolicy.objects.create(conference=conference, full_refund_until=timezone.now() + timedelta(days=1),
                                fee_until=timezone.now() + timedelta(days=2))
    buyer = VerifiedUserFactory()
    order = services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                 attendees=[attendee(buyer.email, industry, full_pass)])
    billing.record_payment(order, amount=order.total, provider="bank")
    billing.cancel_with_refund(order, by=buyer)
    refund = Refund.objects.get()
    client.force_login(staff_user)
    response = client.post("/admin/registration/refund/", {"action": "mark_paid_out", "_selected_action": [refund.pk]},
                           follow=True)
    assert "1 refund marked as paid out." in response.content.decode()
    assert Refund.objects.get().status == "done"
    assert client.get("/admin/registration/invoice/").status_code == 200
    assert client.get(f"/admin/registration/invoice/{order.invoices.first().pk}/change/").status_code == 200
    assert client.post(f"/admin/registration/invoice/{order.invoices.first().pk}/delete/").status_code == 403
