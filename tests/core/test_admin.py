"""The organisers' console for the core: the outbox with resend, editions, the consent ledger."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from confsite import outbox
from confsite.models import Conference, OutboxEmail
from tests.factories import ConferenceFactory, VerifiedUserFactory


def sent_row():
    return outbox.queue_email(purpose="test.x", object_key="order:7", recipient="a@example.org", subject="Receipt",
                              body_text="Paid.")


@pytest.mark.django_db(transaction=True)
def test_the_outbox_list_shows_status_attempts_and_errors(client, staff_user):
    sent_row()
    client.force_login(staff_user)
    html = client.get(reverse("admin:confsite_outboxemail_changelist")).content.decode()
    assert "Receipt" in html and "a@example.org" in html
    assert '<td class="field-status">sent</td>' in html
    assert '<td class="field-attempts">1</td>' in html


@pytest.mark.django_db(transaction=True)
def test_an_organiser_resends_a_sent_email(client, staff_user):
    row = sent_row()
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:confsite_outboxemail_changelist"),
        {"action": "resend_selected", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "1 e-mail queued again." in response.content.decode()
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT
    assert row.attempts == 1
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_staff_who_may_only_view_the_outbox_cannot_resend(client):
    viewer = VerifiedUserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxemail"))
    row = sent_row()
    client.force_login(viewer)
    response = client.post(
        reverse("admin:confsite_outboxemail_changelist"),
        {"action": "resend_selected", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "You may not resend e-mails." in response.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_outbox_cannot_be_edited_or_added_to_by_hand(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("admin:confsite_outboxemail_add")).status_code == 403


@pytest.mark.django_db
def test_staff_without_permissions_see_no_outbox(client):
    client.force_login(VerifiedUserFactory(is_staff=True))
    assert client.get(reverse("admin:confsite_outboxemail_changelist")).status_code == 403


@pytest.mark.django_db
def test_an_organiser_makes_an_edition_current(client, staff_user, conference):
    new = ConferenceFactory(slug="icml2027")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:confsite_conference_changelist"),
        {"action": "make_current_edition", "_selected_action": [new.pk]},
        follow=True,
    )
    assert f"{new.short_name} is now the current edition." in response.content.decode()
    assert Conference.objects.get(is_current=True) == new


@pytest.mark.django_db
def test_making_two_editions_current_at_once_is_refused(client, staff_user, conference):
    new = ConferenceFactory(slug="icml2027")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:confsite_conference_changelist"),
        {"action": "make_current_edition", "_selected_action": [new.pk, conference.pk]},
        follow=True,
    )
    assert "Select exactly one edition to make current." in response.content.decode()
    assert Conference.objects.get(is_current=True) == conference


@pytest.mark.django_db
def test_an_invalid_edition_form_explains_itself_and_saves_nothing(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("admin:confsite_conference_add"), {
        "name": "ICML 2027", "short_name": "ICML 2027", "slug": "api", "city": "Somewhere", "country": "xx",
        "venue": "Hall", "time_zone": "Mars/Olympus", "start_date": "2027-07-10", "end_date": "2027-07-01",
        "currency": "usd", "contact_email": "x@example.org", "code_of_conduct": "Be kind.",
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "is used by the site itself; choose another slug." in html
    assert "is not a time zone name" in html
    assert "The last day cannot be before the first day." in html
    assert Conference.objects.count() == 0


@pytest.mark.django_db
def test_the_consent_ledger_is_read_only_in_the_admin(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("admin:confsite_consentrecord_changelist")).status_code == 200
    assert client.get(reverse("admin:confsite_consentrecord_add")).status_code == 403
