"""Reusable reads for registration pages and the API, each with a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from confsite.models import Conference, User

from .models import Category, Order, OrderLine, Price, PricePeriod, Product, Registration, WaitingListEntry
from .pricing import current_period


def catalogue(conference: Conference, now: datetime) -> dict:
    """Categories, passes, add-ons, periods and the full price matrix, for the price table and forms."""
    categories = list(Category.objects.filter(conference=conference))
    products = list(Product.objects.filter(conference=conference, is_active=True).prefetch_related("quotas"))
    periods = list(PricePeriod.objects.filter(conference=conference))
    period = current_period(periods, now)
    prices = {(p.product_id, p.category_id, p.period_id): p.amount for p in Price.objects.filter(period__conference=conference)}
    rows = []
    for product in products:
        cells = []
        for category in categories if not product.is_addon else [None]:
            for each in periods:
                key = (product.pk, category.pk if category else None, each.pk)
                amount = prices.get(key, prices.get((product.pk, None, each.pk)))
                cells.append({"category": category, "period": each, "amount": amount, "current": each == period})
        rows.append({"product": product, "cells": cells, "sold_out": any(q.held >= q.size for q in product.quotas.all())})
    return {"categories": categories, "passes": [r for r in rows if not r["product"].is_addon],
            "addons": [r for r in rows if r["product"].is_addon], "periods": periods, "current_period": period}


def active_registration(conference: Conference, user: User) -> Registration | None:
    if not user.is_authenticated:
        return None
    return (
        Registration.objects.filter(conference=conference, user=user, status=Registration.Status.ACTIVE)
        .select_related("category", "pass_product", "order", "registered_by", "needs")
        .prefetch_related("proofs", "visa_letters")
        .first()
    )


def orders_of(conference: Conference, user: User) -> QuerySet[Order]:
    lines = OrderLine.objects.select_related("product", "category", "registration")
    return Order.objects.filter(conference=conference, buyer=user).prefetch_related(
        Prefetch("lines", queryset=lines), "payments", "refunds", "invoices"
    )


def registrations_bought_for_others(conference: Conference, user: User) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(conference=conference, registered_by=user)
        .exclude(user=user)
        .select_related("user", "category", "pass_product", "order")
    )


def waiting_list_of(conference: Conference, user: User) -> QuerySet[WaitingListEntry]:
    return WaitingListEntry.objects.filter(
        conference=conference, user=user, status__in=[WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED]
    ).select_related("product")


def checkin_qr_svg(registration: Registration) -> str:
    """The check-in token as an inline SVG QR code (no script, no external image)."""
    import segno

    return segno.make(registration.checkin_token, error="m").svg_inline(scale=5, title="Check-in code")


def registrations_for_staff(conference: Conference) -> QuerySet[Registration]:
    return Registration.objects.filter(conference=conference).select_related("user", "category", "pass_product", "order")
