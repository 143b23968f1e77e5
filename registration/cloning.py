"""Registration's part of cloning an edition (see confsite/cloning.py): the catalogue and its settings.

Copied: registration settings (with the new order prefix and a fresh catalogue version), categories,
quotas (no seats held), passes and add-ons with their quotas, price periods and prices (deadlines
shifted), eligibility domains, conference days (shifted) and the refund policy (its dates shifted).

Never copied: orders, registrations, waiting lists, proofs, visa letters, invoices and their numbering
(each edition's series starts at 1) — anything about a person or a deal. Vouchers are deliberately not
copied either: each one was issued to someone (a person, a sponsor's complimentary pass, a society's
group deal, often bound to an e-mail address and named in its source label), its code was sent to them,
and its uses count against last year's deal. A copy would hand last year's recipients valid codes
for the new edition and carry their addresses along; the new edition's vouchers are issued anew.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext as _

from confsite.cloning import CloneContext, CloneError, register

from .models import (
    Category,
    ConferenceDay,
    EligibilityDomain,
    Price,
    PricePeriod,
    Product,
    Quota,
    RefundPolicy,
    RegistrationSettings,
)
from .models.orders import new_catalogue_version

PREFIX = RegexValidator(r"^[A-Z0-9]{1,10}$")


def _copy(instance, **changes):
    """An unsaved copy of `instance` without its primary key, with `changes` applied."""
    values = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    return type(instance)(**values)


@register("registration", order=10)
def clone_registration(context: CloneContext) -> dict[str, int]:
    source, target = context.source, context.target
    settings = RegistrationSettings.objects.filter(conference=source).first()
    if settings is not None:
        prefix = (context.options.get("order_prefix") or "").strip()
        if not prefix or not PREFIX.regex.match(prefix):
            raise CloneError(_("Give the new edition an order reference prefix of capital letters and digits, e.g. ICML27."))
        if RegistrationSettings.objects.filter(order_prefix=prefix).exists():
            raise CloneError(_("The order reference prefix “%(prefix)s” is used by another edition; choose another.")
                             % {"prefix": prefix})
        _copy(settings, conference_id=target.pk, order_prefix=prefix, catalogue_version=new_catalogue_version(),
              name_change_deadline=context.shift_datetime(settings.name_change_deadline)).save()

    categories = {c.pk: _copy(c, conference_id=target.pk) for c in Category.objects.filter(conference=source)}
    Category.objects.bulk_create(categories.values())
    quotas = {q.pk: _copy(q, conference_id=target.pk, held=0) for q in Quota.objects.filter(conference=source)}
    Quota.objects.bulk_create(quotas.values())
    old_products = list(Product.objects.filter(conference=source).prefetch_related("quotas"))
    products = {p.pk: _copy(p, conference_id=target.pk) for p in old_products}
    Product.objects.bulk_create(products.values())
    Product.quotas.through.objects.bulk_create([
        Product.quotas.through(product_id=products[p.pk].pk, quota_id=quotas[q.pk].pk)
        for p in old_products for q in p.quotas.all()
    ])
    periods = {p.pk: _copy(p, conference_id=target.pk, ends_at=context.shift_datetime(p.ends_at))
               for p in PricePeriod.objects.filter(conference=source)}
    PricePeriod.objects.bulk_create(periods.values())
    prices = [
        _copy(price, product_id=products[price.product_id].pk, period_id=periods[price.period_id].pk,
              category_id=categories[price.category_id].pk if price.category_id else None)
        for price in Price.objects.filter(product__conference=source)
    ]
    Price.objects.bulk_create(prices)
    domains = [_copy(d, conference_id=target.pk) for d in EligibilityDomain.objects.filter(conference=source)]
    EligibilityDomain.objects.bulk_create(domains)
    days = [_copy(d, conference_id=target.pk, date=context.shift_date(d.date))
            for d in ConferenceDay.objects.filter(conference=source)]
    ConferenceDay.objects.bulk_create(days)
    policies = [
        _copy(policy, conference_id=target.pk, full_refund_until=context.shift_datetime(policy.full_refund_until),
              fee_until=context.shift_datetime(policy.fee_until),
              visa_denial_applied_before=context.shift_date(policy.visa_denial_applied_before))
        for policy in RefundPolicy.objects.filter(conference=source)
    ]
    RefundPolicy.objects.bulk_create(policies)
    return {
        "categories": len(categories), "quotas": len(quotas), "passes and add-ons": len(products),
        "price periods": len(periods), "prices": len(prices), "eligibility domains": len(domains),
        "conference days": len(days), "refund policies": len(policies),
    }
