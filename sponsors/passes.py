"""Complimentary passes: a sponsor admin gives the tier's passes to staff e-mails as registration vouchers.

Each pass is a single-use complimentary voucher issued through `registration.vouchers`, labelled
"sponsor: <name>" and limited to the pass kinds in `PASS_PRODUCT_KINDS` (the full conference pass
by default; a deployment may set `SPONSOR_PASS_PRODUCT_KINDS` in settings, e.g. `["full", "main"]`;
if the edition sells none of those, the voucher is valid for any pass). The tier's
`complimentary_passes` is the limit on passes held at once (assigned and not revoked); it is
counted under a row lock on the sponsor, so concurrent assignments cannot exceed it.

A pass is unused, used (an order holds its voucher) or revoked. Unused passes can be revoked
(the voucher is closed; the pass returns to the sponsor's allowance) or reassigned (revoked and
a new pass with a new code issued to another e-mail, in one transaction). A used pass stays.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite.outbox import queue_templated_email
from registration import vouchers
from registration.models import Product

from .models import ComplimentaryPass, Sponsor
from .services import SponsorError

PASS_PRODUCT_KINDS: tuple[str, ...] = tuple(getattr(settings, "SPONSOR_PASS_PRODUCT_KINDS", (Product.Kind.FULL,)))
EMAIL_PURPOSE = "sponsor_pass"

# Tests switch the lock off (the negative control) and widen the window between counting and
# writing, to prove the lock is what keeps the count (tests/sponsors/test_passes.py).
_locking = True
_pause_after_count = 0.0


class PassStatus:
    UNUSED = "unused"
    USED = "used"
    REVOKED = "revoked"


def status(complimentary_pass: ComplimentaryPass) -> str:
    """unused / used / revoked, from the pass and its voucher (select_related("voucher") for lists)."""
    if complimentary_pass.revoked_at is not None:
        return PassStatus.REVOKED
    return PassStatus.USED if complimentary_pass.voucher.used > 0 else PassStatus.UNUSED


def passes_in_use(sponsor: Sponsor) -> int:
    """Passes the sponsor holds now (assigned and not revoked, used or not)."""
    return ComplimentaryPass.objects.filter(sponsor=sponsor, revoked_at__isnull=True).count()


def _lock(sponsor: Sponsor) -> Sponsor:
    queryset = Sponsor.objects.select_related("tier", "conference").filter(pk=sponsor.pk)
    return (queryset.select_for_update(of=("self",)) if _locking else queryset).get()


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise SponsorError(_("“%(email)s” is not an e-mail address; check it and try again.") % {"email": email}) from error
    return email


def _issue(sponsor: Sponsor, email: str, by) -> ComplimentaryPass:
    conference = sponsor.conference
    voucher = vouchers.issue_complimentary_voucher(
        conference, source=f"sponsor: {sponsor.name}", email=email,
        products=vouchers.pass_products(conference, PASS_PRODUCT_KINDS))
    complimentary_pass = ComplimentaryPass.objects.create(sponsor=sponsor, email=email, voucher=voucher, assigned_by=by)
    queue_templated_email(
        purpose=EMAIL_PURPOSE, object_key=str(complimentary_pass.pk), recipient=email,
        template_prefix="sponsors/email/pass_assigned",
        context={"sponsor": sponsor, "conference": conference, "code": voucher.code, "site_url": settings.SITE_URL},
        conference=conference)
    return complimentary_pass


@transaction.atomic
def assign_pass(sponsor: Sponsor, email: str, *, by=None) -> ComplimentaryPass:
    """Give one of the sponsor's complimentary passes to `email`; the voucher code goes out by e-mail.

    Refused (nothing written) when the tier's passes are all held, or this e-mail already holds one
    of the sponsor's passes.
    """
    email = _clean_email(email)
    sponsor = _lock(sponsor)
    held = list(ComplimentaryPass.objects.filter(sponsor=sponsor, revoked_at__isnull=True).values_list("email", flat=True))
    if _pause_after_count:
        time.sleep(_pause_after_count)
    limit = sponsor.tier.complimentary_passes
    if len(held) >= limit:
        raise SponsorError(_("All %(limit)d complimentary passes of your tier are assigned. Revoke an unused pass to "
                             "give it to someone else.") % {"limit": limit})
    if email in held:
        raise SponsorError(_("%(email)s already has one of your passes.") % {"email": email})
    return _issue(sponsor, email, by)


def _revoke(complimentary_pass: ComplimentaryPass, now) -> None:
    if complimentary_pass.revoked_at is not None:
        raise SponsorError(_("That pass was already revoked."))
    if not vouchers.revoke_voucher(complimentary_pass.voucher, now=now):
        raise SponsorError(_("The pass for %(email)s has been used to register, so it cannot be revoked or given to "
                             "someone else.") % {"email": complimentary_pass.email})
    ComplimentaryPass.objects.filter(pk=complimentary_pass.pk).update(revoked_at=now)
    complimentary_pass.revoked_at = now


def _current(complimentary_pass: ComplimentaryPass) -> ComplimentaryPass:
    return ComplimentaryPass.objects.select_related("voucher").get(pk=complimentary_pass.pk)


@transaction.atomic
def revoke_pass(complimentary_pass: ComplimentaryPass, *, now=None) -> ComplimentaryPass:
    """Revoke an unused pass: its code stops working and the pass returns to the sponsor's allowance."""
    _lock(complimentary_pass.sponsor)
    current = _current(complimentary_pass)
    _revoke(current, now or timezone.now())
    return current


@transaction.atomic
def reassign_pass(complimentary_pass: ComplimentaryPass, email: str, *, by=None, now=None) -> ComplimentaryPass:
    """Move an unused pass to another e-mail: the old code is revoked, a new one issued and sent.

    Returns the new pass; all or nothing (a used pass, a bad address or an e-mail that already
    holds a pass changes nothing).
    """
    email = _clean_email(email)
    sponsor = _lock(complimentary_pass.sponsor)
    current = _current(complimentary_pass)
    if current.sponsor_id != sponsor.pk:
        raise SponsorError(_("That pass belongs to another sponsor."))
    _revoke(current, now or timezone.now())
    if ComplimentaryPass.objects.filter(sponsor=sponsor, revoked_at__isnull=True, email=email).exists():
        raise SponsorError(_("%(email)s already has one of your passes.") % {"email": email})
    return _issue(sponsor, email, by)
