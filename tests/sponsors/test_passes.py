"""Complimentary passes: a sponsor admin gives the tier's passes to staff e-mails as registration vouchers."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from confsite.models import OutboxEmail
from registration import services as registration
from registration.catalogue import build_standard_catalogue
from registration.errors import VoucherInvalid
from registration.models import Category, Order, Product, Voucher
from sponsors import passes
from sponsors.models import ComplimentaryPass
from sponsors.services import SponsorError
from tests.factories import VerifiedUserFactory
from tests.factories.sponsors import SponsorFactory, SponsorMemberFactory, TierFactory
from tests.registration.conftest import attendee
from tests.sponsors.test_two_factor import with_totp

pytestmark = pytest.mark.django_db
PASSES = "/icml2026/sponsor-portal/acme/passes/"


@pytest.fixture
def catalogue(conference):
    today = timezone.now().date()
    return build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                    regular_until=today + timedelta(days=60), order_prefix="ICML26")


@pytest.fixture
def acme(conference, catalogue):
    return SponsorFactory(conference=conference, name="Acme", slug="acme",
                          tier=TierFactory(conference=conference, name="Gold", complimentary_passes=2))


@pytest.fixture
def admin(acme):
    return with_totp(SponsorMemberFactory(sponsor=acme, role="admin", user__email="boss@acme.example").user)


def register_with(conference, catalogue, code, email="jane@acme.example", kind=Product.Kind.FULL):
    buyer = VerifiedUserFactory(email=email)
    return registration.place_order(
        conference=conference, buyer=buyer, accept_code_of_conduct=True, voucher_code=code,
        attendees=[attendee(email, catalogue.categories[Category.Kind.NON_ACADEMIC], catalogue.products[kind])])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- The service ---------------------------------------------------------------------------------

def test_a_pass_is_a_voucher_for_the_full_pass_sent_by_email(conference, catalogue, acme, admin, settings):
    given = passes.assign_pass(acme, " Jane@Acme.example ", by=admin)
    voucher = given.voucher
    assert (given.email, given.assigned_by, passes.status(given)) == ("jane@acme.example", admin, "unused")
    assert (voucher.kind, voucher.max_uses, voucher.source) == (
        Voucher.Kind.COMPLIMENTARY, 1, "sponsor: Acme (jane@acme.example)")
    assert list(voucher.products.all()) == [catalogue.products[Product.Kind.FULL]]
    mail = OutboxEmail.objects.get()
    assert (mail.purpose, mail.object_key, mail.recipient) == ("sponsor_pass", str(given.pk), "jane@acme.example")
    assert mail.subject == "[Confsite] A complimentary ICML 2026 pass from Acme"
    assert f"Your voucher code: {voucher.code}" in mail.body_text
    assert f"{settings.SITE_URL}/icml2026/register/" in mail.body_text


def test_the_voucher_registers_the_staff_member_for_nothing(conference, catalogue, acme):
    given = passes.assign_pass(acme, "jane@acme.example")
    order = register_with(conference, catalogue, given.voucher.code)
    assert (order.total, order.status) == (Decimal("0.00"), Order.Status.PAID)
    given.refresh_from_db()
    assert passes.status(given) == "used"


def test_the_tier_limits_the_passes_held(acme):
    passes.assign_pass(acme, "a@acme.example")
    passes.assign_pass(acme, "b@acme.example")
    with pytest.raises(SponsorError, match="All 2 complimentary passes of your tier are assigned."):
        passes.assign_pass(acme, "c@acme.example")
    assert ComplimentaryPass.objects.count() == 2
    assert Voucher.objects.count() == 2


def test_one_email_holds_one_pass(acme):
    passes.assign_pass(acme, "a@acme.example")
    with pytest.raises(SponsorError, match="a@acme.example already has one of your passes."):
        passes.assign_pass(acme, "A@acme.example")


def test_a_bad_address_is_refused(acme):
    with pytest.raises(SponsorError, match="is not an e-mail address"):
        passes.assign_pass(acme, "jane at acme")
    assert Voucher.objects.count() == 0


def test_revoking_an_unused_pass_closes_the_code_and_frees_the_pass(conference, catalogue, acme):
    first = passes.assign_pass(acme, "a@acme.example")
    passes.assign_pass(acme, "b@acme.example")
    passes.revoke_pass(first)
    first.refresh_from_db()
    assert passes.status(first) == "revoked"
    with pytest.raises(VoucherInvalid) as refused:
        register_with(conference, catalogue, first.voucher.code, email="a@acme.example")
    assert refused.value.message == (f"The code {first.voucher.code} has been revoked. Ask whoever gave it to you for "
                                     "a new one.")
    assert passes.assign_pass(acme, "c@acme.example").email == "c@acme.example"
    assert passes.passes_in_use(acme) == 2


def test_reassigning_revokes_the_old_code_and_sends_a_new_one(conference, catalogue, acme):
    old = passes.assign_pass(acme, "a@acme.example")
    new = passes.reassign_pass(old, "b@acme.example")
    old.refresh_from_db()
    assert (passes.status(old), passes.status(new), new.email) == ("revoked", "unused", "b@acme.example")
    assert new.voucher.code != old.voucher.code
    assert sorted(OutboxEmail.objects.values_list("recipient", flat=True)) == ["a@acme.example", "b@acme.example"]
    with pytest.raises(VoucherInvalid):
        register_with(conference, catalogue, old.voucher.code)
    assert register_with(conference, catalogue, new.voucher.code, email="b@acme.example").total == Decimal("0.00")


def test_the_voucher_is_bound_to_the_assigned_address_and_refuses_anyone_else(conference, catalogue, acme):
    given = passes.assign_pass(acme, "Jane@Acme.example")
    assert given.voucher.for_email == "jane@acme.example"
    with pytest.raises(VoucherInvalid) as refused:
        register_with(conference, catalogue, given.voucher.code, email="someone.else@gmail.example")
    assert refused.value.message == (f"The code {given.voucher.code} was issued to someone else: it works only when "
                                     "registering the person whose e-mail address it was sent to.")
    assert "jane@acme.example" not in refused.value.message
    given.voucher.refresh_from_db()
    assert (Order.objects.count(), given.voucher.used, passes.status(given)) == (0, 0, "unused")
    order = register_with(conference, catalogue, given.voucher.code, email="JANE@acme.EXAMPLE")
    assert (order.total, order.status) == (Decimal("0.00"), Order.Status.PAID)


def test_a_group_order_uses_the_voucher_only_for_the_bound_attendee(conference, catalogue, acme):
    given = passes.assign_pass(acme, "jane@acme.example")
    boss = VerifiedUserFactory(email="boss@acme.example")
    category, full = catalogue.categories[Category.Kind.NON_ACADEMIC], catalogue.products[Product.Kind.FULL]
    order = registration.place_order(
        conference=conference, buyer=boss, accept_code_of_conduct=True, voucher_code=given.voucher.code,
        attendees=[attendee("boss@acme.example", category, full), attendee("jane@acme.example", category, full)])
    lines = {line.registration.user.email: (line.price, line.discount) for line in order.lines.select_related(
        "registration__user")}
    assert lines["jane@acme.example"][1] == lines["jane@acme.example"][0]
    assert lines["boss@acme.example"][1] == Decimal("0")


def test_reassigning_rebinds_the_pass_to_the_new_address(conference, catalogue, acme):
    old = passes.assign_pass(acme, "a@acme.example")
    new = passes.reassign_pass(old, "b@acme.example")
    assert (new.voucher.for_email, new.voucher.revoked_at) == ("b@acme.example", None)
    with pytest.raises(VoucherInvalid, match="was issued to someone else"):
        register_with(conference, catalogue, new.voucher.code, email="a@acme.example")
    with pytest.raises(VoucherInvalid, match="has been revoked"):
        register_with(conference, catalogue, old.voucher.code, email="b@acme.example")
    assert Order.objects.count() == 0


def test_the_registration_form_says_so_and_changes_nothing(client, conference, catalogue, acme):
    from tests.registration.test_views import form_data

    given = passes.assign_pass(acme, "jane@acme.example")
    client.force_login(VerifiedUserFactory(email="mallory@gmail.example"))
    data = form_data(catalogue.categories[Category.Kind.NON_ACADEMIC], catalogue.products[Product.Kind.FULL],
                     voucher_code=given.voucher.code.lower())
    response = client.post("/icml2026/register/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["voucher_code"] == [
        f"The code {given.voucher.code} was issued to someone else: it works only when registering the person whose "
        "e-mail address it was sent to."]
    given.voucher.refresh_from_db()
    assert (Order.objects.count(), given.voucher.used) == (0, 0)


def test_a_used_pass_cannot_be_revoked_or_reassigned(conference, catalogue, acme):
    given = passes.assign_pass(acme, "a@acme.example")
    register_with(conference, catalogue, given.voucher.code, email="a@acme.example")
    message = "The pass for a@acme.example has been used to register, so it cannot be revoked or given to someone else."
    with pytest.raises(SponsorError, match=message):
        passes.revoke_pass(given)
    with pytest.raises(SponsorError, match=message):
        passes.reassign_pass(given, "b@acme.example")
    given.refresh_from_db()
    assert (passes.status(given), ComplimentaryPass.objects.count()) == ("used", 1)


def test_reassigning_to_a_holder_changes_nothing(acme):
    first = passes.assign_pass(acme, "a@acme.example")
    passes.assign_pass(acme, "b@acme.example")
    with pytest.raises(SponsorError, match="b@acme.example already has one of your passes."):
        passes.reassign_pass(first, "b@acme.example")
    first.refresh_from_db()
    assert passes.status(first) == "unused"
    assert Voucher.objects.get(pk=first.voucher_id).max_uses == 1


def test_a_revoked_pass_cannot_be_revoked_again(acme):
    given = passes.assign_pass(acme, "a@acme.example")
    passes.revoke_pass(given)
    with pytest.raises(SponsorError, match="That pass was already revoked."):
        passes.revoke_pass(given)


def test_without_a_full_pass_on_sale_the_voucher_is_good_for_any_pass(conference, catalogue, acme):
    Product.objects.filter(kind=Product.Kind.FULL).update(is_active=False)
    given = passes.assign_pass(acme, "a@acme.example")
    assert list(given.voucher.products.all()) == []
    assert register_with(conference, catalogue, given.voucher.code, email="a@acme.example",
                         kind=Product.Kind.MAIN).total == Decimal("0.00")


# --- The portal pages ----------------------------------------------------------------------------

def test_an_admin_assigns_a_pass_from_the_portal(client, acme, admin):
    client.force_login(admin)
    response = client.post(PASSES + "assign/", {"email": "jane@acme.example"}, follow=True)
    assert messages_of(response) == ["A pass is on its way to jane@acme.example."]
    assert [(p.email, s) for p, s in response.context["current"]] == [("jane@acme.example", "unused")]
    assert response.context["left"] == 1
    assert ComplimentaryPass.objects.get().assigned_by == admin


def test_the_list_shows_each_passes_status(client, conference, catalogue, acme, admin):
    used = passes.assign_pass(acme, "used@acme.example")
    register_with(conference, catalogue, used.voucher.code, email="used@acme.example")
    passes.revoke_pass(passes.assign_pass(acme, "gone@acme.example"))
    passes.assign_pass(acme, "waiting@acme.example")
    client.force_login(admin)
    response = client.get(PASSES)
    assert [(p.email, s) for p, s in response.context["current"]] == [
        ("used@acme.example", "used"), ("waiting@acme.example", "unused")]
    assert [p.email for p in response.context["revoked"]] == ["gone@acme.example"]
    html = response.content.decode()
    assert "used to register" in html and "not used yet" in html
    assert "All your passes are assigned." in html


def test_the_portal_refuses_a_pass_over_the_limit_with_a_message(client, acme, admin):
    passes.assign_pass(acme, "a@acme.example")
    passes.assign_pass(acme, "b@acme.example")
    client.force_login(admin)
    response = client.post(PASSES + "assign/", {"email": "c@acme.example"}, follow=True)
    assert messages_of(response) == [
        "All 2 complimentary passes of your tier are assigned. Revoke an unused pass to give it to someone else."]
    assert ComplimentaryPass.objects.count() == 2


def test_the_portal_revokes_and_reassigns(client, acme, admin):
    first, second = passes.assign_pass(acme, "a@acme.example"), passes.assign_pass(acme, "b@acme.example")
    client.force_login(admin)
    response = client.post(PASSES + "revoke/", {"complimentary_pass": first.public_id}, follow=True)
    assert messages_of(response) == ["The pass for a@acme.example is revoked; its code no longer works."]
    response = client.post(PASSES + "reassign/", {"complimentary_pass": second.public_id, "email": "c@acme.example"},
                           follow=True)
    assert messages_of(response) == [
        "The pass for b@acme.example now goes to c@acme.example, with a new code; the old code no longer works."]
    assert [(p.email, s) for p, s in response.context["current"]] == [("c@acme.example", "unused")]


def test_the_portal_explains_why_a_used_pass_stays(client, conference, catalogue, acme, admin):
    given = passes.assign_pass(acme, "a@acme.example")
    register_with(conference, catalogue, given.voucher.code, email="a@acme.example")
    client.force_login(admin)
    response = client.post(PASSES + "reassign/", {"complimentary_pass": given.public_id, "email": "b@acme.example"},
                           follow=True)
    assert messages_of(response) == [
        "The pass for a@acme.example has been used to register, so it cannot be revoked or given to someone else."]
    assert ComplimentaryPass.objects.count() == 1


def test_bad_input_changes_nothing(client, acme, admin):
    given = passes.assign_pass(acme, "a@acme.example")
    client.force_login(admin)
    response = client.post(PASSES + "reassign/", {"complimentary_pass": given.public_id, "email": "nope"}, follow=True)
    assert messages_of(response) == ["Enter a valid email address."]
    assert client.post(PASSES + "revoke/", {"complimentary_pass": "abc"}).status_code == 404
    response = client.post(PASSES + "revoke/", {"complimentary_pass": "a" * 33}, follow=True)
    assert messages_of(response) == ["Ensure this value has at most 32 characters (it has 33)."]
    assert client.post(PASSES + "revoke/", {"complimentary_pass": given.pk}).status_code == 404
    assert client.post(PASSES + "revoke/", {"complimentary_pass": "0" * 20}).status_code == 404
    assert passes.status(ComplimentaryPass.objects.get()) == "unused"


def test_another_sponsors_pass_is_404(client, conference, acme, admin):
    other = SponsorFactory(conference=conference, slug="globex")
    theirs = passes.assign_pass(other, "x@globex.example")
    client.force_login(admin)
    assert client.post(PASSES + "revoke/", {"complimentary_pass": theirs.public_id}).status_code == 404
    assert client.post(PASSES + "reassign/", {"complimentary_pass": theirs.public_id, "email": "me@acme.example"}).status_code == 404
    assert passes.status(ComplimentaryPass.objects.get(pk=theirs.pk)) == "unused"


@pytest.mark.parametrize("path", ["", "assign/", "revoke/", "reassign/"])
def test_passes_are_for_sponsor_admins_only(client, conference, acme, admin, user, path):
    given = passes.assign_pass(acme, "a@acme.example")
    data = {"complimentary_pass": given.public_id, "email": "z@acme.example"}
    method = client.get if path == "" else client.post
    assert method(PASSES + path, data)["Location"].startswith("/accounts/login/")  # anonymous
    for outsider in [
        with_totp(SponsorMemberFactory(sponsor=acme, role="recruiter").user),
        with_totp(SponsorMemberFactory(sponsor=SponsorFactory(conference=conference, slug="globex"), role="admin").user),
        with_totp(user),
    ]:
        client.force_login(outsider)
        assert method(PASSES + path, data).status_code == 404
    assert passes.status(ComplimentaryPass.objects.get()) == "unused"
    assert ComplimentaryPass.objects.count() == 1


def test_an_admin_without_two_factor_is_sent_to_set_it_up(client, acme):
    member = SponsorMemberFactory(sponsor=acme, role="admin")
    client.force_login(member.user)
    assert client.get(PASSES)["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_takes_a_fixed_number_of_queries(client, conference, acme, admin, count, django_assert_num_queries):
    acme.tier.complimentary_passes = count
    acme.tier.save()
    for i in range(count):
        given = passes.assign_pass(acme, f"p{i}@acme.example")
        if i % 2:
            passes.revoke_pass(given)
    client.force_login(admin)
    # session, user, edition, membership with sponsor and tier, authenticators (two-factor), passes, the nav check
    with django_assert_num_queries(7):
        response = client.get(PASSES)
    assert len(response.context["current"]) + len(response.context["revoked"]) == count


# --- Concurrency (PostgreSQL, real threads) --------------------------------------------------------

ATTEMPTS = 10


def race(fn, n=ATTEMPTS):
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = fn(i)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.fixture
def racing_sponsor(conference, catalogue, monkeypatch):
    monkeypatch.setattr(passes, "_pause_after_count", 0.05)
    return SponsorFactory(conference=conference, name="Acme", slug="acme",
                          tier=TierFactory(conference=conference, name="Gold", complimentary_passes=3))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_never_exceed_the_tiers_passes(racing_sponsor):
    outcomes = race(lambda i: passes.assign_pass(racing_sponsor, f"staff{i}@acme.example"))
    assert sum(isinstance(o, ComplimentaryPass) for o in outcomes) == 3
    assert sum(isinstance(o, SponsorError) for o in outcomes) == ATTEMPTS - 3
    assert ComplimentaryPass.objects.filter(sponsor=racing_sponsor).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_same_race_exceeds_them(racing_sponsor, monkeypatch):
    monkeypatch.setattr(passes, "_locking", False)
    race(lambda i: passes.assign_pass(racing_sponsor, f"staff{i}@acme.example"))
    assert ComplimentaryPass.objects.filter(sponsor=racing_sponsor).count() > 3


# --- The organisers' console -----------------------------------------------------------------------

ADMIN = "/admin/sponsors/complimentarypass/"


def test_organisers_assign_a_pass_in_the_admin_through_the_service(client, acme, staff_user):
    client.force_login(staff_user)
    response = client.post(ADMIN + "add/", {"sponsor": acme.pk, "email": "guest@acme.example"})
    assert response.status_code == 302
    given = ComplimentaryPass.objects.get()
    assert (given.email, given.assigned_by, passes.status(given)) == ("guest@acme.example", staff_user, "unused")
    assert OutboxEmail.objects.get().recipient == "guest@acme.example"


def test_the_admin_refuses_a_pass_over_the_limit_with_the_services_message(client, acme, staff_user):
    passes.assign_pass(acme, "a@acme.example")
    passes.assign_pass(acme, "b@acme.example")
    client.force_login(staff_user)
    response = client.post(ADMIN + "add/", {"sponsor": acme.pk, "email": "c@acme.example"})
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "All 2 complimentary passes of your tier are assigned. Revoke an unused pass to give it to someone else."]
    assert ComplimentaryPass.objects.count() == 2


def test_the_admin_lists_passes_view_only_and_revokes_unused_ones(client, conference, catalogue, acme, staff_user):
    used = passes.assign_pass(acme, "used@acme.example")
    register_with(conference, catalogue, used.voucher.code, email="used@acme.example")
    unused = passes.assign_pass(acme, "unused@acme.example")
    client.force_login(staff_user)
    assert client.get(ADMIN).status_code == 200
    assert client.get(f"{ADMIN}{unused.pk}/change/").status_code == 200
    assert client.post(f"{ADMIN}{unused.pk}/change/", {"email": "x@acme.example"}).status_code == 403
    response = client.post(ADMIN, {"action": "revoke", "_selected_action": [used.pk, unused.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 pass revoked.",
                                                              "Used to register, so kept: used@acme.example."]
    assert {p.email: passes.status(p) for p in ComplimentaryPass.objects.select_related("voucher")} == {
        "used@acme.example": "used", "unused@acme.example": "revoked"}
