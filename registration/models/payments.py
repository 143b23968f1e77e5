"""Money in and out: payments (bank transfer, Stripe), refunds, the refund policy, Stripe events seen."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from confsite.models import Conference
from confsite.storage import private_storage


class RefundPolicy(models.Model):
    """Per edition: full refund until a date, a fee until a later date, nothing after; visa denials."""

    conference = models.OneToOneField(Conference, on_delete=models.CASCADE, related_name="refund_policy")
    full_refund_until = models.DateTimeField(_("full refund until"))
    fee_until = models.DateTimeField(_("refund minus a fee until"))
    fee_percent = models.DecimalField(_("cancellation fee (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                      validators=[MinValueValidator(Decimal("0"))])
    fee_minimum = models.DecimalField(_("minimum fee"), max_digits=10, decimal_places=2, default=Decimal("0"),
                                      validators=[MinValueValidator(Decimal("0"))])
    visa_denial_applied_before = models.DateField(
        _("visa denials: applied before"), null=True, blank=True,
        help_text=_("A full refund at any time for a visa application made before this day and denied (with the refusal)."),
    )

    class Meta:
        verbose_name = _("refund policy")
        verbose_name_plural = _("refund policies")
        constraints = [
            models.CheckConstraint(condition=Q(fee_until__gte=models.F("full_refund_until")), name="fee_period_after_full"),
            models.CheckConstraint(condition=Q(fee_percent__lte=100), name="fee_percent_at_most_100"),
        ]

    def __str__(self) -> str:
        return str(self.conference)


class Payment(models.Model):
    class Provider(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        STRIPE = "stripe", _("Card (Stripe)")

    class Status(models.TextChoices):
        CREATED = "created", _("Started")
        CONFIRMED = "confirmed", _("Received")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey("registration.Order", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CREATED)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3)
    external_id = models.CharField(_("provider reference"), max_length=255, blank=True,
                                   help_text=_("Stripe Checkout session id, or the bank's transaction reference."))
    payment_intent = models.CharField(max_length=255, blank=True, editable=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("received"), null=True, blank=True)
    receipt_pdf = models.FileField(storage=private_storage, upload_to="receipts/%Y/", blank=True, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], condition=~Q(external_id=""),
                                    name="payment_external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_provider_display()})"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("To be paid out")
        DONE = "done", _("Paid out")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey("registration.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200)
    visa_applied_on = models.DateField(_("visa applied for on"), null=True, blank=True)
    visa_refusal = models.FileField(_("visa refusal"), storage=private_storage, upload_to="visa-refusals/%Y/",
                                    blank=True, editable=False)
    external_id = models.CharField(_("provider reference"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("paid out"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"


class StripeEvent(models.Model):
    """Every Stripe webhook event handled, by id: a replayed event is recognised and ignored."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
