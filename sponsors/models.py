"""Sponsors: tiers and benefits, organisations and their members, the consent-based recruitment
database, its access log, API tokens, interview rooms and complimentary passes.

Who may see a recruitment profile is decided in one place, `sponsors.access`; every page, API
endpoint, file download and export goes through it.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from confsite.models import Conference
from confsite.storage import private_storage
from registration.models import Voucher
from schedule.models import Topic


def new_public_id() -> str:
    """An opaque, random id for sponsor-facing URLs and forms: 20 hex digits, no order, no count."""
    return secrets.token_hex(10)


def public_id_field() -> models.CharField:
    return models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)


class Tier(models.Model):
    """A sponsorship level and the benefits it grants (organiser-configured)."""

    class Access(models.TextChoices):
        NONE = "none", _("no recruitment access")
        PROFILES = "profiles", _("profiles")
        CVS = "cvs", _("profiles and CVs")

    class LogoSize(models.TextChoices):
        SMALL = "small", _("small")
        MEDIUM = "medium", _("medium")
        LARGE = "large", _("large")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="sponsor_tiers")
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. Diamond, Platinum, Start-up"))
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Order on the sponsors page (0 first)."))
    recruitment_access = models.CharField(_("recruitment access"), max_length=10, choices=Access.choices,
                                          default=Access.NONE)
    access_from = models.DateTimeField(_("recruitment access from"), null=True, blank=True)
    access_until = models.DateTimeField(_("recruitment access until"), null=True, blank=True,
                                        help_text=_("Profiles and CVs not kept by their owners are deleted after the "
                                                    "last tier's access ends."))
    interview_hours = models.PositiveIntegerField(_("interview-room hours"), default=0)
    complimentary_passes = models.PositiveIntegerField(_("complimentary passes"), default=0)
    logo_size = models.CharField(_("logo size"), max_length=10, choices=LogoSize.choices, default=LogoSize.MEDIUM)
    placement = models.CharField(_("logo placement"), max_length=200, blank=True,
                                 help_text=_("e.g. website home page, registration desk, lanyards"))

    class Meta:
        verbose_name = _("sponsorship tier")
        verbose_name_plural = _("sponsorship tiers")
        ordering = ["conference", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "name"], name="tier_unique_name"),
            models.CheckConstraint(condition=Q(access_from__isnull=True) | Q(access_until__isnull=True)
                                   | Q(access_until__gt=models.F("access_from")), name="tier_access_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.conference.short_name})"

    def grants_recruitment_at(self, moment) -> bool:
        """True if this tier's recruitment access is open at `moment` (an aware datetime)."""
        return (self.recruitment_access != self.Access.NONE
                and self.access_from is not None and self.access_until is not None
                and self.access_from <= moment < self.access_until)


def validate_logo(file) -> None:
    """A logo must really be an image (checked from its content) of reasonable size."""
    from django.core.exceptions import ValidationError
    from PIL import Image, UnidentifiedImageError

    if file.size > 2 * 1024 * 1024:
        raise ValidationError(_("The logo is larger than 2 MB; upload a smaller image."))
    try:
        position = file.tell()
        Image.open(file).verify()
        file.seek(position)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError(_("The logo is not a PNG, JPEG, GIF or WebP image.")) from error


class Sponsor(models.Model):
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="sponsors")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="sponsors", verbose_name=_("tier"))
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    logo = models.ImageField(_("logo"), upload_to="sponsors/logos/", blank=True,
                             validators=[FileExtensionValidator(["png", "jpg", "jpeg", "gif", "webp"]), validate_logo])
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_published = models.BooleanField(_("shown on the sponsors page"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")
        ordering = ["conference", "tier__position", "name"]
        constraints = [models.UniqueConstraint(fields=["conference", "slug"], name="sponsor_unique_slug")]

    def __str__(self) -> str:
        return self.name


class SponsorMember(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("sponsor admin")
        RECRUITER = "recruiter", _("recruiter")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sponsor_memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.RECRUITER)
    added_at = models.DateTimeField(auto_now_add=True)
    public_id = public_id_field()

    class Meta:
        verbose_name = _("sponsor member")
        verbose_name_plural = _("sponsor members")
        constraints = [models.UniqueConstraint(fields=["sponsor", "user"], name="sponsor_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.sponsor}"


class RecruitmentProfile(models.Model):
    """An attendee's recruitment profile for one edition; sponsors see it only through `sponsors.access`."""

    class Position(models.TextChoices):
        BACHELOR = "bachelor", _("bachelor's student")
        MASTER = "master", _("master's student")
        PHD = "phd", _("PhD student")
        POSTDOC = "postdoc", _("postdoc")
        FACULTY = "faculty", _("faculty")
        INDUSTRY = "industry", _("industry")
        OTHER = "other", _("other")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recruitment_profiles")
    # Sponsors name a profile by this (with a MAC bound to the sponsor), never by its primary key.
    public_id = public_id_field()
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="recruitment_profiles")
    headline = models.CharField(_("headline"), max_length=200, blank=True,
                                help_text=_("e.g. PhD student in probabilistic ML, graduating 2027"))
    position = models.CharField(_("current position"), max_length=20, choices=Position.choices, blank=True)
    wants_internship = models.BooleanField(_("internship"), default=False)
    wants_full_time = models.BooleanField(_("full-time position"), default=False)
    wants_postdoc = models.BooleanField(_("postdoc"), default=False)
    graduation_date = models.DateField(_("(expected) graduation date"), null=True, blank=True)
    research_areas = models.ManyToManyField(Topic, blank=True, related_name="+", verbose_name=_("research areas"))
    locations = models.CharField(_("location preferences"), max_length=300, blank=True,
                                 help_text=_("e.g. Seoul, Europe, remote"))
    scholar_url = models.URLField(_("Google Scholar"), blank=True)
    openreview_url = models.URLField(_("OpenReview"), blank=True)
    github_url = models.URLField(_("GitHub"), blank=True)
    homepage_url = models.URLField(_("homepage"), blank=True)
    cv = models.FileField(_("CV (PDF)"), storage=private_storage, upload_to="cv/%Y/", blank=True)
    cv_uploaded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the attendee chose to share; the consent ledger holds the record of each choice.
    opted_in = models.BooleanField(_("shared with sponsors"), default=False, editable=False)
    opted_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    share_cv = models.BooleanField(_("share my CV"), default=False)
    share_email = models.BooleanField(_("share my e-mail address"), default=False)
    share_links = models.BooleanField(_("share my links"), default=True)
    new_sponsors_need_approval = models.BooleanField(
        _("ask me before a sponsor that gains access later sees my profile"), default=True)
    keep_for_next_edition = models.BooleanField(_("keep my profile for the next edition"), default=False)
    # Folded text of the profile and the attendee's paper titles, for the portal's search.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recruitment profile")
        verbose_name_plural = _("recruitment profiles")
        constraints = [models.UniqueConstraint(fields=["user", "conference"], name="recruitment_profile_unique")]
        # Viewing a profile in the admin does not open its CV: that takes this permission too.
        permissions = [("view_cv", "Can download recruitment CVs")]
        indexes = [models.Index(fields=["conference", "opted_in"], name="recruitment_opted_in")]

    def __str__(self) -> str:
        return f"{self.user} ({self.conference.short_name})"


class SponsorDecision(models.Model):
    """An attendee's choice about one sponsor: shown the profile (accepted) or never (excluded)."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        EXCLUDED = "excluded", _("excluded")

    profile = models.ForeignKey(RecruitmentProfile, on_delete=models.CASCADE, related_name="decisions")
    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sponsor decision")
        verbose_name_plural = _("sponsor decisions")
        constraints = [models.UniqueConstraint(fields=["profile", "sponsor"], name="sponsor_decision_unique")]

    def __str__(self) -> str:
        return f"{self.profile}: {self.decision} {self.sponsor}"


class ShortlistEntry(models.Model):
    """A profile on a sponsor's shortlist, with notes only that sponsor's members see."""

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="shortlist")
    profile = models.ForeignKey(RecruitmentProfile, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(_("private note"), blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shortlist entry")
        verbose_name_plural = _("shortlist entries")
        constraints = [models.UniqueConstraint(fields=["sponsor", "profile"], name="shortlist_unique")]

    def __str__(self) -> str:
        return f"{self.sponsor}: {self.profile}"


class AccessLogEntry(models.Model):
    """One read of personal data by a sponsor: a profile view, a CV download, an export."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed the profile")
        CV = "cv", _("downloaded the CV")
        EXPORT = "export", _("exported")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("portal")
        API = "api", _("API")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    profile = models.ForeignKey(RecruitmentProfile, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="access_log")
    action = models.CharField(max_length=10, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["profile", "-at"], name="access_log_profile"),
                   models.Index(fields=["sponsor", "-at"], name="access_log_sponsor")]

    def __str__(self) -> str:
        return f"{self.sponsor} {self.action} {self.at:%Y-%m-%d %H:%M}"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class APIToken(models.Model):
    """A sponsor API token: scoped to one sponsor and one member; only its hash is stored; revocable."""

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="api_tokens")
    member = models.ForeignKey(SponsorMember, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. ATS integration"))
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_id = public_id_field()

    class Meta:
        verbose_name = _("sponsor API token")
        verbose_name_plural = _("sponsor API tokens")

    def __str__(self) -> str:
        return f"{self.sponsor}: {self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, member: SponsorMember, name: str) -> tuple[APIToken, str]:
        """Create a token; returns it and the key, which is shown once and never stored."""
        key = "cs_" + secrets.token_urlsafe(32)
        token = cls.objects.create(sponsor=member.sponsor, member=member, name=name, prefix=key[:8],
                                   key_hash=hash_token(key))
        return token, key


class InterviewRoom(models.Model):
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="interview_rooms")
    name = models.CharField(_("name"), max_length=100)
    location = models.CharField(_("location"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("interview room")
        verbose_name_plural = _("interview rooms")
        ordering = ["conference", "name"]
        constraints = [models.UniqueConstraint(fields=["conference", "name"], name="interview_room_unique")]

    def __str__(self) -> str:
        return self.name


class InterviewSlot(models.Model):
    """A bookable time in an interview room; booked by at most one sponsor (a conditional UPDATE)."""

    room = models.ForeignKey(InterviewRoom, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    is_published = models.BooleanField(_("bookable"), default=True)
    sponsor = models.ForeignKey(Sponsor, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots",
                                editable=False)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", editable=False)
    booked_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_id = public_id_field()

    class Meta:
        verbose_name = _("interview slot")
        verbose_name_plural = _("interview slots")
        ordering = ["start", "room__name"]
        constraints = [
            models.UniqueConstraint(fields=["room", "start"], name="interview_slot_unique_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="interview_slot_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.start:%Y-%m-%d %H:%M}"


def new_invitation_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """A sponsor's invitation of a candidate to a booked interview slot."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("cancelled")

    slot = models.ForeignKey(InterviewSlot, on_delete=models.CASCADE, related_name="invitations")
    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="invitations")
    profile = models.ForeignKey(RecruitmentProfile, on_delete=models.CASCADE, related_name="invitations")
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_id = public_id_field()

    class Meta:
        verbose_name = _("interview invitation")
        verbose_name_plural = _("interview invitations")
        constraints = [models.UniqueConstraint(fields=["slot", "profile"], name="invitation_unique")]

    def __str__(self) -> str:
        return f"{self.sponsor} → {self.profile} ({self.status})"


class ComplimentaryPass(models.Model):
    """One of a sponsor's complimentary passes, assigned to a staff e-mail as a registration voucher."""

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="complimentary_passes")
    email = models.EmailField(_("e-mail"))
    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_id = public_id_field()

    class Meta:
        verbose_name = _("complimentary pass")
        verbose_name_plural = _("complimentary passes")
        ordering = ["sponsor", "assigned_at"]

    def __str__(self) -> str:
        return f"{self.sponsor}: {self.email}"


class MemberInvitation(models.Model):
    """A sponsor admin's invitation of an e-mail address to join the sponsor as a member.

    Every address typed in the portal gets one, whether or not it has an account, so the portal's
    answer never tells whether an address is registered. The membership is created when a user who
    owns the address (account e-mail or a verified address) opens the link and accepts.
    """

    VALID_FOR_DAYS = 14

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="member_invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=SponsorMember.Role.choices,
                            default=SponsorMember.Role.RECRUITER)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", editable=False)
    public_id = public_id_field()

    class Meta:
        verbose_name = _("sponsor member invitation")
        verbose_name_plural = _("sponsor member invitations")
        ordering = ["sponsor", "-sent_at"]
        constraints = [models.UniqueConstraint(fields=["sponsor", "email"], name="member_invitation_unique")]

    def __str__(self) -> str:
        return f"{self.sponsor}: {self.email}"

    def expires_at(self):
        from datetime import timedelta

        return self.sent_at + timedelta(days=self.VALID_FOR_DAYS)
