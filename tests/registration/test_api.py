"""The registration API: who sees which registrations and orders, placing orders, tokens, the schema."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import yaml
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from confsite.models import User
from registration import services
from registration.api import OrderSerializer, OrderViewSet
from registration.catalogue import build_standard_catalogue
from registration.models import Category, Order, Product, Quota, Registration, Voucher
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

ORDERS = "/api/icml2026/orders/"
REGISTRATIONS = "/api/icml2026/registrations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def staff_with(*codenames) -> User:
    staff = VerifiedUserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="registration", codename__in=codenames))
    return staff


def place(conference, buyer, people, **kwargs):
    return services.place_order(conference=conference, buyer=buyer, attendees=people, accept_code_of_conduct=True, **kwargs)


def when(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def body(**attendee_fields):
    person = {"email": "ji@example.com", "category": "non_academic", "pass": "full", "addons": [],
              "badge_name": "김민지", "legal_name": "Kim Minji", "affiliation": "KAIST", "position": "phd",
              "country": "KR", **attendee_fields}
    return {"attendees": [person], "accept_code_of_conduct": True}


def nothing_changed(users_before: int) -> bool:
    return (Order.objects.count(), Registration.objects.count(), User.objects.count(),
            list(Quota.objects.order_by("pk").values_list("held", flat=True))) == (0, 0, users_before, [0, 0])


# --- Access ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("get", REGISTRATIONS), ("get", f"{REGISTRATIONS}1/"), ("get", ORDERS),
                                          ("get", f"{ORDERS}ICML26-AAAAA/"), ("post", ORDERS)])
def test_it_requires_authentication(conference, catalogue, method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Order.objects.count() == 0


def test_it_answers_404_for_an_unknown_edition(conference, catalogue):
    response = client_for(VerifiedUserFactory()).get("/api/icml1999/registrations/")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no edition icml1999."}


def test_it_needs_a_csrf_token_for_posts_with_a_browser_session(conference, catalogue):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(VerifiedUserFactory(email="ji@example.com"))
    response = client.post(ORDERS, body(), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    assert Order.objects.count() == 0


# --- Registrations ---------------------------------------------------------------------------------

def test_it_shows_attendees_their_own_registration_with_the_checkin_token(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    person = attendee(buyer.email, industry, full_pass)
    person.dietary, person.accessibility = "Vegan, no nuts", "Step-free access"
    order = place(conference, buyer, [person])
    registration = Registration.objects.get()
    response = client_for(buyer).get(f"{REGISTRATIONS}{registration.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": registration.pk, "badge_name": "김민지", "legal_name": "Kim Minji", "affiliation": "KAIST",
        "position": "phd", "country": "KR", "category": {"kind": "non_academic", "name": "Non-academic"},
        "pass": {"id": full_pass.pk, "kind": "full", "name": "Full conference"}, "status": "active",
        "eligibility": "not_needed", "order": order.reference, "created_at": when(registration.created_at),
        "checkin_token": registration.checkin_token,
    }
    assert "Vegan" not in response.content.decode() and "Step-free" not in response.content.decode()


def test_it_shows_buyers_the_registrations_they_bought_without_the_checkin_token(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="lab@example.com")
    place(conference, buyer, [attendee(buyer.email, industry, full_pass, badge_name="Lab Manager"),
                              attendee("wei@example.com", industry, full_pass, badge_name="Wei")])
    rows = client_for(buyer).get(REGISTRATIONS).json()["results"]
    tokens = {row["badge_name"]: row["checkin_token"] for row in rows}
    assert tokens == {"Lab Manager": Registration.objects.get(user=buyer).checkin_token, "Wei": None}


def test_it_shows_a_group_member_only_their_own_registration(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="lab@example.com")
    place(conference, buyer, [attendee(buyer.email, industry, full_pass, badge_name="Lab Manager"),
                              attendee("wei@example.com", industry, full_pass, badge_name="Wei")])
    wei = User.objects.get(email="wei@example.com")
    rows = client_for(wei).get(REGISTRATIONS).json()["results"]
    assert [(row["badge_name"], row["checkin_token"]) for row in rows] == [
        ("Wei", Registration.objects.get(user=wei).checkin_token)]


def test_it_hides_other_peoples_registrations(conference, catalogue, full_pass, industry):
    owner = VerifiedUserFactory()
    place(conference, owner, [attendee(owner.email, industry, full_pass)])
    stranger = client_for(VerifiedUserFactory())
    assert stranger.get(REGISTRATIONS).json()["count"] == 0
    response = stranger.get(f"{REGISTRATIONS}{Registration.objects.get().pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Registration matches the given query."}


def test_it_answers_404_for_an_id_beyond_any_database_integer(conference, catalogue):
    response = client_for(VerifiedUserFactory()).get(f"{REGISTRATIONS}{10**30}/")
    assert response.status_code == 404


def test_it_shows_staff_without_the_view_permission_only_their_own(conference, catalogue, full_pass, industry):
    owner = VerifiedUserFactory()
    place(conference, owner, [attendee(owner.email, industry, full_pass)])
    assert client_for(staff_with("view_order")).get(REGISTRATIONS).json()["count"] == 0


def test_it_shows_another_editions_registrations_in_neither(conference, catalogue, full_pass, industry):
    owner = VerifiedUserFactory()
    place(conference, owner, [attendee(owner.email, industry, full_pass)])
    ConferenceFactory(slug="icml2027")
    response = client_for(staff_with("view_registration")).get("/api/icml2027/registrations/")
    assert response.json()["count"] == 0


@pytest.fixture
def three_registrations(conference, catalogue, full_pass, industry):
    alice = VerifiedUserFactory(email="alice@example.com")
    place(conference, alice, [attendee(alice.email, industry, full_pass, badge_name="Alice", affiliation="KAIST")])
    bora = VerifiedUserFactory(email="bora@snu.ac.kr")
    place(conference, bora, [attendee(bora.email, catalogue.categories[Category.Kind.ACADEMIC],
                                      catalogue.products[Product.Kind.MAIN], badge_name="Bora", affiliation="SNU")])
    chen = VerifiedUserFactory(email="chen@example.com")
    order = place(conference, chen, [attendee(chen.email, catalogue.categories[Category.Kind.STUDENT],
                                              catalogue.products[Product.Kind.VIRTUAL], badge_name="Chen",
                                              affiliation="Tsinghua")])
    services.cancel_order(order)


@pytest.mark.parametrize("query, badges", [
    ("", ["Alice", "Bora", "Chen"]),
    ("status=cancelled", ["Chen"]),
    ("status=active", ["Alice", "Bora"]),
    ("category=academic", ["Bora"]),
    ("pass=virtual", ["Chen"]),
    ("pass=full&category=non_academic", ["Alice"]),
    ("eligibility=domain", ["Bora"]),
    ("eligibility=proof_needed", ["Chen"]),
    ("q=snu.ac", ["Bora"]),
    ("q=kaist", ["Alice"]),
    ("q=CHE", ["Chen"]),
])
def test_it_lets_staff_with_the_view_permission_filter_registrations(three_registrations, query, badges):
    response = client_for(staff_with("view_registration")).get(f"{REGISTRATIONS}?{query}")
    assert sorted(row["badge_name"] for row in response.json()["results"]) == badges
    assert all(row["checkin_token"] is None for row in response.json()["results"])


def test_it_rejects_an_unknown_filter_value(three_registrations):
    response = client_for(staff_with("view_registration")).get(f"{REGISTRATIONS}?status=gone&pass=addon")
    assert response.status_code == 400
    assert response.json() == {"status": ['"gone" is not a valid choice.'], "pass": ['"addon" is not a valid choice.']}


# --- Orders: reading -------------------------------------------------------------------------------

def test_it_lists_the_buyers_own_orders_with_their_lines(conference, catalogue, full_pass, social, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    order = place(conference, buyer, [attendee(buyer.email, industry, full_pass, addons=[social])])
    other = VerifiedUserFactory()
    place(conference, other, [attendee(other.email, industry, full_pass)])
    response = client_for(buyer).get(ORDERS)
    assert response.json() == {"count": 1, "next": None, "previous": None, "results": [{
        "reference": order.reference, "status": "pending", "total": "1330.00", "currency": "USD",
        "created_at": when(order.created_at), "expires_at": when(order.expires_at),
        "lines": [
            {"who": "김민지", "product": {"id": full_pass.pk, "kind": "full", "name": "Full conference"},
             "category": {"kind": "non_academic", "name": "Non-academic"}, "period": {"kind": "early", "name": "Early-bird"},
             "price": "1250.00", "discount": "0.00", "amount": "1250.00"},
            {"who": "김민지", "product": {"id": social.pk, "kind": "addon", "name": "Social event"},
             "category": {"kind": "non_academic", "name": "Non-academic"}, "period": {"kind": "early", "name": "Early-bird"},
             "price": "80.00", "discount": "0.00", "amount": "80.00"},
        ],
    }]}


def test_it_answers_404_for_another_attendees_order_reference(conference, catalogue, full_pass, industry):
    owner = VerifiedUserFactory()
    order = place(conference, owner, [attendee(owner.email, industry, full_pass)])
    response = client_for(VerifiedUserFactory()).get(f"{ORDERS}{order.reference}/")
    assert response.status_code == 404
    assert client_for(owner).get(f"{ORDERS}{order.reference}/").json()["reference"] == order.reference


def test_it_hides_orders_from_the_people_they_register(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory()
    order = place(conference, buyer, [attendee("wei@example.com", industry, full_pass)])
    wei = User.objects.get(email="wei@example.com")
    assert client_for(wei).get(f"{ORDERS}{order.reference}/").status_code == 404


def test_it_lets_staff_with_the_view_permission_filter_orders_by_status(three_registrations):
    client = client_for(staff_with("view_order"))
    assert client.get(ORDERS).json()["count"] == 3
    cancelled = client.get(f"{ORDERS}?status=cancelled").json()["results"]
    assert [row["lines"][0]["who"] for row in cancelled] == ["Chen"]


@pytest.mark.parametrize("path", [REGISTRATIONS, ORDERS])
def test_it_lists_with_the_same_number_of_queries_for_3_and_30_rows(conference, catalogue, full_pass, social, industry, path):
    Quota.objects.filter(name="Social event").update(size=100)
    buyer = VerifiedUserFactory()
    client = client_for(buyer)

    def add(first, last):
        for n in range(first, last):
            place(conference, buyer, [attendee(f"person{n}@example.com", industry, full_pass, addons=[social])])

    def measure(rows):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.json()["count"] == rows
        return len(queries)

    add(0, 3)
    small = measure(3)
    add(3, 30)
    assert measure(30) == small


# --- Orders: placing -------------------------------------------------------------------------------

def test_it_places_an_order_at_the_current_price(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    response = client_for(buyer).post(ORDERS, body(), format="json")
    assert response.status_code == 201
    order = Order.objects.get()
    assert response["Location"] == f"/api/icml2026/orders/{order.reference}/"
    assert (response.json()["reference"], response.json()["total"], response.json()["status"]) == (
        order.reference, "1250.00", "pending")
    registration = Registration.objects.get()
    assert (registration.user, registration.registered_by, registration.pass_product, registration.badge_name,
            registration.country.code) == (buyer, buyer, full_pass, "김민지", "KR")
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 1


def test_it_places_an_order_in_ten_statements_besides_the_transaction_once_the_catalogue_is_read(conference, catalogue, full_pass, industry):
    client_for(VerifiedUserFactory(email="first@example.com")).post(ORDERS, body(email="first@example.com"), format="json")
    client = client_for(VerifiedUserFactory(email="ji@example.com"))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(ORDERS, body(), format="json", HTTP_IDEMPOTENCY_KEY="one")
    assert response.status_code == 201
    # edition with its settings, token, [SET lock_timeout on PostgreSQL], quota lock, quota update, order,
    # registration, order line, outbox row, and the audit trail's entries for the new order and
    # registration (django-auditlog); plus the transaction's BEGIN and COMMIT where the connection
    # reports them.
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    expected = 11 if connection.vendor == "postgresql" else 10
    assert sum('"auditlog_logentry"' in q["sql"] for q in queries.captured_queries) == 2
    assert len([s for s in statements if s not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]) == expected


@pytest.mark.parametrize("voucher_kind", [Voucher.Kind.PERCENT, Voucher.Kind.COMPLIMENTARY])
def test_the_answer_to_a_placed_order_is_what_the_order_serializer_gives(conference, catalogue, full_pass, social,
                                                                         industry, voucher_kind):
    Voucher.objects.create(conference=conference, code="SAVE", kind=voucher_kind, value=Decimal("12.5"), max_uses=5)
    buyer = VerifiedUserFactory(email="ji@example.com")
    sent = {"attendees": [body()["attendees"][0] | {"addons": [social.pk]},
                          body(email="wei@example.com", badge_name="Wei")["attendees"][0]],
            "accept_code_of_conduct": True, "voucher_code": "SAVE"}
    response = client_for(buyer).post(ORDERS, sent, format="json")
    assert response.status_code == 201
    order = Order.objects.prefetch_related(OrderViewSet.lines()).get()
    assert response.json() == json.loads(JSONRenderer().render(OrderSerializer(order).data))
    assert len(response.json()["lines"]) == 3


def test_it_ignores_a_total_or_price_in_the_body(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    sent = {**body(price="0.00"), "total": "0.00"}
    response = client_for(buyer).post(ORDERS, sent, format="json")
    assert response.status_code == 201
    assert response.json()["total"] == "1250.00"
    assert Order.objects.get().total == Decimal("1250.00")


def test_it_adds_an_add_on_to_an_existing_registration(conference, catalogue, full_pass, social, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    sent = {"attendees": [{"email": buyer.email, "category": "non_academic", "pass": None, "addons": [social.pk]}],
            "accept_code_of_conduct": True}
    response = client_for(buyer).post(ORDERS, sent, format="json")
    assert response.status_code == 201
    assert response.json()["total"] == "80.00"
    assert Registration.objects.count() == 1


def test_it_returns_the_first_order_for_a_retried_idempotency_key(conference, catalogue, full_pass, industry):
    client = client_for(VerifiedUserFactory(email="ji@example.com"))
    first = client.post(ORDERS, body(), format="json", HTTP_IDEMPOTENCY_KEY="retry-7")
    second = client.post(ORDERS, body(), format="json", HTTP_IDEMPOTENCY_KEY="retry-7")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    assert Quota.objects.get(pk=catalogue.quotas["venue"].pk).held == 1


def test_it_refuses_an_idempotency_key_used_in_another_edition(conference, catalogue, full_pass, industry):
    other = ConferenceFactory(slug="icml2027", short_name="ICML 2027")
    today = timezone.now().date()
    build_standard_catalogue(other, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
                             order_prefix="ICML27")
    client = client_for(VerifiedUserFactory(email="ji@example.com"))
    assert client.post(ORDERS, body(), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    response = client.post("/api/icml2027/orders/", body(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This Idempotency-Key was already used for an order of another edition; use a new key.",
        "field": "Idempotency-Key", "code": "key_reused"}
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["k" * 65, "한국어", "line\nbreak"])
def test_it_refuses_an_idempotency_key_that_is_too_long_or_not_printable_ascii(conference, catalogue, full_pass,
                                                                               industry, key):
    users = User.objects.count() + 1
    response = client_for(VerifiedUserFactory()).post(ORDERS, body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The Idempotency-Key header must be at most 64 printable ASCII characters, e.g. a UUID.",
        "field": "Idempotency-Key", "code": "invalid"}
    assert nothing_changed(users)


def test_it_answers_409_when_an_add_on_is_sold_out(conference, catalogue, full_pass, social, industry):
    Quota.objects.filter(name="Social event").update(held=2)
    client = client_for(VerifiedUserFactory(email="ji@example.com"))
    response = client.post(ORDERS, body(addons=[social.pk]), format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "Sold out: Social event. You can join the waiting list.", "field": None,
                               "code": "sold_out"}
    assert (Order.objects.count(), Registration.objects.count()) == (0, 0)
    assert list(Quota.objects.order_by("pk").values_list("held", flat=True)) == [0, 2]


def test_it_answers_409_when_the_person_is_already_registered(conference, catalogue, full_pass, industry):
    buyer = VerifiedUserFactory(email="ji@example.com")
    place(conference, buyer, [attendee(buyer.email, industry, full_pass)])
    response = client_for(buyer).post(ORDERS, body(), format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "ji@example.com is already registered for ICML 2026. Add-ons and pass changes go through "
                  "“My registration”.", "field": None, "code": "already_registered"}
    assert Order.objects.count() == 1


def test_it_answers_400_when_the_code_of_conduct_is_declined(conference, catalogue, full_pass, industry):
    users = User.objects.count() + 1
    response = client_for(VerifiedUserFactory()).post(ORDERS, {**body(), "accept_code_of_conduct": False}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Please accept the code of conduct to register.",
                               "field": "accept_code_of_conduct", "code": "not_allowed"}
    assert nothing_changed(users)


def test_it_answers_400_for_a_pass_not_sold_to_the_category(conference, catalogue, full_pass, industry):
    users = User.objects.count() + 1
    response = client_for(VerifiedUserFactory()).post(ORDERS, body(category="student", **{"pass": "exhibitor"}),
                                                      format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Exhibitor is not sold to the Student category in the Early-bird period.",
                               "field": None, "code": "price_unavailable"}
    assert nothing_changed(users)


LONG = "x" * 10_000


def person_errors(errors: dict) -> dict:
    return {"attendees": {"0": errors}}


@pytest.mark.parametrize("sent, errors", [
    (body(category="astronaut"), person_errors({"category": ['"astronaut" is not a valid choice.']})),
    (body(addons=[-3]), person_errors({"addons": {"0": ["Ensure this value is greater than or equal to 1."]}})),
    (body(addons=["two"]), person_errors({"addons": {"0": ["A valid integer is required."]}})),
    (body(addons=[10**30]), person_errors({"addons": {"0": [
        "Ensure this value is less than or equal to 9223372036854775807."]}})),
    (body(addons=[987654]), person_errors({"addons": ["ICML 2026 has no product with id 987654."]})),
    (body(addons="social"), person_errors({"addons": ['Expected a list of items but got type "str".']})),
    (body(badge_name=LONG), person_errors({"badge_name": ["Ensure this field has no more than 64 characters."]})),
    (body(legal_name=LONG), person_errors({"legal_name": ["Ensure this field has no more than 200 characters."]})),
    (body(badge_name="Kim\x00"), person_errors({"badge_name": ["Null characters are not allowed."]})),
    (body(badge_name="   "), person_errors({"badge_name": ["This field may not be blank."]})),
    (body(email="not-an-address"), person_errors({"email": ["Enter a valid email address."]})),
    (body(country="XX"), person_errors({"country": ["“XX” is not an ISO 3166 country code such as KR or AT."]})),
    (body(position="astronaut"), person_errors({"position": ['"astronaut" is not a valid choice.']})),
    (body(openreview_id="Minji Kim"), person_errors({"openreview_id": [
        "An OpenReview id starts with ~, e.g. ~Minji_Kim1."]})),
    (body(**{"pass": "addon"}), person_errors({"pass": ['"addon" is not a valid choice.']})),
    (body(badge_name=None), person_errors({"badge_name": ["This field may not be null."]})),
    ({"attendees": [{"email": "ji@example.com", "category": "non_academic", "pass": "full"}],
      "accept_code_of_conduct": True},
     person_errors({name: ["This field is required."]
                    for name in ("badge_name", "legal_name", "affiliation", "position", "country")})),
    ({"attendees": [{"email": "ji@example.com", "category": "non_academic"}], "accept_code_of_conduct": True},
     person_errors({"pass": ["This field is required."]})),
    ({"attendees": body()["attendees"]}, {"accept_code_of_conduct": ["This field is required."]}),
    ({**body(), "accept_code_of_conduct": "perhaps"}, {"accept_code_of_conduct": ["Must be a valid boolean."]}),
    ({"attendees": [], "accept_code_of_conduct": True}, {"attendees": {"non_field_errors": [
        "This list may not be empty."]}}),
    ({"attendees": "everyone", "accept_code_of_conduct": True}, {"attendees": {"non_field_errors": [
        'Expected a list of items but got type "str".']}}),
    ({**body(), "voucher_code": LONG}, {"voucher_code": ["Ensure this field has no more than 40 characters."]}),
    (["not", "an", "object"], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
])
def test_it_answers_400_with_field_errors_for_invalid_input(conference, catalogue, full_pass, industry, sent, errors):
    users = User.objects.count() + 1
    response = client_for(VerifiedUserFactory()).post(ORDERS, sent, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert nothing_changed(users)


def test_it_answers_400_for_malformed_json(conference, catalogue):
    response = client_for(VerifiedUserFactory()).post(ORDERS, '{"attendees": [', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_it_answers_400_for_an_unknown_voucher_code(conference, catalogue, full_pass, industry):
    users = User.objects.count() + 1
    response = client_for(VerifiedUserFactory()).post(ORDERS, {**body(), "voucher_code": "free-lunch"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "There is no code free-lunch for this edition.", "field": "voucher_code",
                               "code": "voucher_invalid"}
    assert nothing_changed(users)


# --- Tokens ----------------------------------------------------------------------------------------

def test_it_gives_an_attendee_a_token_for_their_email_and_password(conference, catalogue):
    user = VerifiedUserFactory(email="ji@example.com")
    response = APIClient().post("/api/auth/token/", {"email": "Ji@Example.com", "password": "correct horse battery staple"},
                                format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(REGISTRATIONS).status_code == 200


@pytest.mark.parametrize("make_user, password, detail, code", [
    (lambda: VerifiedUserFactory(email="ji@example.com"), "wrong", "The e-mail address or the password is not correct.",
     "invalid_credentials"),
    (lambda: VerifiedUserFactory(email="ji@example.com", is_active=False), "correct horse battery staple",
     "The e-mail address or the password is not correct.", "invalid_credentials"),
    (lambda: EmailAddress.objects.filter(user=VerifiedUserFactory(email="ji@example.com")).update(verified=False),
     "correct horse battery staple", "Confirm your e-mail address first: follow the link in the message we sent you.",
     "unverified"),
    (lambda: VerifiedUserFactory(email="ji@example.com", is_staff=True), "correct horse battery staple",
     "Accounts with staff access or two-factor authentication get API tokens from an administrator, in the admin.",
     "token_by_admin"),
])
def test_it_refuses_a_token(conference, make_user, password, detail, code):
    make_user()
    response = APIClient().post("/api/auth/token/", {"email": "ji@example.com", "password": password}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "field": None, "code": code}
    assert Token.objects.count() == 0


def test_it_limits_password_guesses_for_a_token(conference):
    VerifiedUserFactory(email="ji@example.com")
    client = APIClient()
    statuses = [client.post("/api/auth/token/", {"email": "ji@example.com", "password": f"guess {n}"},
                            format="json").status_code for n in range(11)]
    assert statuses == [400] * 10 + [429]


# --- Schema ----------------------------------------------------------------------------------------

def test_it_describes_every_endpoint_in_a_valid_openapi_schema(client):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    validate(spec)
    assert {"/api/{edition}/registrations/", "/api/{edition}/registrations/{id}/", "/api/{edition}/orders/",
            "/api/{edition}/orders/{reference}/", "/api/auth/token/"} <= spec["paths"].keys()
    assert set(spec["paths"]["/api/{edition}/orders/"]) == {"get", "post"}
    assert spec["components"]["securitySchemes"].keys() == {"tokenAuth", "cookieAuth", "sponsorToken"}
