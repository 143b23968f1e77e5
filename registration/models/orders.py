"""Registration data: what is sold (categories, passes, add-ons, prices, quotas, vouchers) and what
was bought (orders, their lines, the registrations they create, eligibility proofs, waiting lists).

Invariants kept here as constraints: one active registration per person per edition; a quota never
holds more seats than its size; a voucher is never used more often than allowed; one price per
(product, category, period); one order per (buyer, idempotency key).
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from confsite.models import Conference
from confsite.storage import private_storage


def new_catalogue_version() -> str:
    return secrets.token_hex(8)


def new_checkin_token() -> str:
    # Random, not derived from SECRET_KEY: rotating keys voids no badge.
    return secrets.token_urlsafe(24)


class RegistrationSettings(models.Model):
    """Per-edition registration rules that organisers set."""

    conference = models.OneToOneField(Conference, on_delete=models.CASCADE, related_name="registration_settings")
    is_open = models.BooleanField(_("registration open"), default=True)
    order_prefix = models.CharField(
        _("order reference prefix"), max_length=10, validators=[RegexValidator(r"^[A-Z0-9]+$")],
        help_text=_("e.g. ICML26; references look like ICML26-7KQ3F."),
    )
    payment_days = models.PositiveSmallIntegerField(
        _("days to pay"), default=14, validators=[MinValueValidator(1)],
        help_text=_("Unpaid orders expire this many days after placement (or after eligibility approval)."),
    )
    waiting_list_claim_hours = models.PositiveSmallIntegerField(
        _("hours to claim a waiting-list offer"), default=48, validators=[MinValueValidator(1)]
    )
    name_change_deadline = models.DateTimeField(
        _("name changes until"), null=True, blank=True,
        help_text=_("Attendees may change their badge and legal names until then; empty means always."),
    )
    max_group_size = models.PositiveSmallIntegerField(_("people per group order"), default=50, validators=[MinValueValidator(1)])
    invoice_issuer = models.TextField(
        _("invoice issuer"), blank=True,
        help_text=_("The organiser's legal name, address and tax id, printed on every invoice."),
    )
    bank_instructions = models.TextField(
        _("bank transfer instructions"), blank=True,
        help_text=_("Account holder, IBAN/account number, SWIFT/BIC, bank; the order reference is added."),
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Prices include this tax; invoices show it as a separate line. 0 for none."),
    )
    tax_label = models.CharField(_("tax name"), max_length=40, default="VAT", blank=True)
    # A new random value whenever the catalogue (categories, products, quotas, periods, prices) changes:
    # processes keep a snapshot of the catalogue while this stays the same (registration/snapshot.py).
    catalogue_version = models.CharField(max_length=16, default=new_catalogue_version, editable=False)

    class Meta:
        verbose_name = _("registration settings")
        verbose_name_plural = _("registration settings")

    def __str__(self) -> str:
        return str(self.conference)


class Category(models.Model):
    class Kind(models.TextChoices):
        ACADEMIC = "academic", _("Academic")
        STUDENT = "student", _("Student")
        NON_ACADEMIC = "non_academic", _("Non-academic")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="categories")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["conference", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["conference", "kind"], name="one_category_per_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_eligibility(self) -> bool:
        return self.kind in (self.Kind.ACADEMIC, self.Kind.STUDENT)


class Quota(models.Model):
    """A pool of seats that several products draw from (the venue, the social dinner …)."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="quotas")
    name = models.CharField(_("name"), max_length=100)
    size = models.PositiveIntegerField(_("seats"))
    held = models.PositiveIntegerField(_("seats held"), default=0, editable=False)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["conference", "id"]
        constraints = [models.CheckConstraint(condition=Q(held__lte=models.F("size")), name="quota_not_oversold")]

    def __str__(self) -> str:
        return f"{self.name} ({self.held}/{self.size})"

    @property
    def available(self) -> int:
        return max(self.size - self.held, 0)


class Product(models.Model):
    """A pass (one per registration) or an add-on (any number)."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full conference")
        MAIN = "main", _("Main conference")
        TUTORIALS = "tutorials", _("Tutorials only")
        WORKSHOPS = "workshops", _("Workshops only")
        VIRTUAL = "virtual", _("Virtual")
        EXHIBITOR = "exhibitor", _("Exhibitor")
        ADDON = "addon", _("Add-on")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="products")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)
    in_person = models.BooleanField(_("in person"), default=True)
    covers_tutorials = models.BooleanField(_("tutorials"), default=False)
    covers_main = models.BooleanField(_("main conference"), default=False)
    covers_workshops = models.BooleanField(_("workshops"), default=False)
    quotas = models.ManyToManyField(Quota, blank=True, related_name="products", verbose_name=_("quotas"))

    class Meta:
        verbose_name = _("pass or add-on")
        verbose_name_plural = _("passes and add-ons")
        ordering = ["conference", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_addon(self) -> bool:
        return self.kind == self.Kind.ADDON


class PricePeriod(models.Model):
    """Early-bird, regular, late: a period runs until its deadline; the last one may be open-ended."""

    class Kind(models.TextChoices):
        EARLY = "early", _("Early-bird")
        REGULAR = "regular", _("Regular")
        LATE = "late", _("Late / on-site")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="price_periods")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    ends_at = models.DateTimeField(
        _("deadline"), null=True, blank=True,
        help_text=_("The last moment of this period. Empty: runs until registration closes."),
    )

    class Meta:
        verbose_name = _("price period")
        verbose_name_plural = _("price periods")
        ordering = ["conference", models.F("ends_at").asc(nulls_last=True)]
        constraints = [models.UniqueConstraint(fields=["conference", "kind"], name="one_period_per_kind")]

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="prices",
        help_text=_("Empty: the same price for every category (typical for add-ons)."),
    )
    period = models.ForeignKey(PricePeriod, on_delete=models.CASCADE, related_name="prices")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product", "category", "period"]
        constraints = [
            models.UniqueConstraint(fields=["product", "category", "period"], name="one_price_per_cell"),
            models.UniqueConstraint(
                fields=["product", "period"], condition=Q(category__isnull=True), name="one_price_for_all_categories"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} / {self.category or _('any category')} / {self.period}: {self.amount}"


class EligibilityDomain(models.Model):
    """An institutional e-mail domain: a verified address under it grants the academic rate."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="eligibility_domains")
    domain = models.CharField(
        _("domain"), max_length=253, validators=[RegexValidator(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")],
        help_text=_("e.g. ac.kr, edu, kaist.ac.kr; sub-domains match too."),
    )
    grants_student = models.BooleanField(
        _("student domain"), default=False,
        help_text=_("Addresses under it also qualify for the student rate without a proof."),
    )

    class Meta:
        verbose_name = _("eligibility domain")
        verbose_name_plural = _("eligibility domains")
        ordering = ["conference", "domain"]
        constraints = [models.UniqueConstraint(fields=["conference", "domain"], name="eligibility_domain_unique")]

    def __str__(self) -> str:
        return self.domain


class Voucher(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off")
        COMPLIMENTARY = "comp", _("Complimentary")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(_("code"), max_length=40, validators=[RegexValidator(r"^[A-Z0-9-]+$")])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.DecimalField(
        _("value"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Percent (0–100) or an amount in the edition's currency; ignored for complimentary."),
    )
    max_uses = models.PositiveIntegerField(_("uses allowed"), default=1)
    used = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="+", verbose_name=_("only for passes"))
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("only for categories"))
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("e.g. sponsor: Acme, volunteer, society"))
    for_email = models.EmailField(_("only for the attendee with this e-mail"), blank=True,
                                  help_text=_("Set for complimentary vouchers issued to a person (any case)."))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["conference", "code"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "code"], name="voucher_code_unique"),
            models.CheckConstraint(condition=Q(used__lte=models.F("max_uses")), name="voucher_not_overused"),
            models.CheckConstraint(condition=~Q(kind="percent") | Q(value__lte=100), name="voucher_percent_at_most_100"),
        ]

    def __str__(self) -> str:
        return self.code


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        EXPIRED = "expired", _("Expired")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("placed"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("pay by"), null=True, blank=True,
        help_text=_("Empty while an eligibility proof is awaited or under review."),
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, editable=False)
    billing_name = models.CharField(_("billing name"), max_length=200, blank=True,
                                    help_text=_("Company or person the invoice is made out to."))
    billing_address = models.TextField(_("billing address"), blank=True)
    vat_id = models.CharField(_("VAT / tax id"), max_length=40, blank=True)
    po_number = models.CharField(_("purchase order number"), max_length=60, blank=True)
    invoice_email = models.EmailField(_("send invoices to"), blank=True,
                                      help_text=_("Empty: the buyer's address."))
    needs_attention = models.CharField(_("flagged for finance"), max_length=200, blank=True, editable=False,
                                       help_text=_("e.g. a card payment was disputed."))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"], condition=~Q(idempotency_key=""), name="order_idempotent"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="order_due")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.PAID)


class Registration(models.Model):
    """One person's attendance at one edition, with their profile and check-in token."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    class Eligibility(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        DOMAIN = "domain", _("Granted by institutional e-mail")
        PROOF_NEEDED = "proof_needed", _("Proof needed")
        PENDING = "pending", _("Proof under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Position(models.TextChoices):
        PHD = "phd", _("PhD student")
        MSC = "msc", _("MSc student")
        UNDERGRADUATE = "undergraduate", _("Undergraduate")
        POSTDOC = "postdoc", _("Postdoc")
        FACULTY = "faculty", _("Faculty")
        INDUSTRY_RESEARCHER = "industry_researcher", _("Industry researcher")
        ENGINEER = "engineer", _("Engineer")
        OTHER = "other", _("Other")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="registrations")
    order = models.ForeignKey("Order", on_delete=models.PROTECT, related_name="registrations", help_text=_("The order that created it."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="registrations")
    pass_product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("pass"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    eligibility = models.CharField(_("eligibility"), max_length=15, choices=Eligibility.choices, default=Eligibility.NOT_NEEDED)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations_bought", verbose_name=_("registered by")
    )
    badge_name = models.CharField(_("name on badge"), max_length=64)
    legal_name = models.CharField(_("legal name"), max_length=200)
    affiliation = models.CharField(_("affiliation"), max_length=200)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    country = CountryField(_("country"))
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    openreview_id = models.CharField(
        _("OpenReview profile id"), max_length=100, blank=True, validators=[RegexValidator(r"^~[^\s/]+$")],
        help_text=_("e.g. ~Minji_Kim1; links you to your papers at the conference."),
    )
    code_of_conduct_accepted_at = models.DateTimeField(_("code of conduct accepted"))
    checkin_token = models.CharField(max_length=64, unique=True, default=new_checkin_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conference", "user"], condition=Q(status="active"), name="one_active_registration_per_edition"
            ),
        ]
        indexes = [
            # The staff dashboard's counts per day and per category and pass read only this index on
            # PostgreSQL (an index-only scan); other databases get a plain (conference, status) index.
            models.Index(fields=["conference", "status"], include=["created_at", "category", "pass_product"],
                         name="registration_dashboard"),
        ]

    def __str__(self) -> str:
        return f"{self.badge_name} ({self.conference})"


class SensitiveNeeds(models.Model):
    """Dietary and accessibility needs: health-related, behind their own permission."""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="needs")
    dietary = models.CharField(_("dietary needs"), max_length=500, blank=True)
    accessibility = models.CharField(_("accessibility needs"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("dietary and accessibility needs")
        verbose_name_plural = _("dietary and accessibility needs")

    def __str__(self) -> str:
        return str(self.registration_id)


class RevokedCheckinToken(models.Model):
    """Tokens that no longer admit anyone, kept so that check-in can say "revoked" rather than "unknown"."""

    token = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="revoked_tokens")
    revoked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("revoked check-in code")
        verbose_name_plural = _("revoked check-in codes")

    def __str__(self) -> str:
        return f"{self.token[:6]}… (revoked {self.revoked_at:%Y-%m-%d})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(PricePeriod, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("list price"), max_digits=10, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2, default=Decimal("0"))
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="lines")
    from_waiting_list = models.BooleanField(default=False, editable=False)
    replaces = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False,
        verbose_name=_("upgrade from"), help_text=_("Set on a pass upgrade: the pass it replaces."),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.product} for {self.registration}"

    @property
    def amount(self) -> Decimal:
        return self.price - self.discount


class EligibilityProof(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="proofs")
    file = models.FileField(_("file"), storage=private_storage, upload_to="eligibility/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    note = models.CharField(_("note to the attendee"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("eligibility proof")
        verbose_name_plural = _("eligibility proofs")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"


class WaitingListEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a seat")
        CLAIMED = "claimed", _("Claimed")
        LAPSED = "lapsed", _("Offer lapsed")
        LEFT = "left", _("Left the list")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="waiting_list")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waiting_list_entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="waiting_list")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(_("joined"), default=timezone.now)
    offer_token = models.CharField(max_length=64, blank=True, editable=False)
    offered_at = models.DateTimeField(_("offered"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer lapses"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"], condition=Q(status__in=["waiting", "offered"]), name="one_place_in_line"
            ),
        ]
        indexes = [models.Index(fields=["status", "offer_expires_at"], name="waiting_offer_due")]

    def __str__(self) -> str:
        return f"{self.user} → {self.product}"


class ConferenceDay(models.Model):
    """Which part of the edition runs on a day: check-in admits a pass only on the days it covers."""

    class Part(models.TextChoices):
        TUTORIALS = "tutorials", _("Tutorials")
        MAIN = "main", _("Main conference")
        WORKSHOPS = "workshops", _("Workshops")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="conference_days")
    date = models.DateField(_("date"))
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)

    class Meta:
        verbose_name = _("conference day")
        verbose_name_plural = _("conference days")
        ordering = ["conference", "date"]
        constraints = [models.UniqueConstraint(fields=["conference", "date"], name="one_part_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%a %d %b}: {self.get_part_display()}"


class CheckIn(models.Model):
    """A registration admitted on one day of the edition; a second scan that day is warned, not stored."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="checkins")
    date = models.DateField(_("day"))
    part = models.CharField(_("part"), max_length=10, choices=ConferenceDay.Part.choices)
    checked_in_at = models.DateTimeField(_("checked in"), default=timezone.now)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("by"),
    )
    desk = models.CharField(_("desk"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-checked_in_at"]
        constraints = [models.UniqueConstraint(fields=["registration", "date"], name="one_checkin_per_day")]
        indexes = [models.Index(fields=["date", "checked_in_at"], name="checkin_by_day")]

    def __str__(self) -> str:
        return f"{self.registration_id} on {self.date}"
