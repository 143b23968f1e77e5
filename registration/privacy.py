"""Registration's part of data protection: its section of a person's export, the erasure of their
registrations' personal data, and the retention purges of passport data and eligibility proofs.

Kept on erasure, as the law requires: orders (references, amounts, status, dates), their lines,
payments (with finance's note and the receipt as issued), refunds (with the policy's reason and, for a
visa denial, the date the visa was applied for, which justified the amount), and the invoices and credit
notes (documents, numbers and the recipient printed on them). An invoiced order also keeps its billing
name, address and tax id: a later credit note must be made out to the same recipient. Check-ins stay
too (attendance counts), tied to an anonymised registration.

A registration keeps only what accounts for the money and the counts: edition, order, category and
pass (what was bought, at which rate), status, eligibility (the rate's justification), the dates it
was made and the code of conduct accepted, and its check-ins. Every profile field is blanked, including
the quasi-identifiers country and position (with affiliation and the edition they narrow a person down
to a handful): badge and legal names become "—", affiliation, position, country, pronouns and OpenReview
id become empty. A voucher bound to one of the person's addresses (a sponsor's complimentary pass) is
bound to the account's erased address instead: it stays in the sponsor's and the order's books, and
nobody can use it any more.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from auditlog.context import disable_auditlog
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite import privacy
from confsite.models import Conference, User
from confsite.privacy import Erasure, PurgeResult, iso

from .models import (
    EligibilityProof,
    Invoice,
    Order,
    OrderLine,
    PassportData,
    Refund,
    Registration,
    RevokedCheckinToken,
    SensitiveNeeds,
    VisaLetter,
    Voucher,
    WaitingListEntry,
    new_checkin_token,
)
from .visa import purge_passport_data

ERASED_NAME = "—"


def _money(value) -> str | None:
    return None if value is None else str(value)


# --- Export --------------------------------------------------------------------------------------

def export(user: User) -> dict[str, Any]:
    """The person's orders (as buyer), registrations (as attendee) and waiting-list places: 9 queries."""
    orders = (Order.objects.filter(buyer=user).select_related("conference").order_by("created_at", "id")
              .prefetch_related(Prefetch("lines", OrderLine.objects.select_related("product", "category", "period")),
                                "payments", "refunds",
                                Prefetch("invoices", Invoice.objects.select_related("conference"))))
    registrations = (Registration.objects.filter(user=user)
                     .select_related("conference", "category", "pass_product", "order", "needs")
                     .order_by("created_at", "id")
                     .prefetch_related("proofs", "checkins",
                                       Prefetch("visa_letters", VisaLetter.objects.select_related("passport"))))
    waiting = WaitingListEntry.objects.filter(user=user).select_related("conference", "product").order_by("created_at")
    return {
        "orders": [_order(o) for o in orders],
        "registrations": [_registration(r) for r in registrations],
        "waiting_list": [{"edition": w.conference.slug, "product": w.product.name, "status": w.status,
                          "joined_at": iso(w.created_at), "offered_at": iso(w.offered_at)} for w in waiting],
    }


def _order(order: Order) -> dict[str, Any]:
    return {
        "edition": order.conference.slug,
        "reference": order.reference,
        "status": order.status,
        "currency": order.currency,
        "total": _money(order.total),
        "placed_at": iso(order.created_at),
        "paid_at": iso(order.paid_at),
        "cancelled_at": iso(order.cancelled_at),
        "billing": {"name": order.billing_name, "address": order.billing_address, "vat_id": order.vat_id,
                    "po_number": order.po_number, "invoice_email": order.invoice_email},
        # Lines name the product and price; the people an order registered are theirs to export, not the buyer's.
        "lines": [{"product": line.product.name, "category": line.category.name, "period": line.period.name,
                   "price": _money(line.price), "discount": _money(line.discount), "registration_id": line.registration_id}
                  for line in order.lines.all()],
        "payments": [{"provider": p.provider, "status": p.status, "amount": _money(p.amount), "currency": p.currency,
                      "reference": p.external_id, "created_at": iso(p.created_at), "received_at": iso(p.confirmed_at)}
                     for p in order.payments.all()],
        "refunds": [{"status": r.status, "amount": _money(r.amount), "currency": r.currency, "reason": r.reason,
                     "created_at": iso(r.created_at), "paid_out_at": iso(r.completed_at)} for r in order.refunds.all()],
        "invoices": [{"number": i.display_number, "kind": i.kind, "issued_at": iso(i.issued_at),
                      "recipient": i.recipient, "gross": _money(i.gross), "currency": i.currency}
                     for i in order.invoices.all()],
    }


def _registration(registration: Registration) -> dict[str, Any]:
    try:
        needs = registration.needs
    except SensitiveNeeds.DoesNotExist:
        needs = None
    return {
        "id": registration.pk,
        "edition": registration.conference.slug,
        "order": registration.order.reference,
        "status": registration.status,
        "category": registration.category.name,
        "pass": registration.pass_product.name,
        "eligibility": registration.eligibility,
        "badge_name": registration.badge_name,
        "legal_name": registration.legal_name,
        "affiliation": registration.affiliation,
        "position": registration.position,
        "country": str(registration.country),
        "pronouns": registration.pronouns,
        "openreview_id": registration.openreview_id,
        "code_of_conduct_accepted_at": iso(registration.code_of_conduct_accepted_at),
        "needs": {"dietary": needs.dietary, "accessibility": needs.accessibility} if needs else None,
        "eligibility_proofs": [{"file_name": p.original_name, "type": p.content_type, "size": p.size,
                                "uploaded_at": iso(p.uploaded_at), "status": p.status,
                                "reviewed_at": iso(p.reviewed_at), "note": p.note} for p in registration.proofs.all()],
        "visa_letters": [_letter(letter) for letter in registration.visa_letters.all()],
        "check_ins": [{"date": c.date.isoformat(), "part": c.part, "at": iso(c.checked_in_at)}
                      for c in registration.checkins.all()],
    }


def _letter(letter: VisaLetter) -> dict[str, Any]:
    try:
        passport = letter.passport
    except PassportData.DoesNotExist:
        passport = None
    return {
        "reference": letter.reference, "name_on_letter": letter.name_on_letter, "issued_at": iso(letter.issued_at),
        "passport": {"name": passport.passport_name, "nationality": passport.nationality,
                     "number": passport.passport_number, "date_of_birth": passport.date_of_birth.isoformat()}
        if passport else None,
    }


# --- Erasure -------------------------------------------------------------------------------------

def guard(user: User) -> str | None:
    today = timezone.localdate()
    if Order.objects.filter(buyer=user, status=Order.Status.PENDING).exists():
        return _("You have an unpaid order. Cancel it on “My registration” (or pay it), then ask again.")
    if Registration.objects.filter(user=user, status=Registration.Status.ACTIVE, conference__end_date__gte=today).exists():
        return _("You are registered for an edition that has not ended yet. Cancel your registration on "
                 "“My registration” first (the refund policy applies), then ask again.")
    return None


def identify(user: User) -> dict[str, set[str]]:
    """The OpenReview ids the person gave on their registrations (they link them to their papers)."""
    return {"openreview_id": set(Registration.objects.filter(user=user).exclude(openreview_id="")
                                 .values_list("openreview_id", flat=True))}


def erase(user: User, erasure: Erasure) -> None:
    registrations = Registration.objects.filter(user=user)
    proofs = EligibilityProof.objects.filter(registration__in=registrations)
    erasure.scrub_admin_history(Registration, registrations.values_list("pk", flat=True))
    erasure.scrub_admin_history(EligibilityProof, proofs.values_list("pk", flat=True))
    erasure.delete_files(EligibilityProof._meta.get_field("file").storage, proofs.values_list("file", flat=True))
    erasure.count("eligibility proofs", proofs.delete()[0])
    erasure.count("dietary and accessibility needs",
                  SensitiveNeeds.objects.filter(registration__in=registrations).delete()[0])
    letters = VisaLetter.objects.filter(registration__in=registrations)
    erasure.delete_files(VisaLetter._meta.get_field("pdf").storage, letters.exclude(pdf="").values_list("pdf", flat=True))
    erasure.count("passport data", PassportData.objects.filter(letter__in=letters).delete()[0])
    letters.update(name_on_letter=ERASED_NAME, role="", pdf="")
    refusals = Refund.objects.filter(order__buyer=user).exclude(visa_refusal="")
    erasure.delete_files(Refund._meta.get_field("visa_refusal").storage, refusals.values_list("visa_refusal", flat=True))
    refusals.update(visa_refusal="")
    RevokedCheckinToken.objects.filter(registration__in=registrations).delete()
    # A printed badge of an erased person admits no one: each registration gets a fresh, unknown token.
    for pk in registrations.values_list("pk", flat=True):
        Registration.objects.filter(pk=pk).update(checkin_token=new_checkin_token())
    # position and country are required when registering, so "" on a registration means "erased" (lists and
    # exports show it empty).
    erasure.count("registrations anonymised", registrations.update(
        badge_name=ERASED_NAME, legal_name=ERASED_NAME, affiliation="", position="", country="", pronouns="",
        openreview_id=""))
    orders = Order.objects.filter(buyer=user)
    orders.update(invoice_email="", idempotency_key="")
    orders.filter(invoices__isnull=True).update(billing_name="", billing_address="", vat_id="", po_number="")
    erasure.count("waiting-list places", WaitingListEntry.objects.filter(user=user).delete()[0])
    erasure.count("vouchers unbound", _unbind_vouchers(erasure))


def _unbind_vouchers(erasure: Erasure) -> int:
    """Vouchers bound to one of the person's addresses, or naming it in their source label ("sponsor: Acme
    (jane@acme.example)"), name the account's erased address instead. Returns how many changed."""
    emails = sorted(erasure.emails)
    if not emails:
        return 0
    naming = Q(pk__in=[])
    for email in emails:
        naming |= Q(for_email__iexact=email) | Q(source__icontains=email)
    pattern = re.compile("|".join(re.escape(email) for email in emails), re.IGNORECASE)
    vouchers = list(Voucher.objects.filter(naming).only("pk", "for_email", "source"))
    for voucher in vouchers:
        if voucher.for_email.strip().lower() in erasure.emails:
            voucher.for_email = erasure.replacement_email
        voucher.source = pattern.sub(erasure.replacement_email, voucher.source)[:100]
    Voucher.objects.bulk_update(vouchers, ["for_email", "source"])
    return len(vouchers)


# --- Retention -----------------------------------------------------------------------------------

def purge_passports(conference: Conference, *, now: datetime, dry_run: bool = False) -> PurgeResult:
    """Passport data (and the letter PDFs printing it) of the edition, CONFSITE_RETENTION["passport"] days after it."""
    due = privacy.retention_due(conference, "passport")
    letters = VisaLetter.objects.filter(registration__conference=conference)
    if now < due:
        return PurgeResult("passport", due, 0, 0, "passport records")
    count = PassportData.objects.filter(letter__in=letters).count()
    files = letters.exclude(pdf="").count()
    if not dry_run and (count or files):
        purge_passport_data(conference)
    return PurgeResult("passport", due, count, files, "passport records")


def purge_proofs(conference: Conference, *, now: datetime, dry_run: bool = False) -> PurgeResult:
    """Eligibility proofs (rows and files) of the edition, CONFSITE_RETENTION["proofs"] days after it.

    The decision stays on the registration (its eligibility) and in the audit trail."""
    due = privacy.retention_due(conference, "proofs")
    if now < due:
        return PurgeResult("proofs", due, 0, 0, "eligibility proofs")
    proofs = EligibilityProof.objects.filter(registration__conference=conference)
    names = [name for name in proofs.values_list("file", flat=True) if name]
    count = proofs.count()
    if not dry_run and count:
        storage = EligibilityProof._meta.get_field("file").storage
        # One audit entry per purged row would be thousands of inserts saying what the command prints once.
        with transaction.atomic(), disable_auditlog():
            count = proofs.delete()[0]
            transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return PurgeResult("proofs", due, count, len(names), "eligibility proofs")


def connect() -> None:
    privacy.register("registration", exporter=export, guard=guard, eraser=erase, identifier=identify)
    privacy.register_purge("passport", purge_passports)
    privacy.register_purge("proofs", purge_proofs)
