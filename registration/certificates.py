"""Certificates of attendance: a PDF for an attendee who was checked in, naming the days they attended.

Rendered on request (never stored): the check-ins are the record, the PDF a view of them. The
attendee downloads their own from "My registration"; organisers print a batch from the admin. A
registration never checked in has no certificate (`certificate_for` returns None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .badges import pdf_response
from .documents import _pdf
from .models import CheckIn, Registration

__all__ = ["certificate_for", "filename", "pdf_response", "print_certificates", "render_certificates"]


@dataclass
class Certificate:
    registration: Registration
    days: list[date]
    country: str


def _certificates(registrations: Iterable[Registration]) -> list[Certificate]:
    certificates = []
    for registration in registrations:
        days = sorted({checkin.date for checkin in registration.checkins.all()})
        if days:
            conference = registration.conference
            certificates.append(Certificate(registration, days, str(countries.name(conference.country)) or conference.country))
    return certificates


def _with_checkins(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    return registrations.select_related("conference", "order").prefetch_related(
        Prefetch("checkins", queryset=CheckIn.objects.only("registration_id", "date").order_by("date")))


def render_certificates(registrations: Iterable[Registration]) -> bytes | None:
    """One PDF page per registration that was checked in at least once (None if none was): two queries
    for a queryset, whatever its size."""
    if isinstance(registrations, QuerySet):
        registrations = _with_checkins(registrations)
    certificates = _certificates(registrations)
    if not certificates:
        return None
    return _pdf("registration/certificate/certificate.html",
                {"certificates": certificates, "title": _("Certificate of attendance")})


def certificate_for(registration: Registration) -> bytes | None:
    """The certificate of one registration, or None if it was never checked in."""
    return render_certificates(Registration.objects.filter(pk=registration.pk))


def filename(registration: Registration) -> str:
    name = slugify(registration.badge_name) or str(registration.pk)
    return f"certificate-{registration.conference.slug}-{name}.pdf"


@admin.action(description=_("Certificates of attendance (PDF, checked-in only)"), permissions=["view"])
def print_certificates(modeladmin, request, queryset):
    """Admin action: a certificate per selected registration that was checked in; the others are named."""
    registrations = list(_with_checkins(queryset.order_by("badge_name", "pk")))
    never = [r.badge_name for r in registrations if not r.checkins.all()]
    content = render_certificates(registrations)
    if content is None:
        modeladmin.message_user(request, _("None of the selected registrations was checked in: no certificates."),
                                level="warning")
        return None
    if never:
        # Shown on the next page the organiser opens: the download itself replaces no page.
        modeladmin.message_user(request, _("No certificate for %(names)s: never checked in.") % {"names": ", ".join(never)},
                                level="warning")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return pdf_response(content, f"certificates-{stamp}.pdf")
