"""Printable PDF badges: four A6 badges per A4 sheet, with cut lines, for the registration desk.

Each badge shows the badge name in any script (Pango shapes Hangul, CJK and Arabic right-to-left),
the affiliation, a band in the category's colour, the pass and the QR code of the registration's
check-in token. The QR code is a PNG with one pixel per module, scaled up without smoothing, so the
PDF holds exactly the matrix segno made from the token. Fonts and images come from the machine and
data: URIs only (the same renderer as the invoices: registration/documents.py).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .documents import _pdf
from .models import Category, Registration

# A band colour per kind of category, dark enough for white text (contrast ≥ 7:1 on white).
CATEGORY_COLOURS = {
    Category.Kind.ACADEMIC: "#1d4f91",
    Category.Kind.STUDENT: "#1c6b3a",
    Category.Kind.NON_ACADEMIC: "#8a2a0a",
}
DEFAULT_COLOUR = "#333333"
QR_BORDER = 2  # quiet-zone modules inside the image; the badge's white margin adds more


@dataclass
class Badge:
    registration: Registration
    colour: str
    qr_data_uri: str


def qr_png(token: str) -> bytes:
    """The QR code of a check-in token as a PNG with one pixel per module."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(buffer, kind="png", scale=1, border=QR_BORDER)
    return buffer.getvalue()


def _badge(registration: Registration) -> Badge:
    png = base64.b64encode(qr_png(registration.checkin_token)).decode("ascii")
    return Badge(registration, CATEGORY_COLOURS.get(registration.category.kind, DEFAULT_COLOUR),
                 f"data:image/png;base64,{png}")


def render_badges(registrations: Iterable[Registration]) -> bytes:
    """One PDF with a badge per registration, in the order given (one query for a queryset)."""
    if isinstance(registrations, QuerySet):
        registrations = registrations.select_related("conference", "category", "pass_product")
    badges = [_badge(registration) for registration in registrations]
    sheets = [badges[i:i + 4] for i in range(0, len(badges), 4)]
    return _pdf("registration/staff/badges/badges.html", {"sheets": sheets, "title": _("Badges")})


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(description=_("Print badges (PDF, four per A4 sheet)"), permissions=["view"])
def print_badges(modeladmin, request, queryset):
    """Admin action: the selected registrations' badges; cancelled registrations get none."""
    active = list(queryset.filter(status=Registration.Status.ACTIVE).order_by("badge_name", "pk")
                  .select_related("conference", "category", "pass_product"))
    if not active:
        modeladmin.message_user(request, _("None of the selected registrations is active: no badges to print."),
                                level="warning")
        return None
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return pdf_response(render_badges(active), f"badges-{stamp}.pdf")
