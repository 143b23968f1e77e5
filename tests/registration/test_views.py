"""Attendee pages: register, see the price, place, "My registration", proofs, group orders, waiting list."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registration import services
from registration.models import EligibilityProof, Order, Price, Product, Quota, Registration
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee
from tests.registration.test_eligibility import EXE, PDF

pytestmark = pytest.mark.django_db


def form_data(category, pass_product, **overrides):
    data = {
        "category": category.pk, "pass_product": pass_product.pk, "badge_name": "김민지", "legal_name": "Kim Minji",
        "affiliation": "KAIST", "position": "phd", "country": "KR", "accept_code_of_conduct": "on",
        "idempotency_key": "form-key-1", "action": "place",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def attendee_client(client):
    user = VerifiedUserFactory(email="minji@example.com")
    client.force_login(user)
    client.user = user
    return client


def test_registering_needs_a_login(client, conference, catalogue):
    response = client.get("/icml2026/register/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/icml2026/register/"


def test_the_form_shows_the_price_table_and_deadlines(attendee_client, conference, catalogue):
    html = attendee_client.get("/icml2026/register/").content.decode()
    assert "Prices in USD · now: Early-bird" in html
    assert '<td class="current">1250.00</td>' in html
    assert "data-local-time" in html and "AoE</time>" in html


def test_show_the_price_quotes_without_ordering(attendee_client, conference, catalogue, full_pass, industry, social):
    response = attendee_client.post("/icml2026/register/", form_data(industry, full_pass, addons=[social.pk], action="quote"))
    assert response.status_code == 200
    assert '<strong class="quote-total">1330.00 USD</strong>' in response.content.decode()
    assert Order.objects.count() == 0


def test_placing_an_order_leads_to_my_registration(attendee_client, conference, catalogue, full_pass, industry):
    response = attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == "/icml2026/my-registration/"
    html = attendee_client.get(response["Location"]).content.decode()
    assert f"Order {order.reference} is placed." in html
    assert order.reference in html and "Pending payment" in html
    assert "Payment of 1250.00 USD." in html
    assert '<svg' in html and 'class="segno"' in html
    assert Registration.objects.get().checkin_token in html


def test_a_double_submit_places_one_order(attendee_client, conference, catalogue, full_pass, industry):
    first = attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    attendee_client.logout()
    attendee_client.force_login(attendee_client.user)
    services_key_retry = attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    assert first.status_code == 302 and services_key_retry.status_code == 302
    assert Order.objects.count() == 1


def test_a_tampered_price_field_is_ignored(attendee_client, conference, catalogue, full_pass, industry):
    attendee_client.post("/icml2026/register/", form_data(industry, full_pass, price="1.00", total="0"))
    assert Order.objects.get().total == Decimal("1250.00")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"badge_name": "x" * 10000}, "Ensure this value has at most 64 characters (it has 10000)."),
        ({"accept_code_of_conduct": None}, "Please accept the code of conduct to register."),
        ({"addons": ["-1"]}, "Select a valid choice. -1 is not one of the available choices."),
        ({"country": "XX"}, "Select a valid choice. XX is not one of the available choices."),
        ({"openreview_id": "Minji Kim"}, "An OpenReview id starts with ~, e.g. ~Minji_Kim1."),
        ({"voucher_code": "NOPE"}, "There is no code NOPE for this edition."),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(attendee_client, conference, catalogue, full_pass, industry,
                                                      overrides, message):
    response = attendee_client.post("/icml2026/register/", form_data(industry, full_pass, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Order.objects.count() == 0


def test_a_category_of_another_edition_is_refused(attendee_client, conference, catalogue, full_pass):
    from registration.catalogue import build_standard_catalogue
    from tests.factories import ConferenceFactory

    other = build_standard_catalogue(ConferenceFactory(slug="icml2027"), early_until=conference.start_date,
                                     regular_until=conference.end_date)
    foreign = other.categories["non_academic"]
    response = attendee_client.post("/icml2026/register/", form_data(foreign, full_pass))
    assert "Select a valid choice. That choice is not one of the available choices." in response.content.decode()
    assert Order.objects.count() == 0


def test_a_sold_out_pass_says_so_and_offers_the_waiting_list(attendee_client, conference, catalogue, full_pass, industry):
    Quota.objects.filter(name="Venue (in person)").update(held=100)
    response = attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    html = response.content.decode()
    assert "Sold out: Full conference. You can join the waiting list." in html
    assert "Join the waiting list for Full conference" in html
    response = attendee_client.post(f"/icml2026/waiting-list/{full_pass.pk}/join/")
    assert response.status_code == 302
    assert attendee_client.user.waiting_list_entries.get().product == full_pass


def test_someone_registered_is_sent_to_my_registration(attendee_client, conference, catalogue, full_pass, industry):
    attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    response = attendee_client.get("/icml2026/register/")
    assert response.status_code == 302 and response["Location"] == "/icml2026/my-registration/"


def test_a_group_order_registers_three_people(attendee_client, conference, catalogue, full_pass, industry):
    data = {"people-TOTAL_FORMS": "3", "people-INITIAL_FORMS": "0", "people-MIN_NUM_FORMS": "0",
            "people-MAX_NUM_FORMS": "50", "accept_code_of_conduct": "on", "idempotency_key": "group-1", "action": "place"}
    for i, (email, name) in enumerate([("a@lab.example", "Ana"), ("b@lab.example", "Bo"), ("c@lab.example", "Chen")]):
        data.update({f"people-{i}-email": email, f"people-{i}-category": industry.pk, f"people-{i}-pass_product": full_pass.pk,
                     f"people-{i}-badge_name": name, f"people-{i}-legal_name": name, f"people-{i}-affiliation": "Lab",
                     f"people-{i}-position": "engineer", f"people-{i}-country": "KR"})
    response = attendee_client.post("/icml2026/register/group/", data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total == Decimal("3750.00")
    assert sorted(order.registrations.values_list("user__email", flat=True)) == ["a@lab.example", "b@lab.example", "c@lab.example"]
    html = attendee_client.get("/icml2026/my-registration/").content.decode()
    assert "People you registered" in html and "Chen (c@lab.example)" in html


def test_a_student_uploads_a_proof_from_my_registration(attendee_client, conference, catalogue, full_pass, student):
    attendee_client.post("/icml2026/register/", form_data(student, full_pass))
    html = attendee_client.get("/icml2026/my-registration/").content.decode()
    assert "A proof of your academic or student status." in html
    response = attendee_client.post("/icml2026/my-registration/proof/", {"file": SimpleUploadedFile("card.pdf", EXE)}, follow=True)
    assert "Upload a PDF, PNG, JPEG or WebP file; this file is none of those." in response.content.decode()
    assert EligibilityProof.objects.count() == 0
    response = attendee_client.post("/icml2026/my-registration/proof/", {"file": SimpleUploadedFile("card.pdf", PDF)}, follow=True)
    assert "Organisers will review your proof" in response.content.decode()
    assert EligibilityProof.objects.get().registration.user == attendee_client.user


def test_a_proof_file_reaches_only_its_owner_and_eligibility_staff(client, conference, catalogue, full_pass, student):
    owner = VerifiedUserFactory(email="s@gmail.com")
    services.place_order(conference=conference, buyer=owner, accept_code_of_conduct=True,
                         attendees=[attendee(owner.email, student, full_pass)])
    proof = services.submit_proof(Registration.objects.get(), SimpleUploadedFile("card.pdf", PDF), by=owner)
    url = reverse("proof_file", args=["icml2026", proof.pk])

    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(VerifiedUserFactory())
    assert client.get(url).status_code == 404
    client.force_login(VerifiedUserFactory(is_staff=True))
    assert client.get(url).status_code == 404
    reviewer = VerifiedUserFactory(is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_eligibilityproof"))
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="card.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert client.get(reverse("proof_file", args=["icml2026", proof.pk + 1])).status_code == 404


def test_switching_category_after_a_rejection(attendee_client, conference, catalogue, full_pass, student, industry, staff_user):
    attendee_client.post("/icml2026/register/", form_data(student, full_pass))
    registration = Registration.objects.get()
    proof = services.submit_proof(registration, SimpleUploadedFile("card.pdf", PDF), by=attendee_client.user)
    services.decide_proof(proof, approve=False, by=staff_user)
    response = attendee_client.post("/icml2026/my-registration/category/", {"category": industry.pk}, follow=True)
    assert "You are now registered as Non-academic; the total is 1250.00 USD." in response.content.decode()


def test_someone_elses_offer_link_is_refused(attendee_client, conference, catalogue):
    response = attendee_client.get("/icml2026/waiting-list/claim/not-a-token/", follow=True)
    assert "This offer has lapsed or was already used." in response.content.decode()


def test_the_price_page_is_public_with_a_fixed_number_of_queries(client, conference, catalogue):
    with CaptureQueriesContext(connection) as small:
        assert client.get("/icml2026/prices/").status_code == 200
    for i in range(10):
        product = Product.objects.create(conference=conference, kind=Product.Kind.ADDON, name=f"Workshop dinner {i}")
        Price.objects.create(product=product, period=catalogue.periods["early"], amount=10)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/icml2026/prices/").content.decode()
    assert "Workshop dinner 9" in html
    assert len(large) == len(small)


def test_the_profile_page_saves_changes(attendee_client, conference, catalogue, full_pass, industry):
    attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    response = attendee_client.post("/icml2026/my-registration/profile/", {
        "badge_name": "Minji", "legal_name": "Kim Minji", "affiliation": "SNU", "position": "postdoc", "country": "KR",
        "dietary": "halal",
    })
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.affiliation, registration.position, registration.needs.dietary) == ("SNU", "postdoc", "halal")


def test_pay_by_card_appears_only_when_stripe_is_configured(attendee_client, conference, catalogue, full_pass, industry,
                                                            settings):
    attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    reference = Order.objects.get().reference
    html = attendee_client.get("/icml2026/my-registration/").content.decode()
    assert "Pay by card" not in html
    assert f"quoting <strong>{reference}</strong>" in html
    settings.STRIPE_SECRET_KEY = "sk_test_not_a_real_key"
    html = attendee_client.get("/icml2026/my-registration/").content.decode()
    assert f'action="/icml2026/pay/stripe/{reference}/"' in html


def test_another_buyers_order_pages_are_404(attendee_client, conference, catalogue, full_pass, industry):
    other = VerifiedUserFactory()
    order = services.place_order(conference=conference, buyer=other, accept_code_of_conduct=True,
                                 attendees=[attendee(other.email, industry, full_pass)])
    assert attendee_client.get(f"/icml2026/orders/{order.reference}/billing/").status_code == 404
    assert attendee_client.get(f"/icml2026/orders/{order.reference}/cancel/").status_code == 404
    assert attendee_client.post(f"/icml2026/orders/{order.reference}/cancel/", {"confirm": "on"}).status_code == 404
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_the_cancel_page_shows_the_refund_before_confirming(attendee_client, conference, catalogue, full_pass, industry):
    from datetime import timedelta

    from django.utils import timezone

    from registration import billing
    from registration.models import RefundPolicy

    RefundPolicy.objects.create(conference=conference, full_refund_until=timezone.now() - timedelta(days=1),
                                fee_until=timezone.now() + timedelta(days=10), fee_percent=20)
    attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    order = Order.objects.get()
    billing.record_payment(order, amount=order.total, provider="bank")
    html = attendee_client.get(f"/icml2026/orders/{order.reference}/cancel/").content.decode()
    assert '<strong class="refund-amount">1000.00 USD</strong>' in html
    assert Order.objects.get().status == Order.Status.PAID
    response = attendee_client.post(f"/icml2026/orders/{order.reference}/cancel/", {}, follow=True)
    assert "Tick the box to confirm the cancellation." in response.content.decode()
    response = attendee_client.post(f"/icml2026/orders/{order.reference}/cancel/", {"confirm": "on"}, follow=True)
    assert f"Order {order.reference} is cancelled; 1000.00 USD will be refunded." in response.content.decode()
    assert Order.objects.get().status == Order.Status.REFUNDED


def test_billing_details_and_a_proforma_from_the_order_page(attendee_client, conference, catalogue, full_pass, industry):
    attendee_client.post("/icml2026/register/", form_data(industry, full_pass))
    order = Order.objects.get()
    url = f"/icml2026/orders/{order.reference}/billing/"
    response = attendee_client.post(url, {"billing_name": "", "billing_address": "", "action": "proforma"})
    assert "This field is required." in response.content.decode()
    response = attendee_client.post(url, {"billing_name": "Acme Robotics", "billing_address": "1 Main St",
                                          "action": "proforma"}, follow=True)
    assert "Proforma invoice ICML2026-PF-00001 is ready." in response.content.decode()
    assert order.invoices.get().kind == "proforma"


def test_an_attendee_upgrades_their_pass_from_my_registration(attendee_client, conference, catalogue, industry):
    main = catalogue.products[Product.Kind.MAIN]
    full = catalogue.products[Product.Kind.FULL]
    attendee_client.post("/icml2026/register/", form_data(industry, main))
    html = attendee_client.get("/icml2026/my-registration/upgrade/").content.decode()
    assert "Full conference: pay 300.00 USD more" in html
    assert "Virtual pass" not in html  # another seat: through the organisers
    response = attendee_client.post("/icml2026/my-registration/upgrade/", {"pass_product": "-1"}, follow=True)
    assert "Choose one of the passes listed." in response.content.decode()
    response = attendee_client.post("/icml2026/my-registration/upgrade/", {"pass_product": full.pk, "idempotency_key": "u1"},
                                    follow=True)
    assert "upgrades you to Full conference" in response.content.decode()
    assert Registration.objects.get().pass_product == full
    assert Order.objects.count() == 2


def test_my_registration_links_to_my_schedule_and_the_recruitment_profile(attendee_client, conference):
    html = attendee_client.get("/icml2026/my-registration/").content.decode()
    assert '<a href="/icml2026/programme/my/">My schedule</a>' in html
    assert '<a href="/icml2026/recruitment/">Recruitment profile</a>' in html
