"""Eligibility: institutional domains, proofs checked by content, staff decisions, switching category."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from confsite.models import OutboxEmail
from registration import services
from registration.errors import NotAllowed
from registration.models import EligibilityProof, Order, Registration
from tests.factories import UserFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def register(conference, user, category, pass_product):
    services.place_order(conference=conference, buyer=user, accept_code_of_conduct=True,
                         attendees=[attendee(user.email, category, pass_product)])
    return Registration.objects.get(user=user)


def test_a_verified_institutional_address_grants_the_academic_rate(conference, catalogue, full_pass, academic):
    registration = register(conference, VerifiedUserFactory(email="prof@cs.stanford.edu"), academic, full_pass)
    assert registration.eligibility == Registration.Eligibility.DOMAIN
    assert registration.order.expires_at is not None


def test_an_unverified_institutional_address_needs_a_proof(conference, catalogue, full_pass, academic):
    registration = register(conference, UserFactory(email="prof@cs.stanford.edu"), academic, full_pass)
    assert registration.eligibility == Registration.Eligibility.PROOF_NEEDED


def test_the_student_rate_needs_a_student_domain_or_a_proof(conference, catalogue, full_pass, student):
    assert register(conference, VerifiedUserFactory(email="s@kaist.ac.kr"), student, full_pass).eligibility == "domain"
    assert register(conference, VerifiedUserFactory(email="s@yonsei.ac.kr"), student, full_pass).eligibility == "proof_needed"
    assert register(conference, VerifiedUserFactory(email="s@gmail.com"), student, full_pass).eligibility == "proof_needed"


def test_a_proof_is_checked_by_content_and_pauses_the_deadline(conference, catalogue, full_pass, student):
    registration = register(conference, VerifiedUserFactory(email="s@gmail.com"), student, full_pass)
    with pytest.raises(NotAllowed, match="Upload a PDF, PNG, JPEG or WebP file; this file is none of those."):
        services.submit_proof(registration, SimpleUploadedFile("card.pdf", EXE), by=registration.user)
    assert EligibilityProof.objects.count() == 0
    proof = services.submit_proof(registration, SimpleUploadedFile("card.png", PNG), by=registration.user)
    assert (proof.content_type, proof.original_name, proof.size) == ("image/png", "card.png", len(PNG))
    registration.refresh_from_db()
    assert registration.eligibility == Registration.Eligibility.PENDING
    assert registration.order.expires_at is None
    assert proof.file.name.startswith("eligibility/") and not proof.file.name.endswith("card.png")
    with pytest.raises(ValueError):
        proof.file.url  # noqa: B018 - private files have no URL


def test_a_proof_over_5_mb_is_refused(conference, catalogue, full_pass, student):
    registration = register(conference, VerifiedUserFactory(email="s@gmail.com"), student, full_pass)
    big = SimpleUploadedFile("card.pdf", PDF + b"0" * (5 * 1024 * 1024))
    with pytest.raises(NotAllowed, match="larger than 5 MB"):
        services.submit_proof(registration, big, by=registration.user)


def test_approval_starts_the_payment_deadline_and_mails_the_attendee(conference, catalogue, full_pass, student, staff_user):
    registration = register(conference, VerifiedUserFactory(email="s@gmail.com"), student, full_pass)
    proof = services.submit_proof(registration, SimpleUploadedFile("card.pdf", PDF), by=registration.user)
    services.decide_proof(proof, approve=True, by=staff_user)
    registration.refresh_from_db()
    assert registration.eligibility == Registration.Eligibility.APPROVED
    order = registration.order
    assert timedelta(days=13, hours=23) < order.expires_at - timezone.now() <= timedelta(days=14)
    mail = OutboxEmail.objects.get(purpose="registration.eligibility_approved")
    assert mail.recipient == "s@gmail.com"
    assert "you are registered at the Student rate" in mail.body_text
    with pytest.raises(NotAllowed):
        services.decide_proof(proof, approve=False, by=staff_user)


def test_a_rejection_offers_to_switch_category_at_that_price(conference, catalogue, full_pass, student, industry, staff_user):
    registration = register(conference, VerifiedUserFactory(email="s@gmail.com"), student, full_pass)
    assert registration.order.total == Decimal("450.00")
    proof = services.submit_proof(registration, SimpleUploadedFile("card.pdf", PDF), by=registration.user)
    services.decide_proof(proof, approve=False, by=staff_user, note="The card has expired.")
    mail = OutboxEmail.objects.get(purpose="registration.eligibility_rejected")
    assert "The card has expired." in mail.body_text
    assert "switch to another category" in mail.body_text
    registration.refresh_from_db()
    order = services.switch_category(registration, industry, by=registration.user)
    assert order.total == Decimal("1250.00")
    registration.refresh_from_db()
    assert (registration.category, registration.eligibility) == (industry, Registration.Eligibility.NOT_NEEDED)
    assert order.lines.get().category == industry


def test_only_the_attendee_uploads_their_proof(conference, catalogue, full_pass, student):
    registration = register(conference, VerifiedUserFactory(email="s@gmail.com"), student, full_pass)
    with pytest.raises(NotAllowed):
        services.submit_proof(registration, SimpleUploadedFile("card.pdf", PDF), by=VerifiedUserFactory())


def test_the_category_cannot_be_switched_once_eligibility_is_settled(conference, catalogue, full_pass, academic, industry):
    registration = register(conference, VerifiedUserFactory(email="p@mit.edu"), academic, full_pass)
    with pytest.raises(NotAllowed):
        services.switch_category(registration, industry, by=registration.user)
    assert Order.objects.get().total == Decimal("850.00")
