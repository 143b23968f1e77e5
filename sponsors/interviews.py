"""Interview rooms: organisers publish slots, sponsors book them within their tier's hours and invite
shortlisted candidates, who accept or decline.

Guarantees:
- A slot is booked by at most one sponsor: the booking is one conditional UPDATE
  (`… WHERE sponsor IS NULL`), so of two concurrent bookings exactly one changes the row and the
  other is told the slot has gone.
- A sponsor never books more than its tier's hours, also under concurrent requests of its own
  members: the hours already booked are read under a row lock on the sponsor (SELECT … FOR UPDATE),
  taken first by every operation here (sponsor, then slot or invitation), so they queue and never
  deadlock. A lock wait is bounded by a timeout that becomes a "try again" message.
- Candidates are reached through the platform: their e-mail address goes into the outbox, never
  to the sponsor unless the candidate shared it with sponsors.
- Every e-mail is an outbox row written in the operation's transaction (sent after commit).

INTERVIEW_LOCKING = False (a setting, for the concurrency tests' negative control only) turns the
booking into a read-then-write without the lock and without the `sponsor IS NULL` guard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import wraps

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from confsite import outbox

from . import access
from .models import (
    InterviewRoom,
    InterviewSlot,
    Invitation,
    RecruitmentProfile,
    ShortlistEntry,
    Sponsor,
    SponsorMember,
)
from .services import SponsorError

# Seconds to wait between the checks and the write; tests widen it so an unguarded race really races.
_pause_after_check = 0.0

OPEN = (Invitation.Status.PENDING, Invitation.Status.ACCEPTED)


def _locking() -> bool:
    return getattr(settings, "INTERVIEW_LOCKING", True)


def _lock_timeout() -> None:
    """Bound how long this transaction waits for a row lock (PostgreSQL; SQLite uses its busy timeout)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{getattr(settings, 'INTERVIEW_LOCK_TIMEOUT_MS', 5000)}ms"])


def _locked(queryset):
    return queryset.select_for_update(of=("self",)) if _locking() else queryset


def _lock_sponsor(sponsor: Sponsor) -> Sponsor:
    """The sponsor row, locked for the rest of the transaction (the first lock every operation takes)."""
    _lock_timeout()
    return _locked(Sponsor.objects.select_related("tier", "conference")).get(pk=sponsor.pk)


def _busy(exc: OperationalError) -> SponsorError:
    text = str(exc).lower()
    if any(word in text for word in ("lock", "timeout", "deadlock", "could not serialize")):
        return SponsorError(_("Many bookings are being made right now. Please try again in a moment."))
    raise exc


def duration_label(seconds: float) -> str:
    """e.g. "3 h 30 min", "1 h", "45 min"."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


@dataclass(frozen=True)
class Allowance:
    """A sponsor's interview-room time: what its tier grants and what its bookings use (seconds)."""

    total: int
    used: int

    @property
    def left(self) -> int:
        return max(self.total - self.used, 0)

    @property
    def total_label(self) -> str:
        return duration_label(self.total)

    @property
    def used_label(self) -> str:
        return duration_label(self.used)

    @property
    def left_label(self) -> str:
        return duration_label(self.left)


def allowance(sponsor: Sponsor) -> Allowance:
    """Hours granted by the tier and booked so far (past bookings count: the time was used)."""
    booked = InterviewSlot.objects.filter(sponsor=sponsor).values_list("start", "end")
    used = sum((end - start).total_seconds() for start, end in booked)
    return Allowance(total=sponsor.tier.interview_hours * 3600, used=int(used))


def _slot_mac(public_id: str) -> str:
    return salted_hmac("sponsors.interview-slot", public_id).hexdigest()[:16]


def slot_ref(slot: InterviewSlot) -> str:
    """The slot's id in portal URLs: its random public id with a keyed MAC (no primary key, no count)."""
    return f"{slot.public_id}.{_slot_mac(slot.public_id)}"


def slot_public_id(ref: str) -> str | None:
    """The public id named by a `slot_ref`, or None if the reference was not issued by us."""
    public_id, _sep, mac = (ref or "").partition(".")
    if not public_id or len(public_id) > 32 or not constant_time_compare(mac, _slot_mac(public_id)):
        return None
    return public_id


def local(moment: datetime, conference) -> datetime:
    return timezone.localtime(moment, conference.tzinfo)


# --- Booking ---------------------------------------------------------------------------------

def _one_transaction(operation):
    """Run `operation` in one transaction; a lock wait that timed out becomes a "try again" sentence."""

    @wraps(operation)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return operation(*args, **kwargs)
        except OperationalError as exc:
            raise _busy(exc) from exc

    return wrapper


@_one_transaction
def book_slot(slot: InterviewSlot, member: SponsorMember, now: datetime | None = None) -> InterviewSlot:
    """Book `slot` for the member's sponsor, within its tier's hours; returns the booked slot.

    Refused (SponsorError, nothing written) if the slot is not at the sponsor's edition, not
    published, already started, already booked, or would take the sponsor past its hours.
    """
    now = now or timezone.now()
    sponsor = _lock_sponsor(member.sponsor)
    slot = InterviewSlot.objects.select_related("room").get(pk=slot.pk)
    if slot.room.conference_id != sponsor.conference_id or not slot.is_published:
        raise SponsorError(_("This slot cannot be booked: the organisers have not opened it."))
    if slot.start <= now:
        raise SponsorError(_("This slot has already started; choose a later one."))
    if slot.sponsor_id == sponsor.pk:
        raise SponsorError(_("You have already booked this slot."))
    if slot.sponsor_id is not None:
        raise SponsorError(_("This slot was just booked by another sponsor. Choose another one."))
    hours = sponsor.tier.interview_hours
    if hours == 0:
        raise SponsorError(_("Your sponsorship tier includes no interview-room hours."))
    booked = allowance(sponsor)
    needed = int((slot.end - slot.start).total_seconds())
    if booked.used + needed > booked.total:
        raise SponsorError(ngettext(
            "Your tier's %(hours)d interview hour is used up: %(used)s booked, and this slot needs %(needed)s. "
            "Release a slot first.",
            "Your tier's %(hours)d interview hours are used up: %(used)s booked, and this slot needs %(needed)s. "
            "Release a slot first.", hours) % {"hours": hours, "used": booked.used_label,
                                               "needed": duration_label(needed)})
    if _pause_after_check:
        time.sleep(_pause_after_check)
    fields = {"sponsor": sponsor, "booked_by": member.user, "booked_at": now}
    if _locking():
        taken = InterviewSlot.objects.filter(pk=slot.pk, sponsor__isnull=True).update(**fields)
    else:  # the negative control: the free state read above is trusted, as a naive implementation would
        taken = InterviewSlot.objects.filter(pk=slot.pk).update(**fields)
    if not taken:
        raise SponsorError(_("This slot was just booked by another sponsor. Choose another one."))
    slot.sponsor, slot.booked_by, slot.booked_at = sponsor, member.user, now
    return slot


@_one_transaction
def release_slot(slot: InterviewSlot, member: SponsorMember, now: datetime | None = None) -> InterviewSlot:
    """Give back a slot the member's sponsor booked, before it starts; its open invitations are
    cancelled and each candidate is told by e-mail."""
    now = now or timezone.now()
    sponsor = _lock_sponsor(member.sponsor)
    # Then the slot, then its invitations: the order in which deleting a slot locks them too.
    slot = _locked(InterviewSlot.objects.select_related("room__conference")).get(pk=slot.pk)
    if slot.sponsor_id != sponsor.pk:
        raise SponsorError(_("Only the sponsor that booked this slot can release it."))
    if slot.start <= now:
        raise SponsorError(_("This slot has already started and can no longer be released."))
    cancelled = list(Invitation.objects.select_for_update().filter(slot=slot, status__in=OPEN)
                     .select_related("profile__user").order_by("pk"))
    Invitation.objects.filter(pk__in=[i.pk for i in cancelled]).update(status=Invitation.Status.CANCELLED)
    InterviewSlot.objects.filter(pk=slot.pk, sponsor=sponsor).update(sponsor=None, booked_by=None, booked_at=None)
    for invitation in cancelled:
        invitation.status = Invitation.Status.CANCELLED
        _mail_cancelled(invitation, slot, sponsor)
    slot.sponsor, slot.booked_by, slot.booked_at = None, None, None
    return slot


# --- Invitations -----------------------------------------------------------------------------

def invitable_profiles(sponsor: Sponsor) -> list[RecruitmentProfile]:
    """The sponsor's shortlisted profiles it may see now (the choices of the invitation form)."""
    shortlisted = ShortlistEntry.objects.filter(sponsor=sponsor).values("profile_id")
    return list(access.visible_profiles(sponsor).filter(pk__in=shortlisted).select_related("user")
                .order_by("user__last_name", "user__first_name", "pk"))


@_one_transaction
def invite(slot: InterviewSlot, member: SponsorMember, profile: RecruitmentProfile, message: str = "",
           now: datetime | None = None) -> Invitation:
    """Invite a shortlisted candidate the sponsor may see now to a slot it booked; e-mails the candidate.

    A slot has one open (pending or accepted) invitation at a time; once declined or withdrawn the
    sponsor may invite someone else. The candidate's address is used by the platform only.
    """
    now = now or timezone.now()
    sponsor = _lock_sponsor(member.sponsor)
    slot = InterviewSlot.objects.select_related("room__conference").get(pk=slot.pk)
    if slot.sponsor_id != sponsor.pk:
        raise SponsorError(_("You can only invite candidates to a slot your organisation has booked."))
    if slot.start <= now:
        raise SponsorError(_("This slot has already started; book a later one to invite a candidate."))
    if not ShortlistEntry.objects.filter(sponsor=sponsor, profile=profile).exists():
        raise SponsorError(_("Only candidates on your shortlist can be invited. Add them to the shortlist first."))
    if not access.visibility(sponsor, profile, at=now).profile:
        raise SponsorError(_("This candidate no longer shares their profile with you and cannot be invited."))
    if Invitation.objects.filter(slot=slot, status__in=OPEN).exists():
        raise SponsorError(_("This slot already has an open invitation. Withdraw it before inviting someone else."))
    profile = RecruitmentProfile.objects.select_related("user").get(pk=profile.pk)
    earlier = Invitation.objects.filter(slot=slot, profile=profile).first()
    if earlier is not None:
        if earlier.status != Invitation.Status.CANCELLED:
            raise SponsorError(_("This candidate has already answered an invitation to this slot."))
        # Invited again after a withdrawal: the same row, with a new link (the old one stays dead).
        invitation = earlier
        invitation.sponsor, invitation.message, invitation.invited_by = sponsor, message, member.user
        invitation.status, invitation.responded_at = Invitation.Status.PENDING, None
        invitation.token = _new_token()
        invitation.save(update_fields=["sponsor", "message", "invited_by", "status", "responded_at", "token"])
    else:
        invitation = Invitation.objects.create(slot=slot, sponsor=sponsor, profile=profile, message=message,
                                               invited_by=member.user)
    invitation.profile = profile
    conference = slot.room.conference
    outbox.queue_templated_email(
        purpose="interview_invitation",
        object_key=f"invitation:{invitation.pk}:{invitation.token[:8]}",
        recipient=profile.user.email,
        template_prefix="sponsors/email/interview_invitation",
        context={"invitation": invitation, "sponsor": sponsor, "slot": slot, "room": slot.room,
                 "conference": conference, "start": local(slot.start, conference), "end": local(slot.end, conference),
                 "link": _link(conference, invitation)},
        language=profile.user.language,
        conference=conference,
    )
    return invitation


def _new_token() -> str:
    from .models import new_invitation_token

    return new_invitation_token()


@_one_transaction
def withdraw(invitation: Invitation, member: SponsorMember, now: datetime | None = None) -> Invitation:
    """The sponsor takes back an open invitation before the slot; the candidate is told by e-mail."""
    now = now or timezone.now()
    sponsor = _lock_sponsor(member.sponsor)
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("slot__room__conference", "profile__user").get(pk=invitation.pk))
    if invitation.sponsor_id != sponsor.pk:
        raise SponsorError(_("Only the sponsor that sent this invitation can withdraw it."))
    if invitation.status not in OPEN:
        raise SponsorError(_("This invitation is no longer open."))
    if invitation.slot.start <= now:
        raise SponsorError(_("This interview has already started; the invitation can no longer be withdrawn."))
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.CANCELLED)
    invitation.status = Invitation.Status.CANCELLED
    _mail_cancelled(invitation, invitation.slot, sponsor)
    return invitation


@_one_transaction
def respond(invitation: Invitation, user, accept: bool, now: datetime | None = None) -> Invitation:
    """The invited attendee accepts or declines; the sponsor's members are told by e-mail.

    Only the profile's owner may answer; an answer may change until the slot starts; a cancelled
    invitation cannot be answered. Giving the same answer again changes nothing and sends nothing.
    """
    now = now or timezone.now()
    _lock_timeout()
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("slot__room__conference", "profile__user", "sponsor").get(pk=invitation.pk))
    if not user.is_authenticated or invitation.profile.user_id != user.pk:
        raise SponsorError(_("This invitation is addressed to someone else."))
    if invitation.status == Invitation.Status.CANCELLED:
        raise SponsorError(_("The sponsor has withdrawn this invitation; there is nothing to answer."))
    if invitation.slot.start <= now:
        raise SponsorError(_("This interview has already started; the answer can no longer be changed."))
    status = Invitation.Status.ACCEPTED if accept else Invitation.Status.DECLINED
    if invitation.status == status:
        return invitation
    Invitation.objects.filter(pk=invitation.pk).update(status=status, responded_at=now)
    invitation.status, invitation.responded_at = status, now
    _mail_answer(invitation, now)
    return invitation


def _link(conference, invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("interview_invitation", args=[conference.slug, invitation.token])


def candidate_name(profile: RecruitmentProfile) -> str:
    """How a candidate is named to a sponsor: their name, else their headline (never the address)."""
    return profile.user.get_full_name() or profile.headline or _("A candidate")


def _mail_cancelled(invitation: Invitation, slot: InterviewSlot, sponsor: Sponsor) -> None:
    conference = slot.room.conference
    user = invitation.profile.user
    outbox.queue_templated_email(
        purpose="interview_cancelled",
        object_key=f"invitation:{invitation.pk}:{invitation.token[:8]}",
        recipient=user.email,
        template_prefix="sponsors/email/interview_cancelled",
        context={"invitation": invitation, "sponsor": sponsor, "slot": slot, "room": slot.room,
                 "conference": conference, "start": local(slot.start, conference),
                 "site_url": settings.SITE_URL},
        language=user.language,
        conference=conference,
    )


def _mail_answer(invitation: Invitation, now: datetime) -> None:
    slot, sponsor = invitation.slot, invitation.sponsor
    conference = slot.room.conference
    shared = access.visibility(sponsor, invitation.profile, at=now)
    context = {"invitation": invitation, "sponsor": sponsor, "slot": slot, "room": slot.room, "conference": conference,
               "start": local(slot.start, conference),
               "candidate": candidate_name(invitation.profile) if shared.profile else _("A candidate"),
               "candidate_email": invitation.profile.user.email if shared.email else "",
               "link": settings.SITE_URL + reverse("sponsor_interviews", args=[conference.slug, sponsor.slug])}
    members = SponsorMember.objects.filter(sponsor=sponsor).select_related("user").order_by("pk")
    # Only members who could open the portal (two-factor login) are told, as the portal would tell them.
    for member in (m for m in members if is_mfa_enabled(m.user)):
        outbox.queue_templated_email(
            purpose="interview_answer",
            object_key=f"invitation:{invitation.pk}:{invitation.status}:{now.isoformat()}",
            recipient=member.user.email,
            template_prefix="sponsors/email/interview_answer",
            context=context,
            language=member.user.language,
            conference=conference,
        )


# --- Organisers ------------------------------------------------------------------------------

def create_slots(rooms, day: date, start: clock, end: clock, minutes: int, *, published: bool = True
                 ) -> tuple[int, int]:
    """Cut `start`–`end` on `day` (the edition's local time) into `minutes`-long slots in each room.

    Idempotent: a slot whose time overlaps one the room already has is skipped. Returns
    (created, skipped).
    """
    if minutes <= 0:
        raise SponsorError(_("The slot length must be at least one minute."))
    created = skipped = 0
    with transaction.atomic():
        for room in InterviewRoom.objects.filter(pk__in=[r.pk for r in rooms]).select_related("conference"):
            zone = room.conference.tzinfo
            moment = datetime.combine(day, start, tzinfo=zone)
            until = datetime.combine(day, end, tzinfo=zone)
            existing = list(InterviewSlot.objects.filter(room=room, start__lt=until, end__gt=moment)
                            .values_list("start", "end"))
            new = []
            while moment + timedelta(minutes=minutes) <= until:
                finish = moment + timedelta(minutes=minutes)
                if any(s < finish and e > moment for s, e in existing):
                    skipped += 1
                else:
                    new.append(InterviewSlot(room=room, start=moment, end=finish, is_published=published))
                moment = finish
            InterviewSlot.objects.bulk_create(new)
            created += len(new)
    return created, skipped


def slots_for(sponsor: Sponsor, now: datetime):
    """The slots a sponsor's portal lists: published future ones, and every one it booked."""
    return (InterviewSlot.objects.filter(room__conference_id=sponsor.conference_id)
            .filter(Q(is_published=True, start__gt=now) | Q(sponsor=sponsor))
            .select_related("room").order_by("start", "room__name"))
