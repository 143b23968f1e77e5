"""Visa invitation letters and the passport data they are made from.

Guarantees:
- Only the attendee themself asks for their letter, and only while their registration is active
  and paid, for an in-person pass, until the edition ends; nothing is written otherwise.
- The letter and its passport data are written in one transaction; the PDF is rendered and the
  attendee e-mailed only after it commits. The e-mail carries a link, never passport data.
- Passport data is readable only by its owner and by holders of `registration.view_passportdata`,
  and `purge_passport_data` removes it (and the PDFs that print it) after the edition; the letter
  record stays, so consulates can still verify it by reference.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from confsite.models import Conference, User
from schedule.queries import papers_for_person

from . import services
from .errors import NotAllowed, RegistrationError
from .models import Order, PassportData, Registration, VisaLetter

logger = logging.getLogger(__name__)

PASSPORT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")
OLDEST_AGE, YOUNGEST_AGE = 120, 10


class InvalidVisaDetails(RegistrationError):
    """A passport detail that cannot be right; `field` names it."""


def _role_for(registration: Registration) -> str:
    """The attendee's role for the letter, e.g. "Author of “<paper title>”", or "" when not an author.

    Papers come from the schedule, matched on the attendee's e-mail addresses (account and verified
    addresses, any case), never on their name. Several papers are named in title order.
    """
    user = registration.user
    emails = {user.email, *EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}
    titles = list(papers_for_person(registration.conference, emails=emails).values_list("title", flat=True)[:3])
    if not titles:
        return ""
    return _("Author of %(titles)s") % {"titles": ", ".join(f"“{title}”" for title in titles)}


def refusal(registration: Registration | None, user: User) -> str | None:
    """Why `user` cannot have a visa letter for `registration` (a sentence to show), or None if they can."""
    if registration is None or registration.user_id != user.pk:
        return _("Only the attendee can request their own visa letter. Register first, or ask the person you "
                 "registered to request it from their own account.")
    if registration.status != Registration.Status.ACTIVE:
        return _("Your registration is cancelled, so no visa letter can be issued for it.")
    if registration.order.status != Order.Status.PAID:
        return _("A visa letter is issued once your registration is paid. Please complete the payment of order "
                 "%(ref)s first.") % {"ref": registration.order.reference}
    conference = registration.conference
    if timezone.localdate(timezone=conference.tzinfo) > conference.end_date:
        return _("%(edition)s has ended; visa letters are no longer issued.") % {"edition": conference.short_name}
    if not registration.pass_product.in_person:
        return _("A visa letter is for attending in person; your pass (%(pass)s) is for online attendance.") % {
            "pass": registration.pass_product.name}
    return None


def _clean(passport_name: str, nationality: str, passport_number: str, date_of_birth: date,
           today: date) -> tuple[str, str, str]:
    passport_name = " ".join((passport_name or "").split())
    if not passport_name:
        raise InvalidVisaDetails(_("Enter your name exactly as it is printed in your passport."), field="passport_name")
    if len(passport_name) > 200:
        raise InvalidVisaDetails(_("The name can have at most 200 characters."), field="passport_name")
    nationality = (nationality or "").strip().upper()
    if len(nationality) != 2 or nationality not in countries:
        raise InvalidVisaDetails(_("Choose the country that issued your passport."), field="nationality")
    number = re.sub(r"\s+", "", passport_number or "").upper()
    if not PASSPORT_NUMBER.match(number):
        raise InvalidVisaDetails(_("A passport number has 5 to 20 letters and digits (no other characters); "
                                   "copy it from your passport."), field="passport_number")
    if not isinstance(date_of_birth, date) or date_of_birth >= today:
        raise InvalidVisaDetails(_("Enter your date of birth; it must be in the past."), field="date_of_birth")
    age = today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    if not YOUNGEST_AGE <= age <= OLDEST_AGE:
        raise InvalidVisaDetails(_("Check your date of birth: %(day)s does not look right.")
                                 % {"day": date_of_birth.isoformat()}, field="date_of_birth")
    return passport_name, nationality, number


def _render_after_commit(letter_pk: int) -> None:
    from . import tasks

    def send():
        try:
            tasks.render_visa_letter_pdf.delay(letter_pk)
        except Exception as exc:  # broker down: the first download renders it
            logger.warning("render_visa_letter_pdf(%s) not queued: %s", letter_pk, exc)

    transaction.on_commit(send)


def request_visa_letter(registration: Registration, *, by: User, passport_name: str, nationality: str,
                        passport_number: str, date_of_birth: date) -> VisaLetter:
    """Issue a visa invitation letter for the attendee's own active, paid registration.

    Raises NotAllowed (someone else's or an unpaid registration) or InvalidVisaDetails (a field that
    cannot be right), in both cases writing nothing. Asking again issues a new letter with a new
    reference (e.g. after a typo); earlier letters stay valid.
    """
    with transaction.atomic():
        registration = (Registration.objects.select_for_update(of=("self",))
                        .select_related("order", "pass_product", "conference", "user").get(pk=registration.pk))
        reason = refusal(registration, by)
        if reason:
            raise NotAllowed(reason)
        today = timezone.localdate(timezone=registration.conference.tzinfo)
        passport_name, nationality, number = _clean(passport_name, nationality, passport_number, date_of_birth, today)
        letter = VisaLetter.objects.create(registration=registration, name_on_letter=passport_name,
                                           role=_role_for(registration) or _("Attendee"))
        PassportData.objects.create(letter=letter, passport_name=passport_name, nationality=nationality,
                                    passport_number=number, date_of_birth=date_of_birth)
        _render_after_commit(letter.pk)
        services._mail(letter, registration.user, "visa_letter_ready",
                       {"letter": letter, "registration": registration}, conference=registration.conference)
    return letter


def purge_passport_data(conference: Conference) -> int:
    """Delete the passport data of every visa letter of `conference`, and the letter PDFs that print it.

    Returns how many letters' passport data was deleted. The letters themselves (reference, name,
    role) stay, so their public verification keeps working. Safe to run again.
    """
    letters = VisaLetter.objects.filter(registration__conference=conference)
    with transaction.atomic():
        files = list(letters.exclude(pdf="").values_list("pdf", flat=True))
        _total, deleted = PassportData.objects.filter(letter__in=letters).delete()
        letters.exclude(pdf="").update(pdf="")

    def delete_files():
        storage = VisaLetter._meta.get_field("pdf").storage
        for name in files:
            storage.delete(name)

    # Files go only once the rows are gone for good: a rollback must not leave records without files.
    transaction.on_commit(delete_files)
    return deleted.get(PassportData._meta.label, 0)
