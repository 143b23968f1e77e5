"""Interview rooms: booking within a tier's hours, releasing, inviting shortlisted candidates through
the platform, the candidates' answers, the portal and attendee pages, and the organisers' admin."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from confsite.models import ConsentText, OutboxEmail
from sponsors import interviews, queries, services
from sponsors.models import InterviewRoom, InterviewSlot, Invitation, ShortlistEntry, SponsorDecision
from sponsors.services import SponsorError
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.sponsors import (
    RecruitmentProfileFactory,
    SponsorFactory,
    SponsorMemberFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
DAY = datetime(2031, 7, 7, tzinfo=SEOUL)  # a Monday, safely in the future


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def make_slot(room, hour, minutes=60, day=0, **fields) -> InterviewSlot:
    start = at(hour, day=day)
    return InterviewSlot.objects.create(room=room, start=start, end=start + timedelta(minutes=minutes), **fields)


def mfa_member(sponsor, role="recruiter", **user_fields):
    member = SponsorMemberFactory(sponsor=sponsor, role=role, user=VerifiedUserFactory(**user_fields))
    Authenticator.objects.create(user=member.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    return member


def shortlisted(conference, sponsor, *, first="Min-ji", last="Kim", email=None, share_email=False, headline=None):
    user = VerifiedUserFactory(first_name=first, last_name=last, **({"email": email} if email else {}))
    profile = RecruitmentProfileFactory(conference=conference, user=user,
                                        headline=headline or "PhD student in probabilistic ML")
    services.opt_in(profile, share_cv=False, share_email=share_email, share_links=True)
    ShortlistEntry.objects.create(sponsor=sponsor, profile=profile)
    return profile


@pytest.fixture(autouse=True)
def terms(conference):
    return ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                      text="Share my profile with the sponsors named below.")


@pytest.fixture
def gold(conference):
    return TierFactory(conference=conference, name="Gold", interview_hours=4)


@pytest.fixture
def acme(conference, gold):
    return SponsorFactory(conference=conference, name="Acme Research", slug="acme", tier=gold)


@pytest.fixture
def globex(conference, gold):
    return SponsorFactory(conference=conference, name="Globex Labs", slug="globex", tier=gold)


@pytest.fixture
def recruiter(acme):
    return mfa_member(acme, first_name="Rita", last_name="Recruiter", email="rita@acme.example")


@pytest.fixture
def rival(globex):
    return mfa_member(globex, email="gus@globex.example")


@pytest.fixture
def room(conference):
    return InterviewRoom.objects.create(conference=conference, name="Room 101", location="COEX level 3")


@pytest.fixture
def slot(room):
    return make_slot(room, 10)


@pytest.fixture
def candidate(conference, terms, acme, globex):
    return shortlisted(conference, acme, email="minji@kaist.example")


@pytest.fixture
def booked(slot, recruiter):
    return interviews.book_slot(slot, recruiter)


@pytest.fixture
def invitation(booked, recruiter, candidate):
    return interviews.invite(booked, recruiter, candidate, "We loved your poster on diffusion priors.")


# --- Booking ---------------------------------------------------------------------------------

def test_it_books_a_free_published_future_slot(slot, recruiter, acme):
    interviews.book_slot(slot, recruiter)
    slot.refresh_from_db()
    assert (slot.sponsor, slot.booked_by) == (acme, recruiter.user)
    assert slot.booked_at is not None
    assert interviews.allowance(acme) == interviews.Allowance(total=4 * 3600, used=3600)


def test_it_books_up_to_the_tiers_hours_and_no_further(room, recruiter, acme):
    for hour in (9, 10, 11):
        interviews.book_slot(make_slot(room, hour), recruiter)
    interviews.book_slot(make_slot(room, 12, minutes=30), recruiter)
    interviews.book_slot(make_slot(room, 13, minutes=30), recruiter)
    one_more = make_slot(room, 14, minutes=30)
    with pytest.raises(SponsorError) as refused:
        interviews.book_slot(one_more, recruiter)
    assert str(refused.value) == ("Your tier's 4 interview hours are used up: 4 h booked, and this slot needs "
                                  "30 min. Release a slot first.")
    one_more.refresh_from_db()
    assert one_more.sponsor is None
    assert interviews.allowance(acme).used == 4 * 3600


def test_a_slot_longer_than_the_hours_left_is_refused(room, recruiter):
    for hour in (9, 10, 11):
        interviews.book_slot(make_slot(room, hour), recruiter)
    interviews.book_slot(make_slot(room, 12, minutes=30), recruiter)
    with pytest.raises(SponsorError, match="3 h 30 min booked, and this slot needs 1 h"):
        interviews.book_slot(make_slot(room, 13), recruiter)


def test_a_started_slot_cannot_be_booked(room, recruiter):
    started = InterviewSlot.objects.create(room=room, start=timezone.now() - timedelta(minutes=5),
                                           end=timezone.now() + timedelta(minutes=25))
    with pytest.raises(SponsorError, match="^This slot has already started; choose a later one.$"):
        interviews.book_slot(started, recruiter)
    started.refresh_from_db()
    assert started.sponsor is None


def test_an_unpublished_slot_cannot_be_booked(room, recruiter):
    hidden = make_slot(room, 10, is_published=False)
    with pytest.raises(SponsorError, match="^This slot cannot be booked: the organisers have not opened it.$"):
        interviews.book_slot(hidden, recruiter)
    hidden.refresh_from_db()
    assert hidden.sponsor is None


def test_another_editions_slot_cannot_be_booked(recruiter):
    other = InterviewRoom.objects.create(conference=ConferenceFactory(slug="icml2027"), name="Room 101")
    with pytest.raises(SponsorError, match="organisers have not opened it"):
        interviews.book_slot(make_slot(other, 10), recruiter)


def test_a_tier_without_interview_hours_books_nothing(conference, slot):
    bronze = SponsorFactory(conference=conference, tier=TierFactory(conference=conference, interview_hours=0))
    with pytest.raises(SponsorError, match="^Your sponsorship tier includes no interview-room hours.$"):
        interviews.book_slot(slot, mfa_member(bronze))
    slot.refresh_from_db()
    assert slot.sponsor is None


def test_a_slot_another_sponsor_booked_is_refused_and_stays_theirs(slot, recruiter, rival, globex):
    interviews.book_slot(slot, rival)
    with pytest.raises(SponsorError) as refused:
        interviews.book_slot(slot, recruiter)
    assert str(refused.value) == "This slot was just booked by another sponsor. Choose another one."
    slot.refresh_from_db()
    assert (slot.sponsor, slot.booked_by) == (globex, rival.user)


def test_booking_ones_own_slot_again_is_refused(booked, recruiter, acme):
    with pytest.raises(SponsorError, match="^You have already booked this slot.$"):
        interviews.book_slot(booked, mfa_member(acme))
    assert interviews.allowance(acme).used == 3600


# --- Releasing -------------------------------------------------------------------------------

def test_releasing_frees_the_slot_and_gives_the_hours_back(booked, recruiter, acme, rival, globex):
    interviews.release_slot(booked, recruiter)
    booked.refresh_from_db()
    assert (booked.sponsor, booked.booked_by, booked.booked_at) == (None, None, None)
    assert interviews.allowance(acme).used == 0
    interviews.book_slot(booked, rival)
    booked.refresh_from_db()
    assert booked.sponsor == globex


def test_only_the_booking_sponsor_can_release(booked, rival, acme):
    with pytest.raises(SponsorError, match="^Only the sponsor that booked this slot can release it.$"):
        interviews.release_slot(booked, rival)
    booked.refresh_from_db()
    assert booked.sponsor == acme


def test_a_started_slot_cannot_be_released(booked, recruiter, acme):
    with pytest.raises(SponsorError, match="already started and can no longer be released"):
        interviews.release_slot(booked, recruiter, now=booked.start)
    booked.refresh_from_db()
    assert booked.sponsor == acme


def test_releasing_cancels_open_invitations_and_tells_each_candidate(conference, invitation, booked, recruiter, acme):
    interviews.withdraw(invitation, recruiter)
    declined_by = shortlisted(conference, acme, first="Ji-ho", last="Park", email="jiho@snu.example")
    declined = interviews.invite(booked, recruiter, declined_by)
    interviews.respond(declined, declined_by.user, accept=False)
    accepted_by = shortlisted(conference, acme, first="Ana", last="Silva", email="ana@ist.example")
    accepted = interviews.invite(booked, recruiter, accepted_by)
    interviews.respond(accepted, accepted_by.user, accept=True)

    interviews.release_slot(booked, recruiter)

    statuses = dict(Invitation.objects.values_list("profile__user__email", "status"))
    assert statuses == {"minji@kaist.example": "cancelled", "jiho@snu.example": "declined",
                        "ana@ist.example": "cancelled"}
    cancellations = OutboxEmail.objects.filter(purpose="interview_cancelled").order_by("pk")
    assert [m.recipient for m in cancellations] == ["minji@kaist.example", "ana@ist.example"]
    assert cancellations[1].subject == "[Confsite] Interview with Acme Research cancelled"
    assert "Monday 7 July 2031, 10:00 (Asia/Seoul), Room 101, COEX level 3" in cancellations[1].body_text


# --- Inviting --------------------------------------------------------------------------------

def test_an_invitation_is_emailed_to_the_candidate_through_the_platform(invitation, conference):
    email = OutboxEmail.objects.get(purpose="interview_invitation")
    link = f"http://testserver/{conference.slug}/interview/{invitation.token}/"
    assert email.recipient == "minji@kaist.example"
    assert email.subject == "[Confsite] Acme Research invites you to an interview at ICML 2026"
    assert email.object_key == f"invitation:{invitation.pk}:{invitation.token[:8]}"
    body = email.body_text
    assert "Acme Research would like to meet you for an interview at ICML 2026." in body
    assert "When: Monday 7 July 2031, 10:00–11:00 (Asia/Seoul)" in body
    assert "Where: Room 101, COEX level 3 (COEX Convention & Exhibition Center)" in body
    assert "We loved your poster on diffusion priors." in body
    assert f"Accept: {link}?answer=accept" in body
    assert f"Decline: {link}?answer=decline" in body
    assert invitation.status == Invitation.Status.PENDING


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_a_candidate_not_on_the_shortlist_cannot_be_invited(conference, booked, recruiter, candidate, globex):
    ShortlistEntry.objects.filter(profile=candidate).delete()
    ShortlistEntry.objects.create(sponsor=globex, profile=candidate)
    with pytest.raises(SponsorError, match="^Only candidates on your shortlist can be invited."):
        interviews.invite(booked, recruiter, candidate)
    assert Invitation.objects.count() == 0
    assert OutboxEmail.objects.count() == 0


def test_a_candidate_who_opted_out_cannot_be_invited(booked, recruiter, candidate):
    services.opt_out(candidate)
    with pytest.raises(SponsorError, match="no longer shares their profile with you"):
        interviews.invite(booked, recruiter, candidate)
    assert Invitation.objects.count() == 0
    assert OutboxEmail.objects.count() == 0


def test_a_candidate_who_excluded_the_sponsor_cannot_be_invited(booked, recruiter, candidate, acme):
    services.decide(candidate, acme, SponsorDecision.Decision.EXCLUDED)
    with pytest.raises(SponsorError, match="no longer shares their profile with you"):
        interviews.invite(booked, recruiter, candidate)
    assert Invitation.objects.count() == 0


def test_no_invitation_to_another_sponsors_slot_or_a_free_one(room, slot, recruiter, rival, candidate):
    interviews.book_slot(slot, rival)
    for target in (slot, make_slot(room, 15)):
        with pytest.raises(SponsorError, match="^You can only invite candidates to a slot your organisation has"):
            interviews.invite(target, recruiter, candidate)
    assert Invitation.objects.count() == 0


def test_a_slot_has_one_open_invitation_at_a_time(conference, invitation, booked, recruiter, acme):
    other = shortlisted(conference, acme, first="Ji-ho", last="Park")
    with pytest.raises(SponsorError, match="^This slot already has an open invitation."):
        interviews.invite(booked, recruiter, other)
    interviews.respond(invitation, invitation.profile.user, accept=False)
    assert interviews.invite(booked, recruiter, other).status == Invitation.Status.PENDING


def test_inviting_again_after_a_withdrawal_sends_a_new_link(invitation, booked, recruiter, candidate):
    old_token = invitation.token
    interviews.withdraw(invitation, recruiter)
    again = interviews.invite(booked, recruiter, candidate, "Second try")
    assert again.pk == invitation.pk
    assert again.token != old_token
    assert again.status == Invitation.Status.PENDING
    assert OutboxEmail.objects.filter(purpose="interview_invitation").count() == 2
    assert OutboxEmail.objects.filter(purpose="interview_cancelled").count() == 1


def test_a_started_slot_takes_no_invitation(booked, recruiter, candidate):
    with pytest.raises(SponsorError, match="already started"):
        interviews.invite(booked, recruiter, candidate, now=booked.start)


# --- Answers ---------------------------------------------------------------------------------

def test_the_candidate_accepts_and_every_member_is_told_without_the_address(invitation, acme, recruiter):
    mfa_member(acme, role="admin", email="boss@acme.example")
    interviews.respond(invitation, invitation.profile.user, accept=True)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.responded_at is not None
    answers = OutboxEmail.objects.filter(purpose="interview_answer").order_by("recipient")
    assert [a.recipient for a in answers] == ["boss@acme.example", "rita@acme.example"]
    assert answers[0].subject == "[Confsite] Min-ji Kim accepted your interview invitation"
    assert "Monday 7 July 2031, 10:00 (Asia/Seoul), Room 101, COEX level 3" in answers[0].body_text
    assert "minji@kaist.example" not in answers[0].body_text


def test_members_without_two_factor_are_not_told(invitation, acme):
    from tests.factories import VerifiedUserFactory
    from tests.factories.sponsors import SponsorMemberFactory

    SponsorMemberFactory(sponsor=acme, user=VerifiedUserFactory(email="nomfa@acme.example"))
    interviews.respond(invitation, invitation.profile.user, accept=True)
    assert list(OutboxEmail.objects.filter(purpose="interview_answer").values_list("recipient", flat=True)) == [
        "rita@acme.example"]


def test_an_answer_after_opting_out_does_not_name_the_candidate(invitation):
    from sponsors import services as sponsor_services

    sponsor_services.opt_out(invitation.profile)
    interviews.respond(invitation, invitation.profile.user, accept=False)
    answer = OutboxEmail.objects.get(purpose="interview_answer")
    assert "Min-ji" not in answer.subject + answer.body_text
    assert answer.subject.startswith("[Confsite] A candidate declined")


def test_the_answer_names_the_address_when_the_candidate_shared_it(conference, booked, recruiter, acme):
    sharer = shortlisted(conference, acme, first="Ana", last="Silva", email="ana@ist.example", share_email=True)
    invitation = interviews.invite(booked, recruiter, sharer)
    interviews.respond(invitation, sharer.user, accept=True)
    answer = OutboxEmail.objects.get(purpose="interview_answer")
    assert "E-mail address shared with sponsors: ana@ist.example" in answer.body_text


def test_the_answer_can_change_until_the_slot_starts(invitation):
    user = invitation.profile.user
    interviews.respond(invitation, user, accept=True)
    interviews.respond(invitation, user, accept=False, now=invitation.slot.start - timedelta(minutes=1))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    with pytest.raises(SponsorError, match="^This interview has already started; the answer can no longer be changed.$"):
        interviews.respond(invitation, user, accept=True, now=invitation.slot.start)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert OutboxEmail.objects.filter(purpose="interview_answer").count() == 2


def test_the_same_answer_twice_tells_the_sponsor_once(invitation):
    interviews.respond(invitation, invitation.profile.user, accept=True)
    interviews.respond(invitation, invitation.profile.user, accept=True)
    assert OutboxEmail.objects.filter(purpose="interview_answer").count() == 1


def test_a_withdrawn_invitation_cannot_be_answered(invitation, recruiter):
    interviews.withdraw(invitation, recruiter)
    with pytest.raises(SponsorError, match="^The sponsor has withdrawn this invitation"):
        interviews.respond(invitation, invitation.profile.user, accept=True)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    assert OutboxEmail.objects.filter(purpose="interview_answer").count() == 0


def test_only_the_invited_attendee_can_answer(invitation, user):
    with pytest.raises(SponsorError, match="addressed to someone else"):
        interviews.respond(invitation, user, accept=True)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


# --- The portal ------------------------------------------------------------------------------

def portal(name, conference, sponsor, *args):
    refs = [interviews.slot_ref(a) if isinstance(a, InterviewSlot) else a for a in args]
    return reverse(name, args=[conference.slug, sponsor.slug, *refs])


PORTAL_PAGES = [("sponsor_interviews", "get", False), ("sponsor_interview_slot", "get", True),
                ("sponsor_interview_book", "post", True), ("sponsor_interview_release", "post", True),
                ("sponsor_interview_withdraw", "post", True)]


@pytest.mark.parametrize(("name", "method", "with_slot"), PORTAL_PAGES)
def test_portal_pages_send_anonymous_visitors_to_log_in(client, conference, acme, booked, name, method, with_slot):
    url = portal(name, conference, acme, *([booked] if with_slot else []))
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method", "with_slot"), PORTAL_PAGES)
def test_portal_pages_are_404_for_attendees_and_other_sponsors(client, conference, acme, booked, rival, user,
                                                               name, method, with_slot):
    url = portal(name, conference, acme, *([booked] if with_slot else []))
    for outsider in (user, rival.user):
        client.force_login(outsider)
        assert getattr(client, method)(url).status_code == 404
    booked.refresh_from_db()
    assert booked.sponsor == acme


@pytest.mark.parametrize(("name", "method", "with_slot"), PORTAL_PAGES)
def test_portal_pages_need_two_factor(client, conference, acme, booked, name, method, with_slot):
    member = SponsorMemberFactory(sponsor=acme)
    client.force_login(member.user)
    response = getattr(client, method)(portal(name, conference, acme, *([booked] if with_slot else [])))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_the_slot_list_shows_free_yours_and_booked_without_other_sponsors_names(client, conference, acme, room,
                                                                                recruiter, rival):
    mine, theirs, free = make_slot(room, 9), make_slot(room, 10), make_slot(room, 11)
    make_slot(room, 12, is_published=False)
    interviews.book_slot(mine, recruiter)
    interviews.book_slot(theirs, rival)
    client.force_login(recruiter.user)
    response = client.get(portal("sponsor_interviews", conference, acme))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Booked: 1 h of your 4 h; 3 h left." in page
    assert [s.state for _, slots in response.context["days"] for s in slots] == ["yours", "booked", "free"]
    assert "Monday 7 July 2031" in page
    assert "09:00–10:00" in page and "12:00–13:00" not in page
    assert "Globex" not in page
    assert page.count(">Book</button>") == 1
    assert page.count(">Release</button>") == 1
    assert portal("sponsor_interview_book", conference, acme, free) in page


def test_a_tier_without_hours_sees_the_slots_but_no_book_button(client, conference, room):
    bronze = SponsorFactory(conference=conference, slug="bronzer",
                            tier=TierFactory(conference=conference, interview_hours=0))
    member = mfa_member(bronze)
    make_slot(room, 9)
    client.force_login(member.user)
    page = client.get(portal("sponsor_interviews", conference, bronze)).content.decode()
    assert "Your sponsorship tier includes no interview-room hours." in page
    assert ">Book</button>" not in page


@pytest.mark.parametrize("n", [2, 12])
def test_the_slot_list_costs_the_same_queries_at_any_size(client, conference, acme, globex, room, recruiter,
                                                          rival, candidate, django_assert_num_queries, n):
    for i in range(n):
        slot = make_slot(room, 0, minutes=10, day=i)
        if i % 3 == 0:
            interviews.book_slot(slot, rival)
    for i in range(min(n, 4)):
        slot = interviews.book_slot(make_slot(room, 1, minutes=10, day=i), recruiter)
        if i < 2:
            profile = shortlisted(conference, acme, first=f"P{i}{n}", last="Lee")
            interviews.invite(slot, recruiter, profile)
    client.force_login(recruiter.user)
    with django_assert_num_queries(9):
        assert client.get(portal("sponsor_interviews", conference, acme)).status_code == 200


def test_booking_from_the_portal(client, conference, acme, slot, recruiter):
    client.force_login(recruiter.user)
    response = client.post(portal("sponsor_interview_book", conference, acme, slot), follow=True)
    assert response.redirect_chain == [(portal("sponsor_interviews", conference, acme), 302)]
    assert "You have booked Room 101 on 07 Jul 2031, 10:00." in response.content.decode()
    slot.refresh_from_db()
    assert slot.sponsor == acme


def test_a_taken_slot_gets_a_message_not_an_error_page(client, conference, acme, slot, recruiter, rival, globex):
    interviews.book_slot(slot, rival)
    client.force_login(recruiter.user)
    response = client.post(portal("sponsor_interview_book", conference, acme, slot), follow=True)
    assert response.status_code == 200
    assert "This slot was just booked by another sponsor. Choose another one." in response.content.decode()
    slot.refresh_from_db()
    assert slot.sponsor == globex


def test_an_unknown_or_foreign_slot_is_404(client, conference, acme, recruiter):
    other = InterviewRoom.objects.create(conference=ConferenceFactory(slug="icml2027"), name="Far away")
    client.force_login(recruiter.user)
    assert client.post(portal("sponsor_interview_book", conference, acme, "999999")).status_code == 404
    assert client.post(portal("sponsor_interview_book", conference, acme, make_slot(other, 9))).status_code == 404


def test_slot_urls_carry_a_reference_without_the_primary_key_that_cannot_be_made_up(client, conference, acme, slot,
                                                                                     recruiter):
    ref = interviews.slot_ref(slot)
    public_id, mac = ref.split(".")
    assert (public_id, len(public_id), len(mac)) == (slot.public_id, 20, 16)
    assert str(slot.pk) not in ref.split(".")
    assert interviews.slot_public_id(ref) == slot.public_id
    other = make_slot(slot.room, 15)
    client.force_login(recruiter.user)
    old_style = f"{slot.pk}-{salted_hmac('sponsors.interview-slot', str(slot.pk)).hexdigest()[:16]}"
    for forged in (str(slot.pk), old_style, slot.public_id, f"{slot.public_id}.{'0' * 16}",
                   f"{other.public_id}.{mac}", ref[:-1] + ("0" if ref[-1] != "0" else "1"), ref.upper()):
        assert client.post(portal("sponsor_interview_book", conference, acme, forged)).status_code == 404
    slot.refresh_from_db()
    assert slot.sponsor is None


def test_releasing_from_the_portal(client, conference, acme, booked, recruiter):
    client.force_login(recruiter.user)
    response = client.post(portal("sponsor_interview_release", conference, acme, booked), follow=True)
    assert "You have released Room 101 on 07 Jul 2031, 10:00." in response.content.decode()
    booked.refresh_from_db()
    assert booked.sponsor is None


def test_releasing_another_sponsors_slot_from_the_portal_changes_nothing(client, conference, acme, slot, rival,
                                                                         recruiter, globex):
    interviews.book_slot(slot, rival)
    client.force_login(recruiter.user)
    response = client.post(portal("sponsor_interview_release", conference, acme, slot), follow=True)
    assert "Only the sponsor that booked this slot can release it." in response.content.decode()
    slot.refresh_from_db()
    assert slot.sponsor == globex


def test_the_slot_page_is_only_for_the_sponsor_that_booked_it(client, conference, acme, room, slot, rival, recruiter):
    interviews.book_slot(slot, rival)
    client.force_login(recruiter.user)
    assert client.get(portal("sponsor_interview_slot", conference, acme, slot)).status_code == 404
    assert client.get(portal("sponsor_interview_slot", conference, acme, make_slot(room, 14))).status_code == 404


def test_the_invite_form_offers_visible_shortlisted_candidates_by_name_only(client, conference, acme, globex,
                                                                            booked, recruiter, candidate):
    gone = shortlisted(conference, acme, first="Gone", last="Away", email="gone@example.org")
    services.opt_out(gone)
    shortlisted(conference, globex, first="Not", last="Ours", email="notours@example.org")
    client.force_login(recruiter.user)
    response = client.get(portal("sponsor_interview_slot", conference, acme, booked))
    page = response.content.decode()
    assert response.status_code == 200
    assert [(value, label) for value, label in response.context["form"].fields["candidate"].choices if value] == [
        (queries.profile_ref(acme, candidate), "Min-ji Kim — PhD student in probabilistic ML")]
    assert f'value="{candidate.pk}"' not in page
    assert "minji@kaist.example" not in page
    assert "Gone" not in page and "Ours" not in page


def test_inviting_from_the_portal(client, conference, acme, booked, recruiter, candidate):
    client.force_login(recruiter.user)
    url = portal("sponsor_interview_slot", conference, acme, booked)
    response = client.post(url, {"candidate": queries.profile_ref(acme, candidate), "message": "See you!"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(url, 302)]
    assert "Min-ji Kim is invited; we have e-mailed them for you." in page
    assert "minji@kaist.example" not in page
    invitation = Invitation.objects.get()
    assert (invitation.profile, invitation.message, invitation.invited_by) == (candidate, "See you!", recruiter.user)
    listing = client.get(portal("sponsor_interviews", conference, acme)).content.decode()
    assert "Min-ji Kim" in listing and "minji@kaist.example" not in listing


def test_a_shared_address_is_shown_to_the_sponsor(client, conference, acme, booked, recruiter):
    sharer = shortlisted(conference, acme, first="Ana", last="Silva", email="ana@ist.example", share_email=True)
    interviews.invite(booked, recruiter, sharer)
    client.force_login(recruiter.user)
    assert "ana@ist.example" in client.get(portal("sponsor_interviews", conference, acme)).content.decode()


def test_a_candidate_who_opts_out_is_no_longer_named_to_the_sponsor(client, conference, acme, invitation,
                                                                      recruiter, candidate):
    services.opt_out(candidate)
    client.force_login(recruiter.user)
    page = client.get(portal("sponsor_interviews", conference, acme)).content.decode()
    assert "Min-ji" not in page
    assert "A candidate who no longer shares their profile with you" in page


def test_inviting_someone_not_on_the_shortlist_from_the_portal_is_refused(client, conference, acme, globex,
                                                                          booked, recruiter):
    stranger = shortlisted(conference, globex, first="Not", last="Ours")
    client.force_login(recruiter.user)
    response = client.post(portal("sponsor_interview_slot", conference, acme, booked),
                           {"candidate": queries.profile_ref(acme, stranger), "message": "Hi"})
    assert response.status_code == 400
    assert "Choose a candidate from your shortlist." in response.content.decode()
    assert Invitation.objects.count() == 0


def test_withdrawing_from_the_portal(client, conference, acme, booked, invitation, recruiter):
    client.force_login(recruiter.user)
    url = portal("sponsor_interview_slot", conference, acme, booked)
    response = client.post(portal("sponsor_interview_withdraw", conference, acme, booked),
                           {"invitation": invitation.public_id}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "The invitation is withdrawn; we have told the candidate." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED


def test_withdrawing_another_sponsors_invitation_is_404(client, conference, acme, globex, booked, invitation, rival):
    client.force_login(rival.user)
    assert client.post(portal("sponsor_interview_withdraw", conference, globex, booked),
                       {"invitation": invitation.public_id}).status_code == 404
    assert client.post(portal("sponsor_interview_withdraw", conference, globex, booked),
                       {"invitation": "x"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


# --- The attendee's pages --------------------------------------------------------------------

def attendee_url(conference, invitation):
    return reverse("interview_invitation", args=[conference.slug, invitation.token])


def test_the_invitation_page_needs_a_login(client, conference, invitation):
    response = client.get(attendee_url(conference, invitation))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_invitation_page_is_404_for_anyone_but_the_invited_attendee(client, conference, invitation, recruiter,
                                                                        user):
    for outsider in (user, recruiter.user):
        client.force_login(outsider)
        assert client.get(attendee_url(conference, invitation)).status_code == 404
        assert client.post(attendee_url(conference, invitation), {"answer": "accept"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_the_invited_attendee_sees_the_invitation_and_accepts(client, conference, invitation):
    client.force_login(invitation.profile.user)
    url = attendee_url(conference, invitation)
    page = client.get(url + "?answer=accept").content.decode()
    assert "Interview with Acme Research" in page
    assert "Monday 7 July 2031, 10:00–11:00" in page
    assert "Room 101 · COEX level 3" in page
    assert "We loved your poster on diffusion priors." in page
    response = client.post(url, {"answer": "accept"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "You accepted the interview; Acme Research has been told." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED


def test_a_made_up_answer_changes_nothing(client, conference, invitation):
    client.force_login(invitation.profile.user)
    response = client.post(attendee_url(conference, invitation), {"answer": "maybe"}, follow=True)
    assert "Choose Accept or Decline." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_withdrawn_invitation_shows_no_buttons_and_refuses_an_answer(client, conference, invitation, recruiter):
    interviews.withdraw(invitation, recruiter)
    client.force_login(invitation.profile.user)
    url = attendee_url(conference, invitation)
    page = client.get(url).content.decode()
    assert "The sponsor has withdrawn this invitation." in page
    assert 'value="accept"' not in page
    response = client.post(url, {"answer": "accept"}, follow=True)
    assert "The sponsor has withdrawn this invitation; there is nothing to answer." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED


def test_an_unknown_token_is_404(client, conference, user):
    client.force_login(user)
    assert client.get(reverse("interview_invitation", args=[conference.slug, "nope"])).status_code == 404


def test_my_interviews_needs_a_login(client, conference):
    response = client.get(reverse("my_interviews", args=[conference.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("n", [1, 6])
def test_my_interviews_lists_only_mine_at_a_bounded_cost(client, conference, acme, room, recruiter, candidate,
                                                         django_assert_num_queries, n):
    other = shortlisted(conference, acme, first="Ji-ho", last="Park")
    for i in range(n):
        slot = interviews.book_slot(make_slot(room, 8, minutes=20, day=i), recruiter)
        interviews.invite(slot, recruiter, candidate)
    interviews.invite(interviews.book_slot(make_slot(room, 9, minutes=20), recruiter), recruiter, other)
    client.force_login(candidate.user)
    with django_assert_num_queries(5):
        response = client.get(reverse("my_interviews", args=[conference.slug]))
    assert len(response.context["invitations"]) == n
    assert response.content.decode().count("Acme Research</a>") == n


# --- Admin -----------------------------------------------------------------------------------

def test_organisers_create_slots_idempotently(client, staff_user, conference, room):
    second = InterviewRoom.objects.create(conference=conference, name="Room 102")
    client.force_login(staff_user)
    url = reverse("admin:sponsors_interviewroom_changelist")
    form = client.post(url, {"action": "create_slots", "_selected_action": [room.pk, second.pk]})
    assert form.status_code == 200
    assert "Create interview slots" in form.content.decode()
    data = {"action": "create_slots", "_selected_action": [room.pk, second.pk], "apply": "1", "day": "2031-07-07",
            "start": "09:00", "end": "12:00", "minutes": "45", "published": "on"}
    response = client.post(url, data, follow=True)
    assert "Created 8 slots; 0 overlapped slots the rooms already had and were skipped." in response.content.decode()
    starts = list(InterviewSlot.objects.filter(room=room).order_by("start").values_list("start", "end"))
    assert [(s.astimezone(SEOUL).time(), e.astimezone(SEOUL).time()) for s, e in starts] == [
        (time(9), time(9, 45)), (time(9, 45), time(10, 30)), (time(10, 30), time(11, 15)), (time(11, 15), time(12))]
    again = client.post(url, data, follow=True)
    assert "Created 0 slots; 8 overlapped slots the rooms already had and were skipped." in again.content.decode()
    assert InterviewSlot.objects.count() == 8


def test_creating_slots_that_end_before_they_start_is_refused(client, staff_user, room):
    client.force_login(staff_user)
    response = client.post(reverse("admin:sponsors_interviewroom_changelist"), {
        "action": "create_slots", "_selected_action": [room.pk], "apply": "1", "day": "2031-07-07",
        "start": "12:00", "end": "09:00", "minutes": "30", "published": "on"})
    assert response.status_code == 200
    assert "The end time must be after the start time." in response.content.decode()
    assert InterviewSlot.objects.count() == 0


def test_the_slot_admin_lists_bookings(client, staff_user, booked):
    client.force_login(staff_user)
    page = client.get(reverse("admin:sponsors_interviewslot_changelist") + "?booked=yes").content.decode()
    assert "Acme Research" in page
    assert "2031-07-07 10:00" in page


def test_invitations_are_view_only_in_the_admin_and_hide_the_link(client, staff_user, invitation):
    client.force_login(staff_user)
    assert client.get(reverse("admin:sponsors_invitation_changelist")).status_code == 200
    assert client.get(reverse("admin:sponsors_invitation_add")).status_code == 403
    page = client.get(reverse("admin:sponsors_invitation_change", args=[invitation.pk])).content.decode()
    assert "We loved your poster" in page
    assert invitation.token not in page
    assert client.post(reverse("admin:sponsors_invitation_delete", args=[invitation.pk])).status_code == 403
