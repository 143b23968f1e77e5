"""Author attendance: accepted papers with no registered author, and reminders to their authors."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from confsite.models import Conference, OutboxEmail, User
from registration import author_attendance, services, tasks
from registration.author_attendance import (
    REMINDER_PURPOSE,
    paper_rows,
    papers_without_registered_author,
    send_reminders,
    with_authors,
)
from registration.catalogue import build_standard_catalogue
from schedule.models import Paper
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import (
    AuthorFactory,
    AuthorshipFactory,
    PaperFactory,
    PresentationFactory,
    SessionFactory,
    TopicFactory,
)
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db


def register(conference, catalogue, email, openreview_id=""):
    buyer = VerifiedUserFactory(email=email)
    person = attendee(email, catalogue.categories["non_academic"], catalogue.products["full"],
                      openreview_id=openreview_id)
    return services.place_order(conference=conference, buyer=buyer, attendees=[person], accept_code_of_conduct=True)


def paper(conference, title, *authors, decision=Paper.Decision.POSTER):
    p = PaperFactory(conference=conference, title=title, decision=decision)
    for position, author in enumerate(authors):
        AuthorshipFactory(paper=p, author=author, position=position)
    return p


def last_year():
    """Another edition with its catalogue: its registrations must never count for this one."""
    other = ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    return other, build_standard_catalogue(other, early_until=date(2030, 1, 1), regular_until=date(2030, 2, 1),
                                           order_prefix="ICML25")


@pytest.fixture
def programme(conference, catalogue):
    other, other_catalogue = last_year()
    # Alpha: its author registered under another address, with their OpenReview id.
    paper(conference, "Alpha", AuthorFactory(conference=conference, openreview_id="~Ada_Lovelace1",
                                             email="ada@old.example"))
    register(conference, catalogue, "ada@new.example", openreview_id="~Ada_Lovelace1")
    # Beta: matched by e-mail in another case; the author has no OpenReview id.
    paper(conference, "Beta", AuthorFactory(conference=conference, openreview_id="", email="Bob@Uni.EDU"),
          decision=Paper.Decision.ORAL)
    register(conference, catalogue, "bob@uni.edu")
    # Gamma: its author's registration was cancelled.
    paper(conference, "Gamma", AuthorFactory(conference=conference, openreview_id="~Cleo_C1", email="cleo@x.example"))
    services.cancel_order(register(conference, catalogue, "cleo@x.example", openreview_id="~Cleo_C1"))
    # Delta: its author is registered, but for last year's edition.
    paper(conference, "Delta", AuthorFactory(conference=conference, openreview_id="~Dan_D1", email="dan@x.example"),
          decision=Paper.Decision.ORAL)
    register(other, other_catalogue, "dan@x.example", openreview_id="~Dan_D1")
    # Epsilon: one author to write to, one without an e-mail address.
    paper(conference, "Epsilon", AuthorFactory(conference=conference, name="Eve", openreview_id="~Eve_E1",
                                               email="Eve@X.example"),
          AuthorFactory(conference=conference, name="Finn", openreview_id="~Finn_F1", email=""))
    # Last year's paper by nobody registered: not this edition's business.
    paper(other, "Zeta", AuthorFactory(conference=other, openreview_id="~Zed_Z1", email="zed@x.example"))
    return conference


def titles(rows):
    return [row.paper.title for row in rows]


def listed(conference, **filters):
    return [p.title for p in papers_without_registered_author(conference, **filters)]


def test_it_lists_exactly_the_papers_without_a_registered_author(programme):
    rows = paper_rows(with_authors(papers_without_registered_author(programme)))
    assert titles(rows) == ["Delta", "Epsilon", "Gamma"]
    epsilon = rows[1]
    assert [a.name for a in epsilon.reachable] == ["Eve"]
    assert [a.name for a in epsilon.unreachable] == ["Finn"]


def test_it_filters_by_track_topic_and_session(programme):
    assert listed(programme, decision="oral") == ["Delta"]
    topic = TopicFactory(conference=programme, name="Optimisation", slug="optimisation")
    Paper.objects.get(title="Gamma").topics.add(topic)
    assert listed(programme, topic=topic) == ["Gamma"]
    session = SessionFactory(conference=programme, kind="poster")
    PresentationFactory(session=session, paper=Paper.objects.get(title="Epsilon"))
    PresentationFactory(session=session, paper=Paper.objects.get(title="Alpha"))
    assert listed(programme, session=session) == ["Epsilon"]


def test_an_author_whose_email_differs_in_case_and_spaces_counts_as_registered(conference, catalogue):
    paper(conference, "Hana's", AuthorFactory(conference=conference, openreview_id="", email=" HANA@Example.org "))
    paper(conference, "Ivo's", AuthorFactory(conference=conference, openreview_id="", email="ivo@example.org"))
    paper(conference, "Nobody's", AuthorFactory(conference=conference, openreview_id="", email="nobody@example.org"))
    register(conference, catalogue, "hana@example.org")
    ivo = register(conference, catalogue, "ivo@example.org").registrations.get()
    # An address stored before addresses were lower-cased on sign-up.
    User.objects.filter(pk=ivo.user_id).update(email="  Ivo@EXAMPLE.org")
    assert listed(conference) == ["Nobody's"]


def test_an_openreview_id_with_spaces_around_it_counts_as_registered(conference, catalogue):
    paper(conference, "Spaced", AuthorFactory(conference=conference, openreview_id=" ~Sam_S1 ", email="sam@old.example"))
    paper(conference, "Other", AuthorFactory(conference=conference, openreview_id="~Sam_S2", email="sam2@x.example"))
    register(conference, catalogue, "sam@new.example", openreview_id="~Sam_S1")
    assert listed(conference) == ["Other"]


def test_a_name_alone_never_matches(conference, catalogue):
    paper(conference, "Named", AuthorFactory(conference=conference, name="Kim Minji", openreview_id="~Kim_M1",
                                             email="kim@uni.example"))
    register(conference, catalogue, "minji@other.example")  # badge and legal name "Kim Minji"
    assert listed(conference) == ["Named"]


def test_a_cancelled_registration_does_not_count(conference, catalogue):
    paper(conference, "Cancelled", AuthorFactory(conference=conference, openreview_id="~Cai_C1",
                                                 email="cai@x.example"))
    paper(conference, "Active", AuthorFactory(conference=conference, openreview_id="~Act_A1", email="act@x.example"))
    services.cancel_order(register(conference, catalogue, "cai@x.example", openreview_id="~Cai_C1"))
    register(conference, catalogue, "act@x.example", openreview_id="~Act_A1")
    assert listed(conference) == ["Cancelled"]


def test_a_registration_at_another_edition_does_not_count(conference, catalogue):
    other, other_catalogue = last_year()
    paper(conference, "Last year's author", AuthorFactory(conference=conference, openreview_id="~Lia_L1",
                                                          email="lia@x.example"))
    paper(conference, "This year's author", AuthorFactory(conference=conference, openreview_id="~Tom_T1",
                                                          email="tom@x.example"))
    register(other, other_catalogue, "lia@x.example", openreview_id="~Lia_L1")
    register(conference, catalogue, "other-address@x.example", openreview_id="~Tom_T1")
    assert listed(conference) == ["Last year's author"]


def test_reminders_go_once_per_paper_author_and_day(programme):
    papers = papers_without_registered_author(programme)
    result = send_reminders(programme, papers, day=date(2026, 6, 1))
    assert (result.queued, result.already, result.unreachable) == (3, 0, 1)
    sent = OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE).order_by("recipient")
    gamma, delta = Paper.objects.get(title="Gamma"), Paper.objects.get(title="Delta")
    epsilon = Paper.objects.get(title="Epsilon")
    assert list(sent.values_list("recipient", "object_key")) == [
        ("cleo@x.example", f"paper:{gamma.pk}:2026-06-01"), ("dan@x.example", f"paper:{delta.pk}:2026-06-01"),
        ("eve@x.example", f"paper:{epsilon.pk}:2026-06-01")]
    mail = sent.get(recipient="eve@x.example")
    assert mail.subject == "[Confsite] ICML 2026: please register to present your paper"
    assert "  “Epsilon”\n" in mail.body_text
    assert f"Register: {settings.SITE_URL}/icml2026/register/\n" in mail.body_text
    again = send_reminders(programme, papers, day=date(2026, 6, 1))
    assert (again.queued, again.already, again.unreachable) == (0, 3, 1)
    next_day = send_reminders(programme, papers, day=date(2026, 6, 2))
    assert next_day.queued == 3
    assert OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE).count() == 6


# --- The page ---------------------------------------------------------------------------------------

def chair(*codenames, staff=True):
    user = VerifiedUserFactory(is_staff=staff)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def url(conference):
    return reverse("staff_author_attendance", args=[conference.slug])


def test_the_page_lists_papers_with_their_authors(client, programme):
    client.force_login(chair("view_paper", "view_registration"))
    response = client.get(url(programme))
    assert response.status_code == 200
    assert titles(response.context["rows"]) == ["Delta", "Epsilon", "Gamma"]
    body = response.content.decode()
    assert "3 papers" in body
    assert "Eve &lt;Eve@X.example&gt;" in body
    assert "Finn (~Finn_F1)" in body
    assert (response.context["reachable_count"], response.context["unreachable_count"]) == (3, 1)


def test_the_page_filters_and_rejects_bad_filters_without_a_500(client, programme):
    client.force_login(chair("view_paper", "view_registration"))
    assert titles(client.get(url(programme), {"decision": "oral"}).context["rows"]) == ["Delta"]
    response = client.get(url(programme), {"decision": "keynote", "topic": "abc", "session": "99999999999999999999"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"decision", "topic", "session"}
    assert titles(response.context["rows"]) == ["Delta", "Epsilon", "Gamma"]


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def reminded():
    return sorted(OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE).values_list("recipient", flat=True))


def test_posting_queues_the_reminders_of_the_filtered_list_in_a_task(client, programme,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(chair("view_paper", "view_registration"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(programme), {"decision": "oral", "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url(programme) + "?decision=oral"
    assert messages_of(response) == ["Reminders are being queued for 1 paper; reload to see progress."]
    assert reminded() == ["dan@x.example"]


def test_the_post_hands_the_task_ids_and_plain_values_after_commit(client, programme, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(tasks.send_author_reminders, "delay", lambda *args: calls.append(args))
    topic = TopicFactory(conference=programme, name="Optimisation", slug="optimisation")
    session = SessionFactory(conference=programme, kind="poster")
    for title in ("Gamma", "Epsilon"):
        Paper.objects.get(title=title).topics.add(topic)
        PresentationFactory(session=session, paper=Paper.objects.get(title=title))
    client.force_login(chair("view_paper", "view_registration"))
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url(programme), {"decision": "poster", "topic": topic.pk, "session": session.pk,
                                                 "confirm": "yes"})
    assert calls == []  # not before the commit
    for callback in callbacks:
        callback()
    day = timezone.localdate(timezone=programme.tzinfo).isoformat()
    assert calls == [(programme.pk, "poster", topic.pk, session.pk, day)]
    assert messages_of(response) == ["Reminders are being queued for 2 papers; reload to see progress."]
    assert reminded() == []


def test_pressing_the_button_twice_queues_each_reminder_once(client, programme, django_capture_on_commit_callbacks):
    client.force_login(chair("view_paper", "view_registration"))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url(programme), {"confirm": "yes"})
    # Both presses dispatch (the messages, not shown in between, pile up); the second run finds the rows.
    assert messages_of(response) == ["Reminders are being queued for 3 papers; reload to see progress."] * 2
    assert reminded() == ["cleo@x.example", "dan@x.example", "eve@x.example"]


def test_the_task_run_twice_queues_each_reminder_once(programme):
    assert tasks.send_author_reminders(programme.pk, "", None, None, "2026-06-01") == {
        "queued": 3, "already": 0, "unreachable": 1}
    assert tasks.send_author_reminders(programme.pk, "", None, None, "2026-06-01") == {
        "queued": 0, "already": 3, "unreachable": 1}
    assert OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE).count() == 3


def test_the_task_queues_nothing_when_its_topic_or_session_is_gone(programme):
    topic = TopicFactory(conference=programme, name="Optimisation", slug="optimisation")
    topic_pk = topic.pk
    topic.delete()
    other_session = SessionFactory(conference=ConferenceFactory(slug="icml2025", short_name="ICML 2025"),
                                   kind="poster")
    gone_topic = tasks.send_author_reminders(programme.pk, "", topic_pk, None, "2026-06-01")
    assert gone_topic == {"queued": 0, "already": 0, "unreachable": 0, "error": f"topic {topic_pk} of icml2026"}
    other = tasks.send_author_reminders(programme.pk, "", None, other_session.pk, "2026-06-01")
    assert other["error"] == f"session {other_session.pk} of icml2026"
    assert tasks.send_author_reminders(programme.pk, "keynote", None, None, "2026-06-01")["error"] == (
        "decision 'keynote' of icml2026")
    assert reminded() == []


def test_posting_without_confirmation_or_with_bad_filters_queues_nothing(client, programme,
                                                                          django_capture_on_commit_callbacks):
    client.force_login(chair("view_paper", "view_registration"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url(programme), {})
        assert response.status_code == 200
        assert messages_of(response) == ["Tick the confirmation box to send the reminders; nothing was sent."]
        response = client.post(url(programme), {"decision": "keynote", "topic": "x", "confirm": "yes"})
        assert response.status_code == 200
        assert messages_of(response) == [
            "The filters are not valid (track, topic), so no reminder was queued; choose them again."]
    assert callbacks == []
    assert reminded() == []


def test_unknown_topic_and_session_ids_give_a_message_and_queue_nothing(client, programme,
                                                                         django_capture_on_commit_callbacks):
    other_topic = TopicFactory(conference=ConferenceFactory(slug="icml2025", short_name="ICML 2025"), name="Other",
                               slug="other")
    client.force_login(chair("view_paper", "view_registration"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url(programme), {"topic": other_topic.pk, "session": "99999999", "confirm": "yes"})
    assert response.status_code == 200
    assert messages_of(response) == [
        "The filters are not valid (topic, session), so no reminder was queued; choose them again."]
    assert callbacks == []
    assert reminded() == []


def test_a_broker_that_is_down_is_reported_and_nothing_is_queued(client, programme, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    def down(*args):
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(tasks.send_author_reminders, "delay", down)
    client.force_login(chair("view_paper", "view_registration"))
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url(programme), {"confirm": "yes"})
    request = response.wsgi_request
    for callback in callbacks:
        callback()  # in production the view runs outside a transaction: this happens before the redirect
    assert [str(m) for m in get_messages(request)] == [
        "Reminders are being queued for 3 papers; reload to see progress.",
        "The reminders could not be handed to the mail workers after all; nothing was sent. "
        "Try again in a few minutes."]
    assert reminded() == []


def test_the_page_counts_the_reminders_of_this_edition_queued_today(client, programme):
    today = timezone.localdate(timezone=programme.tzinfo)
    send_reminders(programme, papers_without_registered_author(programme, decision="oral"), day=today)
    send_reminders(programme, papers_without_registered_author(programme), day=today - timedelta(days=1))
    other = Conference.objects.get(slug="icml2025")
    send_reminders(other, papers_without_registered_author(other), day=today)
    client.force_login(chair("view_paper", "view_registration"))
    response = client.get(url(programme))
    assert response.context["reminders_today"] == 1
    assert "1 reminder of this edition queued today." in response.content.decode()


def test_anonymous_people_are_sent_to_log_in(client, programme):
    response = client.get(url(programme))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("codenames,staff", [
    ((), False), (("view_paper", "view_registration"), False), ((), True), (("view_paper",), True),
    (("view_registration",), True),
])
def test_others_are_refused_and_nothing_is_sent(client, programme, codenames, staff):
    client.force_login(chair(*codenames, staff=staff))
    assert client.get(url(programme)).status_code == 403
    assert client.post(url(programme), {"confirm": "yes"}).status_code == 403
    assert OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE).count() == 0


def test_an_unknown_edition_is_a_404(client, programme):
    client.force_login(chair("view_paper", "view_registration"))
    assert client.get(reverse("staff_author_attendance", args=["nope"])).status_code == 404


def add_unregistered_papers(conference, n, start):
    for i in range(n):
        paper(conference, f"Extra {start + i:03d}",
              AuthorFactory(conference=conference, email=f"x{start + i}@x.example"),
              AuthorFactory(conference=conference, email=""))


def count_queries(client, conference, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(conference), params)
    assert response.status_code == 200
    return len(queries), len(response.context["rows"])


# The page: session, user, the user's and their groups' permissions, the edition, the totals (one aggregate),
# the page of papers, their authorships with authors, the reminders queued today (one COUNT), the base
# template's sponsor-membership check, and the filter form's topics and sessions. None of them grows with
# the number of papers, registrations or reminders.
PAGE_QUERIES = 12


def test_the_page_issues_the_same_queries_for_3_and_for_30_papers(client, conference, catalogue):
    client.force_login(chair("view_paper", "view_registration"))
    add_unregistered_papers(conference, 3, 0)
    register(conference, catalogue, "someone@x.example")
    assert count_queries(client, conference) == (PAGE_QUERIES, 3)
    add_unregistered_papers(conference, 27, 3)
    for n in range(3):
        register(conference, catalogue, f"someone{n}@x.example")
    assert count_queries(client, conference) == (PAGE_QUERIES, 30)


def test_a_later_page_issues_the_same_queries_as_the_first(client, conference, catalogue, monkeypatch):
    from registration import views_staff_programme

    monkeypatch.setattr(views_staff_programme, "PAGE_SIZE", 10)
    client.force_login(chair("view_paper", "view_registration"))
    add_unregistered_papers(conference, 30, 0)
    assert count_queries(client, conference) == (PAGE_QUERIES, 10)
    assert count_queries(client, conference, page="3") == (PAGE_QUERIES, 10)


def test_page_2_shows_the_next_papers_while_the_counts_cover_every_paper(client, conference, catalogue, monkeypatch):
    from registration import views_staff_programme

    monkeypatch.setattr(views_staff_programme, "PAGE_SIZE", 2)
    client.force_login(chair("view_paper", "view_registration"))
    add_unregistered_papers(conference, 5, 0)
    response = client.get(url(conference), {"page": "2"})
    assert titles(response.context["page"].object_list) == ["Extra 002", "Extra 003"]
    assert titles(response.context["rows"]) == ["Extra 002", "Extra 003"]
    assert [a.email for a in response.context["rows"][0].reachable] == ["x2@x.example"]
    body = response.content.decode()
    assert "5 papers" in body
    assert "Page 2 of 3" in body
    assert [title in body for title in ("Extra 001", "Extra 002", "Extra 003", "Extra 004")] == [
        False, True, True, False]
    assert (response.context["paper_count"], response.context["reachable_count"],
            response.context["unreachable_count"]) == (5, 5, 5)


def test_the_table_is_paged_while_counts_and_reminders_cover_every_paper(client, conference, catalogue, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    from registration import views_staff_programme

    monkeypatch.setattr(views_staff_programme, "PAGE_SIZE", 2)
    monkeypatch.setattr(author_attendance, "REMINDER_CHUNK", 2)
    client.force_login(chair("view_paper", "view_registration"))
    add_unregistered_papers(conference, 5, 0)
    response = client.get(url(conference), {"page": "3"})
    assert [row.paper.title for row in response.context["page"].object_list] == ["Extra 004"]
    assert "5 papers" in response.content.decode()
    assert "Page 3 of 3" in response.content.decode()
    assert client.get(url(conference), {"page": "abc"}).context["page"].number == 1
    assert client.get(url(conference), {"page": "99999999999999999999"}).context["page"].number == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(conference), {"confirm": "yes"})
    assert messages_of(response) == ["Reminders are being queued for 5 papers; reload to see progress."]
    # Papers on pages 2 and 3, and in the second and third batch, are reminded too.
    assert sorted(OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE).values_list("recipient", flat=True)) == [
        "x0@x.example", "x1@x.example", "x2@x.example", "x3@x.example", "x4@x.example"]


def count_reminder_queries(conference, day):
    with CaptureQueriesContext(connection) as queries:
        result = send_reminders(conference, papers_without_registered_author(conference), day=day, chunk_size=10)
    return len(queries), result.queued, result.already


def test_reminders_take_the_same_queries_per_batch_for_3_and_for_30_papers(conference, catalogue):
    # A batch: savepoint, its papers, their authorships with authors, the reminders already written, release;
    # then one insert per e-mail queued. A full last batch is followed by a look that finds no more papers
    # (savepoint, papers, release).
    add_unregistered_papers(conference, 3, 0)
    assert count_reminder_queries(conference, date(2026, 6, 1)) == (5 + 3, 3, 0)
    assert count_reminder_queries(conference, date(2026, 6, 1)) == (5, 0, 3)
    add_unregistered_papers(conference, 27, 3)
    assert count_reminder_queries(conference, date(2026, 6, 2)) == (3 * 5 + 3 + 30, 30, 0)
    assert count_reminder_queries(conference, date(2026, 6, 2)) == (3 * 5 + 3, 0, 30)
