"""The audit trail (django-auditlog): staff changes to orders, payments, proofs, registrations, check-ins,
tiers and sponsors are recorded with their actor and only the listed fields; passport data never."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from confsite import audit, privacy
from registration import services, stripe_provider
from registration.catalogue import build_standard_catalogue
from registration.models import (
    Category,
    CheckIn,
    EligibilityProof,
    Order,
    PassportData,
    Payment,
    Product,
    Refund,
    Registration,
    SensitiveNeeds,
    VisaLetter,
)
from registration.services import AttendeeRequest
from sponsors.models import Sponsor, Tier
from tests.factories import VerifiedUserFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% proof\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PROFILE = {"badge_name": "Minji", "legal_name": "Kim Minji", "affiliation": "KAIST", "position": "phd", "country": "KR",
           "pronouns": "she/her"}


@pytest.fixture
def catalogue(conference):
    today = timezone.now().date()
    return build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                    regular_until=today + timedelta(days=60), venue_seats=100, social_seats=20,
                                    order_prefix="ICML26")


@pytest.fixture
def minji(db):
    return VerifiedUserFactory(email="minji@kaist.example", first_name="Minji", last_name="Kim")


def place(person, catalogue, kind=Category.Kind.NON_ACADEMIC) -> Order:
    return services.place_order(
        conference=catalogue.categories[kind].conference, buyer=person, accept_code_of_conduct=True,
        attendees=[AttendeeRequest(email=person.email, category=catalogue.categories[kind],
                                   pass_product=catalogue.products[Product.Kind.FULL], profile=PROFILE,
                                   dietary="vegan")])


def entries(model, pk=None):
    found = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by("id")
    return found.filter(object_pk=str(pk)) if pk is not None else found


SENSITIVE = {"legal_name", "badge_name", "affiliation", "pronouns", "openreview_id", "country", "checkin_token",
             "billing_name", "billing_address", "vat_id", "invoice_email", "po_number", "note", "file", "original_name",
             "reason", "visa_refusal", "passport_number", "dietary", "accessibility"}


def test_it_registers_exactly_the_audited_models_and_never_passport_data_or_needs():
    from auditlog.registry import auditlog

    labels = {model._meta.label for model in auditlog.get_models()}
    assert labels == {"registration.Order", "registration.Payment", "registration.Refund",
                      "registration.EligibilityProof", "registration.Registration", "registration.CheckIn",
                      "sponsors.Tier", "sponsors.Sponsor"}
    for label, fields in audit.AUDITED.items():
        assert not SENSITIVE & set(fields), label


def test_the_admin_mark_paid_action_logs_the_order_and_payment_with_the_staff_actor(client, staff_user, minji,
                                                                                   catalogue):
    order = place(minji, catalogue)
    client.force_login(staff_user)
    response = client.post(reverse("admin:registration_order_changelist"),
                           {"action": "mark_paid", "_selected_action": [order.pk]})
    assert response.status_code == 302
    [change] = entries(Order, order.pk).filter(action=LogEntry.Action.UPDATE)
    assert change.actor == staff_user
    assert change.changes_dict["status"] == ["pending", "paid"]
    assert set(change.changes_dict) == {"status", "paid_at", "expires_at"}
    [payment] = Payment.objects.filter(order=order)
    [created] = entries(Payment, payment.pk)
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, staff_user)
    assert created.changes_dict["status"][1] == "confirmed"
    assert created.changes_dict["amount"][1] == str(order.total)
    assert "note" not in created.changes_dict
    assert created.remote_addr == "127.0.0.1"


def test_the_admin_approval_of_a_proof_logs_the_decision_and_the_eligibility(client, staff_user, minji, catalogue):
    order = place(minji, catalogue, Category.Kind.STUDENT)
    registration = order.registrations.get()
    proof = services.submit_proof(registration, SimpleUploadedFile("student-id kim minji.pdf", PDF), by=minji)
    client.force_login(staff_user)
    response = client.post(reverse("admin:registration_eligibilityproof_changelist"),
                           {"action": "approve_proofs", "_selected_action": [proof.pk]})
    assert response.status_code == 302
    [decision] = entries(EligibilityProof, proof.pk).filter(action=LogEntry.Action.UPDATE)
    assert decision.actor == staff_user
    assert decision.changes_dict["status"] == ["pending", "approved"]
    assert decision.changes_dict["reviewed_by"] == ["None", str(staff_user.pk)]
    assert decision.object_repr == f"eligibility proof #{proof.pk}"  # not the file's name
    uploaded, eligibility = entries(Registration, registration.pk).filter(action=LogEntry.Action.UPDATE)
    assert (uploaded.actor, uploaded.changes_dict) == (None, {"eligibility": ["proof_needed", "pending"]})
    assert (eligibility.actor, eligibility.changes_dict) == (staff_user, {"eligibility": ["pending", "approved"]})
    assert eligibility.object_repr == f"registration #{registration.pk}"  # not the badge name


def test_a_service_called_outside_a_request_names_its_actor_with_acting_as(staff_user, minji, catalogue):
    order = place(minji, catalogue)
    with audit.acting_as(staff_user):
        services.mark_paid(order)
    [change] = entries(Order, order.pk).filter(action=LogEntry.Action.UPDATE)
    assert change.actor == staff_user
    # Without it, the entry exists but names no one (e.g. the order-expiry sweeper).
    other = place(VerifiedUserFactory(), catalogue)
    services.cancel_order(other)
    [cancelled] = entries(Order, other.pk).filter(action=LogEntry.Action.UPDATE)
    assert (cancelled.actor, cancelled.changes_dict["status"]) == (None, ["pending", "cancelled"])


def test_personal_fields_of_a_registration_are_never_recorded(minji, catalogue, staff_user):
    registration = place(minji, catalogue).registrations.get()
    [created] = entries(Registration, registration.pk)
    assert set(created.changes_dict) == {"order", "status", "eligibility", "category", "pass_product"}
    assert created.object_repr == f"registration #{registration.pk}"
    with audit.acting_as(staff_user):
        services.update_profile(registration, by=minji, data={"legal_name": "Kim Min-ji", "pronouns": "they/them"},
                                dietary="vegetarian")
    assert entries(Registration, registration.pk).count() == 1  # a name change is not in the trail
    text = str(list(LogEntry.objects.values_list("object_repr", "changes", "changes_text", "serialized_data")))
    for secret in ("Kim Minji", "Kim Min-ji", "Minji", "she/her", "they/them", "vegan", "vegetarian", "KAIST"):
        assert secret not in text


def test_passport_data_and_needs_produce_no_entries(minji, catalogue):
    registration = place(minji, catalogue).registrations.get()
    letter = VisaLetter.objects.create(registration=registration, name_on_letter="KIM MINJI")
    passport = PassportData.objects.create(letter=letter, passport_name="KIM MINJI", nationality="KR",
                                           passport_number="M1234567", date_of_birth="1995-03-14")
    passport.passport_number = "M7654321"
    passport.save()
    passport.delete()
    SensitiveNeeds.objects.filter(registration=registration).get().delete()
    assert entries(PassportData).count() == 0
    assert entries(SensitiveNeeds).count() == 0
    assert "M1234567" not in str(list(LogEntry.objects.values_list("changes", "object_repr")))


def test_a_check_in_is_recorded_with_the_desk_and_the_staff_member(client, staff_user, minji, catalogue, conference):
    registration = place(minji, catalogue).registrations.get()
    with audit.acting_as(staff_user):
        checkin = CheckIn.objects.create(registration=registration, date=conference.start_date, part="main",
                                         checked_in_by=staff_user, desk="Hall A")
    [created] = entries(CheckIn, checkin.pk)
    assert created.actor == staff_user
    assert created.changes_dict["desk"] == ["None", "Hall A"]
    assert created.changes_dict["part"] == ["None", "main"]


def test_a_tier_access_change_in_the_admin_is_logged_with_its_actor(client, staff_user, conference):
    now = timezone.now().replace(microsecond=0)
    tier = TierFactory(conference=conference, name="Gold", recruitment_access=Tier.Access.PROFILES,
                       access_from=now - timedelta(days=1), access_until=now + timedelta(days=30))
    sponsor = SponsorFactory(conference=conference, tier=tier, name="Acme", slug="acme")
    silver = TierFactory(conference=conference, name="Silver", recruitment_access=Tier.Access.NONE)
    client.force_login(staff_user)
    url = reverse("admin:sponsors_tier_change", args=[tier.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    for name in ("access_from", "access_until"):
        value = timezone.localtime(getattr(tier, name))
        data.pop(name)
        data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
    data = {key: "" if value is None else value for key, value in data.items()}
    data["recruitment_access"] = Tier.Access.CVS
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    [change] = entries(Tier, tier.pk).filter(action=LogEntry.Action.UPDATE)
    assert (change.actor, change.changes_dict) == (staff_user, {"recruitment_access": ["profiles", "cvs"]})
    with audit.acting_as(staff_user):
        sponsor.tier = silver
        sponsor.save()
    [moved] = entries(Sponsor, sponsor.pk).filter(action=LogEntry.Action.UPDATE)
    assert moved.changes_dict == {"tier": [str(tier.pk), str(silver.pk)]}


def test_the_trail_is_visible_in_the_admin_to_a_superuser_only(client, staff_user, minji, catalogue):
    order = place(minji, catalogue)
    with audit.acting_as(staff_user):
        services.mark_paid(order)
    client.force_login(staff_user)
    response = client.get(reverse("admin:auditlog_logentry_changelist"))
    assert response.status_code == 200
    assert order.reference in response.content.decode()
    desk = VerifiedUserFactory(email="desk@example.org", is_staff=True)
    desk.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(desk)
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403
    client.logout()
    response = client.get(reverse("admin:auditlog_logentry_changelist"))
    assert response.status_code == 302


def test_an_erased_actor_keeps_their_entries_without_address(minji, catalogue, staff_user):
    helper = VerifiedUserFactory(email="helper@example.org")
    order = place(minji, catalogue)
    with audit.acting_as(helper):
        services.mark_paid(order)
    assert entries(Order, order.pk).filter(actor=helper).get().actor_email == "helper@example.org"
    privacy.erase_user(helper)
    entry = entries(Order, order.pk).filter(actor=helper).get()
    assert (entry.actor_email, entry.remote_addr) == ("", None)


def test_an_orders_audit_log_page_shows_who_marked_it_paid(client, staff_user, minji, catalogue):
    order = place(minji, catalogue)
    client.force_login(staff_user)
    client.post(reverse("admin:registration_order_changelist"), {"action": "mark_paid", "_selected_action": [order.pk]})
    changelist = client.get(reverse("admin:registration_order_changelist")).content.decode()
    page_url = reverse("admin:registration_order_auditlog", args=[order.pk])
    assert f'href="{page_url}"' in changelist
    response = client.get(page_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert staff_user.email in html
    assert "pending" in html and "paid" in html
    assert "Kim Minji" not in html  # the legal name is never recorded


@pytest.mark.parametrize("object_id", ["999999", "abc", "9" * 30])
def test_an_audit_log_page_for_no_record_is_a_404(client, staff_user, object_id):
    client.force_login(staff_user)
    assert client.get(f"/admin/registration/order/{object_id}/auditlog/").status_code == 404


def test_an_audit_log_page_needs_the_view_permission_of_its_record(client, minji, catalogue):
    order = place(minji, catalogue)
    clerk = VerifiedUserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_checkin"))
    client.force_login(clerk)
    assert client.get(reverse("admin:registration_order_auditlog", args=[order.pk])).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    assert client.get(reverse("admin:registration_order_auditlog", args=[order.pk])).status_code == 200


# --- Changes services make with a bulk or conditional UPDATE (audit.update_audited) --------------------

def updates(model, pk):
    return list(entries(model, pk).filter(action=LogEntry.Action.UPDATE).values_list("actor", "changes"))


def test_uploading_a_proof_logs_the_eligibility_and_the_paused_deadline_with_the_attendee(minji, catalogue):
    order = place(minji, catalogue, Category.Kind.STUDENT)
    registration = order.registrations.get()
    deadline = order.expires_at
    with audit.acting_as(minji):
        services.submit_proof(registration, SimpleUploadedFile("id.pdf", PDF), by=minji)
    assert updates(Registration, registration.pk) == [(minji.pk, {"eligibility": ["proof_needed", "pending"]})]
    assert updates(Order, order.pk) == [(minji.pk, {"expires_at": [str(deadline.replace(tzinfo=None)), "None"]})]


def test_a_proof_decision_logs_the_new_payment_deadline_with_the_reviewer(minji, catalogue, staff_user):
    order = place(minji, catalogue, Category.Kind.STUDENT)
    proof = services.submit_proof(order.registrations.get(), SimpleUploadedFile("id.pdf", PDF), by=minji)
    now = timezone.now().replace(microsecond=0)
    with audit.acting_as(staff_user):
        services.decide_proof(proof, approve=True, by=staff_user, now=now)
    due = now + timedelta(days=14)
    [(_, pause), decision] = updates(Order, order.pk)
    assert decision == (staff_user.pk, {"expires_at": ["None", str(due.replace(tzinfo=None))]})


def test_cancelling_an_order_logs_each_registration_it_ends(minji, catalogue, staff_user, conference):
    jun = VerifiedUserFactory(email="jun@snu.example")
    order = services.place_order(
        conference=conference, buyer=minji, accept_code_of_conduct=True,
        attendees=[AttendeeRequest(email=email, category=catalogue.categories[Category.Kind.NON_ACADEMIC],
                                   pass_product=catalogue.products[Product.Kind.FULL], profile=PROFILE)
                   for email in (minji.email, jun.email)])
    with audit.acting_as(staff_user):
        services.cancel_order(order)
    for registration in order.registrations.all():
        assert updates(Registration, registration.pk) == [(staff_user.pk, {"status": ["active", "cancelled"]})]
        assert entries(Registration, registration.pk).last().object_repr == f"registration #{registration.pk}"


def test_an_upgrade_and_its_expiry_log_the_pass_change(minji, catalogue, conference, staff_user):
    main, full = catalogue.products[Product.Kind.MAIN], catalogue.products[Product.Kind.FULL]
    industry = catalogue.categories[Category.Kind.NON_ACADEMIC]
    first = services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                                 attendees=[AttendeeRequest(email=minji.email, category=industry, pass_product=main,
                                                            profile=PROFILE)])
    services.mark_paid(first)
    registration = first.registrations.get()
    with audit.acting_as(minji):
        upgrade = services.place_order(conference=conference, buyer=minji, accept_code_of_conduct=True,
                                       attendees=[AttendeeRequest(email=minji.email, category=industry,
                                                                  pass_product=full, upgrade=True)])
    assert updates(Registration, registration.pk) == [(minji.pk, {"pass_product": [str(main.pk), str(full.pk)]})]
    services.expire_order(upgrade, now=upgrade.expires_at + timedelta(seconds=1))
    assert updates(Registration, registration.pk) == [
        (minji.pk, {"pass_product": [str(main.pk), str(full.pk)]}), (None, {"pass_product": [str(full.pk), str(main.pk)]})]


def stripe_payment(order, status=Payment.Status.CREATED):
    return Payment.objects.create(order=order, provider="stripe", amount=order.total, currency=order.currency,
                                  external_id=f"cs_test_{order.pk}", payment_intent=f"pi_{order.pk}", status=status)


def test_a_stripe_session_that_expires_logs_the_failed_payment(minji, catalogue):
    payment = stripe_payment(place(minji, catalogue))
    stripe_provider.handle_event({"id": "evt_1", "type": "checkout.session.expired", "created": 0,
                                  "data": {"object": {"id": payment.external_id, "payment_status": "unpaid"}}})
    assert updates(Payment, payment.pk) == [(None, {"status": ["created", "failed"]})]
    # The same event for a payment received meanwhile changes nothing and logs nothing (compare-and-set).
    received = stripe_payment(place(VerifiedUserFactory(), catalogue), status=Payment.Status.CONFIRMED)
    stripe_provider.handle_event({"id": "evt_2", "type": "checkout.session.expired", "created": 0,
                                  "data": {"object": {"id": received.external_id, "payment_status": "unpaid"}}})
    assert updates(Payment, received.pk) == []
    assert Payment.objects.get(pk=received.pk).status == Payment.Status.CONFIRMED


def test_a_stripe_refund_that_fails_logs_the_refund(minji, catalogue):
    order = place(minji, catalogue)
    payment = stripe_payment(order, status=Payment.Status.CONFIRMED)
    refund = Refund.objects.create(order=order, payment=payment, amount=order.total, currency=order.currency,
                                   reason="Cancelled", external_id="re_1")
    stripe_provider.handle_event({"id": "evt_3", "type": "refund.updated", "created": 0,
                                  "data": {"object": {"id": "re_1", "status": "failed"}}})
    assert updates(Refund, refund.pk) == [(None, {"status": ["pending", "failed"]})]


def test_update_audited_without_an_audited_field_or_a_matching_row_writes_nothing(minji, catalogue):
    order = place(minji, catalogue)
    before = LogEntry.objects.count()
    assert audit.update_audited(Order.objects.filter(pk=order.pk), billing_name="Lab") == 1  # not an audited field
    assert audit.update_audited(Order.objects.filter(pk=order.pk, status=Order.Status.PAID), expires_at=None) == 0
    assert audit.update_audited(Order.objects.filter(pk=order.pk), status=Order.Status.PENDING) == 1  # unchanged
    assert LogEntry.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locking", [True, False])
def test_a_conditional_update_waits_for_a_concurrent_writer_and_then_skips_the_row(minji, catalogue, locking,
                                                                                   monkeypatch):
    """Two connections: one confirms the payment and holds the row for a moment; the webhook's "fail it if
    still open" waits for it, then finds it confirmed: 0 rows, no entry, exactly as the bare UPDATE did.
    Negative control: without update_audited's row lock, the old values are read before the confirmation
    commits and the update by primary key overwrites it (a lost update, logged as created → failed)."""
    payment = stripe_payment(place(minji, catalogue))
    if not locking:
        monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)
    locked = threading.Event()
    outcome = {}

    def confirm():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {Payment._meta.db_table} WHERE id = %s FOR UPDATE", [payment.pk])
                locked.set()
                time.sleep(0.5)
                Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CONFIRMED)
        finally:
            connection.close()

    def fail():
        try:
            locked.wait(5)
            started = time.monotonic()
            with transaction.atomic():
                outcome["rows"] = audit.update_audited(
                    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED), status=Payment.Status.FAILED)
            outcome["waited"] = time.monotonic() - started
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm), threading.Thread(target=fail)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome["waited"] >= 0.3
    if locking:
        assert (outcome["rows"], Payment.objects.get(pk=payment.pk).status) == (0, Payment.Status.CONFIRMED)
        assert updates(Payment, payment.pk) == []
    else:
        assert (outcome["rows"], Payment.objects.get(pk=payment.pk).status) == (1, Payment.Status.FAILED)
        assert updates(Payment, payment.pk) == [(None, {"status": ["created", "failed"]})]
