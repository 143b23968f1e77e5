"""What an edition sells, read once per process and reused until it changes.

Placing an order needs the edition's categories, products (with the quotas they draw on), price
periods and prices: five queries that return the same rows for every order. A snapshot keeps them
per process. `RegistrationSettings.catalogue_version`, read fresh with the settings for every order,
says whether a snapshot still holds: every save or delete of a category, product, quota, product's
quota link, period or price gives the edition a new version (the signals below, in the same
transaction as the change), so the next order reads the catalogue again and the prices shown are
the prices charged. A change that bypasses signals (queryset.update(), raw SQL) is seen after at
most MAX_AGE seconds, or at once after `catalogue_changed()`.

Seats are never taken from a snapshot: quota sizes and seats held are read under the row lock.
The model instances in a snapshot are shared by every request of the process: read them, never
change or save them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from confsite.models import Conference

from .models import Category, Price, PricePeriod, Product, Quota, RegistrationSettings
from .models.orders import new_catalogue_version as new_version

# A safety net for changes made without signals; signalled changes are seen by the next order.
MAX_AGE = 60.0

_snapshots: dict[int, CatalogueSnapshot] = {}


@dataclass
class CatalogueSnapshot:
    conference_id: int
    version: str | None
    categories: dict[str, Category]  # by kind
    products: dict[int, Product]  # by id, active or not, each with its quotas prefetched
    passes: dict[str, Product]  # by kind: the active pass of that kind, else the first one no longer on sale
    periods: list[PricePeriod]
    prices: dict[int, dict[tuple[int, int | None], Decimal]]  # period id → (product id, category id or None) → amount
    loaded_at: float = field(default_factory=time.monotonic)


def catalogue_for(conference: Conference, registration_settings: RegistrationSettings | None = None) -> CatalogueSnapshot:
    """The edition's catalogue, from this process's snapshot if `registration_settings` says it is current.

    Without settings (an edition whose registration was never set up) nothing is kept: the rows
    are read each time.
    """
    version = registration_settings.catalogue_version if registration_settings is not None else None
    found = _snapshots.get(conference.pk)
    if (found is not None and version is not None and found.version == version
            and time.monotonic() - found.loaded_at < MAX_AGE):
        return found
    snapshot = _load(conference, version)
    if version is not None:
        _snapshots[conference.pk] = snapshot
    return snapshot


def _load(conference: Conference, version: str | None) -> CatalogueSnapshot:
    products = list(
        Product.objects.filter(conference=conference).order_by("-is_active", "position", "pk").prefetch_related("quotas")
    )
    passes: dict[str, Product] = {}
    for product in products:
        if not product.is_addon:
            passes.setdefault(product.kind, product)  # an active one before one no longer on sale
    prices: dict[int, dict[tuple[int, int | None], Decimal]] = {}
    for price in Price.objects.filter(period__conference=conference):
        prices.setdefault(price.period_id, {})[(price.product_id, price.category_id)] = price.amount
    return CatalogueSnapshot(
        conference_id=conference.pk,
        version=version,
        categories={c.kind: c for c in Category.objects.filter(conference=conference)},
        products={p.pk: p for p in products},
        passes=passes,
        periods=list(PricePeriod.objects.filter(conference=conference)),
        prices=prices,
    )


def catalogue_changed(conference_id: int) -> None:
    """Give the edition a new catalogue version: every process reads its catalogue again."""
    RegistrationSettings.objects.filter(conference_id=conference_id).update(catalogue_version=new_version())
    _snapshots.pop(conference_id, None)


def forget_all() -> None:
    """Drop this process's snapshots (tests that reuse primary keys across a rollback)."""
    _snapshots.clear()


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=PricePeriod)
@receiver([post_save, post_delete], sender=Quota)
def _edition_row_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:  # loaddata: the settings row may not exist yet, and nothing is cached
        catalogue_changed(instance.conference_id)


@receiver([post_save, post_delete], sender=Price)
def _price_changed(sender, instance: Price, raw=False, **kwargs) -> None:
    if not raw:
        # One statement: the edition of the product priced.
        RegistrationSettings.objects.filter(
            conference__products=instance.product_id
        ).update(catalogue_version=new_version())
        _snapshots.clear()


@receiver(m2m_changed, sender=Product.quotas.through)
def _product_quotas_changed(sender, instance, action: str, **kwargs) -> None:
    # `instance` is the product (product.quotas.set(…)) or the quota (quota.products.add(…)): same edition.
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed(instance.conference_id)
