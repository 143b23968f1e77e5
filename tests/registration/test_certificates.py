"""Certificates of attendance: only for someone checked in, naming the days from their check-ins; the
attendee downloads their own, organisers print a batch; two queries whatever the batch size."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from registration import services
from registration.certificates import certificate_for, print_certificates, render_certificates
from registration.models import CheckIn, Product, Registration
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db
URL = "/icml2026/my-registration/certificate/"


def register(conference, catalogue, email, badge_name="김민지"):
    user = VerifiedUserFactory(email=email)
    order = services.place_order(
        conference=conference, buyer=user, accept_code_of_conduct=True,
        attendees=[attendee(email, catalogue.categories["non_academic"], catalogue.products[Product.Kind.FULL],
                            badge_name=badge_name)])
    services.mark_paid(order)
    return Registration.objects.get(order=order)


def attended(registration, *days):
    for day in days:
        CheckIn.objects.create(registration=registration, date=day, part="main")


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\x00", "")


@pytest.fixture
def minji(conference, catalogue):
    return register(conference, catalogue, "minji@example.com")


@pytest.fixture
def minji_client(client, minji):
    client.force_login(minji.user)
    return client


def test_a_registration_never_checked_in_has_no_certificate(minji):
    assert certificate_for(minji) is None


def test_the_certificate_names_the_person_the_edition_the_venue_and_the_days_attended(minji):
    attended(minji, date(2026, 7, 8), date(2026, 7, 7))
    text = text_of(certificate_for(minji))
    assert "Certificate of attendance" in text
    assert "김민지" in text and "KAIST" in text
    assert "attended ICML 2026 at COEX Convention & Exhibition Center, Seoul, South Korea, on" in text
    assert "7 July 2026 · 8 July 2026" in text
    assert "9 July 2026" not in text


def test_the_attendee_downloads_their_own_certificate(minji_client, minji):
    attended(minji, date(2026, 7, 7))
    response = minji_client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-icml2026-{minji.pk}.pdf"'
    assert "7 July 2026" in text_of(response.content)


def test_before_any_check_in_the_attendee_gets_a_sentence_not_a_file(minji_client, minji):
    response = minji_client.get(URL)
    assert response.status_code == 404
    assert "available once you have been checked in at ICML 2026" in response.content.decode()


def test_someone_without_a_registration_gets_404(client, conference, minji):
    attended(minji, date(2026, 7, 7))
    client.force_login(VerifiedUserFactory(email="other@example.com"))
    assert client.get(URL).status_code == 404


def test_a_cancelled_registration_has_no_certificate_to_download(minji_client, minji):
    attended(minji, date(2026, 7, 7))
    Registration.objects.filter(pk=minji.pk).update(status=Registration.Status.CANCELLED)
    assert minji_client.get(URL).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client, conference):
    response = client.get(URL)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={URL}")


def test_only_get_is_allowed(minji_client):
    assert minji_client.post(URL).status_code == 405


def test_my_registration_links_the_certificate_only_after_a_check_in(minji_client, minji):
    assert "Download your certificate of attendance" not in minji_client.get("/icml2026/my-registration/").content.decode()
    attended(minji, date(2026, 7, 7))
    html = minji_client.get("/icml2026/my-registration/").content.decode()
    assert f'<a href="{URL}">Download your certificate of attendance (PDF)</a>' in html


@pytest.mark.parametrize("size", [2, 6])
def test_a_batch_is_one_page_per_attendee_checked_in_in_two_queries(conference, catalogue, size,
                                                                     django_assert_num_queries):
    for i in range(size):
        attended(register(conference, catalogue, f"p{i}@example.com", f"Person {i}"), date(2026, 7, 7))
    register(conference, catalogue, "absent@example.com", "Never Came")
    with django_assert_num_queries(2):
        pdf = render_certificates(Registration.objects.order_by("pk"))
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == size
    assert "Never Came" not in text_of(pdf)


def action_request():
    request = RequestFactory().post("/admin/registration/registration/")
    request.user = VerifiedUserFactory(is_staff=True, is_superuser=True)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_the_admin_action_prints_the_checked_in_and_names_the_others(conference, catalogue, minji):
    attended(minji, date(2026, 7, 7))
    register(conference, catalogue, "absent@example.com", "Never Came")
    request = action_request()
    response = print_certificates(admin.site._registry[Registration], request, Registration.objects.all())
    assert response["Content-Type"] == "application/pdf"
    assert re.fullmatch(r'attachment; filename="certificates-\d{8}-\d{4}\.pdf"', response["Content-Disposition"])
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 1
    assert [str(m) for m in request._messages] == ["No certificate for Never Came: never checked in."]


def test_the_admin_action_with_nobody_checked_in_sends_no_file(minji):
    request = action_request()
    assert print_certificates(admin.site._registry[Registration], request, Registration.objects.all()) is None
    assert [str(m) for m in request._messages] == ["None of the selected registrations was checked in: no certificates."]
    assert print_certificates.allowed_permissions == ["view"]
