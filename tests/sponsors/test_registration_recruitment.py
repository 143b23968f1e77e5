"""Registering does not opt anyone in to recruitment: the registration form has no sharing checkbox
(it wrote a "granted" consent record for a profile that did not exist), and the attendee's
registration page leads to the recruitment profile, where sharing is chosen with the recipients named."""

from __future__ import annotations

import pytest

from confsite.models import ConsentRecord, ConsentText
from registration.models import Order
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import academic, catalogue, full_pass, industry, social, student  # noqa: F401
from tests.registration.test_views import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def recruitment_text(conference):
    return ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                      text="Share my profile with the sponsors named below.")


def test_the_registration_form_has_no_recruitment_checkbox(client, conference, catalogue, recruitment_text):  # noqa: F811
    client.force_login(VerifiedUserFactory())
    response = client.get("/icml2026/register/")
    assert "recruitment_opt_in" not in response.context["form"].fields
    html = response.content.decode()
    assert 'name="recruitment_opt_in"' not in html
    assert ("After registering, your registration page links to the recruitment profile, where you can choose to "
            "share it with the sponsors named there.") in html


def test_placing_an_order_writes_no_recruitment_consent_even_if_the_old_field_is_posted(
        client, conference, catalogue, full_pass, industry, recruitment_text):  # noqa: F811
    user = VerifiedUserFactory(email="minji@example.com")
    client.force_login(user)
    response = client.post("/icml2026/register/", form_data(industry, full_pass, recruitment_opt_in="on"))
    assert (response.status_code, response["Location"]) == (302, "/icml2026/my-registration/")
    assert Order.objects.count() == 1
    assert ConsentRecord.objects.filter(user=user).count() == 0
    assert user.recruitment_profiles.count() == 0


def test_my_registration_links_to_the_recruitment_profile(client, conference, catalogue, full_pass, industry):  # noqa: F811
    user = VerifiedUserFactory(email="minji@example.com")
    client.force_login(user)
    client.post("/icml2026/register/", form_data(industry, full_pass))
    html = client.get("/icml2026/my-registration/").content.decode()
    assert '<a href="/icml2026/recruitment/">Recruitment profile</a>' in html
