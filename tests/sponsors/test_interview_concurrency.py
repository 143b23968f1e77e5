"""Interview bookings under concurrency, on PostgreSQL with real threads, each with its own connection.

Each race runs twice: with the guards (the conditional UPDATE and the sponsor row lock) exactly
the allowed bookings succeed and every other request gets a sentence, not an exception; with
INTERVIEW_LOCKING off (the negative control: a read-then-write, no lock, no `sponsor IS NULL`
guard) the same race double-books, which proves the guards are what works.
"""

import threading

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.urls import reverse

from sponsors import interviews
from sponsors.models import InterviewRoom, InterviewSlot
from sponsors.services import SponsorError
from tests.factories.sponsors import SponsorFactory, SponsorMemberFactory, TierFactory
from tests.sponsors.test_interviews import make_slot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SPONSORS = 20


def race(fn, n):
    """Run fn(i) in n threads released together; return each outcome (a result or an exception)."""
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = fn(i)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def kinds(outcomes):
    return sorted({type(o).__name__ for o in outcomes})


@pytest.fixture
def room(conference):
    return InterviewRoom.objects.create(conference=conference, name="Room 101", location="COEX level 3")


@pytest.fixture
def widen_the_window(monkeypatch):
    # Widen the window between the checks and the write so the unguarded race really races.
    monkeypatch.setattr(interviews, "_pause_after_check", 0.05)


@pytest.fixture
def twenty_sponsors(conference, widen_the_window):
    tier = TierFactory(conference=conference, name="Gold", interview_hours=4)
    return [SponsorMemberFactory(sponsor=SponsorFactory(conference=conference, tier=tier, name=f"Sponsor {i:02}"))
            for i in range(SPONSORS)]


def test_twenty_sponsors_booking_one_slot_at_once_book_it_once(room, twenty_sponsors):
    slot = make_slot(room, 10)
    outcomes = race(lambda i: interviews.book_slot(slot, twenty_sponsors[i]), SPONSORS)
    booked = [o for o in outcomes if isinstance(o, InterviewSlot)]
    refused = [o for o in outcomes if isinstance(o, SponsorError)]
    assert len(booked) == 1, kinds(outcomes)
    assert len(refused) == SPONSORS - 1, kinds(outcomes)
    assert {str(e) for e in refused} == {"This slot was just booked by another sponsor. Choose another one."}
    slot.refresh_from_db()
    assert slot.sponsor_id == booked[0].sponsor.pk
    assert slot.booked_by_id == booked[0].booked_by.pk


def test_through_the_portal_the_losers_get_a_sentence_not_an_error_page(conference, room, twenty_sponsors):
    slot = make_slot(room, 10)
    clients = []
    for member in twenty_sponsors:
        Authenticator.objects.create(user=member.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
        client = Client()
        client.force_login(member.user)
        clients.append(client)
    urls = [reverse("sponsor_interview_book", args=[conference.slug, m.sponsor.slug, interviews.slot_ref(slot)]) for m in twenty_sponsors]
    responses = race(lambda i: clients[i].post(urls[i], follow=True), SPONSORS)
    assert [r.status_code for r in responses] == [200] * SPONSORS, kinds(responses)
    pages = [r.content.decode() for r in responses]
    assert sum("You have booked Room 101" in p for p in pages) == 1
    assert sum("This slot was just booked by another sponsor. Choose another one." in p for p in pages) == SPONSORS - 1
    assert InterviewSlot.objects.filter(sponsor__isnull=False).count() == 1


def test_without_the_guard_the_same_race_double_books(room, twenty_sponsors, settings):
    settings.INTERVIEW_LOCKING = False
    slot = make_slot(room, 10)
    outcomes = race(lambda i: interviews.book_slot(slot, twenty_sponsors[i]), SPONSORS)
    believers = [o for o in outcomes if isinstance(o, InterviewSlot)]
    assert len(believers) > 1, kinds(outcomes)
    slot.refresh_from_db()
    # Every sponsor but the last writer believes it has the room; the slot was overwritten under them.
    assert len({o.sponsor.pk for o in believers} - {slot.sponsor_id}) == len(believers) - 1


@pytest.fixture
def one_sponsor_eight_recruiters(conference, room, widen_the_window):
    sponsor = SponsorFactory(conference=conference, tier=TierFactory(conference=conference, interview_hours=4))
    recruiters = [SponsorMemberFactory(sponsor=sponsor) for _ in range(8)]
    slots = [make_slot(room, 9 + i) for i in range(8)]
    return sponsor, recruiters, slots


def test_recruiters_of_one_sponsor_booking_at_once_stay_within_its_hours(one_sponsor_eight_recruiters):
    sponsor, recruiters, slots = one_sponsor_eight_recruiters
    outcomes = race(lambda i: interviews.book_slot(slots[i], recruiters[i]), 8)
    booked = [o for o in outcomes if isinstance(o, InterviewSlot)]
    refused = [o for o in outcomes if isinstance(o, SponsorError)]
    assert len(booked) == 4, kinds(outcomes)
    assert len(refused) == 4, kinds(outcomes)
    assert {str(e) for e in refused} == {"Your tier's 4 interview hours are used up: 4 h booked, and this slot "
                                         "needs 1 h. Release a slot first."}
    assert InterviewSlot.objects.filter(sponsor=sponsor).count() == 4
    assert interviews.allowance(sponsor).used == 4 * 3600


def test_without_the_lock_one_sponsor_books_past_its_hours(one_sponsor_eight_recruiters, settings):
    settings.INTERVIEW_LOCKING = False
    sponsor, recruiters, slots = one_sponsor_eight_recruiters
    race(lambda i: interviews.book_slot(slots[i], recruiters[i]), 8)
    assert InterviewSlot.objects.filter(sponsor=sponsor).count() > 4
