"""The check-in desk: admit a registration on a day of the edition, or say loudly why not.

`check_in()` is the one operation. It records a CheckIn only when every rule holds:
- the code is a current check-in token of an active registration of *this* edition;
- the order that created the registration is paid (and a student/academic rate has its proof approved);
- today, in the edition's time zone, is a conference day, and the pass admits in person to that
  day's part (a workshops-only pass is refused on a main-conference day; a pending upgrade does not
  count until it is paid);
- the registration has no check-in yet that day.
Every refusal records nothing and says why, naming what the desk needs to know (when and by whom
an earlier check-in happened, when a code was revoked). Lookup costs a fixed number of queries
whatever the size of the edition: see `test_checkin.py` for the exact counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite.models import Conference, User

from .models import CheckIn, ConferenceDay, Order, OrderLine, Product, Registration, RevokedCheckinToken

# Tokens are secrets.token_urlsafe(24); the column holds at most 64 characters.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Outcome:
    ADMITTED = "admitted"
    ALREADY = "already"
    UNPAID = "unpaid"
    ELIGIBILITY = "eligibility"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    OTHER_EDITION = "other_edition"
    NOT_A_DAY = "not_a_day"
    NOT_COVERED = "not_covered"
    INVALID = "invalid"


PART_COVERED_BY = {
    ConferenceDay.Part.TUTORIALS: "covers_tutorials",
    ConferenceDay.Part.MAIN: "covers_main",
    ConferenceDay.Part.WORKSHOPS: "covers_workshops",
}


@dataclass
class CheckInResult:
    outcome: str
    message: str
    registration: Registration | None = None
    pass_product: Product | None = None  # the pass that counts today (the old one while an upgrade is unpaid)
    addons: list[Product] = field(default_factory=list)  # paid add-ons
    day: ConferenceDay | None = None
    checkin: CheckIn | None = None  # the new check-in, or the earlier one for ALREADY

    @property
    def admitted(self) -> bool:
        return self.outcome == Outcome.ADMITTED


def local_today(conference: Conference, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), conference.tzinfo).date()


def normalise(raw: str) -> str:
    """What a keyboard-wedge scanner or a person typed, without surrounding blanks."""
    return (raw or "").strip()


def check_in(conference: Conference, raw_token: str, *, by: User | None, desk: str = "",
             now: datetime | None = None) -> CheckInResult:
    """Admit the registration whose code is `raw_token` today, or refuse without recording anything."""
    now = now or timezone.now()
    token = normalise(raw_token)
    if not TOKEN_RE.match(token):
        return CheckInResult(Outcome.INVALID, _(
            "That is not a check-in code: scan the QR code on the badge or the attendee's “My registration” "
            "page, or type the code printed under it."))

    registration = (Registration.objects.select_related("order", "category", "pass_product", "conference")
                    .filter(checkin_token=token).first())
    if registration is None:
        return _not_current(conference, token)
    if registration.conference_id != conference.pk:
        return CheckInResult(Outcome.OTHER_EDITION, _(
            "This code belongs to %(edition)s, not %(this)s. Nothing was recorded.")
            % {"edition": registration.conference.short_name, "this": conference.short_name})

    result = CheckInResult(Outcome.ADMITTED, "", registration=registration, pass_product=registration.pass_product)
    if registration.status != Registration.Status.ACTIVE:
        result.outcome, result.message = Outcome.CANCELLED, _(
            "This registration was cancelled (order %(ref)s): do not admit; send the attendee to the help desk.") % {
            "ref": registration.order.reference}
        return result
    if registration.order.status != Order.Status.PAID:
        result.outcome, result.message = Outcome.UNPAID, _(
            "Order %(ref)s is not paid (%(status)s): do not admit; send the attendee to the payment desk.") % {
            "ref": registration.order.reference, "status": registration.order.get_status_display().lower()}
        return result
    if registration.eligibility in (Registration.Eligibility.PROOF_NEEDED, Registration.Eligibility.PENDING,
                                    Registration.Eligibility.REJECTED):
        result.outcome, result.message = Outcome.ELIGIBILITY, _(
            "The %(category)s rate needs an approved proof (now: %(state)s): send the attendee to the help desk.") % {
            "category": registration.category.name, "state": registration.get_eligibility_display().lower()}
        return result

    today = local_today(conference, now)
    day = ConferenceDay.objects.filter(conference=conference, date=today).order_by("pk").first()
    lines = list(OrderLine.objects.filter(registration=registration)
                 .select_related("product", "order", "replaces").order_by("pk"))
    result.addons = [line.product for line in lines if line.product.is_addon and line.order.status == Order.Status.PAID]
    for line in lines:
        # An upgrade changes the pass when it is ordered; until its order is paid the old pass counts.
        if (line.replaces_id is not None and line.product_id == registration.pass_product_id
                and line.order.status != Order.Status.PAID):
            result.pass_product = line.replaces
    result.day = day
    if day is None:
        result.outcome, result.message = Outcome.NOT_A_DAY, _(
            "Today (%(today)s, %(zone)s) is not a day of %(edition)s: nobody can be checked in.") % {
            "today": f"{today:%a %d %b %Y}", "zone": conference.time_zone, "edition": conference.short_name}
        return result
    pass_product = result.pass_product
    if not pass_product.in_person or not getattr(pass_product, PART_COVERED_BY[day.part]):
        result.outcome, result.message = Outcome.NOT_COVERED, _(
            "The pass “%(pass)s” does not admit to %(part)s today: do not admit; an upgrade is possible at the "
            "help desk.") % {"pass": pass_product.name, "part": day.get_part_display()}
        return result

    try:
        with transaction.atomic():
            result.checkin = CheckIn.objects.create(registration=registration, date=today, part=day.part,
                                                    checked_in_at=now, checked_in_by=by, desk=desk[:40])
    except IntegrityError:
        # Checked in earlier today, or by another desk a moment ago: the unique constraint decides.
        earlier = CheckIn.objects.select_related("checked_in_by").filter(registration=registration, date=today).first()
        result.outcome, result.checkin = Outcome.ALREADY, earlier
        at = timezone.localtime(earlier.checked_in_at, conference.tzinfo) if earlier else now
        who = (earlier.checked_in_by.email if earlier and earlier.checked_in_by else _("an unknown desk"))
        desk_note = f" ({earlier.desk})" if earlier and earlier.desk else ""
        result.message = _("Already checked in today at %(time)s by %(who)s%(desk)s: this badge may be "
                           "shared; check the attendee's identity.") % {
            "time": f"{at:%H:%M}", "who": who, "desk": desk_note}
        return result
    result.message = _("Checked in: welcome, %(name)s.") % {"name": registration.badge_name}
    return result


def _not_current(conference: Conference, token: str) -> CheckInResult:
    revoked = (RevokedCheckinToken.objects
               .select_related("registration__conference", "registration__category", "registration__pass_product")
               .filter(token=token).first())
    if revoked is None:
        return CheckInResult(Outcome.UNKNOWN, _(
            "Unknown code: no registration has it. Check the code, or find the attendee by name in the admin."))
    registration = revoked.registration
    if registration.conference_id != conference.pk:
        return CheckInResult(Outcome.OTHER_EDITION, _(
            "This code belongs to %(edition)s, not %(this)s. Nothing was recorded.")
            % {"edition": registration.conference.short_name, "this": conference.short_name})
    revoked_on = timezone.localtime(revoked.revoked_at, conference.tzinfo)
    return CheckInResult(
        Outcome.REVOKED,
        _("This code was revoked on %(when)s and no longer admits anyone: a newer badge exists. Check the "
          "attendee's identity and reprint their badge.") % {"when": f"{revoked_on:%d %b %Y %H:%M}"},
        registration=registration, pass_product=registration.pass_product,
    )
