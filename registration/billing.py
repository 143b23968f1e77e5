"""Billing: payments in, refunds out, and the documents that go with them.

Guarantees:
- Invoice and credit-note numbers are gapless and sequential per edition: a number is taken from a
  row locked in the same transaction that writes the document, so a rollback returns it.
- Issued documents never change; a correction is a credit note plus a new invoice.
- A payment is recorded once per provider reference; a replayed confirmation changes nothing.
- A refund is never larger than what was paid and not yet refunded.
PDFs are rendered by Celery tasks after commit (registration.tasks); e-mails go through the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite.models import User

from . import services
from .errors import NotAllowed
from .models import Invoice, InvoiceSequence, Order, Payment, Refund, RefundPolicy

logger = logging.getLogger(__name__)

CENTS = Decimal("0.01")
# ISO 4217 currencies without minor units, as Stripe lists them.
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                          "XAF", "XOF", "XPF"})


def minor_units(amount: Decimal, currency: str) -> int:
    """Amount in the currency's smallest unit, as payment providers want it (KRW 1000 → 1000)."""
    if currency.upper() in ZERO_DECIMAL:
        return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value) if currency.upper() in ZERO_DECIMAL else (Decimal(value) / 100).quantize(CENTS)


def paid_amount(order: Order) -> Decimal:
    # Quantized: SQLite's SUM drops trailing zeros (950 instead of 950.00).
    total = order.payments.filter(status=Payment.Status.CONFIRMED).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(CENTS)


def refunded_amount(order: Order) -> Decimal:
    total = order.refunds.exclude(status=Refund.Status.FAILED).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(CENTS)


def outstanding(order: Order) -> Decimal:
    return max(order.total - paid_amount(order), Decimal("0"))


def _after_commit_task(task_name: str, pk: int) -> None:
    from . import tasks

    task = getattr(tasks, task_name)

    def send():
        try:
            task.delay(pk)
        except Exception as exc:  # broker down: the documents sweeper renders it later
            logger.warning("%s(%s) not queued: %s", task_name, pk, exc)

    transaction.on_commit(send)


# --- Documents ---------------------------------------------------------------------------------

def _next_number(conference_id: int, kind: str) -> int:
    sequence, _ = InvoiceSequence.objects.get_or_create(conference_id=conference_id, kind=kind)
    sequence = InvoiceSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _recipient(order: Order) -> dict:
    return {
        "name": order.billing_name or order.buyer.get_full_name() or order.buyer.email,
        "address": order.billing_address,
        "vat_id": order.vat_id,
        "po_number": order.po_number,
        "email": order.invoice_email or order.buyer.email,
    }


def _split_tax(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Prices include tax: gross = net × (1 + rate)."""
    if not rate:
        return gross, Decimal("0.00")
    net = (gross / (1 + rate / 100)).quantize(CENTS, rounding=ROUND_HALF_UP)
    return net, gross - net


def _issue(order: Order, kind: str, lines: list[dict], gross: Decimal, corrects: Invoice | None = None) -> Invoice:
    reg_settings = order.conference.registration_settings
    net, tax = _split_tax(gross, reg_settings.tax_rate)
    invoice = Invoice.objects.create(
        conference=order.conference, order=order, kind=kind, number=_next_number(order.conference_id, kind),
        corrects=corrects, recipient=_recipient(order), lines=lines, net=net, tax=tax, gross=gross,
        tax_rate=reg_settings.tax_rate, currency=order.currency,
    )
    _after_commit_task("render_invoice_pdf", invoice.pk)
    return invoice


def _order_lines(order: Order) -> list[dict]:
    return [
        {"description": f"{line.product.name} ({line.category.name}) — {line.registration.badge_name}",
         "amount": str(line.amount)}
        for line in order.lines.select_related("product", "category", "registration")
    ]


def update_billing(order: Order, *, by: User, billing_name: str, billing_address: str, vat_id: str = "",
                   po_number: str = "", invoice_email: str = "") -> Order:
    """The buyer sets who invoices are made out to; issued documents keep what they were issued with."""
    if by.pk != order.buyer_id:
        raise NotAllowed(_("Only the buyer can change the billing details."))
    Order.objects.filter(pk=order.pk).update(billing_name=billing_name, billing_address=billing_address,
                                             vat_id=vat_id, po_number=po_number, invoice_email=invoice_email)
    order.refresh_from_db()
    return order


@transaction.atomic
def request_proforma(order: Order, *, by: User) -> Invoice:
    """A proforma invoice for an unpaid order (its own number series), e-mailed when ready."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if by.pk != order.buyer_id:
        raise NotAllowed(_("Only the buyer can request a proforma invoice."))
    if order.status != Order.Status.PENDING:
        raise NotAllowed(_("A proforma invoice is for an unpaid order; this one is %(status)s.")
                         % {"status": order.get_status_display().lower()})
    if not order.billing_name or not order.billing_address:
        raise NotAllowed(_("Enter the billing name and address first."), field="billing_name")
    proforma = _issue(order, Invoice.Kind.PROFORMA, _order_lines(order), order.total)
    services._mail(proforma, order.buyer, "proforma_ready", {"order": order, "invoice": proforma},
                   conference=order.conference)
    return proforma


def final_invoice(order: Order) -> Invoice | None:
    """The invoice in force: the latest final invoice not reversed by a credit note."""
    return order.invoices.filter(kind=Invoice.Kind.INVOICE, corrections__isnull=True).order_by("-number").first()


# --- Payments ----------------------------------------------------------------------------------

def record_payment(order: Order, *, amount: Decimal, provider: str, external_id: str = "", by: User | None = None,
                   note: str = "", payment_intent: str = "", now: datetime | None = None) -> Payment:
    """Record money received. When the order is paid in full it becomes paid, is invoiced and
    the buyer gets a receipt. Recording the same provider reference twice changes nothing."""
    now = now or timezone.now()
    amount = Decimal(amount).quantize(CENTS)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if external_id and Payment.objects.filter(
            provider=provider, external_id=external_id, status=Payment.Status.CONFIRMED
        ).exists():
            return Payment.objects.get(provider=provider, external_id=external_id)
        if amount <= 0:
            raise NotAllowed(_("A payment must be more than zero."), field="amount")
        if order.status != Order.Status.PENDING:
            raise NotAllowed(_("Order %(ref)s is %(status)s; no payment is due.")
                             % {"ref": order.reference, "status": order.get_status_display().lower()}, field="amount")
        due = outstanding(order)
        if amount > due:
            raise NotAllowed(_("Only %(due)s %(currency)s is due on %(ref)s.")
                             % {"due": due, "currency": order.currency, "ref": order.reference}, field="amount")
        payment = Payment.objects.filter(provider=provider, external_id=external_id).first() if external_id else None
        if payment is None:
            payment = Payment(order=order, provider=provider, external_id=external_id)
        if payment.order_id != order.pk:
            raise NotAllowed(_("That payment belongs to another order."))
        payment.amount, payment.currency, payment.status = amount, order.currency, Payment.Status.CONFIRMED
        payment.confirmed_at, payment.recorded_by, payment.note = now, by, note
        payment.payment_intent = payment_intent or payment.payment_intent
        payment.save()
        if amount == due:
            order.status, order.paid_at, order.expires_at = Order.Status.PAID, now, None
            order.save(update_fields=["status", "paid_at", "expires_at"])
            _issue(order, Invoice.Kind.INVOICE, _order_lines(order), order.total)
        _after_commit_task("render_receipt_pdf", payment.pk)
        services._mail(payment, order.buyer, "payment_received",
                       {"order": order, "payment": payment, "outstanding": outstanding(order)},
                       conference=order.conference)
    return payment


# --- Refunds and cancellation ------------------------------------------------------------------

@dataclass(frozen=True)
class RefundQuote:
    paid: Decimal
    fee: Decimal
    refund: Decimal
    reason: str


def refund_quote(order: Order, *, now: datetime | None = None, visa_denied_applied_on=None) -> RefundQuote:
    """What cancelling now gives back under the edition's policy (or why it cannot be done)."""
    now = now or timezone.now()
    paid = paid_amount(order) - refunded_amount(order)
    if order.status == Order.Status.PENDING and paid == 0:
        return RefundQuote(Decimal("0"), Decimal("0"), Decimal("0"), _("unpaid order cancelled"))
    policy = RefundPolicy.objects.filter(conference=order.conference_id).first()
    if policy is None:
        raise NotAllowed(_("This edition has no refund policy yet; write to the organisers to cancel."))
    if visa_denied_applied_on is not None:
        if policy.visa_denial_applied_before and visa_denied_applied_on < policy.visa_denial_applied_before:
            return RefundQuote(paid, Decimal("0"), paid, _("visa denied"))
        raise NotAllowed(_("A full refund for a visa denial needs an application made before %(day)s.")
                         % {"day": policy.visa_denial_applied_before}, field="visa_applied_on")
    if now <= policy.full_refund_until:
        return RefundQuote(paid, Decimal("0"), paid, _("cancelled within the full-refund period"))
    if now <= policy.fee_until:
        fee = max((paid * policy.fee_percent / 100).quantize(CENTS, rounding=ROUND_HALF_UP), policy.fee_minimum)
        fee = min(fee, paid)
        return RefundQuote(paid, fee, paid - fee, _("cancelled with a cancellation fee"))
    raise NotAllowed(_("The cancellation deadline has passed; no refund is possible. Write to the organisers if you "
                       "cannot attend."))


def cancel_with_refund(order: Order, *, by: User | None, now: datetime | None = None, visa_applied_on=None,
                       visa_refusal=None, as_organiser: bool = False) -> RefundQuote:
    """Cancel an order under the refund policy: seats and voucher uses return, the waiting list is
    offered the seats, an invoiced order gets a credit note (and an invoice for any fee), and money
    goes back through the provider it came from (bank refunds become a task for finance)."""
    from .providers import provider_for

    now = now or timezone.now()
    if not as_organiser and (by is None or by.pk != order.buyer_id):
        raise NotAllowed(_("Only the buyer can cancel this order."))
    if visa_applied_on is not None and visa_refusal is None:
        raise NotAllowed(_("Upload the visa refusal to get a full refund."), field="visa_refusal")
    with transaction.atomic():
        services._lock_timeout()
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.is_active:
            raise NotAllowed(_("Order %(ref)s is already %(status)s.")
                             % {"ref": order.reference, "status": order.get_status_display().lower()})
        quote = refund_quote(order, now=now, visa_denied_applied_on=visa_applied_on)
        services._release_order(order)
        order.status = Order.Status.REFUNDED if quote.refund > 0 else Order.Status.CANCELLED
        order.cancelled_at = now
        order.save(update_fields=["status", "cancelled_at"])
        invoice = final_invoice(order)
        if invoice is not None:
            _issue(order, Invoice.Kind.CREDIT_NOTE,
                   [{"description": _("Cancellation of %(number)s") % {"number": invoice.display_number},
                     "amount": str(-invoice.gross)}], -invoice.gross, corrects=invoice)
            if quote.fee > 0:
                _issue(order, Invoice.Kind.INVOICE, [{"description": _("Cancellation fee"), "amount": str(quote.fee)}],
                       quote.fee)
        remaining = quote.refund
        for payment in order.payments.filter(status=Payment.Status.CONFIRMED).order_by("-confirmed_at"):
            if remaining <= 0:
                break
            already = payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(s=Sum("amount"))["s"] or 0
            share = min(remaining, payment.amount - already)
            if share <= 0:
                continue
            refund = Refund.objects.create(order=order, payment=payment, amount=share, currency=order.currency,
                                           reason=quote.reason, visa_applied_on=visa_applied_on)
            if visa_refusal is not None:
                refund.visa_refusal.save(f"refusal-{refund.pk}", visa_refusal, save=True)
            provider_for(payment.provider).refund(refund)
            remaining -= share
        services._mail(order, order.buyer, "order_cancelled", {"order": order, "quote": quote})
    services.offer_freed_seats(order.conference, now=now)
    return quote


@transaction.atomic
def complete_refund(refund: Refund, *, by: User | None = None, external_id: str = "", now: datetime | None = None) -> Refund:
    """Finance paid a bank refund out (or the provider confirmed it): the buyer is told."""
    refund = Refund.objects.select_for_update().select_related("order__buyer", "order__conference").get(pk=refund.pk)
    if refund.status == Refund.Status.DONE:
        return refund
    refund.status, refund.completed_at, refund.completed_by = Refund.Status.DONE, now or timezone.now(), by
    refund.external_id = external_id or refund.external_id
    refund.save(update_fields=["status", "completed_at", "completed_by", "external_id"])
    services._mail(refund, refund.order.buyer, "refund_issued", {"order": refund.order, "refund": refund},
                   conference=refund.order.conference)
    return refund


def stripe_enabled() -> bool:
    return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))
