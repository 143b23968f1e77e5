"""A standard registration catalogue for an edition: categories, passes, add-ons, quotas, periods, prices.

Used by the demo loader and the tests; organisers build theirs in the admin. The amounts are
plausible placeholders, not ICML's real prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from confsite.models import Conference

from .models import Category, EligibilityDomain, Price, PricePeriod, Product, Quota, RegistrationSettings
from .pricing import end_of_day_aoe

A, S, N = Category.Kind.ACADEMIC, Category.Kind.STUDENT, Category.Kind.NON_ACADEMIC

# pass kind: (name, in person, tutorials, main, workshops, {category: (early, regular, late)})
PASSES = {
    Product.Kind.FULL: ("Full conference", True, True, True, True,
                        {A: (850, 950, 1100), S: (450, 500, 600), N: (1250, 1400, 1600)}),
    Product.Kind.MAIN: ("Main conference", True, False, True, False,
                        {A: (650, 750, 850), S: (350, 400, 480), N: (950, 1050, 1200)}),
    Product.Kind.TUTORIALS: ("Tutorials only", True, True, False, False,
                             {A: (250, 300, 350), S: (120, 150, 180), N: (400, 450, 500)}),
    Product.Kind.WORKSHOPS: ("Workshops only", True, False, False, True,
                             {A: (300, 350, 400), S: (150, 180, 210), N: (450, 500, 550)}),
    Product.Kind.VIRTUAL: ("Virtual pass", False, True, True, True,
                           {A: (150, 150, 150), S: (75, 75, 75), N: (250, 250, 250)}),
    Product.Kind.EXHIBITOR: ("Exhibitor", True, False, True, False, {N: (600, 600, 600)}),
}
DOMAINS = [("edu", False), ("ac.kr", False), ("ac.uk", False), ("ac.jp", False), ("edu.cn", False),
           ("kaist.ac.kr", True), ("snu.ac.kr", True)]


@dataclass
class Catalogue:
    categories: dict[str, Category]
    products: dict[str, Product]
    quotas: dict[str, Quota]
    periods: dict[str, PricePeriod]


@transaction.atomic
def build_standard_catalogue(
    conference: Conference,
    *,
    early_until: date,
    regular_until: date,
    venue_seats: int = 9000,
    social_seats: int = 1200,
    order_prefix: str = "",
    payment_days: int = 14,
) -> Catalogue:
    """Create (or update) the standard catalogue: three categories, six passes, a social event."""
    RegistrationSettings.objects.update_or_create(
        conference=conference,
        defaults={"order_prefix": order_prefix or "".join(ch for ch in conference.short_name.upper() if ch.isalnum())[:10],
                  "payment_days": payment_days},
    )
    categories = {}
    for position, (kind, name) in enumerate([(A, "Academic"), (S, "Student"), (N, "Non-academic")]):
        categories[kind], _ = Category.objects.update_or_create(
            conference=conference, kind=kind, defaults={"name": name, "position": position}
        )
    quotas = {
        "venue": Quota.objects.update_or_create(conference=conference, name="Venue (in person)", defaults={"size": venue_seats})[0],
        "social": Quota.objects.update_or_create(conference=conference, name="Social event", defaults={"size": social_seats})[0],
    }
    periods = {}
    for kind, name, until in [(PricePeriod.Kind.EARLY, "Early-bird", early_until),
                              (PricePeriod.Kind.REGULAR, "Regular", regular_until),
                              (PricePeriod.Kind.LATE, "Late / on-site", None)]:
        periods[kind], _ = PricePeriod.objects.update_or_create(
            conference=conference, kind=kind, defaults={"name": name, "ends_at": end_of_day_aoe(until) if until else None}
        )
    products = {}
    for position, (kind, (name, in_person, tut, main, ws, table)) in enumerate(PASSES.items()):
        product, _ = Product.objects.update_or_create(
            conference=conference, kind=kind,
            defaults={"name": name, "position": position, "in_person": in_person, "covers_tutorials": tut,
                      "covers_main": main, "covers_workshops": ws},
        )
        product.quotas.set([quotas["venue"]] if in_person else [])
        products[kind] = product
        for category_kind, amounts in table.items():
            for period_kind, amount in zip((PricePeriod.Kind.EARLY, PricePeriod.Kind.REGULAR, PricePeriod.Kind.LATE),
                                           amounts, strict=True):
                Price.objects.update_or_create(
                    product=product, category=categories[category_kind], period=periods[period_kind],
                    defaults={"amount": Decimal(amount)},
                )
    social, _ = Product.objects.update_or_create(
        conference=conference, kind=Product.Kind.ADDON, name="Social event",
        defaults={"position": 10, "in_person": True, "description": "Dinner and reception, Thursday evening."},
    )
    social.quotas.set([quotas["social"]])
    products["social"] = social
    for period in periods.values():
        Price.objects.update_or_create(product=social, category=None, period=period, defaults={"amount": Decimal(80)})
    for domain, student in DOMAINS:
        EligibilityDomain.objects.update_or_create(conference=conference, domain=domain, defaults={"grants_student": student})
    return Catalogue(categories, products, quotas, periods)
