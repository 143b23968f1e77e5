"""Two-factor login for every sponsor member: the portal gate (sponsors.decorators) on the dashboard."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import ConferenceFactory
from tests.factories.sponsors import SponsorFactory, SponsorMemberFactory

pytestmark = pytest.mark.django_db
DEMO_SECRET = "JBSWY3DPEHPK3PXP"


def with_totp(user):
    """Give `user` a TOTP authenticator, as finishing allauth's set-up does."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, DEMO_SECRET)
    return user


@pytest.fixture
def acme(conference):
    return SponsorFactory(conference=conference, name="Acme", slug="acme")


def dashboard(sponsor):
    return reverse("sponsor_portal", args=[sponsor.conference.slug, sponsor.slug])


def test_it_sends_a_member_without_an_authenticator_to_set_one_up(client, acme):
    member = SponsorMemberFactory(sponsor=acme)
    client.force_login(member.user)
    response = client.get(dashboard(acme), follow=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert Authenticator.objects.filter(user=member.user).count() == 0


def test_it_tells_the_member_why(client, acme):
    member = SponsorMemberFactory(sponsor=acme)
    client.force_login(member.user)
    response = client.get(dashboard(acme), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Sponsor accounts need two-factor authentication. Set up an authenticator app to reach the sponsor portal."]


def test_it_lets_a_member_with_an_authenticator_in(client, acme):
    member = SponsorMemberFactory(sponsor=acme)
    client.force_login(with_totp(member.user))
    response = client.get(dashboard(acme))
    assert response.status_code == 200
    assert response.context["sponsor"] == acme


def test_it_applies_to_sponsor_admins_too(client, acme):
    member = SponsorMemberFactory(sponsor=acme, role="admin")
    client.force_login(member.user)
    assert client.get(dashboard(acme))["Location"] == reverse("mfa_activate_totp")


def test_it_sends_anonymous_visitors_to_log_in(client, acme):
    response = client.get(dashboard(acme))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/icml2026/sponsor-portal/acme/"


def test_it_answers_404_to_a_logged_in_non_member_even_with_two_factor(client, acme, user):
    client.force_login(with_totp(user))
    assert client.get(dashboard(acme)).status_code == 404


def test_it_answers_404_to_a_member_of_another_sponsor(client, conference, acme):
    other = SponsorMemberFactory(sponsor=SponsorFactory(conference=conference, name="Globex", slug="globex"),
                                 role="admin")
    client.force_login(with_totp(other.user))
    assert client.get(dashboard(acme)).status_code == 404


def test_it_answers_404_for_the_same_slug_in_another_edition(client, acme):
    member = SponsorMemberFactory(sponsor=acme)
    SponsorFactory(conference=ConferenceFactory(slug="icml2027"), slug="acme")
    client.force_login(with_totp(member.user))
    assert client.get("/icml2027/sponsor-portal/acme/").status_code == 404


def test_it_answers_404_to_organiser_staff_who_are_not_members(client, acme, staff_user):
    client.force_login(with_totp(staff_user))
    assert client.get(dashboard(acme)).status_code == 404


def test_it_answers_404_for_an_unknown_sponsor(client, acme):
    member = SponsorMemberFactory(sponsor=acme)
    client.force_login(with_totp(member.user))
    assert client.get("/icml2026/sponsor-portal/nobody/").status_code == 404
