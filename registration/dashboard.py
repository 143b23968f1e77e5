"""The staff dashboard's figures for one edition, each aggregated by the database.

Every section is one or two GROUP BY / aggregate queries whatever the edition's size, so the page
costs the same at 30 and at 10,000 registrations. Sections that show money or health-related data
are computed only when the caller says the viewer may see them.

The history (registrations per day, by category and pass, revenue, needs) scans whole tables and
changes slowly, so each of those sections is kept in the cache for DASHBOARD_CACHE_SECONDS and the
page says when it was counted; the figures organisers act on (quotas, the eligibility queue, the
outbox, today's check-ins) are counted afresh on every request.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Lower, Trim, TruncDate
from django.utils import timezone

from confsite.models import Conference, OutboxEmail

from .models import (
    Category,
    CheckIn,
    ConferenceDay,
    EligibilityProof,
    Payment,
    Product,
    Quota,
    Refund,
    Registration,
    SensitiveNeeds,
)

CENTS = Decimal("0.01")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Revenue:
    currency: str
    received: Decimal
    refunded: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass(frozen=True)
class QuotaUse:
    name: str
    held: int
    size: int

    @property
    def percent(self) -> int:
        """Whole percent of seats held, 0–100 (a zero-size quota counts as full)."""
        if self.size <= 0:
            return 100
        return min(100, round(100 * self.held / self.size))


@dataclass(frozen=True)
class Queue:
    pending: int
    oldest: datetime | None


@dataclass(frozen=True)
class OutboxState:
    pending: int
    failed: int


@dataclass
class Dashboard:
    conference: Conference
    today: date
    total: int
    daily: list[tuple[date, int]]
    by_category_and_pass: list[dict]
    passes: list[str]
    quotas: list[QuotaUse]
    queue: Queue
    outbox: OutboxState
    checkins_today: dict[str, int]
    revenue: list[Revenue] | None = None
    dietary: list[tuple[str, int]] | None = None
    accessibility: list[tuple[str, int]] | None = None
    counted_at: datetime | None = None  # when the oldest cached section was counted

    @property
    def cumulative(self) -> list[tuple[date, int]]:
        """One point per day from the first registration to the last, running total."""
        points, running = [], 0
        for day, count in self.daily:
            running += count
            points.append((day, running))
        return points

    @property
    def checkins_today_total(self) -> int:
        return sum(self.checkins_today.values())


def _daily(conference: Conference) -> list[tuple[date, int]]:
    """Active registrations per day (edition's zone), gaps filled with zero days."""
    rows = (Registration.objects.filter(conference=conference, status=Registration.Status.ACTIVE)
            .annotate(day=TruncDate("created_at", tzinfo=conference.tzinfo))
            .values("day").annotate(n=Count("id")).order_by("day"))
    counts = {row["day"]: row["n"] for row in rows}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range((last - first).days + 1)]


def _by_category_and_pass(conference: Conference) -> tuple[list[dict], list[str]]:
    """Rows per category with a count per pass, plus the pass names as columns (catalogue order).

    Counted on the registration table alone, then named from the (small) catalogue: grouping before
    joining keeps the aggregate a single scan at 10,000 registrations.
    """
    counts = {(row["category_id"], row["pass_product_id"]): row["n"] for row in
              Registration.objects.filter(conference=conference, status=Registration.Status.ACTIVE)
              .values("category_id", "pass_product_id").annotate(n=Count("id")).order_by()}
    categories = list(Category.objects.filter(conference=conference).order_by("position", "id")
                      .values_list("id", "name"))
    used_passes = {pass_id for _, pass_id in counts}
    passes = [(pk, name) for pk, name in Product.objects.filter(conference=conference).order_by("position", "id")
              .values_list("id", "name") if pk in used_passes]
    table = []
    for category_id, name in categories:
        cells = [counts.get((category_id, pass_id), 0) for pass_id, _ in passes]
        if any(cells):
            table.append({"category": name, "total": sum(cells), "cells": cells})
    return table, [name for _, name in passes]


def _revenue(conference: Conference) -> list[Revenue]:
    """Money received (confirmed payments) and refunded (not failed) per currency; net = the difference."""
    received = dict(Payment.objects.filter(order__conference=conference, status=Payment.Status.CONFIRMED)
                    .values("currency").annotate(s=Sum("amount")).values_list("currency", "s"))
    refunded = dict(Refund.objects.filter(order__conference=conference).exclude(status=Refund.Status.FAILED)
                    .values("currency").annotate(s=Sum("amount")).values_list("currency", "s"))
    # Quantized: SQLite's SUM drops trailing zeros.
    return [Revenue(currency, Decimal(received.get(currency) or 0).quantize(CENTS),
                    Decimal(refunded.get(currency) or 0).quantize(CENTS))
            for currency in sorted(set(received) | set(refunded))]


def _queue(conference: Conference) -> Queue:
    row = EligibilityProof.objects.filter(registration__conference=conference,
                                          status=EligibilityProof.Status.PENDING).aggregate(
        n=Count("id"), oldest=Min("uploaded_at"))
    return Queue(row["n"], row["oldest"])


def _outbox() -> OutboxState:
    # The outbox is the deployment's, not an edition's: account e-mails carry no edition.
    row = OutboxEmail.objects.aggregate(
        pending=Count("id", filter=Q(status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING])),
        failed=Count("id", filter=Q(status=OutboxEmail.Status.FAILED)),
    )
    return OutboxState(row["pending"], row["failed"])


def _checkins(conference: Conference, today: date) -> dict[str, int]:
    rows = (CheckIn.objects.filter(registration__conference=conference, date=today)
            .values("part").annotate(n=Count("id")).order_by())
    counts = {row["part"]: row["n"] for row in rows}
    return {str(label): counts.get(value, 0) for value, label in ConferenceDay.Part.choices}


_SPACES = re.compile(r"\s+")


def normalise_need(text: str) -> str:
    """One spelling per need: case, surrounding spaces and punctuation, repeated spaces folded."""
    return _SPACES.sub(" ", text).strip(" .,;:!").lower()


def _needs(conference: Conference) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Distinct dietary and accessibility needs of active registrations with their counts, most
    frequent first. One scan: grouped by the (dietary, accessibility) pair, split here."""
    rows = (SensitiveNeeds.objects.filter(registration__conference=conference,
                                          registration__status=Registration.Status.ACTIVE)
            .annotate(diet=Lower(Trim("dietary")), access=Lower(Trim("accessibility")))
            .exclude(diet="", access="")
            .values("diet", "access").annotate(n=Count("id")).order_by())
    dietary: dict[str, int] = {}
    accessibility: dict[str, int] = {}
    for row in rows:
        for text, counts in ((row["diet"], dietary), (row["access"], accessibility)):
            key = normalise_need(text)
            if key:
                counts[key] = counts.get(key, 0) + row["n"]

    def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(((text[:1].upper() + text[1:], n) for text, n in counts.items()),
                      key=lambda item: (-item[1], item[0]))

    return ranked(dietary), ranked(accessibility)


def _history(conference: Conference, sections: list[str], max_age: int) -> tuple[dict, datetime]:
    """The slowly changing sections, each from the cache when it is younger than `max_age` seconds,
    else counted now and cached. One cache round trip to read them all and one to store the missing.
    Returns the sections by name and when the oldest of them was counted."""
    compute = {"daily": _daily, "by_category_and_pass": _by_category_and_pass, "revenue": _revenue,
               "needs": _needs}
    now = timezone.now()
    keys = {name: f"confsite:dashboard:v1:{conference.pk}:{name}" for name in sections}
    cached = {}
    if max_age > 0:
        try:
            cached = cache.get_many(list(keys.values()))
        except Exception:  # noqa: BLE001 - the cache is a shortcut; without it the page still counts
            logger.warning("dashboard: the cache could not be read; counting instead", exc_info=True)
    found, missing = {}, {}
    for name, key in keys.items():
        entry = cached.get(key)
        if entry is not None and (now - entry[0]).total_seconds() < max_age:
            found[name] = entry
        else:
            found[name] = missing[key] = (now, compute[name](conference))
    if missing and settings.DASHBOARD_CACHE_SECONDS > 0:
        try:
            cache.set_many(missing, timeout=settings.DASHBOARD_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("dashboard: the cache could not be written", exc_info=True)
    return {name: value for name, (_, value) in found.items()}, min(at for at, _ in found.values())


def build(conference: Conference, *, with_revenue: bool, with_needs: bool, today: date | None = None,
          max_age: int | None = None) -> Dashboard:
    """The dashboard's figures; revenue and needs only when asked for (the view checks permissions).

    The history sections may be up to `max_age` seconds old (DASHBOARD_CACHE_SECONDS by default;
    0 counts everything now); the rest is always counted now.
    """
    today = today or timezone.localdate(timezone=conference.tzinfo)
    max_age = settings.DASHBOARD_CACHE_SECONDS if max_age is None else max_age
    sections = ["daily", "by_category_and_pass"]
    if with_revenue:
        sections.append("revenue")
    if with_needs:
        sections.append("needs")
    history, counted_at = _history(conference, sections, max_age)
    daily = history["daily"]
    table, passes = history["by_category_and_pass"]
    dashboard = Dashboard(
        conference=conference, today=today, total=sum(n for _, n in daily), daily=daily,
        by_category_and_pass=table, passes=passes,
        quotas=[QuotaUse(name, held, size) for name, held, size in
                Quota.objects.filter(conference=conference).order_by("id").values_list("name", "held", "size")],
        queue=_queue(conference), outbox=_outbox(), checkins_today=_checkins(conference, today),
        counted_at=counted_at,
    )
    if with_revenue:
        dashboard.revenue = history["revenue"]
    if with_needs:
        dashboard.dietary, dashboard.accessibility = history["needs"]
    return dashboard
