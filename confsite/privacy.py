"""Data protection: a person's data export, the erasure of their account, and retention purges.

The core imports no app, so each app contributes its part through this registry from its
AppConfig.ready() (see `registration/privacy.py`, `schedule/privacy.py`, `sponsors/privacy.py`):

- an exporter returns that app's section of the export (a JSON-ready dict) for one user, in a fixed
  number of queries whatever the amount of data;
- a guard returns a sentence if the account cannot be erased yet (e.g. a registration for an
  edition that has not ended), or None;
- an identifier returns the person's identifiers that the app knows of (e.g. OpenReview ids on
  registrations), by kind; all of them, with every e-mail address of the account, are collected in
  `Erasure.identities` before any eraser runs, so an eraser can find what names the person in
  another app's records (paper authors matched by e-mail or OpenReview id) even after that app's
  eraser has blanked them;
- an eraser deletes or anonymises that app's personal data of the user, inside the erasure's
  transaction, and names the files to delete once it commits;
- a purge deletes one kind of data of one edition once its retention period has passed.

Retention periods are days after the edition's last day, from settings.CONFSITE_RETENTION
(defaults in RETENTION_DEFAULTS); no model field holds them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import outbox
from .models import Conference, ConsentRecord, OutboxEmail, User
from .periodic import sweeper

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "confsite.export/1"
ERASURE_PURPOSE = "account.erasure"
RETENTION_DEFAULTS = {"passport": 30, "proofs": 90, "access_log": 365}
SWEEP_EVERY = 3600  # seconds between two retention sweeps


# --- The registry --------------------------------------------------------------------------------

Exporter = Callable[[User], dict[str, Any]]
Guard = Callable[[User], "str | None"]
Eraser = Callable[[User, "Erasure"], None]
Identifier = Callable[[User], dict[str, set[str]]]


@dataclass
class Contributor:
    exporter: Exporter | None = None
    guard: Guard | None = None
    eraser: Eraser | None = None
    identifier: Identifier | None = None


@dataclass(frozen=True)
class PurgeResult:
    kind: str
    due: datetime
    count: int
    files: int
    what: str  # e.g. "eligibility proofs": the command prints "<verb> <count> <what> (<files> files)"


# (conference, *, now, dry_run) -> PurgeResult; must do nothing before retention_due(conference, kind).
Purge = Callable[..., PurgeResult]

_contributors: dict[str, Contributor] = {}
_purges: dict[str, Purge] = {}


def register(section: str, *, exporter: Exporter | None = None, guard: Guard | None = None,
             eraser: Eraser | None = None, identifier: Identifier | None = None) -> None:
    """Register an app's part of the export and of the erasure under `section` (its key in the export)."""
    _contributors[section] = Contributor(exporter, guard, eraser, identifier)


def register_purge(kind: str, purge: Purge) -> None:
    """Register a retention purge; `kind` names its period in settings.CONFSITE_RETENTION."""
    _purges[kind] = purge


def purges() -> dict[str, Purge]:
    return dict(_purges)


# --- Export --------------------------------------------------------------------------------------

def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _account(user: User) -> dict[str, Any]:
    from allauth.account.models import EmailAddress

    addresses = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "email_addresses": [{"email": a.email, "verified": a.verified, "primary": a.primary} for a in addresses],
    }


def _consents(user: User) -> list[dict[str, Any]]:
    records = ConsentRecord.objects.filter(user=user).select_related("conference", "text").order_by("recorded_at", "id")
    return [{
        "edition": r.conference.slug if r.conference else None,
        "purpose": r.purpose,
        "action": r.action,
        "text_version": r.text.version if r.text else None,
        "text": r.text.text if r.text else None,
        "scope": r.scope,
        "recorded_at": iso(r.recorded_at),
    } for r in records]


def export_user_data(user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the site holds about `user`, as JSON-ready data; nobody else's personal data.

    Issues the same number of queries whatever the amount of data (each exporter prefetches).
    """
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": iso(now or timezone.now()),
        "account": _account(user),
        "consents": _consents(user),
    }
    for section, contributor in sorted(_contributors.items()):
        if contributor.exporter is not None:
            data[section] = contributor.exporter(user)
    return data


def identities(user: User) -> dict[str, set[str]]:
    """The identifiers that name `user` across the apps: `email`, every address of the account
    (lower-cased), and what each app's identifier knows (e.g. `openreview_id` from registrations).
    The export shows what the site holds under them; the erasure erases it. 1 query plus one per
    app that registers an identifier."""
    from allauth.account.models import EmailAddress

    found: dict[str, set[str]] = {"email": {user.email.strip().lower(), *(
        e.strip().lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True))}}
    for _section, contributor in sorted(_contributors.items()):
        if contributor.identifier is not None:
            for kind, values in contributor.identifier(user).items():
                found.setdefault(kind, set()).update(v for v in values if v)
    return found


# --- Erasure -------------------------------------------------------------------------------------

@dataclass
class Erasure:
    """What an erasure did: counts per kind and the private files to delete once it commits; and, for the
    erasers, the identifiers that named the person before anything was erased (`identities["email"]`: every
    address of the account, lower-cased; `identities["openreview_id"]`: from their registrations)."""

    user_id: int
    counts: dict[str, int] = field(default_factory=dict)
    files: list[tuple[Any, str]] = field(default_factory=list)
    identities: dict[str, set[str]] = field(default_factory=dict)

    @property
    def emails(self) -> set[str]:
        return self.identities.get("email", set())

    @property
    def replacement_email(self) -> str:
        """The address that takes the place of the person's where a record must stay bound to someone."""
        return erased_email(self.user_id)

    def count(self, kind: str, number: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + number

    def delete_files(self, storage, names) -> None:
        self.files.extend((storage, name) for name in names if name)

    def scrub_admin_history(self, model, pks) -> None:
        """The Django admin's history names objects by str(obj) (a badge name, a file name): rename them
        "<model> #<pk>" in its entries about these objects."""
        from django.contrib.admin.models import LogEntry as AdminLogEntry
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import F, Value
        from django.db.models.functions import Concat

        AdminLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in pks],
        ).update(object_repr=Concat(Value(f"{model._meta.verbose_name} #"), F("object_id")))


class ErasureRefused(Exception):
    """The account cannot be erased now; the message says why and what to do."""


def erasure_refusal(user: User) -> str | None:
    """A sentence saying why `user`'s account cannot be erased now, or None."""
    if user.is_staff or user.is_superuser:
        return _("Staff accounts are closed by an administrator; ask the organisers to remove your staff access first.")
    if user.email.endswith("@erased.invalid"):
        return _("This account has already been erased.")
    for _section, contributor in sorted(_contributors.items()):
        if contributor.guard is not None:
            reason = contributor.guard(user)
            if reason:
                return reason
    return None


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@erased.invalid"


def erase_user(user: User, *, now: datetime | None = None) -> Erasure:
    """Erase or anonymise everything personal about `user`, keeping what the law requires (invoices,
    credit notes, orders' amounts and payments) and the published programme (the names of paper authors
    and speakers as published, without their private e-mail and OpenReview id; see schedule/privacy.py).

    Guarantees: all or nothing (one transaction); the confirmation e-mail is queued through the outbox
    to the address before it is erased; the account can no longer log in and all its sessions end
    (the password hash changes, which invalidates every session); the erasure is recorded in the
    consent ledger; private files are deleted only once the transaction has committed.
    Raises ErasureRefused (changing nothing) when `erasure_refusal` names a reason.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from auditlog.models import LogEntry
    from rest_framework.authtoken.models import Token

    now = now or timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        reason = erasure_refusal(user)
        if reason:
            raise ErasureRefused(reason)
        erasure = Erasure(user.pk)
        address = user.email
        erasure.identities = identities(user)
        # Mail to any of the person's addresses written earlier (receipts, reminders) holds names and
        # references: it goes.
        erasure.count("outbox e-mails", OutboxEmail.objects.filter(recipient__in=sorted(erasure.emails)).delete()[0])
        subject, text, html = outbox.render_email(
            "confsite/privacy_erasure_email", {"user": user, "site_url": settings.SITE_URL, "erased_at": now},
            user.language)
        outbox.queue_email(purpose=ERASURE_PURPOSE, object_key=f"user:{user.pk}", recipient=address,
                           subject=subject, body_text=text, body_html=html, language=user.language)
        for _section, contributor in sorted(_contributors.items()):
            if contributor.eraser is not None:
                contributor.eraser(user, erasure)
        erasure.count("e-mail addresses", EmailAddress.objects.filter(user=user).delete()[0])
        erasure.count("two-factor devices", Authenticator.objects.filter(user=user).delete()[0])
        erasure.count("API tokens", Token.objects.filter(user=user).delete()[0])
        # The audit trail keeps who did what, but no longer the e-mail or address of an erased actor.
        LogEntry.objects.filter(actor=user).update(actor_email="", remote_addr=None)
        erasure.scrub_admin_history(User, [user.pk])
        user.email = erased_email(user.pk)
        user.first_name = user.last_name = user.language = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        ConsentRecord.objects.create(user=user, purpose=ERASURE_PURPOSE, action=ConsentRecord.Action.WITHDRAWN,
                                     scope={"erased_at": iso(now), "erased": dict(sorted(erasure.counts.items())),
                                            "kept": ["orders", "payments", "refunds", "invoices", "credit notes",
                                                     "check-ins", "consent ledger", "published authorship"]})
        files = list(erasure.files)

        def delete_files() -> None:
            for storage, name in files:
                try:
                    storage.delete(name)
                except OSError:
                    logger.exception("erasure of user %s: could not delete file %s", user.pk, name)

        transaction.on_commit(delete_files)
    return erasure


# --- Retention -----------------------------------------------------------------------------------

def retention_days(kind: str) -> int:
    configured = getattr(settings, "CONFSITE_RETENTION", {}) or {}
    return int(configured.get(kind, RETENTION_DEFAULTS[kind]))


def retention_due(conference: Conference, kind: str) -> datetime:
    """The moment `kind` data of `conference` expires: the end of its last day (edition's zone) plus the period."""
    end = datetime.combine(conference.end_date, time.max, tzinfo=conference.tzinfo)
    return end + timedelta(days=retention_days(kind))


def run_purges(conference: Conference, *, now: datetime | None = None, dry_run: bool = False,
               kinds: list[str] | None = None) -> list[PurgeResult]:
    """Run the registered purges (all, or `kinds`) for one edition; each does nothing before it is due."""
    now = now or timezone.now()
    return [_purges[kind](conference, now=now, dry_run=dry_run) for kind in sorted(_purges)
            if kinds is None or kind in kinds]


@sweeper("confsite.privacy_retention")
def purge_expired(now: datetime | None = None) -> int:
    """The periodic sweep, at most once per SWEEP_EVERY: every edition past its shortest retention period is
    purged; returns the rows deleted."""
    now = now or timezone.now()
    # Retention is counted in days: once an hour is enough, not on every 30-second tick.
    if not _purges or not cache.add("confsite.privacy_retention.ran", True, timeout=SWEEP_EVERY):
        return 0
    shortest = min(retention_days(kind) for kind in _purges)
    # Widest possible zone offset (+14 h): an edition whose last day ended less than `shortest` days ago is skipped.
    latest_end = (now - timedelta(days=shortest, hours=14)).date()
    total = 0
    for conference in Conference.objects.filter(end_date__lt=latest_end):
        total += sum(result.count for result in run_purges(conference, now=now))
    return total
