"""Cloning an edition: last year's structure (categories, passes, prices, quotas, tiers, rooms) into a new one.

The core knows nothing of the apps: each app registers a cloner here (from its AppConfig.ready) that
copies its part of an edition. `clone_edition` creates the new Conference and runs every cloner in
ONE transaction, so a refusal anywhere leaves nothing behind. Cloners copy configuration only, never
anything about a person or issued to one (orders, registrations, vouchers, profiles, sponsors and
their members): see each app's cloning.py for its list of what is and is not copied.

The core's own per-edition records are not copied either: the e-mail outbox and bulk e-mails are
messages to people, the consent ledger is people's decisions, and consent texts are left out on
purpose — publishing the terms of an edition (e.g. of sharing profiles with its sponsors) is what
opens that processing for the edition, so it stays a deliberate act of the organisers for each year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Conference


class CloneError(Exception):
    """The clone was refused; the message says why and what to do. Nothing was created."""


@dataclass
class CloneContext:
    source: Conference
    target: Conference
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def shift(self) -> timedelta:
        """How far every date moves: new first day minus old first day."""
        return self.target.start_date - self.source.start_date

    def shift_date(self, value: date | None) -> date | None:
        return None if value is None else value + self.shift

    def shift_datetime(self, value: datetime | None) -> datetime | None:
        # A whole number of days in UTC: a deadline at 23:59 AoE stays at 23:59 AoE.
        return None if value is None else value + self.shift


Cloner = Callable[[CloneContext], dict[str, int]]
_cloners: list[tuple[int, str, Cloner]] = []


def register(label: str, order: int = 100) -> Callable[[Cloner], Cloner]:
    """Register `fn(context) -> {"what": count}` as the cloner of one app's part of an edition."""

    def decorate(fn: Cloner) -> Cloner:
        _cloners[:] = [c for c in _cloners if c[1] != label]
        _cloners.append((order, label, fn))
        _cloners.sort(key=lambda c: (c[0], c[1]))
        return fn

    return decorate


def registered() -> list[str]:
    return [label for _, label, _ in _cloners]


COPIED_FIELDS = ["city", "country", "venue", "venue_address", "time_zone", "currency", "contact_email", "code_of_conduct"]


def clone_edition(
    source: Conference, *, name: str, short_name: str, slug: str, start_date: date, options: dict[str, Any] | None = None
) -> tuple[Conference, dict[str, int]]:
    """Create a new, not current edition with `source`'s structure, dates shifted to `start_date`.

    Guarantees: all or nothing (one transaction); the new edition is never the current one; no personal
    data is copied. Raises CloneError (and creates nothing) when the new edition is not valid.
    """
    if Conference.objects.filter(slug=slug).exists():
        raise CloneError(_("An edition with the slug “%(slug)s” exists already; choose another slug.") % {"slug": slug})
    target = Conference(
        name=name, short_name=short_name, slug=slug, start_date=start_date,
        end_date=start_date + (source.end_date - source.start_date), is_current=False,
        **{f: getattr(source, f) for f in COPIED_FIELDS},
    )
    try:
        target.full_clean()
    except ValidationError as error:
        raise CloneError(" ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                  for k, v in error.message_dict.items())) from error
    report: dict[str, int] = {}
    with transaction.atomic():
        target.save()
        context = CloneContext(source=source, target=target, options=dict(options or {}))
        for _order, _label, cloner in _cloners:
            report.update(cloner(context))
    return target, report


class CloneEditionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=200)
    short_name = forms.CharField(label=gettext_lazy("short name"), max_length=40)
    slug = forms.SlugField(label=gettext_lazy("URL slug"), max_length=40)
    start_date = forms.DateField(label=gettext_lazy("first day"), help_text=gettext_lazy("YYYY-MM-DD; every date moves by the same number of days."))
    order_prefix = forms.RegexField(
        label=gettext_lazy("order reference prefix"), max_length=10, regex=r"^[A-Z0-9]+$",
        error_messages={"invalid": gettext_lazy("Use capital letters and digits only, e.g. ICML27.")},
        help_text=gettext_lazy("For the new edition's order references, e.g. ICML27; it must differ from earlier editions'."),
    )


@admin.action(description=gettext_lazy("Clone into a new edition"), permissions=["add"])
def clone_edition_action(modeladmin, request, queryset):
    """Admin action on Conference: a small form, then `clone_edition` in one transaction."""
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Select exactly one edition to clone."), messages.ERROR)
        return None
    source = queryset.get()
    form = CloneEditionForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            target, report = clone_edition(
                source, name=data["name"], short_name=data["short_name"], slug=data["slug"],
                start_date=data["start_date"], options={"order_prefix": data["order_prefix"]},
            )
        except CloneError as error:
            form.add_error(None, str(error))
        else:
            summary = ", ".join(f"{count} {what}" for what, count in report.items())
            modeladmin.message_user(
                request, _("%(new)s was created from %(old)s (%(summary)s). It is not the current edition.")
                % {"new": target, "old": source, "summary": summary}, messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:confsite_conference_change", args=[target.pk]))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Clone %(edition)s into a new edition") % {"edition": source},
        "opts": modeladmin.model._meta,
        "source": source,
        "form": form,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/confsite/conference/clone.html", context)
