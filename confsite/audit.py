"""The audit trail: django-auditlog records who changed what and when on the models listed here.

Models are named by label, so the core imports no app. Only the fields listed are recorded
(include_fields): state, money, decisions and access levels, never names, e-mail addresses,
addresses, notes or files. PassportData and SensitiveNeeds are never registered.

auditlog stores `str(instance)` as each entry's object_repr; for models whose __str__ shows a person's
name or a file name, the entry shows "<model> #<pk>" instead (`REDACTED_REPR`).

Changes made through the admin and the staff pages are attributed by auditlog's middleware; code
running outside a request (commands, Celery tasks) names its actor with `acting_as`.
"""

from __future__ import annotations

from contextlib import contextmanager

from auditlog.context import set_actor
from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.admin.utils import unquote
from django.db.models.signals import pre_save
from django.http import Http404
from django.utils.translation import gettext as _

AUDITED: dict[str, list[str]] = {
    "registration.Order": ["status", "total", "currency", "expires_at", "paid_at", "cancelled_at", "needs_attention"],
    "registration.Payment": ["order", "provider", "status", "amount", "currency", "external_id", "confirmed_at",
                             "recorded_by"],
    "registration.Refund": ["order", "payment", "status", "amount", "currency", "completed_at", "completed_by"],
    "registration.EligibilityProof": ["registration", "status", "reviewed_by", "reviewed_at"],
    "registration.Registration": ["order", "status", "eligibility", "category", "pass_product"],
    "registration.CheckIn": ["registration", "date", "part", "checked_in_by", "desk"],
    "sponsors.Tier": ["name", "recruitment_access", "access_from", "access_until"],
    "sponsors.Sponsor": ["name", "tier", "is_published"],
}
NEVER_AUDITED = ("registration.PassportData", "registration.SensitiveNeeds", "sponsors.RecruitmentProfile")
REDACTED_REPR = ("registration.Registration", "registration.EligibilityProof")


def register_models() -> None:
    """Register the audited models with auditlog (called once, from the core's AppConfig.ready())."""
    for label, fields in AUDITED.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, include_fields=list(fields))
    pre_save.connect(_redact_repr, sender=LogEntry, dispatch_uid="confsite.audit.redact_repr")


def _redact_repr(sender, instance: LogEntry, **kwargs) -> None:
    model = instance.content_type.model_class()
    if model is not None and model._meta.label in REDACTED_REPR:
        instance.object_repr = f"{model._meta.verbose_name} #{instance.object_pk}"


@contextmanager
def acting_as(user):
    """Attribute the audit entries written inside the block to `user` (outside a request)."""
    with set_actor(user):
        yield


class AuditHistoryAdmin(AuditlogHistoryAdminMixin):
    """An admin's "Audit log" column and page (…/<id>/auditlog/): the object's entries, newest first.

    auditlog's own view fails on an id that names nothing; here that is a 404 like the rest of the
    admin. Seeing the page needs the view permission of the object, as in auditlog.
    """

    show_auditlog_history_link = True

    def auditlog_history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("There is no such record."))
        return super().auditlog_history_view(request, object_id, extra_context)
