"""Bulk e-mail: compose → preview → queue through the admin; exact outbox rows; unsubscribing."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from confsite import bulk_mail, consent
from confsite.models import BulkMailing, ConsentRecord, OutboxEmail
from registration import services
from registration.catalogue import build_standard_catalogue
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def register(conference, catalogue, email, badge_name, language=""):
    buyer = VerifiedUserFactory(email=email, language=language)
    person = attendee(email, catalogue.categories["non_academic"], catalogue.products["full"], badge_name=badge_name)
    order = services.place_order(conference=conference, buyer=buyer, attendees=[person], accept_code_of_conduct=True)
    return order.registrations.get()


@pytest.fixture
def edition():
    conference = ConferenceFactory(slug="icml2026", short_name="ICML 2026", is_current=True)
    catalogue = build_standard_catalogue(conference, early_until=date(2030, 1, 1), regular_until=date(2030, 2, 1),
                                         order_prefix="ICML26")
    return conference, catalogue


@pytest.fixture
def people(edition):
    conference, catalogue = edition
    ada = register(conference, catalogue, "ada@example.org", "Ada")
    minji = register(conference, catalogue, "minji@example.org", "김민지", language="ko")
    quiet = register(conference, catalogue, "quiet@example.org", "Quinn")
    consent.withdraw(quiet.user, conference, bulk_mail.CONSENT_PURPOSE)
    return ada, minji, quiet


def organiser(*codenames):
    user = VerifiedUserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def chair(client):
    user = organiser("add_bulkmailing", "view_bulkmailing", "view_registration")
    client.force_login(user)
    return user


def notes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def start(client, registrations):
    return client.post(reverse("admin:registration_registration_changelist"),
                       {"action": "compose_bulk_email_action", "_selected_action": [r.pk for r in registrations]})


COMPOSE = {"subject": "Poster printing", "body_text": "Hello {{ name }},\nPosters are A0 portrait.\n",
           "subject_ko": "포스터 인쇄", "body_text_ko": "{{name}}님, 포스터는 A0 세로입니다.\n", "per_minute": "2"}


def compose(client, mailing, **changes):
    return client.post(reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk]), {**COMPOSE, **changes})


def queue(client, mailing):
    return client.post(reverse("admin:confsite_bulkmailing_queue", args=[mailing.pk]))


def test_it_takes_the_selected_registrations_to_a_draft_and_the_compose_page(client, chair, people):
    ada, minji, quiet = people
    response = start(client, people)
    mailing = BulkMailing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk])
    assert mailing.recipient_ids == sorted([ada.user_id, minji.user_id, quiet.user_id])
    assert (mailing.status, mailing.subject, mailing.created_by, mailing.conference) == (
        "draft", "", chair, ada.conference)
    assert mailing.audience == "3 people from the registrations list"
    assert client.get(response["Location"]).status_code == 200
    assert OutboxEmail.objects.filter(purpose="bulk").count() == 0


def test_the_whole_flow_writes_one_row_per_recipient_in_their_language(client, chair, people):
    ada, minji, quiet = people
    start(client, people)
    mailing = BulkMailing.objects.get()
    response = compose(client, mailing)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:confsite_bulkmailing_preview", args=[mailing.pk])

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    shown = {(p.language, p.recipient): p for p in preview.context["previews"]}
    assert sorted(shown) == [("en", "ada@example.org"), ("ko", "minji@example.org")]
    assert (preview.context["sending"], preview.context["skipped"]) == (2, 1)
    assert shown["en", "ada@example.org"].subject == "[Confsite] Poster printing"
    assert shown["en", "ada@example.org"].body_text.startswith("Hello Ada,\nPosters are A0 portrait.\n\n-- \n")
    assert shown["ko", "minji@example.org"].body_text.startswith("김민지님, 포스터는 A0 세로입니다.\n\n-- \n")
    assert OutboxEmail.objects.filter(purpose="bulk").count() == 0  # previewing sends nothing

    response = queue(client, mailing)
    assert response.status_code == 302
    assert notes(response) == [f"Bulk e-mail {mailing.pk}: 2 e-mails queued, 0 queued before, 1 skipped (unsubscribed)."]
    mailing.refresh_from_db()
    rows = {r.recipient: r for r in OutboxEmail.objects.filter(purpose="bulk", object_key=f"bulk:{mailing.pk}")}
    assert sorted(rows) == ["ada@example.org", "minji@example.org"]
    en, ko = rows["ada@example.org"], rows["minji@example.org"]
    assert (en.language, en.subject, ko.language, ko.subject) == ("en", "[Confsite] Poster printing",
                                                                  "ko", "[Confsite] 포스터 인쇄")
    # What the preview showed is exactly what is queued.
    assert en.body_text == shown["en", "ada@example.org"].body_text
    assert ko.body_text == shown["ko", "minji@example.org"].body_text
    assert (mailing.status, en.conference, en.status) == ("queued", mailing.conference, "pending")
    # Spaced at 2 a minute, in user-id order, the first one due when queued.
    assert en.next_attempt_at == mailing.queued_at
    assert ko.next_attempt_at == mailing.queued_at + timedelta(seconds=30)


def test_non_essential_mail_carries_a_working_one_click_unsubscribe(client, chair, people):
    ada, _, _ = people
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing)
    queue(client, mailing)
    row = OutboxEmail.objects.get(purpose="bulk", recipient="ada@example.org")
    assert sorted(row.headers) == ["List-Unsubscribe", "List-Unsubscribe-Post"]
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = row.headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http") and f"{url}\n" in row.body_text
    token = url.rsplit("/", 2)[-2]
    assert bulk_mail.read_token(token) == (ada.user, ada.conference)
    # A mail client's RFC 8058 POST: no session, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""]),
                                                     {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert bulk_mail.withdrawn_user_ids(ada.conference, [ada.user_id]) == {ada.user_id}


def test_requeueing_never_sends_twice(client, chair, people):
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing)
    queue(client, mailing)
    first = list(OutboxEmail.objects.filter(purpose="bulk").order_by("pk").values_list("pk", "recipient", "next_attempt_at"))
    response = queue(client, mailing)
    assert notes(response)[-1] == (f"Bulk e-mail {mailing.pk}: 0 e-mails queued, 2 queued before, 1 skipped (unsubscribed).")
    assert list(OutboxEmail.objects.filter(purpose="bulk").order_by("pk").values_list("pk", "recipient", "next_attempt_at")) == first
    assert bulk_mail.queue(BulkMailing.objects.get()).queued == 0
    assert OutboxEmail.objects.filter(purpose="bulk").count() == 2


def test_essential_mail_reaches_the_unsubscribed_without_an_unsubscribe_link(client, chair, people):
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing, essential="on")
    queue(client, mailing)
    rows = OutboxEmail.objects.filter(purpose="bulk").order_by("recipient")
    assert list(rows.values_list("recipient", "language", "headers")) == [
        ("ada@example.org", "en", {}), ("minji@example.org", "ko", {}), ("quiet@example.org", "en", {})]
    assert rows[0].body_text == "Hello Ada,\nPosters are A0 portrait."


def test_a_later_subscription_again_counts(client, chair, people, edition):
    """The ledger's latest record is in force: a grant after a withdrawal brings the person back."""
    ada, _, quiet = people
    from confsite.models import ConsentText

    text = ConsentText.objects.create(conference=ada.conference, purpose=bulk_mail.CONSENT_PURPOSE, version="1",
                                      text="Announcements by e-mail")
    consent.grant(quiet.user, text)
    assert bulk_mail.withdrawn_user_ids(ada.conference, [ada.user_id, quiet.user_id]) == set()


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"subject": ""}, "subject", "This field is required."),
    ({"body_text": "   "}, "body_text", "This field is required."),
    ({"body_text": "Hi {{ user.email }} {% debug %}"}, "body_text",
     "“{{ user.email }}” is not a placeholder here: only {{ name }} is replaced. Remove it or write it differently."),
    ({"subject": "{% load static %}Hi"}, "subject",
     "“{% load static %}” is not a placeholder here: only {{ name }} is replaced. Remove it or write it differently."),
    ({"subject_ko": ""}, "body_text_ko", "Give both the Korean subject and the Korean text, or neither."),
    ({"per_minute": "0"}, "per_minute", "Ensure this value is greater than or equal to 1."),
    ({"per_minute": "many"}, "per_minute", "Enter a whole number."),
    ({"per_minute": "901"}, "per_minute", "Ensure this value is less than or equal to 900."),
])
def test_bad_input_gets_a_message_and_writes_nothing(client, chair, people, changes, field, message):
    start(client, people)
    mailing = BulkMailing.objects.get()
    response = compose(client, mailing, **changes)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    mailing.refresh_from_db()
    assert (mailing.subject, mailing.body_text, mailing.translations, mailing.status) == ("", "", {}, "draft")
    response = queue(client, mailing)
    assert response.status_code == 302
    assert notes(response) == [f"Write a subject and a text before queueing “{mailing.pk}”."]
    assert OutboxEmail.objects.filter(purpose="bulk").count() == 0


def test_the_text_is_never_run_through_the_template_engine(people, edition):
    ada, minji, _ = people
    mailing = BulkMailing.objects.create(conference=ada.conference, subject="Hi {{ name }}", audience="test",
                                         body_text="{{ name }} / {{name}}", recipient_ids=[ada.user_id])
    ada.badge_name = "{% debug %}{{ settings.SECRET_KEY }}\\1"
    ada.save()
    rendered = bulk_mail.render_for(mailing, ada.user, bulk_mail.names_for(ada.conference, [ada.user])[ada.user_id])
    assert rendered.subject == "[Confsite] Hi {% debug %}{{ settings.SECRET_KEY }}\\1"
    assert rendered.body_text.startswith("{% debug %}{{ settings.SECRET_KEY }}\\1 / {% debug %}{{ settings.SECRET_KEY }}\\1\n")


def test_the_progress_shows_on_the_list_and_page_from_the_outbox_rows(client, chair, people, django_assert_num_queries):
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing, essential="on")
    queue(client, mailing)
    OutboxEmail.objects.filter(purpose="bulk", recipient="ada@example.org").update(status="sent")
    OutboxEmail.objects.filter(purpose="bulk", recipient="quiet@example.org").update(status="failed")
    with django_assert_num_queries(1):
        assert bulk_mail.progress(mailing) == {"queued": 3, "sent": 1, "failed": 1, "pending": 1}
    page = client.get(reverse("admin:confsite_bulkmailing_change", args=[mailing.pk]))
    assert "3 queued: 1 sent, 1 pending, 1 failed" in page.content.decode()
    listing = client.get(reverse("admin:confsite_bulkmailing_changelist"))
    row = listing.context["cl"].result_list[0]
    assert (row.n_queued, row.n_sent, row.n_failed, row.n_pending) == (3, 1, 1, 1)


def count_list_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:confsite_bulkmailing_changelist")).status_code == 200
    return len(queries)


def test_the_list_issues_the_same_queries_at_2_and_at_8_mailings(client, chair, people):
    ada = people[0]
    for n in range(2):
        BulkMailing.objects.create(conference=ada.conference, subject=f"m{n}", body_text="x", audience="a",
                                   recipient_ids=[ada.user_id])
    small = count_list_queries(client)
    for n in range(6):
        m = BulkMailing.objects.create(conference=ada.conference, subject=f"n{n}", body_text="x", audience="a",
                                       recipient_ids=[ada.user_id])
        bulk_mail.queue(m)
    assert count_list_queries(client) == small


# --- Access ---------------------------------------------------------------------------------------

def test_anonymous_people_are_sent_to_log_in(client, people):
    mailing = BulkMailing.objects.create(conference=people[0].conference, subject="s", body_text="b", audience="a",
                                         recipient_ids=[people[0].user_id])
    for name in ("compose", "preview", "queue"):
        response = client.get(reverse(f"admin:confsite_bulkmailing_{name}", args=[mailing.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_add_permission_cannot_compose_preview_or_queue(client, people):
    client.force_login(organiser("view_bulkmailing", "view_registration"))
    mailing = BulkMailing.objects.create(conference=people[0].conference, subject="s", body_text="b", audience="a",
                                         recipient_ids=[people[0].user_id])
    assert client.get(reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk])).status_code == 403
    assert client.get(reverse("admin:confsite_bulkmailing_preview", args=[mailing.pk])).status_code == 403
    assert queue(client, mailing).status_code == 403
    response = start(client, people)
    assert notes(response) == ["You may not send bulk e-mail."]
    assert (BulkMailing.objects.count(), OutboxEmail.objects.filter(purpose="bulk").count()) == (1, 0)


def test_the_action_refuses_people_of_two_editions(client, chair, people, edition):
    other = ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    catalogue = build_standard_catalogue(other, early_until=date(2030, 1, 1), regular_until=date(2030, 2, 1),
                                         order_prefix="ICML25")
    last_year = register(other, catalogue, "old@example.org", "Old")
    response = start(client, [people[0], last_year])
    assert notes(response) == ["Select people of one edition only: filter the list by edition first."]
    assert BulkMailing.objects.count() == 0


def test_get_on_queue_changes_nothing(client, chair, people):
    mailing = BulkMailing.objects.create(conference=people[0].conference, subject="s", body_text="b", audience="a",
                                         recipient_ids=[people[0].user_id])
    assert client.get(reverse("admin:confsite_bulkmailing_queue", args=[mailing.pk])).status_code == 405
    assert client.get(reverse("admin:confsite_bulkmailing_compose", args=[999999])).status_code == 404
    assert client.get(reverse("admin:confsite_bulkmailing_preview", args=[10**30])).status_code == 404
    assert client.post(reverse("admin:confsite_bulkmailing_queue", args=[2**63])).status_code == 404
    assert OutboxEmail.objects.filter(purpose="bulk").count() == 0


# --- Unsubscribing --------------------------------------------------------------------------------

def test_the_unsubscribe_page_asks_first_then_withdraws_once(client, people):
    ada = people[0]
    url = reverse("bulk_unsubscribe", args=[bulk_mail.unsubscribe_token(ada.user_id, ada.conference_id)])
    page = client.get(url)
    assert page.status_code == 200
    assert "Stop receiving announcements about ICML 2026?" in page.content.decode()
    assert ConsentRecord.objects.filter(user=ada.user).count() == 0
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200
    assert list(ConsentRecord.objects.filter(user=ada.user).values_list("purpose", "action", "conference")) == [
        ("announcements", "withdrawn", ada.conference_id)]


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoxLCJjIjoxfQ:1tXyZ:forged-signature", "x" * 600, "%00"])
def test_a_bad_or_forged_token_gets_a_message_and_changes_nothing(client, people, token):
    for method in (client.get, client.post):
        response = method(f"/mail/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 1  # only the fixture's


def test_a_token_for_another_purpose_is_refused(client, people):
    from django.core import signing

    ada = people[0]
    token = signing.Signer(salt="something.else").sign_object({"u": ada.user_id, "c": ada.conference_id})
    assert client.post(reverse("bulk_unsubscribe", args=[token])).status_code == 400
    assert ConsentRecord.objects.filter(user=ada.user).count() == 0


def test_a_large_mailing_is_written_by_a_worker_after_commit(client, chair, people, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    monkeypatch.setattr(bulk_mail, "INLINE_LIMIT", 2)
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing, essential="on")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = queue(client, mailing)
    assert notes(response)[-1] == (
        f"Bulk e-mail {mailing.pk} goes to 3 people: a worker is writing the e-mails now. Reload this page to follow "
        "the progress; if nothing is queued within a few minutes, queue it again (nobody gets it twice).")
    assert OutboxEmail.objects.filter(purpose="bulk").count() == 0  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # the (eager) Celery task
    assert sorted(OutboxEmail.objects.filter(purpose="bulk").values_list("recipient", flat=True)) == [
        "ada@example.org", "minji@example.org", "quiet@example.org"]
    assert BulkMailing.objects.get().status == "queued"


# --- Dispatch: a worker gets a row only when it is due --------------------------------------------

@pytest.fixture
def handed_over(monkeypatch):
    """The outbox ids handed to a worker, in order; the hand-over itself sends nothing."""
    from confsite.tasks import send_outbox_email

    calls = []
    monkeypatch.setattr(send_outbox_email, "apply_async", lambda args, **options: calls.append((args[0], options)))
    return calls


def queued_rows(mailing):
    """The mailing's rows in the order they are due."""
    return list(OutboxEmail.objects.filter(purpose="bulk", object_key=f"bulk:{mailing.pk}").order_by("next_attempt_at"))


def worker_sent(row):
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.SENT, attempts=1)


def confirmations_sent():
    """The fixture's order confirmations went out long ago: the sweep below sees only the mailing."""
    OutboxEmail.objects.exclude(purpose="bulk").update(status=OutboxEmail.Status.SENT, attempts=1)


def test_only_the_row_due_at_commit_goes_to_a_worker_and_the_sweep_hands_over_each_later_one_when_due(
        client, chair, people, handed_over, django_capture_on_commit_callbacks):
    from confsite import outbox

    confirmations_sent()
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing, essential="on")  # all three people, 2 a minute: due at +0 s, +30 s, +60 s
    with django_capture_on_commit_callbacks(execute=True):
        queue(client, mailing)
    mailing.refresh_from_db()
    first, second, third = queued_rows(mailing)
    assert [r.next_attempt_at - mailing.queued_at for r in (first, second, third)] == [
        timedelta(0), timedelta(seconds=30), timedelta(seconds=60)]
    assert handed_over == [(first.pk, {"retry": False})]  # no countdown: nothing waits in the broker
    worker_sent(first)

    # The sweep (every 30 s) hands over a row once it has been due for its grace of 30 s.
    at = mailing.queued_at
    assert outbox.sweep(now=at + timedelta(seconds=59)) == 0
    assert outbox.sweep(now=at + timedelta(seconds=60)) == 1
    assert handed_over[1:] == [(second.pk, {"retry": False})]
    worker_sent(second)
    assert outbox.sweep(now=at + timedelta(seconds=89)) == 0
    assert outbox.sweep(now=at + timedelta(seconds=90)) == 1
    assert handed_over[2:] == [(third.pk, {"retry": False})]
    worker_sent(third)
    assert outbox.sweep(now=at + timedelta(hours=1)) == 0
    assert len(handed_over) == 3


def test_each_row_is_sent_once_when_due_by_the_worker_and_the_sweep(client, chair, people,
                                                                    django_capture_on_commit_callbacks):
    from django.core import mail
    from django.db.models import F
    from django.utils import timezone

    from confsite import outbox

    confirmations_sent()
    start(client, people)
    mailing = BulkMailing.objects.get()
    compose(client, mailing)  # Ada now, Minji 30 s later (Quinn unsubscribed)
    with django_capture_on_commit_callbacks(execute=True):
        queue(client, mailing)
    ada, minji = queued_rows(mailing)
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]  # the (eager) worker sent the row due now
    assert (OutboxEmail.objects.get(pk=minji.pk).status, OutboxEmail.objects.get(pk=minji.pk).attempts) == (
        "pending", 0)
    assert outbox.sweep() == 0  # Minji's is not due yet

    # 31 s after Minji's row fell due (one sweep period and its grace), the sweep hands it over.
    OutboxEmail.objects.filter(pk=minji.pk).update(
        next_attempt_at=F("next_attempt_at") - (minji.next_attempt_at - timezone.now()) - timedelta(seconds=31))
    assert outbox.sweep() == 1
    assert [m.to for m in mail.outbox] == [["ada@example.org"], ["minji@example.org"]]
    assert outbox.sweep(grace=timedelta(0)) == 0
    assert [outbox.deliver(r.pk) for r in (ada, minji)] == ["skipped", "skipped"]
    assert len(mail.outbox) == 2
    assert sorted(OutboxEmail.objects.filter(purpose="bulk").values_list("status", "attempts")) == [
        ("sent", 1), ("sent", 1)]


@pytest.mark.redis
def test_the_broker_receives_only_the_row_due_now_and_later_rows_from_the_sweep(
        client, chair, people, celery_broker, django_capture_on_commit_callbacks):
    import json

    import redis
    from django.utils import timezone

    from confsite import outbox
    from tests.conftest import redis_url

    queue_name = celery_broker(redis_url())
    broker = redis.Redis.from_url(redis_url())

    def published():
        # kombu's Redis transport pushes each message on the left of a list named after the queue.
        messages = [json.loads(raw) for raw in reversed(broker.lrange(queue_name, 0, -1))]
        return [(m["headers"]["task"], m["headers"]["argsrepr"], m["headers"]["eta"]) for m in messages]

    try:
        confirmations_sent()
        start(client, people)
        mailing = BulkMailing.objects.get()
        compose(client, mailing, essential="on")
        with django_capture_on_commit_callbacks(execute=True):
            queue(client, mailing)
        first, second, third = queued_rows(mailing)
        task = "confsite.tasks.send_outbox_email"
        assert published() == [(task, f"({first.pk},)", None)]

        # The second row fell due 31 s ago; the third is due in 29 s.
        now = timezone.now()
        OutboxEmail.objects.filter(pk=second.pk).update(next_attempt_at=now - timedelta(seconds=31))
        OutboxEmail.objects.filter(pk=third.pk).update(next_attempt_at=now + timedelta(seconds=29))
        OutboxEmail.objects.filter(pk=first.pk).update(status=OutboxEmail.Status.SENT, attempts=1)
        assert outbox.sweep() == 1
        assert published() == [(task, f"({first.pk},)", None), (task, f"({second.pk},)", None)]
    finally:
        broker.delete(queue_name)
        broker.close()


def test_the_fastest_rate_a_mailing_may_ask_for_leaves_room_in_what_the_outbox_sends_a_minute():
    from confsite import outbox

    sweeps_a_minute = 60 // 30  # beat's run-due-work every 30 s
    assert bulk_mail.ComposeForm.base_fields["per_minute"].max_value == 900
    assert 900 < sweeps_a_minute * outbox.SWEEP_BATCH
