"""Times of the programme: `<time>` elements in the edition's zone that static/js/schedule.js can
rewrite into the viewer's own zone.

    {% load schedule_times %}
    {% local_time session.start conference "H:i" %}
        → <time datetime="2026-07-07T01:00:00Z" data-schedule-time="time">10:00</time>
    {% local_time slot.start conference "D j M, H:i" zone=True %}
        → <time datetime="…" data-schedule-time="datetime">Tue 7 Jul, 10:00 KST</time>
    {% time_zone_note conference %}
        → "Times are in Korea Standard Time …" plus the (script-enabled) switch button
    {{ value|edition_local:conference }}  → the aware datetime in the edition's zone (for grouping)

The format is a Django date format (`date` filter syntax). `data-schedule-time` tells the script
what to show once it switches zones: "time" (hours and minutes), "date" (weekday, day, month) or
"datetime" (both), derived from the format's letters. Deliberately not `data-local-time` (site.js
converts those unconditionally): schedule pages show the edition's zone until the viewer asks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

_TIME_LETTERS = set("aAfgGhHiPsu")
_DATE_LETTERS = set("dDjlLmMnNSwWyYzFbE")


def utc_iso(value: datetime) -> str:
    """`2026-07-07T01:00:00Z`: the machine-readable form of an aware datetime."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kind(fmt: str) -> str:
    letters = set(fmt)
    has_time, has_date = bool(letters & _TIME_LETTERS), bool(letters & _DATE_LETTERS)
    if has_time and has_date:
        return "datetime"
    return "date" if has_date else "time"


@register.filter
def edition_local(value: datetime | None, conference) -> datetime | None:
    """`value` converted to the edition's time zone (None stays None)."""
    if value is None or conference is None:
        return value
    return value.astimezone(conference.tzinfo)


@register.simple_tag
def local_time(value: datetime | None, conference, fmt: str = "H:i", zone: bool = False) -> str:
    """A `<time>` element showing `value` in the edition's zone; empty for None.

    With `zone=True` the zone's abbreviation (e.g. "KST") follows the text.
    """
    if value is None:
        return ""
    local = value.astimezone(conference.tzinfo)
    text = dateformat.format(local, fmt)
    if zone:
        text = f"{text} {local.tzname()}"
    return format_html('<time datetime="{}" data-schedule-time="{}">{}</time>', utc_iso(value), _kind(fmt), text)


@register.simple_tag
def zone_label(conference) -> str:
    """The edition's zone as people read it: "KST (Asia/Seoul)"."""
    now = datetime.now(UTC).astimezone(conference.tzinfo)
    abbreviation = now.tzname() or conference.time_zone
    if abbreviation == conference.time_zone:
        return abbreviation
    return f"{abbreviation} ({conference.time_zone})"


@register.inclusion_tag("schedule/_time_zone_note.html")
def time_zone_note(conference) -> dict:
    """The "Times are in KST (Asia/Seoul)" line with the script's switch button (hidden without JS)."""
    return {"conference": conference, "label": zone_label(conference),
            "switch_label": _("Show times in my time zone"),
            "back_label": _("Show times in %(zone)s") % {"zone": zone_label(conference)},
            # The script fills in the viewer's zone name.
            "viewer_text": _("Times are in your time zone (%(zone)s).")}
