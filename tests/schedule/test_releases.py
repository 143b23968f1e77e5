"""Releases: numbering, frozen slots, the changelog's sentences, and the digest e-mail of starred changes."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from confsite.models import OutboxEmail
from schedule import releases, services
from schedule.models import Release, Slot
from tests.factories import VerifiedUserFactory
from tests.factories.schedule import PaperFactory, PresentationFactory, kst
from tests.schedule.release_helpers import room, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def halls(conference):
    return room(conference, "Hall E", 1), room(conference, "Hall C", 2)


def sentences(release):
    return [c.sentence for c in releases.release_changes(release)]


def test_it_numbers_releases_one_two_three(conference, halls):
    session(conference, "Opening", room=halls[0])
    numbers = [services.publish_release(conference).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert Release.objects.filter(conference=conference).count() == 3


def test_it_refuses_to_publish_an_empty_programme(conference):
    session(conference, "Draft", room=None).__class__.objects.update(start=None, end=None)
    with pytest.raises(services.ScheduleError, match="nothing to publish"):
        services.publish_release(conference)
    assert Release.objects.count() == 0


def test_it_freezes_times_and_rooms_into_slots(conference, halls):
    s = session(conference, "Poster session 3", room=halls[0])
    first = services.publish_release(conference)
    s.start, s.end, s.room = kst(8, 14), kst(8, 16), halls[1]
    s.save()
    slot = Slot.objects.get(release=first, session=s)
    assert (slot.start, slot.end, slot.room) == (kst(7, 10), kst(7, 11), halls[0])


def test_edits_stay_invisible_until_the_next_release(client, conference, halls):
    s = session(conference, "Poster session 3", room=halls[0])
    services.publish_release(conference)
    s.start, s.end = kst(8, 14), kst(8, 15)
    s.save()

    def published_date():
        data = json.loads(client.get("/icml2026/programme/schedule.json").content)
        day = data["schedule"]["conference"]["days"][0]
        return day["rooms"]["Hall E"][0]["date"]

    assert published_date() == "2026-07-07T10:00:00+09:00"
    services.publish_release(conference)
    assert published_date() == "2026-07-08T14:00:00+09:00"


def test_the_changelog_says_what_moved_in_time_and_room(conference, halls):
    s = session(conference, "Poster session 3", room=halls[0])
    services.publish_release(conference)
    s.start, s.end, s.room = kst(8, 14), kst(8, 15), halls[1]
    s.save()
    assert sentences(services.publish_release(conference)) == [
        "Poster session 3 moved from Tue 7 Jul 10:00 to Wed 8 Jul 14:00 (KST), Hall E → Hall C"]


def test_the_changelog_names_each_kind_of_change(conference, halls):
    hall_e, hall_c = halls
    moved_room = session(conference, "Oral 1", room=hall_e, hour=9)
    moved_time = session(conference, "Oral 2", room=hall_e, hour=11)
    longer = session(conference, "Tutorial A", room=hall_c, hour=13)
    dropped = session(conference, "Social", room=hall_c, hour=19)
    session(conference, "Unchanged", room=hall_c, hour=8)
    services.publish_release(conference)
    moved_room.room = hall_c
    moved_room.save()
    moved_time.start, moved_time.end = kst(7, 15, 30), kst(7, 16, 30)
    moved_time.save()
    longer.end = kst(7, 14, 30)
    longer.save()
    dropped.start = dropped.end = None
    dropped.save()
    session(conference, "Late-breaking", room=hall_e, day=9, hour=10)
    assert sentences(services.publish_release(conference)) == [
        "Oral 1 moved from Hall E to Hall C",
        "Tutorial A now ends at 14:30 instead of 14:00 (KST)",
        "Oral 2 moved from Tue 7 Jul 11:00 to Tue 7 Jul 15:30 (KST)",
        "Social cancelled (was Tue 7 Jul 19:00 (KST), Hall C)",
        "Late-breaking added: Thu 9 Jul 10:00 (KST), Hall E",
    ]


def test_the_changelog_page_lists_releases_newest_first_with_comments(client, conference, halls):
    s = session(conference, "Poster session 3", room=halls[0])
    services.publish_release(conference, comment="First programme.")
    s.room = halls[1]
    s.save()
    services.publish_release(conference, comment="Poster session 3 moved to Hall C.")
    response = client.get("/icml2026/programme/changes/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Release 2") < html.index("Release 1")
    assert '<li class="change change-moved">Poster session 3 moved from Hall E to Hall C</li>' in html
    assert "Poster session 3 moved to Hall C." in html
    assert "First release: 1 session scheduled." in html


def test_the_changelog_page_before_any_release(client, conference):
    response = client.get("/icml2026/programme/changes/")
    assert response.status_code == 200
    assert "The programme of ICML 2026 has not been published yet." in response.content.decode()


def test_the_changelog_page_is_cached_until_the_next_release(client, conference, halls):
    s = session(conference, "Poster session 3", room=halls[0])
    services.publish_release(conference)
    first = client.get("/icml2026/programme/changes/")
    assert first["Cache-Control"] == "public, max-age=60"
    assert client.get("/icml2026/programme/changes/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    s.room = halls[1]
    s.save()
    services.publish_release(conference)
    second = client.get("/icml2026/programme/changes/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert "Release 2" in second.content.decode()


# --- The digest ---------------------------------------------------------------------------------

@pytest.fixture
def programme(conference, halls):
    hall_e, hall_c = halls
    posters = session(conference, "Poster session 3", room=hall_e, hours=2)
    paper = PaperFactory(conference=conference, title="Sparse attention at scale")
    PresentationFactory(session=posters, paper=paper, board="E-1042")
    oral = session(conference, "Oral 5: Theory", room=hall_c, hour=14)
    quiet = session(conference, "Keynote", room=hall_c, hour=9)
    services.publish_release(conference)
    return {"posters": posters, "paper": paper, "oral": oral, "quiet": quiet, "halls": halls}


def move(s, *, start=None, end=None, room=None):
    if start is not None:
        s.start, s.end = start, end
    if room is not None:
        s.room = room
    s.save()


def digests():
    return list(OutboxEmail.objects.filter(purpose="schedule_release").order_by("recipient"))


def test_one_digest_per_person_lists_all_their_changes(conference, programme, django_capture_on_commit_callbacks):
    minji = VerifiedUserFactory(email="minji@example.com")
    services.star(minji, programme["oral"])
    services.star(minji, programme["paper"])
    move(programme["posters"], start=kst(8, 14), end=kst(8, 16), room=programme["halls"][1])
    move(programme["oral"], start=kst(7, 15), end=kst(7, 16))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        release = services.publish_release(conference, comment="Hall E is closed on Wednesday.")
    rows = digests()
    assert [(r.recipient, r.object_key, r.subject) for r in rows] == [
        ("minji@example.com", str(release.pk), "[Confsite] ICML 2026: 2 sessions you starred changed")]
    assert rows[0].body_text.splitlines()[:6] == [
        "Version 2 of the ICML 2026 programme changes what you starred:",
        "",
        "- Oral 5: Theory moved from Tue 7 Jul 14:00 to Tue 7 Jul 15:00 (KST)",
        "  (you starred this session)",
        "- Poster session 3 moved from Tue 7 Jul 10:00 to Wed 8 Jul 14:00 (KST), Hall E → Hall C",
        "  (you starred “Sparse attention at scale”, presented in this session)",
    ]
    assert "Organisers’ note: Hall E is closed on Wednesday." in rows[0].body_text
    assert "<li>Oral 5: Theory moved from Tue 7 Jul 14:00 to Tue 7 Jul 15:00 (KST)" in rows[0].body_html
    assert [m.to for m in mail.outbox] == [["minji@example.com"]]


def test_no_digest_for_people_whose_stars_did_not_change(conference, programme):
    calm = VerifiedUserFactory(email="calm@example.com")
    services.star(calm, programme["quiet"])
    mover = VerifiedUserFactory(email="mover@example.com")
    services.star(mover, programme["posters"])
    move(programme["posters"], room=programme["halls"][1])
    services.publish_release(conference)
    assert [r.recipient for r in digests()] == ["mover@example.com"]


def test_a_release_that_moves_nothing_sends_nothing(conference, programme):
    services.star(VerifiedUserFactory(), programme["posters"])
    services.publish_release(conference)
    assert digests() == []


def test_the_first_release_sends_no_digest(conference, halls):
    s = session(conference, "Opening", room=halls[0])
    services.star(VerifiedUserFactory(), s)
    services.publish_release(conference)
    assert digests() == []


def test_writing_a_release_digest_again_finds_the_rows_already_written(conference, programme,
                                                                        django_capture_on_commit_callbacks):
    person = VerifiedUserFactory(email="twice@example.com")
    services.star(person, programme["posters"])
    move(programme["posters"], room=programme["halls"][1])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        release = services.publish_release(conference)
    assert [m.to for m in mail.outbox] == [["twice@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert releases.queue_digests(release, releases.release_changes(release)) == 1
    assert [(r.recipient, r.status) for r in digests()] == [("twice@example.com", "sent")]
    assert len(mail.outbox) == 1


def test_a_rolled_back_release_writes_no_digest(conference, programme):
    services.star(VerifiedUserFactory(), programme["posters"])
    move(programme["posters"], room=programme["halls"][1])
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.publish_release(conference)
        raise RuntimeError("the organiser's browser went away")
    assert digests() == []
    assert Release.objects.count() == 1


def _starrers(programme, first, last):
    for n in range(first, last):
        person = VerifiedUserFactory(email=f"p{n}@example.com")
        services.star(person, programme["posters"])
        services.star(person, programme["paper"])
        services.star(person, programme["oral"])


def _publish_counting_queries(conference):
    with CaptureQueriesContext(connection) as queries:
        services.publish_release(conference)
    return len(queries)


def test_the_digest_takes_as_many_queries_for_12_people_as_for_2(conference, programme):
    _starrers(programme, 0, 2)
    move(programme["posters"], room=programme["halls"][1])
    few = _publish_counting_queries(conference)
    _starrers(programme, 2, 12)
    move(programme["posters"], room=programme["halls"][0])
    move(programme["oral"], start=kst(7, 16), end=kst(7, 17))
    many = _publish_counting_queries(conference)
    assert (few, many) == (few, few)
    assert [OutboxEmail.objects.filter(object_key=str(r.pk)).count() for r in Release.objects.order_by("number")] == [0, 2, 12]


# --- Who may publish ----------------------------------------------------------------------------

def test_publishing_from_the_admin_needs_the_add_release_permission(client, conference, halls):
    session(conference, "Opening", room=halls[0])
    clerk = VerifiedUserFactory(email="clerk@example.org", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_release"))
    client.force_login(clerk)
    assert client.get("/admin/schedule/release/publish/").status_code == 403
    assert client.post("/admin/schedule/release/publish/", {"conference": conference.pk}).status_code == 403
    assert "Publish a release" not in client.get("/admin/schedule/release/").content.decode()
    assert Release.objects.count() == 0


def test_anonymous_people_are_sent_to_log_in(client, conference):
    response = client.get("/admin/schedule/release/publish/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_programme_chair_previews_and_publishes_with_a_comment(client, conference, halls):
    s = session(conference, "Poster session 3", room=halls[0])
    services.publish_release(conference)
    move(s, room=halls[1])
    chair = VerifiedUserFactory(email="chair@example.org", is_staff=True)
    chair.user_permissions.add(*Permission.objects.filter(codename__in=["view_release", "add_release"]))
    client.force_login(chair)
    assert "Publish a release" in client.get("/admin/schedule/release/").content.decode()
    preview = client.get(f"/admin/schedule/release/publish/?conference={conference.pk}").content.decode()
    assert "<li>Poster session 3 moved from Hall E to Hall C</li>" in preview
    response = client.post("/admin/schedule/release/publish/", {"conference": conference.pk, "comment": "Hall C."})
    assert response.status_code == 302
    latest = Release.objects.get(number=2)
    assert (latest.comment, latest.published_by) == ("Hall C.", chair)


def test_publishing_nothing_from_the_admin_says_why(client, conference, staff_user):
    client.force_login(staff_user)
    response = client.post("/admin/schedule/release/publish/", {"conference": conference.pk})
    assert response.status_code == 200
    assert "There is nothing to publish: give at least one session a start and an end first." in response.content.decode()
    assert Release.objects.count() == 0


@pytest.mark.parametrize("sessions", [2, 20])
def test_the_changelog_page_takes_four_queries_at_any_size(client, conference, halls, sessions,
                                                          django_assert_num_queries):
    made = [session(conference, f"Session {n}", room=halls[0], hour=8 + n % 10, day=7 + n // 10)
            for n in range(sessions)]
    services.publish_release(conference)
    for s in made:
        move(s, room=halls[1])
    services.publish_release(conference)
    with django_assert_num_queries(4):  # edition, latest release, releases, their slots
        html = client.get("/icml2026/programme/changes/").content.decode()
    assert html.count('class="change change-moved"') == sessions


# --- Published history is kept -----------------------------------------------------------------

def test_a_published_session_cannot_be_deleted_so_its_history_and_digests_stay(conference):
    from django.db.models import RestrictedError

    hall = room(conference, "Hall C")
    social = session(conference, "Social", room=hall)
    services.publish_release(conference)
    with pytest.raises(RestrictedError):
        social.delete()
    with pytest.raises(RestrictedError):
        hall.delete()
    assert Slot.objects.filter(session=social).count() == 1


def test_a_draft_session_can_be_deleted(conference):
    from schedule.models import Session

    session(conference, "Published", room=room(conference, "Hall C"))
    services.publish_release(conference)
    draft = session(conference, "Draft")
    draft.delete()
    assert list(Session.objects.values_list("title", flat=True)) == ["Published"]


def test_deleting_an_edition_deletes_its_programme_and_releases(conference):
    from confsite.models import Conference
    from schedule.models import Session

    session(conference, "Social", room=room(conference, "Hall C"))
    services.publish_release(conference)
    Conference.objects.filter(pk=conference.pk).delete()
    assert (Session.objects.count(), Release.objects.count(), Slot.objects.count()) == (0, 0, 0)
