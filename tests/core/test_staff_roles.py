"""Staff roles: the groups the data migration creates, their exact permissions, and what each one
reaches by real requests (admin pages, private files, actions) with two-factor login required."""

from datetime import date, timedelta
from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from confsite import roles
from confsite.models import Conference
from registration import billing, services, visa
from registration.catalogue import build_standard_catalogue
from registration.models import Category, Order, Product
from tests.factories import VerifiedUserFactory
from tests.factories.schedule import PaperFactory, SessionFactory
from tests.factories.sponsors import SponsorFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

MIGRATION = import_module("confsite.migrations.0003_staff_groups")
EXPORTS_MIGRATION = import_module("confsite.migrations.0004_export_permissions")

SCHEDULE_MODELS = ["room", "topic", "speaker", "author", "paper", "authorship", "session", "presentation", "slot"]
SPONSOR_MODELS = ["tier", "sponsor", "sponsormember", "interviewroom", "interviewslot", "complimentarypass"]

# Written out, not read from confsite/roles.py: a change to a role must change this test too.
EXPECTED = {
    "Registration desk": {
        "registration.add_checkin", "registration.view_checkin", "registration.view_conferenceday",
        "registration.view_registration", "registration.view_order", "registration.view_category",
        "registration.view_product", "registration.view_revokedcheckintoken",
    },
    "Finance": {
        "registration.view_payment", "registration.add_payment", "registration.view_refund",
        "registration.change_refund", "registration.view_invoice", "registration.view_finance",
        "registration.view_order", "registration.change_order", "registration.view_orderline",
        "registration.view_refundpolicy", "registration.view_stripeevent", "confsite.export_finance",
    },
    "Programme chairs": {
        *(f"schedule.{a}_{m}" for m in SCHEDULE_MODELS for a in ("add", "change", "delete", "view")),
        "schedule.add_release", "schedule.view_release", "registration.view_registration",
        "confsite.export_programme",
    },
    "Sponsorship chairs": {
        *(f"sponsors.{a}_{m}" for m in SPONSOR_MODELS for a in ("add", "change", "delete", "view")),
        "sponsors.view_accesslogentry",
    },
    "Catering and access": {"registration.view_sensitiveneeds", "registration.view_registration"},
}

PASSPORT = {"passport_name": "KIM MINJI", "nationality": "KR", "passport_number": "M12345678",
            "date_of_birth": date(1995, 3, 14)}


def codenames(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def member_of(group_name: str):
    """A staff account in exactly one group, with a TOTP authenticator (two-factor satisfied)."""
    user = VerifiedUserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    return user


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.STAFF_REQUIRE_MFA = True


@pytest.fixture
def catalogue(conference):
    today = timezone.now().date()
    return build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                    regular_until=today + timedelta(days=60), venue_seats=100, social_seats=2,
                                    order_prefix="ICML26")


@pytest.fixture
def world(conference, catalogue):
    """One paid registration with needs, a pending student proof, and a visa letter with passport data."""
    start = timezone.localdate() + timedelta(days=60)
    Conference.objects.filter(pk=conference.pk).update(start_date=start, end_date=start + timedelta(days=5))
    conference.refresh_from_db()
    full = catalogue.products[Product.Kind.FULL]
    minji = VerifiedUserFactory(email="minji@example.com")
    person = attendee(minji.email, catalogue.categories[Category.Kind.NON_ACADEMIC], full)
    person.dietary, person.accessibility = "Vegan", "Step-free access"
    order = services.place_order(conference=conference, buyer=minji, attendees=[person], accept_code_of_conduct=True)
    billing.record_payment(order, amount=order.total, provider="bank")
    registration = order.registrations.get()
    letter = visa.request_visa_letter(registration, by=minji, **PASSPORT)

    student = VerifiedUserFactory(email="student@example.com")
    proof_order = services.place_order(
        conference=conference, buyer=student, accept_code_of_conduct=True,
        attendees=[attendee(student.email, catalogue.categories[Category.Kind.STUDENT], full)])
    upload = SimpleUploadedFile("card.pdf", b"%PDF-1.4\n%...\n", content_type="application/pdf")
    proof = services.submit_proof(proof_order.registrations.get(), upload, by=student)
    return {"conference": conference, "order": order, "registration": registration, "letter": letter,
            "proof": proof}


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


def private_files(world):
    slug = world["conference"].slug
    return {
        "proof": reverse("proof_file", args=[slug, world["proof"].pk]),
        "visa letter": reverse("visa_letter_pdf", args=[slug, world["letter"].pk]),
    }


# --- The groups themselves -----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_group_has_exactly_its_permissions(name):
    assert codenames(Group.objects.get(name=name)) == EXPECTED[name]


def test_the_documentation_copy_matches_the_migrations():
    assert {name: set(perms) for name, perms in roles.ROLES.items()} == EXPECTED
    granted = {name: {f"confsite.{codename}" for codename in EXPORTS_MIGRATION.GRANTS.get(name, [])}
               for name in MIGRATION.ROLES}
    assert {name: set(perms) | granted[name] for name, perms in MIGRATION.ROLES.items()} == EXPECTED
    assert {f"confsite.{codename}": name for codename, name in EXPORTS_MIGRATION.PERMISSIONS.items()} == (
        roles.EXPORT_PERMISSIONS)


def test_passport_data_cvs_and_proofs_belong_to_no_group_and_needs_only_to_catering():
    holders = {
        perm: sorted(name for name, perms in EXPECTED.items() if perm in perms)
        for perm in sorted(roles.SENSITIVE_PERMISSIONS)
    }
    assert holders == {
        "registration.view_eligibilityproof": [],
        "registration.view_passportdata": [],
        "registration.view_sensitiveneeds": ["Catering and access"],
        "sponsors.view_cv": [],
    }
    for app_label, codename in (("registration", "view_passportdata"), ("sponsors", "view_cv"),
                                ("registration", "view_eligibilityproof")):
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        assert list(permission.group_set.all()) == []


def _state_apps(migration="0003_staff_groups"):
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(("confsite", migration)).apps


class _Editor:
    connection = connection


def test_the_migration_is_reversible_and_idempotent():
    apps = _state_apps()
    MIGRATION.delete_groups(apps, _Editor())
    assert Group.objects.filter(name__in=list(EXPECTED)).count() == 0

    MIGRATION.create_groups(apps, _Editor())
    finance = Group.objects.get(name="Finance")
    finance.permissions.add(Permission.objects.get(content_type__app_label="registration",
                                                   codename="view_passportdata"))
    MIGRATION.create_groups(apps, _Editor())  # run again: same groups, permissions reset to the list
    EXPORTS_MIGRATION.create_and_grant(_state_apps("0004_export_permissions"), _Editor())

    assert Group.objects.filter(name__in=list(EXPECTED)).count() == 5
    assert {name: codenames(Group.objects.get(name=name)) for name in EXPECTED} == EXPECTED


def test_the_export_permissions_migration_is_reversible_and_idempotent():
    apps = _state_apps("0004_export_permissions")
    EXPORTS_MIGRATION.delete(apps, _Editor())
    assert Permission.objects.filter(codename__startswith="export_").count() == 0
    assert "confsite.export_finance" not in codenames(Group.objects.get(name="Finance"))

    EXPORTS_MIGRATION.create_and_grant(apps, _Editor())
    EXPORTS_MIGRATION.create_and_grant(apps, _Editor())
    made = Permission.objects.filter(codename__startswith="export_").select_related("content_type")
    assert sorted((p.content_type.app_label, p.content_type.model, p.codename, p.name) for p in made) == [
        ("confsite", "conference", "export_finance", "Can export orders, payments, refunds and invoices as CSV/XLSX"),
        ("confsite", "conference", "export_people",
         "Can export people (registrations, check-ins, accounts) as CSV/XLSX"),
        ("confsite", "conference", "export_programme", "Can export papers and sessions as CSV/XLSX"),
    ]
    assert {name: codenames(Group.objects.get(name=name)) for name in EXPECTED} == EXPECTED


def test_exporting_people_belongs_to_no_group():
    holders = {perm: sorted(name for name, perms in EXPECTED.items() if perm in perms)
               for perm in sorted(roles.EXPORT_PERMISSIONS)}
    assert holders == {"confsite.export_finance": ["Finance"], "confsite.export_people": [],
                       "confsite.export_programme": ["Programme chairs"]}


# --- Registration desk ---------------------------------------------------------------------------

def test_the_desk_opens_the_check_in_page_and_other_roles_do_not(client, conference):
    url = reverse("staff_check_in", args=[conference.slug])
    client.force_login(member_of("Registration desk"))
    assert client.get(url).status_code == 200
    for other in ("Finance", "Programme chairs", "Sponsorship chairs", "Catering and access"):
        client.force_login(member_of(other))
        assert (other, client.get(url).status_code) == (other, 403)


def test_the_desk_reads_registrations_and_orders(client, world):
    client.force_login(member_of("Registration desk"))
    assert client.get(admin_url("index")).status_code == 200
    listing = client.get(admin_url("registration_registration_changelist"))
    assert listing.status_code == 200
    assert world["registration"].badge_name in listing.content.decode()
    assert client.get(admin_url("registration_order_changelist")).status_code == 200
    assert client.get(admin_url("registration_checkin_changelist")).status_code == 200


def test_the_desk_sees_no_needs_on_a_registration_and_cannot_change_it(client, world):
    client.force_login(member_of("Registration desk"))
    url = admin_url("registration_registration_change", world["registration"].pk)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Vegan" not in html and "Step-free access" not in html
    assert 'name="_save"' not in html
    assert client.post(url, {"badge_name": "Changed"}).status_code == 403


def test_the_desk_is_refused_needs_payments_proofs_and_passport_data(client, world):
    client.force_login(member_of("Registration desk"))
    for name in ("registration_sensitiveneeds_changelist", "registration_payment_changelist",
                 "registration_refund_changelist", "registration_invoice_changelist",
                 "registration_eligibilityproof_changelist"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 403)
    # Private files answer 404 to anyone not entitled: they do not reveal that the file exists.
    for what, url in private_files(world).items():
        assert (what, client.get(url).status_code) == (what, 404)


def test_the_desk_has_no_mark_paid_action(client, world):
    client.force_login(member_of("Registration desk"))
    html = client.get(admin_url("registration_order_changelist")).content.decode()
    assert 'value="mark_paid"' not in html
    assert 'value="cancel_orders"' not in html


# --- Finance -------------------------------------------------------------------------------------

def test_finance_sees_payments_refunds_invoices_and_marks_orders_paid(client, world):
    client.force_login(member_of("Finance"))
    for name in ("registration_payment_changelist", "registration_payment_add", "registration_refund_changelist",
                 "registration_invoice_changelist", "registration_order_changelist"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 200)
    html = client.get(admin_url("registration_order_changelist")).content.decode()
    assert 'value="mark_paid"' in html
    assert 'value="cancel_orders"' in html


def test_finance_is_refused_needs_proofs_and_passport_data(client, world):
    client.force_login(member_of("Finance"))
    for name in ("registration_sensitiveneeds_changelist", "registration_eligibilityproof_changelist",
                 "registration_registration_changelist"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 403)
    for what, url in private_files(world).items():
        assert (what, client.get(url).status_code) == (what, 404)


# --- Catering and access -------------------------------------------------------------------------

def test_catering_sees_the_needs_list(client, world):
    client.force_login(member_of("Catering and access"))
    page = client.get(admin_url("registration_sensitiveneeds_changelist"))
    assert page.status_code == 200
    assert "Vegan" in page.content.decode()
    assert "Step-free access" in page.content.decode()


def test_catering_sees_needs_on_a_registration_but_cannot_edit_them(client, world):
    client.force_login(member_of("Catering and access"))
    html = client.get(admin_url("registration_registration_change", world["registration"].pk)).content.decode()
    assert "Vegan" in html
    assert 'name="needs-0-dietary"' not in html


def test_catering_is_refused_payments_orders_proofs_and_passport_data(client, world):
    client.force_login(member_of("Catering and access"))
    for name in ("registration_payment_changelist", "registration_order_changelist",
                 "registration_invoice_changelist", "registration_eligibilityproof_changelist"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 403)
    for what, url in private_files(world).items():
        assert (what, client.get(url).status_code) == (what, 404)


# --- Sponsorship chairs --------------------------------------------------------------------------

def test_sponsorship_chairs_manage_sponsors_and_read_the_access_log(client, conference):
    SponsorFactory(conference=conference, name="Acme Research")
    client.force_login(member_of("Sponsorship chairs"))
    listing = client.get(admin_url("sponsors_sponsor_changelist"))
    assert listing.status_code == 200
    assert "Acme Research" in listing.content.decode()
    for name in ("sponsors_tier_add", "sponsors_interviewroom_changelist", "sponsors_complimentarypass_add",
                 "sponsors_accesslogentry_changelist", "sponsors_accesslogentry_figures"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 200)


def test_sponsorship_chairs_cannot_download_cvs_or_see_registrations(client, conference):
    sponsor = SponsorFactory(conference=conference)
    chair = member_of("Sponsorship chairs")
    client.force_login(chair)
    assert chair.has_perm("sponsors.view_cv") is False
    # The only CV download is the sponsor portal's, for the sponsor's own members.
    cv = reverse("sponsor_portal_cv", args=[conference.slug, sponsor.slug, "p-anything"])
    assert client.get(cv).status_code == 404
    for name in ("registration_registration_changelist", "registration_payment_changelist",
                 "registration_sensitiveneeds_changelist", "sponsors_recruitmentprofile_changelist"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 403)
    # The console's own CV download (needs sponsors.view_cv) refuses the chair too.
    assert client.get(admin_url("sponsors_recruitmentprofile_cv", 1)).status_code == 403


# --- Programme chairs ----------------------------------------------------------------------------

def test_programme_chairs_change_papers(client, conference):
    paper = PaperFactory(conference=conference)
    client.force_login(member_of("Programme chairs"))
    page = client.get(admin_url("schedule_paper_change", paper.pk))
    assert page.status_code == 200
    assert 'name="_save"' in page.content.decode()
    assert client.get(admin_url("schedule_session_changelist")).status_code == 200
    assert client.get(admin_url("registration_registration_changelist")).status_code == 200


def test_programme_chairs_cannot_touch_orders_payments_or_needs(client, world):
    client.force_login(member_of("Programme chairs"))
    for name in ("registration_order_changelist", "registration_payment_changelist",
                 "registration_sensitiveneeds_changelist", "schedule_star_changelist"):
        assert (name, client.get(admin_url(name)).status_code) == (name, 403)
    for what, url in private_files(world).items():
        assert (what, client.get(url).status_code) == (what, 404)


# --- Exports ---------------------------------------------------------------------------------------

# Every list with CSV/XLSX exports and what each group gets there: "exported" (the actions are offered
# and a POST returns the file), "refused" (the group views the list, the actions are not offered, and a
# forged POST is answered with a message and a redirect, no file). A list missing from a group's row
# is closed to it (403 for the page and the POST).
EXPORT_LISTS = ["registration_registration", "registration_checkin", "confsite_user", "registration_order",
                "registration_payment", "registration_refund", "registration_invoice", "schedule_paper",
                "schedule_session"]
EXPORTS = {
    "Registration desk": {"registration_registration": "refused", "registration_checkin": "refused",
                          "registration_order": "refused"},
    "Finance": {"registration_order": "exported", "registration_payment": "exported",
                "registration_refund": "exported", "registration_invoice": "exported"},
    "Programme chairs": {"registration_registration": "refused", "schedule_paper": "exported",
                         "schedule_session": "exported"},
    "Sponsorship chairs": {},
    "Catering and access": {"registration_registration": "refused"},
}


def forged_export(client, url, action="export_csv"):
    return client.post(url, {"action": action, "select_across": "1", "index": "0", "_selected_action": ["1"]})


def export_outcome(client, name) -> str:
    url = admin_url(f"{name}_changelist")
    listing = client.get(url)
    response = forged_export(client, url)
    if listing.status_code == 403:
        return "closed" if response.status_code == 403 else f"closed list, POST answered {response.status_code}"
    action_form = listing.context["action_form"]  # offered even when the list is empty
    offered = action_form is not None and "export_csv" in dict(action_form.fields["action"].choices)
    if response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8":
        header = b"".join(response.streaming_content).decode("utf-8").splitlines()[0]
        return "exported" if offered and header else f"exported, offered={offered}"
    refusal = [str(m) for m in get_messages(response.wsgi_request)]
    if (response.status_code, offered, len(refusal)) == (302, False, 1) and refusal[0].startswith(
            "You may not export"):
        return "refused"
    return f"offered={offered}, status {response.status_code}, messages {refusal}"


@pytest.mark.parametrize("group", sorted(EXPORTS))
def test_each_group_exports_exactly_its_lists(client, world, group):
    PaperFactory(conference=world["conference"])
    SessionFactory(conference=world["conference"])
    client.force_login(member_of(group))
    outcomes = {name: export_outcome(client, name) for name in EXPORT_LISTS}
    assert {name: outcome for name, outcome in outcomes.items() if outcome != "closed"} == EXPORTS[group]


def test_a_forged_export_names_the_permission_and_exports_nothing(client, world):
    client.force_login(member_of("Registration desk"))
    url = admin_url("registration_registration_changelist")
    for action in ("export_csv", "export_xlsx"):
        response = forged_export(client, url, action)
        assert (response.status_code, response["Location"]) == (302, url)
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "You may not export registrations: exporting needs the permission “confsite.export_people” as well as "
            "viewing the list. Nothing was exported; ask the organiser who manages staff accounts if your work "
            "needs it."]
        assert "Content-Disposition" not in response
        client.get(url)  # the message is shown, and gone


def test_finance_exports_orders_with_every_row(client, world):
    client.force_login(member_of("Finance"))
    response = forged_export(client, admin_url("registration_order_changelist"))
    rows = b"".join(response.streaming_content).decode("utf-8").splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == list(Order.objects.order_by("pk").values_list("reference",
                                                                                                  flat=True))
    assert len(rows) == 3  # the header, the paid order and the student's


# --- Two-factor ----------------------------------------------------------------------------------

def test_a_group_member_without_two_factor_is_sent_to_set_it_up(client):
    user = VerifiedUserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Finance"))
    client.force_login(user)
    response = client.get(admin_url("registration_payment_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
