"""Registration operations: placing, paying, expiring and cancelling orders; eligibility; waiting list.

Each public function is one transaction with explicit arguments and raises a RegistrationError
subclass (with a sentence for the person) when it cannot do what was asked; then nothing changed.

Capacity discipline (after pretix's locking service): seats are taken from every quota an order
touches inside the order's transaction, with the quota rows locked in ascending id order (so two
orders never deadlock) and a lock timeout, which becomes TryAgain rather than a hung request.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite import outbox
from confsite.audit import update_audited
from confsite.models import Conference, User
from confsite.periodic import sweeper

from .eligibility import initial_eligibility
from .errors import (
    AlreadyRegistered,
    NotAllowed,
    RegistrationClosed,
    RegistrationError,
    SoldOut,
    TryAgain,
    VoucherInvalid,
)
from .models import (
    Category,
    EligibilityProof,
    Order,
    OrderLine,
    Product,
    Quota,
    Registration,
    RegistrationSettings,
    RevokedCheckinToken,
    SensitiveNeeds,
    Voucher,
    WaitingListEntry,
    new_checkin_token,
)
from .pricing import PriceBook, check_voucher_window, current_period, discount, voucher_applies, voucher_scope
from .snapshot import CatalogueSnapshot, catalogue_for

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
PROFILE_FIELDS = ("badge_name", "legal_name", "affiliation", "position", "country", "pronouns", "openreview_id")
RECRUITMENT = "recruitment"
# Draws of an order reference before giving up: a clash is ~1 in 28 million per existing order.
REFERENCE_TRIES = 5

# Tests widen the window between reading and writing capacity, to prove the lock (see
# tests/registration/test_concurrency.py). Zero in production.
_pause_after_capacity_check = 0.0


@dataclass
class AttendeeRequest:
    """One person in an order: a pass (or None to add add-ons to their registration) and add-ons."""

    email: str
    category: Category
    pass_product: Product | None
    addons: Sequence[Product] = ()
    profile: dict = field(default_factory=dict)
    dietary: str = ""
    accessibility: str = ""
    upgrade: bool = False  # pass_product replaces the pass of this person's active registration


@dataclass
class Quote:
    """What an order would cost now: the figure shown before placing is the figure charged."""

    lines: list[tuple[str, Product, Decimal, Decimal]]  # (email, product, price, discount)
    currency: str
    period_name: str

    @property
    def total(self) -> Decimal:
        return sum((price - off for _e, _p, price, off in self.lines), Decimal("0"))


def settings_for(conference: Conference) -> RegistrationSettings:
    found = RegistrationSettings.objects.filter(conference=conference).first()
    if found is None or not found.is_open:
        raise RegistrationClosed()
    return found


def _price_book(conference: Conference, snapshot: CatalogueSnapshot, now: datetime) -> PriceBook:
    period = current_period(snapshot.periods, now)
    if period is None:
        raise RegistrationClosed()
    return PriceBook(conference, period, snapshot.prices.get(period.pk, {}))


# --- Locking ---------------------------------------------------------------------------------

def _lock_timeout() -> None:
    """Bound how long this transaction waits for a row lock (PostgreSQL; SQLite uses its busy timeout)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{settings.REGISTRATION_LOCK_TIMEOUT_MS}ms"])


def _locked(queryset):
    return queryset.select_for_update() if settings.REGISTRATION_LOCKING else queryset


def _take_seats(needs: Counter, products: dict[int, Product]) -> None:
    """Take `needs[quota_id]` seats from each quota, all or nothing, locking in id order."""
    if not needs:
        return
    quotas = list(_locked(Quota.objects.filter(pk__in=needs.keys()).order_by("pk")))
    for quota in quotas:
        if quota.held + needs[quota.pk] > quota.size:
            names = sorted(p.name for p in products.values() if any(q.pk == quota.pk for q in p.quotas.all()))
            raise SoldOut(_("Sold out: %(what)s. You can join the waiting list.") % {"what": ", ".join(names) or quota.name})
    if _pause_after_capacity_check:
        time.sleep(_pause_after_capacity_check)
    for quota in quotas:
        # Written from the value read under the lock: correct with the lock, and the negative
        # control (locking off) shows exactly the lost update that the lock prevents.
        Quota.objects.filter(pk=quota.pk).update(held=quota.held + needs[quota.pk])


def _release_seats(needs: Counter) -> None:
    if not needs:
        return
    for quota in _locked(Quota.objects.filter(pk__in=needs.keys()).order_by("pk")):
        Quota.objects.filter(pk=quota.pk).update(held=max(quota.held - needs[quota.pk], 0))


def _seat_needs(products: Iterable[Product]) -> Counter:
    needs: Counter = Counter()
    for product in products:
        for quota in product.quotas.all():
            needs[quota.pk] += 1
    return needs


def _new_reference(prefix: str) -> str:
    # Not checked against existing orders: the unique index refuses a clash and place_order draws again.
    return f"{prefix}-{''.join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))}"


def _is_reference_clash(exc: IntegrityError) -> bool:
    text = str(exc)
    return "(reference)=" in text or "registration_order.reference" in text


def _translate_db_error(exc: OperationalError) -> RegistrationError:
    """A lock wait that timed out (PostgreSQL) or a busy database (SQLite) means: try again."""
    text = str(exc).lower()
    if any(word in text for word in ("lock", "timeout", "could not serialize", "deadlock")):
        return TryAgain()
    raise exc


# --- Orders ------------------------------------------------------------------------------------

def quote(conference: Conference, attendees: Sequence[AttendeeRequest], voucher_code: str = "", now: datetime | None = None) -> Quote:
    """Price an order without placing it (nothing is written, nothing locked)."""
    now = now or timezone.now()
    snapshot = catalogue_for(conference, RegistrationSettings.objects.filter(conference=conference).first())
    book = _price_book(conference, snapshot, now)
    voucher = _find_voucher(conference, voucher_code, now) if voucher_code else None
    credits = _upgrade_credits(conference, attendees)
    lines, _uses = _price_lines(book, attendees, voucher, credits)
    return Quote([(a.email, p, price, off) for a, p, price, off in lines], conference.currency, book.period.name)


def _find_voucher(conference: Conference, code: str, now: datetime, lock: bool = False) -> Voucher:
    queryset = Voucher.objects.filter(conference=conference, code=code.strip().upper())
    voucher = (_locked(queryset) if lock else queryset).first()
    if voucher is None:
        raise VoucherInvalid(_("There is no code %(code)s for this edition.") % {"code": code.strip()}, field="voucher_code")
    if voucher.revoked_at is not None:
        raise VoucherInvalid(_("The code %(code)s has been revoked. Ask whoever gave it to you for a new one.")
                             % {"code": voucher.code}, field="voucher_code")
    try:
        check_voucher_window(voucher, now)
    except VoucherInvalid as exc:
        exc.field = "voucher_code"
        raise
    if voucher.used >= voucher.max_uses:
        raise VoucherInvalid(_("The code %(code)s has been used up.") % {"code": voucher.code}, field="voucher_code")
    return voucher


def _upgrade_credits(conference: Conference, attendees: Sequence[AttendeeRequest]) -> dict[str, Decimal]:
    """What each upgrading person already paid for their current pass (their credit towards the new one)."""
    credits: dict[str, Decimal] = {}
    for attendee in attendees:
        if not attendee.upgrade:
            continue
        email = attendee.email.strip().lower()
        registration = Registration.objects.filter(conference=conference, user__email=email,
                                                   status=Registration.Status.ACTIVE).first()
        if registration is None:
            raise NotAllowed(_("%(email)s has no registration to upgrade.") % {"email": email})
        lines = OrderLine.objects.filter(
            registration=registration, order__status__in=[Order.Status.PENDING, Order.Status.PAID],
        ).exclude(product__kind=Product.Kind.ADDON)
        credits[email] = sum((line.amount for line in lines), Decimal("0"))
    return credits


def _price_lines(book: PriceBook, attendees: Sequence[AttendeeRequest], voucher: Voucher | None,
                 credits: dict[str, Decimal] | None = None):
    lines = []
    uses = 0
    scope = voucher_scope(voucher) if voucher else None
    # A voucher issued to a person applies only to the attendee with that address (any case).
    bound = voucher.for_email.strip().lower() if voucher and voucher.for_email else ""
    for attendee in attendees:
        products = ([attendee.pass_product] if attendee.pass_product else []) + list(attendee.addons)
        for product in products:
            price = book.price(product, attendee.category)
            if attendee.upgrade and product == attendee.pass_product:
                credit = (credits or {}).get(attendee.email.strip().lower(), Decimal("0"))
                if price < credit:
                    raise NotAllowed(_("%(product)s costs less than your current pass; write to the organisers to "
                                       "change to a cheaper pass.") % {"product": product.name}, field="pass_product")
                price -= credit
            off = Decimal("0")
            if (voucher and voucher_applies(scope, product, attendee.category) and uses < voucher.max_uses - voucher.used
                    and (not bound or attendee.email.strip().lower() == bound)):
                off = discount(voucher, price)
                uses += 1
            lines.append((attendee, product, price, off))
    if voucher and uses == 0 and bound and all(a.email.strip().lower() != bound for a in attendees):
        raise VoucherInvalid(_("The code %(code)s was issued to someone else: it works only when registering the "
                               "person whose e-mail address it was sent to.") % {"code": voucher.code},
                             field="voucher_code")
    if voucher and uses == 0:
        raise VoucherInvalid(
            _("The code %(code)s does not apply to what you chose.") % {"code": voucher.code}, field="voucher_code"
        )
    return lines, uses


def _validate(conference: Conference, reg_settings: RegistrationSettings, attendees: Sequence[AttendeeRequest]) -> None:
    if not attendees:
        raise NotAllowed(_("Name at least one person to register."))
    if len(attendees) > reg_settings.max_group_size:
        raise NotAllowed(_("One order can register at most %(n)d people.") % {"n": reg_settings.max_group_size})
    emails = [a.email.strip().lower() for a in attendees]
    if len(set(emails)) != len(emails):
        raise NotAllowed(_("Each person can appear only once in an order."))
    for attendee in attendees:
        products = ([attendee.pass_product] if attendee.pass_product else []) + list(attendee.addons)
        if not products:
            raise NotAllowed(_("Choose a pass or an add-on for %(email)s.") % {"email": attendee.email})
        if attendee.category.conference_id != conference.pk:
            raise NotAllowed(_("That category does not belong to this edition."))
        for product in products:
            if product.conference_id != conference.pk or not product.is_active:
                raise NotAllowed(_("%(product)s is not on sale.") % {"product": product.name})
        if attendee.pass_product and attendee.pass_product.is_addon:
            raise NotAllowed(_("%(product)s is an add-on, not a pass.") % {"product": attendee.pass_product.name})
        if any(not a.is_addon for a in attendee.addons):
            raise NotAllowed(_("Only add-ons can be added beside a pass."))
        if len({a.pk for a in attendee.addons}) != len(attendee.addons):
            raise NotAllowed(_("Each add-on can be chosen once per person."))


def _resolve_users(emails: list[str], buyer: User) -> dict[str, User]:
    # People registering themselves need no look-up: the buyer is already at hand.
    known = {buyer.email: buyer} if buyer.email in emails else {}
    others = [email for email in emails if email not in known]
    users = {**known, **({u.email: u for u in User.objects.filter(email__in=others)} if others else {})}
    for email in emails:
        if email not in users:
            user = User.objects.create_user(email=email, password=None)
            users[email] = user
    return users


def place_order(
    *,
    conference: Conference,
    buyer: User,
    attendees: Sequence[AttendeeRequest],
    accept_code_of_conduct: bool,
    voucher_code: str = "",
    idempotency_key: str = "",
    offer: WaitingListEntry | None = None,
    now: datetime | None = None,
    registration_settings: RegistrationSettings | None = None,
) -> Order:
    """Place an order that registers one or more people, holding seats and freezing prices.

    Guarantees: all or nothing; never more seats than the quotas hold; never more voucher uses
    than allowed; one active registration per person per edition; the same idempotency key from
    the same buyer returns the first order instead of placing a second one.

    `registration_settings`: the edition's settings if the caller has just read them (the API reads
    them with the edition); otherwise they are read here.
    """
    now = now or timezone.now()
    try:
        return _place_order(conference, buyer, attendees, accept_code_of_conduct, voucher_code, idempotency_key,
                            offer, now, registration_settings)
    except (RegistrationError, IntegrityError):
        # The key is looked up only when placing fails: a retry of a placed order fails (the person is
        # registered, the seat taken, or the key's unique index refuses a second order) and finds it here.
        if idempotency_key:
            first = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
            if first is not None:
                return first
        raise


def _place_order(conference, buyer, attendees, accept_code_of_conduct, voucher_code, idempotency_key, offer, now,
                 reg_settings) -> Order:
    if reg_settings is None:
        reg_settings = settings_for(conference)
    elif not reg_settings.is_open:
        raise RegistrationClosed()
    if not accept_code_of_conduct:
        raise NotAllowed(_("Please accept the code of conduct to register."), field="accept_code_of_conduct")
    _validate(conference, reg_settings, attendees)
    snapshot = catalogue_for(conference, reg_settings)
    book = _price_book(conference, snapshot, now)
    try:
        for attempt in range(1, REFERENCE_TRIES + 1):
            try:
                with transaction.atomic():
                    _lock_timeout()
                    return _place(conference, reg_settings, buyer, attendees, book, snapshot, voucher_code,
                                  idempotency_key, offer, now)
            except IntegrityError as exc:
                if _is_reference_clash(exc) and attempt < REFERENCE_TRIES:
                    continue
                raise _translate_integrity_error(exc, idempotency_key) from exc
            except OperationalError as exc:
                raise _translate_db_error(exc) from exc
        raise AssertionError("unreachable")  # the last attempt returns or raises
    except (RegistrationError, IntegrityError) as exc:
        # An order of new passes only is not checked for people already registered before it is placed
        # (the unique index refuses a second active registration); when it fails for any reason, that
        # is the reason given, as a check beforehand would have given it.
        if not _needs_registrations(attendees):
            registered = _first_registered(conference, attendees)
            if registered:
                raise AlreadyRegistered(
                    _("%(email)s is already registered for %(edition)s. Add-ons and pass changes go through "
                      "“My registration”.") % {"email": registered, "edition": conference.short_name}
                ) from exc
        raise


def _needs_registrations(attendees: Sequence[AttendeeRequest]) -> bool:
    """Whether the order changes existing registrations (upgrades, add-ons without a pass)."""
    return any(a.upgrade or not a.pass_product for a in attendees)


def _first_registered(conference: Conference, attendees: Sequence[AttendeeRequest]) -> str | None:
    emails = [a.email.strip().lower() for a in attendees]
    registered = set(Registration.objects.filter(conference=conference, user__email__in=emails,
                                                 status=Registration.Status.ACTIVE).values_list("user__email", flat=True))
    return next((email for email in emails if email in registered), None)


def _translate_integrity_error(exc: IntegrityError, idempotency_key: str) -> RegistrationError:
    """A concurrent request won a race that the checks before the transaction could not see."""
    text = str(exc)
    if idempotency_key and ("order_idempotent" in text or "registration_order.idempotency_key" in text):
        raise exc  # place_order returns the order placed first with this key
    if "one_active_registration" in text or "registration_registration.user_id" in text:
        return AlreadyRegistered(_("Someone in this order is already registered for this edition."))
    if "quota_not_oversold" in text:
        return SoldOut()
    if "voucher_not_overused" in text:
        return VoucherInvalid(_("This code has been used up."), field="voucher_code")
    raise exc


def _place(conference, reg_settings, buyer, attendees, book, snapshot, voucher_code, idempotency_key, offer,
           now) -> Order:
    emails = [a.email.strip().lower() for a in attendees]
    users = _resolve_users(emails, buyer)
    active = {
        r.user_id: r
        for r in Registration.objects.filter(conference=conference, user__in=users.values(), status=Registration.Status.ACTIVE)
    } if _needs_registrations(attendees) else {}  # else the unique index and _place_order's failure path decide
    upgrades: dict[str, Product] = {}
    for attendee, email in zip(attendees, emails, strict=True):
        user = users[email]
        if attendee.upgrade:
            existing = active.get(user.pk)
            if existing is None:
                raise NotAllowed(_("%(email)s has no registration to upgrade.") % {"email": email})
            if buyer.pk not in (existing.user_id, existing.registered_by_id):
                raise NotAllowed(_("Only the attendee or whoever registered them can change their pass."))
            current = Product.objects.prefetch_related("quotas").get(pk=existing.pass_product_id)
            new = Product.objects.prefetch_related("quotas").get(pk=attendee.pass_product.pk)
            if new.pk == current.pk:
                raise NotAllowed(_("That is already your pass."), field="pass_product")
            if {q.pk for q in new.quotas.all()} != {q.pk for q in current.quotas.all()}:
                raise NotAllowed(_("Changing between %(old)s and %(new)s changes your seat; write to the organisers.")
                                 % {"old": current.name, "new": new.name}, field="pass_product")
            upgrades[email] = current
            continue
        if attendee.pass_product and user.pk in active:
            raise AlreadyRegistered(
                _("%(email)s is already registered for %(edition)s. Add-ons and pass changes go through “My registration”.")
                % {"email": email, "edition": conference.short_name}
            )
        if not attendee.pass_product:
            existing = active.get(user.pk)
            if existing is None:
                raise NotAllowed(_("%(email)s has no registration to add to; choose a pass.") % {"email": email})
            if buyer.pk not in (existing.user_id, existing.registered_by_id):
                raise NotAllowed(_("Only the attendee or whoever registered them can add to a registration."))

    voucher = _find_voucher(conference, voucher_code, now, lock=True) if voucher_code else None
    priced, uses = _price_lines(book, attendees, voucher, _upgrade_credits(conference, attendees) if upgrades else None)

    product_ids = {p.pk for _a, p, _price, _off in priced}
    # The snapshot's products carry their quotas; one it does not know (added a moment ago) is read.
    products = {pk: snapshot.products[pk] for pk in product_ids if pk in snapshot.products}
    if len(products) < len(product_ids):
        products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids).prefetch_related("quotas")}
    # An upgrade keeps the seat it has (same quotas), so its pass line takes none.
    needs = _seat_needs(products[p.pk] for a, p, _price, _off in priced if not (a.upgrade and p == a.pass_product))
    if offer is not None:
        # The offered seat is already held for this person: do not take it twice.
        for quota in products[offer.product_id].quotas.all() if offer.product_id in products else ():
            needs[quota.pk] -= 1
        needs = +needs
    _take_seats(needs, products)
    if voucher and uses:
        Voucher.objects.filter(pk=voucher.pk).update(used=voucher.used + uses)

    total = sum((price - off for _a, _p, price, off in priced), Decimal("0"))
    # Nothing to pay (a complimentary voucher): paid at once. Otherwise a proof still to come gets the
    # same time to upload it as payment does; review pauses the clock.
    order = Order.objects.create(
        conference=conference,
        reference=_new_reference(reg_settings.order_prefix),
        buyer=buyer,
        currency=conference.currency,
        total=total,
        created_at=now,
        idempotency_key=idempotency_key,
        status=Order.Status.PAID if total == 0 else Order.Status.PENDING,
        paid_at=now if total == 0 else None,
        expires_at=None if total == 0 else now + timedelta(days=reg_settings.payment_days),
    )
    registrations: dict[str, Registration] = {}
    awaiting_proof = False
    for attendee, email in zip(attendees, emails, strict=True):
        user = users[email]
        if attendee.upgrade:
            registration = active[user.pk]
            update_audited(Registration.objects.filter(pk=registration.pk), pass_product=attendee.pass_product)
        elif attendee.pass_product:
            registration = Registration.objects.create(
                conference=conference,
                order=order,
                user=user,
                category=attendee.category,
                pass_product=attendee.pass_product,
                eligibility=initial_eligibility(conference, user, attendee.category),
                registered_by=buyer,
                code_of_conduct_accepted_at=now,
                **{k: v for k, v in attendee.profile.items() if k in PROFILE_FIELDS},
            )
            if attendee.dietary or attendee.accessibility:
                SensitiveNeeds.objects.create(
                    registration=registration, dietary=attendee.dietary, accessibility=attendee.accessibility
                )
            awaiting_proof |= registration.eligibility == Registration.Eligibility.PROOF_NEEDED
            # No recruitment consent here: sharing needs a profile, made and shared on the attendee's
            # recruitment page (linked from their registration), where the recipients are named.
        else:
            registration = active[user.pk]
        registrations[email] = registration
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            registration=registrations[attendee.email.strip().lower()],
            product=product,
            category=attendee.category,
            period=book.period,
            price=price,
            discount=off,
            voucher=voucher if off else None,
            from_waiting_list=bool(offer and product.pk == offer.product_id),
            replaces=upgrades.get(attendee.email.strip().lower()) if attendee.upgrade and product == attendee.pass_product else None,
        )
        for attendee, product, price, off in priced
    )
    if offer is not None:
        WaitingListEntry.objects.filter(pk=offer.pk).update(status=WaitingListEntry.Status.CLAIMED)

    _remember_lines(order, lines)
    _mail(order, buyer, "order_placed", {"order": order, "lines": lines, "awaiting_proof": awaiting_proof})
    for registration in registrations.values():
        if registration.user_id != buyer.pk and registration.order_id == order.pk:
            _mail(registration, registration.user, "group_member_added", {"registration": registration, "buyer": buyer})
    return order


def _remember_lines(order: Order, lines: list[OrderLine]) -> None:
    """Let `order.lines.all()` answer from the lines just written, with their products, categories,
    periods and registrations, instead of reading them back (what prefetch_related would store)."""
    queryset = order.lines.all()
    queryset._result_cache, queryset._prefetch_done = lines, True
    order._prefetched_objects_cache = {"lines": queryset}


def _mail(obj, user: User, purpose: str, context: dict, conference: Conference | None = None) -> None:
    conference = conference or obj.conference
    outbox.queue_templated_email(
        purpose=f"registration.{purpose}",
        object_key=f"{type(obj).__name__.lower()}:{obj.pk}",
        recipient=user.email,
        template_prefix=f"registration/email/{purpose}",
        context={**context, "conference": conference, "user": user, "site_url": settings.SITE_URL},
        language=user.language,
        conference=conference,
    )


def _order_for_update(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _release_order(order: Order) -> None:
    # Same lock order as placing an order (vouchers, then quotas by id), so the two never deadlock.
    lines = list(order.lines.select_related("product").prefetch_related("product__quotas"))
    used = Counter(line.voucher_id for line in lines if line.voucher_id)
    for voucher in _locked(Voucher.objects.filter(pk__in=used.keys()).order_by("pk")):
        Voucher.objects.filter(pk=voucher.pk).update(used=max(voucher.used - used[voucher.pk], 0))
    _release_seats(_seat_needs(line.product for line in lines if line.replaces_id is None))
    for line in lines:
        if line.replaces_id is not None:  # an upgrade that did not go through: back to the old pass
            update_audited(Registration.objects.filter(pk=line.registration_id, status=Registration.Status.ACTIVE),
                           pass_product=line.replaces_id)
    update_audited(Registration.objects.filter(order=order), status=Registration.Status.CANCELLED)


@transaction.atomic
def mark_paid(order: Order, *, now: datetime | None = None) -> Order:
    """Organiser records full payment (the payments issue adds providers and partial payments)."""
    order = _order_for_update(order)
    if order.status != Order.Status.PENDING:
        raise NotAllowed(_("Order %(ref)s is %(status)s, not pending.") % {"ref": order.reference, "status": order.get_status_display().lower()})
    order.status, order.paid_at, order.expires_at = Order.Status.PAID, now or timezone.now(), None
    order.save(update_fields=["status", "paid_at", "expires_at"])
    return order


def cancel_order(order: Order, *, now: datetime | None = None) -> Order:
    """Cancel a pending or paid order: registrations end, seats and voucher uses return."""
    with transaction.atomic():
        _lock_timeout()
        order = _order_for_update(order)
        if not order.is_active:
            raise NotAllowed(_("Order %(ref)s is already %(status)s.") % {"ref": order.reference, "status": order.get_status_display().lower()})
        _release_order(order)
        order.status, order.cancelled_at = Order.Status.CANCELLED, now or timezone.now()
        order.save(update_fields=["status", "cancelled_at"])
    offer_freed_seats(order.conference)
    return order


def expire_order(order: Order, *, now: datetime | None = None) -> bool:
    """Expire one unpaid order whose deadline has passed; False if it was paid or changed meanwhile."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _order_for_update(order)
        if order.status != Order.Status.PENDING or order.expires_at is None or order.expires_at > now:
            return False
        _release_order(order)
        order.status, order.cancelled_at = Order.Status.EXPIRED, now
        order.save(update_fields=["status", "cancelled_at"])
        _mail(order, order.buyer, "order_expired", {"order": order})
    return True


@sweeper("registration.expire_orders")
def expire_due_orders(now: datetime | None = None, limit: int = 500) -> int:
    now = now or timezone.now()
    due = list(Order.objects.filter(status=Order.Status.PENDING, expires_at__lte=now).order_by("expires_at")[:limit])
    expired = sum(expire_order(order, now=now) for order in due)
    if expired:
        for conference in {order.conference for order in due}:
            offer_freed_seats(conference, now=now)
    return expired


# --- Eligibility -------------------------------------------------------------------------------

MAX_PROOF_BYTES = 5 * 1024 * 1024
PROOF_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def check_proof_file(uploaded) -> str:
    """The file's real type (from its content, not its name), or a RegistrationError."""
    import filetype

    if uploaded.size > MAX_PROOF_BYTES:
        raise NotAllowed(_("The file is larger than 5 MB; upload a smaller scan or photo."), field="file")
    head = uploaded.read(262)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in PROOF_TYPES:
        raise NotAllowed(_("Upload a PDF, PNG, JPEG or WebP file; this file is none of those."), field="file")
    return kind.mime


def submit_proof(registration: Registration, uploaded, *, by: User) -> EligibilityProof:
    """Store a proof of eligibility privately; review pauses the payment deadline."""
    if by.pk != registration.user_id:
        raise NotAllowed(_("Only the attendee can upload their own proof."))
    if registration.eligibility not in (Registration.Eligibility.PROOF_NEEDED, Registration.Eligibility.REJECTED):
        raise NotAllowed(_("No proof is needed for this registration."))
    mime = check_proof_file(uploaded)
    with transaction.atomic():
        proof = EligibilityProof(
            registration=registration,
            original_name=uploaded.name[:200],
            content_type=mime,
            size=uploaded.size,
        )
        proof.file.save(f"{secrets.token_hex(16)}.{PROOF_TYPES[mime]}", uploaded, save=False)
        proof.save()
        update_audited(Registration.objects.filter(pk=registration.pk), eligibility=Registration.Eligibility.PENDING)
        update_audited(Order.objects.filter(pk=registration.order_id, status=Order.Status.PENDING), expires_at=None)
    registration.eligibility = Registration.Eligibility.PENDING
    return proof


@transaction.atomic
def decide_proof(proof: EligibilityProof, *, approve: bool, by: User, note: str = "", now: datetime | None = None) -> EligibilityProof:
    """Approve or reject a proof; the attendee is e-mailed; the payment deadline starts now."""
    now = now or timezone.now()
    proof = EligibilityProof.objects.select_for_update().select_related("registration__order").get(pk=proof.pk)
    if proof.status != EligibilityProof.Status.PENDING:
        raise NotAllowed(_("This proof was already %(status)s.") % {"status": proof.get_status_display().lower()})
    registration = proof.registration
    proof.status = EligibilityProof.Status.APPROVED if approve else EligibilityProof.Status.REJECTED
    proof.reviewed_by, proof.reviewed_at, proof.note = by, now, note
    proof.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])
    registration.eligibility = Registration.Eligibility.APPROVED if approve else Registration.Eligibility.REJECTED
    registration.save(update_fields=["eligibility"])
    days = registration.conference.registration_settings.payment_days
    update_audited(Order.objects.filter(pk=registration.order_id, status=Order.Status.PENDING),
                   expires_at=now + timedelta(days=days))
    _mail(proof, registration.user, "eligibility_approved" if approve else "eligibility_rejected",
          {"registration": registration, "proof": proof}, conference=registration.conference)
    return proof


def switch_category(registration: Registration, category: Category, *, by: User, now: datetime | None = None) -> Order:
    """After a rejection (or while a proof is awaited), move to another category at its price.

    The price is that category's price in the period the order was placed in.
    """
    now = now or timezone.now()
    if by.pk not in (registration.user_id, registration.registered_by_id):
        raise NotAllowed()
    if category.conference_id != registration.conference_id or category.pk == registration.category_id:
        raise NotAllowed(_("Choose a different category of this edition."), field="category")
    if registration.eligibility not in (Registration.Eligibility.REJECTED, Registration.Eligibility.PROOF_NEEDED):
        raise NotAllowed(_("The category can only be changed while eligibility is unresolved."))
    with transaction.atomic():
        order = _order_for_update(registration.order)
        if order.status != Order.Status.PENDING:
            raise NotAllowed(_("Only an unpaid order can change category."))
        lines = list(order.lines.filter(registration=registration).select_related("product", "period", "voucher"))
        for line in lines:
            book = PriceBook(registration.conference, line.period)
            line.price = book.price(line.product, category)
            line.category = category
            line.discount = discount(line.voucher, line.price) if line.voucher else Decimal("0")
            line.save(update_fields=["price", "category", "discount"])
        order.total = sum((line.amount for line in order.lines.all()), Decimal("0"))
        registration.category = category
        registration.eligibility = initial_eligibility(registration.conference, registration.user, category)
        registration.save(update_fields=["category", "eligibility"])
        days = registration.conference.registration_settings.payment_days
        order.expires_at = now + timedelta(days=days)
        order.save(update_fields=["total", "expires_at"])
    return order


# --- Waiting list ------------------------------------------------------------------------------

def is_sold_out(product: Product) -> bool:
    return any(q.held >= q.size for q in product.quotas.all())


def join_waiting_list(conference: Conference, user: User, product: Product) -> WaitingListEntry:
    if product.conference_id != conference.pk:
        raise NotAllowed()
    if not is_sold_out(product):
        raise NotAllowed(_("%(product)s is not sold out: you can register now.") % {"product": product.name})
    if not product.is_addon and Registration.objects.filter(
        conference=conference, user=user, status=Registration.Status.ACTIVE
    ).exists():
        raise AlreadyRegistered(_("You are already registered for this edition."))
    try:
        with transaction.atomic():
            return WaitingListEntry.objects.create(conference=conference, user=user, product=product)
    except IntegrityError as exc:
        raise NotAllowed(_("You are already on the waiting list for %(product)s.") % {"product": product.name}) from exc


def offer_freed_seats(conference: Conference, *, now: datetime | None = None) -> int:
    """Offer every seat that is free to the next people in line, holding it for them."""
    now = now or timezone.now()
    offered = 0
    hours = conference.registration_settings.waiting_list_claim_hours
    product_ids = (
        WaitingListEntry.objects.filter(conference=conference, status=WaitingListEntry.Status.WAITING)
        .values_list("product_id", flat=True).distinct()
    )
    for product in Product.objects.filter(pk__in=list(product_ids)).prefetch_related("quotas"):
        while True:
            with transaction.atomic():
                _lock_timeout()
                entry = (
                    _locked(WaitingListEntry.objects.filter(product=product, status=WaitingListEntry.Status.WAITING))
                    .order_by("created_at", "pk").first()
                )
                if entry is None:
                    break
                try:
                    _take_seats(_seat_needs([product]), {product.pk: product})
                except SoldOut:
                    break
                entry.status = WaitingListEntry.Status.OFFERED
                entry.offer_token = secrets.token_urlsafe(24)
                entry.offered_at, entry.offer_expires_at = now, now + timedelta(hours=hours)
                entry.save(update_fields=["status", "offer_token", "offered_at", "offer_expires_at"])
                _mail(entry, entry.user, "waiting_list_offer", {"entry": entry})
                offered += 1
    return offered


@sweeper("registration.lapse_offers")
def lapse_due_offers(now: datetime | None = None) -> int:
    """Offers not claimed in time lapse; their seats go to the next person in line."""
    now = now or timezone.now()
    lapsed = 0
    conferences = set()
    for entry in WaitingListEntry.objects.filter(status=WaitingListEntry.Status.OFFERED, offer_expires_at__lte=now).select_related("conference"):
        with transaction.atomic():
            locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.status != WaitingListEntry.Status.OFFERED:
                continue
            locked.status = WaitingListEntry.Status.LAPSED
            locked.save(update_fields=["status"])
            product = Product.objects.prefetch_related("quotas").get(pk=locked.product_id)
            _release_seats(_seat_needs([product]))
        lapsed += 1
        conferences.add(entry.conference)
    for conference in conferences:
        offer_freed_seats(conference, now=now)
    return lapsed


def open_offer(token: str, user: User) -> WaitingListEntry:
    entry = WaitingListEntry.objects.select_related("product").filter(offer_token=token, status=WaitingListEntry.Status.OFFERED).first() if token else None
    if entry is None or entry.offer_expires_at <= timezone.now():
        raise NotAllowed(_("This offer has lapsed or was already used."))
    if entry.user_id != user.pk:
        raise NotAllowed(_("This offer was made to someone else. Log in with the address it was sent to."))
    return entry


# --- Registrations -----------------------------------------------------------------------------

@transaction.atomic
def reissue_checkin_token(registration: Registration) -> Registration:
    """Revoke the current check-in code and issue a new one."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    RevokedCheckinToken.objects.create(token=registration.checkin_token, registration=registration)
    registration.checkin_token = new_checkin_token()
    registration.save(update_fields=["checkin_token"])
    return registration


def update_profile(registration: Registration, *, by: User, data: dict, dietary: str | None = None,
                   accessibility: str | None = None, now: datetime | None = None) -> Registration:
    """The attendee edits their profile; names are frozen after the organisers' deadline."""
    now = now or timezone.now()
    if by.pk != registration.user_id:
        raise NotAllowed(_("Only the attendee can edit their profile."))
    deadline = registration.conference.registration_settings.name_change_deadline
    changes = {k: v for k, v in data.items() if k in PROFILE_FIELDS and getattr(registration, k) != v}
    if deadline and now > deadline and ({"badge_name", "legal_name"} & changes.keys()):
        raise NotAllowed(_("Names can no longer be changed; write to the organisers."), field="badge_name")
    with transaction.atomic():
        for key, value in changes.items():
            setattr(registration, key, value)
        if changes:
            registration.full_clean(exclude=["order", "user", "category", "pass_product", "registered_by", "conference"])
            registration.save(update_fields=list(changes))
        if dietary is not None or accessibility is not None:
            needs, _created = SensitiveNeeds.objects.get_or_create(registration=registration)
            needs.dietary = dietary if dietary is not None else needs.dietary
            needs.accessibility = accessibility if accessibility is not None else needs.accessibility
            needs.save()
    return registration
