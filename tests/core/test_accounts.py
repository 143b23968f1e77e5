"""Accounts through allauth: e-mail login, mandatory verification via the outbox, admin login, 2FA."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from confsite.models import OutboxEmail, User

PASSWORD = "a-long-and-unusual-passphrase-42"


def sign_up(client, email="new.person@snu.ac.kr"):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def confirmation_link(row: OutboxEmail) -> str:
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", row.body_text).group(0)


@pytest.mark.django_db(transaction=True)
def test_it_signs_up_with_an_email_and_sends_the_verification_through_the_outbox(client):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@snu.ac.kr")
    assert user.has_usable_password()
    row = OutboxEmail.objects.get(recipient="new.person@snu.ac.kr")
    assert row.purpose == "account.email_confirmation_signup"
    assert row.status == OutboxEmail.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Confsite] Please Confirm Your Email Address"
    # Plain text and HTML, both carrying the same confirmation link.
    link = confirmation_link(row)
    assert link in mail.outbox[0].body
    html, mime = mail.outbox[0].alternatives[0]
    assert mime == "text/html"
    assert f'<a href="{link}"' in html


@pytest.mark.django_db(transaction=True)
def test_it_refuses_login_until_the_address_is_verified(client):
    sign_up(client)
    client.logout()
    response = client.post(reverse("account_login"), {"login": "new.person@snu.ac.kr", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_the_link_from_the_email_verifies_the_address_and_logs_in(client):
    sign_up(client)
    link = confirmation_link(OutboxEmail.objects.get())
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    user = User.objects.get(email="new.person@snu.ac.kr")
    assert user.emailaddress_set.get().verified is True
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db(transaction=True)
def test_password_reset_mail_goes_through_the_outbox(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    row = OutboxEmail.objects.get(recipient=user.email)
    assert row.purpose == "account.password_reset_key"
    assert "/accounts/password/reset/key/" in row.body_text


@pytest.mark.django_db
def test_the_admin_login_page_sends_people_to_the_site_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Flogin%2F"


@pytest.mark.django_db
def test_a_logged_in_non_staff_user_gets_403_on_the_admin_login(client, user):
    client.force_login(user)
    assert client.get(reverse("admin:login")).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.django_db
def test_staff_reach_the_admin_on_the_demo_without_two_factor(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
@override_settings(STAFF_REQUIRE_MFA=True)
def test_with_production_settings_staff_without_two_factor_cannot_reach_the_admin(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("admin:confsite_conference_changelist")).status_code == 302


@pytest.mark.django_db
@override_settings(STAFF_REQUIRE_MFA=True)
def test_with_production_settings_staff_with_totp_reach_the_admin(client, staff_user):
    Authenticator.objects.create(user=staff_user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    client.force_login(staff_user)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
@override_settings(STAFF_REQUIRE_MFA=True)
def test_two_factor_is_not_required_of_attendees(client, user, conference):
    client.force_login(user)
    assert client.get(reverse("my_registration", args=[conference.slug])).status_code == 200


@pytest.mark.django_db
def test_repeated_failed_logins_are_rate_limited(client, user):
    responses = [client.post(reverse("account_login"), {"login": user.email, "password": "wrong"}) for _ in range(6)]
    limited = "Too many failed login attempts. Try again later."
    assert [limited in r.content.decode() for r in responses] == [False] * 5 + [True]
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": user.email, "password": "correct horse battery staple"})
    assert limited in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_account_pages_use_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    assert '<nav class="site-nav"' in html
    assert 'name="login"' in html


@pytest.mark.django_db
@override_settings(STAFF_REQUIRE_MFA=True)
@pytest.mark.parametrize("page", ["staff_check_in", "staff_dashboard", "staff_author_attendance"])
def test_with_production_settings_staff_pages_also_need_two_factor(client, staff_user, conference, page):
    client.force_login(staff_user)
    response = client.get(reverse(page, args=[conference.slug]))
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))
    Authenticator.objects.create(user=staff_user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    assert client.get(reverse(page, args=[conference.slug])).status_code == 200
