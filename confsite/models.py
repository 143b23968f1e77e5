"""Core models: people, editions, the e-mail outbox and the consent ledger."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(DjangoUserManager):
    """Users are identified by e-mail; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        blank=True,
        help_text=_("Language for e-mails; empty means the site's default."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a time zone name; use one like Asia/Seoul or Europe/Vienna."),
            params={"value": value},
        )


currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code such as USD or KRW."))
RESERVED_SLUGS = frozenset({"admin", "accounts", "api", "dev", "healthz", "static", "media"})


def validate_edition_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(value)s” is used by the site itself; choose another slug."), params={"value": value})


country_validator = RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter ISO 3166 code such as KR or AT."))


class ConferenceQuerySet(models.QuerySet):
    def current(self) -> Conference | None:
        return self.filter(is_current=True).first()


class Conference(models.Model):
    """One edition of the conference (ICML 2025, ICML 2026 …): an edition is data, not code."""

    name = models.CharField(_("name"), max_length=200, help_text=_("e.g. International Conference on Machine Learning 2026"))
    short_name = models.CharField(_("short name"), max_length=40, help_text=_("e.g. ICML 2026"))
    slug = models.SlugField(_("URL slug"), max_length=40, unique=True, validators=[validate_edition_slug], help_text=_("e.g. icml2026; public URLs start with it."))
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country code"), max_length=2, validators=[country_validator])
    venue = models.CharField(_("venue"), max_length=200)
    venue_address = models.TextField(_("venue address"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone], default="UTC")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator], default="USD")
    contact_email = models.EmailField(_("contact e-mail"))
    code_of_conduct = models.TextField(_("code of conduct"), help_text=_("Shown to every registrant, who must accept it."))
    is_current = models.BooleanField(
        _("current edition"), default=False, help_text=_("The edition that the site's home page leads to.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("conference edition")
        verbose_name_plural = _("conference editions")
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_conference"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="conference_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.short_name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def days(self) -> list[date]:
        count = (self.end_date - self.start_date).days + 1
        return [date.fromordinal(self.start_date.toordinal() + i) for i in range(count)]


class OutboxEmail(models.Model):
    """One e-mail to one recipient for one event, written in the transaction that causes it.

    The unique (purpose, object_key, recipient) triple is what makes "never sent twice for one
    event" hold: writing the same event again finds the existing row instead of adding one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    purpose = models.CharField(_("purpose"), max_length=64, help_text=_("e.g. account.email_confirmation"))
    object_key = models.CharField(_("object"), max_length=128, help_text=_("What the e-mail is about, e.g. order:42"))
    recipient = models.EmailField(_("recipient"))
    conference = models.ForeignKey(Conference, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(_("language"), max_length=10, blank=True)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("plain-text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox e-mails")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "object_key", "recipient"], name="outbox_one_per_event"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"


class BulkMailing(models.Model):
    """An organiser's e-mail to a filtered set of attendees: previewed, then queued through the outbox.

    Each recipient gets one outbox row (purpose "bulk", object "bulk:<pk>"), written in their language
    where the mailing has a translation, spaced out at `per_minute`; the outbox rows are the progress.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        QUEUED = "queued", _("queued")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="bulk_mailings")
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text"), help_text=_("Plain text; {{ name }} becomes the recipient's badge name."))
    translations = models.JSONField(
        _("translations"), default=dict, blank=True,
        help_text=_('Per language code: {"ko": {"subject": "…", "body_text": "…"}}.'),
    )
    essential = models.BooleanField(
        _("essential"), default=False,
        help_text=_("About the attendee's registration or safety: sent to everyone, without an unsubscribe link."),
    )
    audience = models.CharField(_("audience"), max_length=500, help_text=_("How the recipients were chosen."))
    recipient_ids = models.JSONField(_("recipients"), default=list, blank=True, editable=False)
    per_minute = models.PositiveIntegerField(_("e-mails per minute"), default=120, validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("confsite.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk e-mail")
        verbose_name_plural = _("bulk e-mails")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class ConsentText(models.Model):
    """A versioned consent text; records point at the exact version a person agreed to."""

    conference = models.ForeignKey(Conference, null=True, blank=True, on_delete=models.PROTECT, related_name="consent_texts")
    purpose = models.CharField(_("purpose"), max_length=64, help_text=_("e.g. recruitment, code_of_conduct"))
    version = models.CharField(_("version"), max_length=32)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["conference", "purpose", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "purpose", "version"], name="consent_text_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"


class ConsentRecord(models.Model):
    """The consent ledger: append-only; the latest row for (user, conference, purpose) is in force."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("granted")
        WITHDRAWN = "withdrawn", _("withdrawn")

    user = models.ForeignKey("confsite.User", on_delete=models.CASCADE, related_name="consents")
    conference = models.ForeignKey(Conference, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=64)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    text = models.ForeignKey(ConsentText, null=True, blank=True, on_delete=models.PROTECT, related_name="records")
    scope = models.JSONField(_("scope"), default=dict, blank=True, help_text=_("What exactly was agreed to, e.g. recipients."))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["user", "conference", "purpose", "-recorded_at"], name="consent_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action="withdrawn") | Q(text__isnull=False), name="consent_grant_names_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.purpose}"


class PeriodicRun(models.Model):
    """When each periodic job last ran and how it ended, for /healthz and the organisers."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
