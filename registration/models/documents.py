"""Documents: invoices, proformas and credit notes with gapless numbers; visa letters and passport data."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from confsite.models import Conference
from confsite.storage import private_storage


class InvoiceSequence(models.Model):
    """The last number issued in one series of one edition; locked while a number is taken."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conference", "kind"], name="one_sequence_per_series")]

    def __str__(self) -> str:
        return f"{self.conference} {self.kind}: {self.last_number}"


class Invoice(models.Model):
    """An issued document. Immutable: a correction is a credit note plus a new invoice."""

    class Kind(models.TextChoices):
        PROFORMA = "proforma", _("Proforma invoice")
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey("registration.Order", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    number = models.PositiveIntegerField(_("number"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections",
                                 verbose_name=_("credit note for"))
    recipient = models.JSONField(_("recipient"), help_text=_("Name, address, tax id, PO number and e-mail, as issued."))
    lines = models.JSONField(_("lines"))
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    pdf = models.FileField(storage=private_storage, upload_to="invoices/%Y/", blank=True, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["conference", "kind", "number"]
        constraints = [models.UniqueConstraint(fields=["conference", "kind", "number"], name="invoice_number_unique")]
        permissions = [("view_finance", "Can see payments, refunds and invoices of every order")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        prefix = {"proforma": "PF", "invoice": "INV", "credit_note": "CN"}[self.kind]
        return f"{self.conference.slug.upper()}-{prefix}-{self.number:05d}"


def new_letter_reference() -> str:
    return secrets.token_hex(6).upper()


class VisaLetter(models.Model):
    """A visa invitation letter; its public reference lets consulates verify it."""

    registration = models.ForeignKey("registration.Registration", on_delete=models.PROTECT, related_name="visa_letters")
    reference = models.CharField(_("reference"), max_length=20, unique=True, default=new_letter_reference, editable=False)
    name_on_letter = models.CharField(_("name on the letter"), max_length=200)
    role = models.CharField(_("role"), max_length=300, blank=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    pdf = models.FileField(storage=private_storage, upload_to="visa/%Y/", blank=True, editable=False)

    class Meta:
        verbose_name = _("visa invitation letter")
        verbose_name_plural = _("visa invitation letters")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.reference


class PassportData(models.Model):
    """Passport details for one letter. Only the owner and holders of view_passportdata see them;
    never in lists, exports or logs; purged after the edition (`manage.py purge_passport_data`)."""

    letter = models.OneToOneField(VisaLetter, on_delete=models.CASCADE, related_name="passport")
    passport_name = models.CharField(_("name as in passport"), max_length=200)
    nationality = models.CharField(_("nationality"), max_length=2)
    passport_number = models.CharField(_("passport number"), max_length=40)
    date_of_birth = models.DateField(_("date of birth"))

    class Meta:
        verbose_name = _("passport data")
        verbose_name_plural = _("passport data")
        default_permissions = ()
        permissions = [("view_passportdata", "Can see passport data")]

    def __repr__(self) -> str:
        return f"<PassportData letter={self.letter_id}>"

    def __str__(self) -> str:
        return f"passport data of letter {self.letter_id}"



