"""The audit trail: django-auditlog records who changed what and when on the models listed here.

Models are named by label, so the core imports no app. Only the fields listed are recorded
(include_fields): state, money, decisions and access levels, never names, e-mail addresses,
addresses, notes or files. PassportData and SensitiveNeeds are never registered.

auditlog stores `str(instance)` as each entry's object_repr; for models whose __str__ shows a person's
name or a file name, the entry shows "<model> #<pk>" instead (`REDACTED_REPR`).

Changes made through the admin and the staff pages are attributed by auditlog's middleware; code
running outside a request (commands, Celery tasks) names its actor with `acting_as`.

auditlog listens to save() and delete(); a bulk `QuerySet.update()` passes it by. Services that change
an audited field with a conditional or bulk UPDATE (compare-and-set on a status, every registration of
an order) use `update_audited`, which keeps the UPDATE and writes the entries save() would have.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled, set_actor
from auditlog.diff import model_instance_diff
from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.signals import pre_save
from django.http import Http404
from django.utils.encoding import smart_str
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


def update_audited(queryset: models.QuerySet, **values) -> int:
    """`queryset.update(**values)` that leaves the audit trail save() would: one entry per row whose audited
    fields change, with the actor (request, or `acting_as`) and exactly the audited fields that changed,
    old and new value as auditlog writes them. Returns the number of rows updated.

    Guarantees: the rows `queryset` matches are locked (SELECT … FOR UPDATE, in primary-key order) before
    their old values are read, and then updated by primary key. A concurrent writer therefore waits
    exactly as it would for the bare UPDATE, and a condition in `queryset` (e.g. status=pending: a
    compare-and-set) is decided once, on the locked rows: a row changed meanwhile is re-checked and
    skipped, as UPDATE … WHERE does. Nothing is read or written for the trail when `values` holds no
    audited field, or inside `disable_auditlog()`: that is the bare UPDATE.
    """
    model = queryset.model
    audited = set(AUDITED.get(model._meta.label, ())) & set(values)
    if not audited or not auditlog.contains(model) or auditlog_disabled.get():
        return queryset.update(**values)
    with transaction.atomic(savepoint=False):
        rows = list(queryset.select_for_update().order_by("pk"))
        if not rows:
            return 0
        updated = model._base_manager.filter(pk__in=[row.pk for row in rows]).update(**values)
        if any(hasattr(value, "resolve_expression") for value in values.values()):
            after = model._base_manager.in_bulk([row.pk for row in rows])
            changed = [(row, after[row.pk]) for row in rows]
        else:
            changed = [(row, _with(row, values)) for row in rows]
        content_type = ContentType.objects.get_for_model(model)
        for old, new in changed:
            changes = model_instance_diff(old, new, fields_to_check=audited)
            if changes:
                # log_create() would compute str(instance), which for a registration reads its edition.
                LogEntry.objects.create(
                    content_type=content_type, object_pk=str(new.pk), object_id=new.pk,
                    object_repr=(f"{model._meta.verbose_name} #{new.pk}" if model._meta.label in REDACTED_REPR
                                 else smart_str(new)),
                    action=LogEntry.Action.UPDATE, changes=changes, cid=get_cid())
    return updated


def _with(instance: models.Model, values: dict) -> models.Model:
    """A copy of `instance` with `values` set (a foreign key may be given as an object or as its id)."""
    new = copy.copy(instance)
    for name, value in values.items():
        field = instance._meta.get_field(name)
        setattr(new, field.attname if field.is_relation and not isinstance(value, models.Model) else name, value)
    return new


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
