"""CSV and XLSX exports from the admin lists: exact columns, formula injection escaped, no sensitive data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from confsite.exports import FORMULA_TRIGGERS, check_export_fields, escape_cell
from registration import billing, services
from registration.catalogue import build_standard_catalogue
from registration.models import Order, Registration
from tests.factories import VerifiedUserFactory
from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory, TopicFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

REGISTRATION_HEADER = ["Name on badge", "User: e-mail address", "Affiliation", "Position", "Country",
                       "Conference: short name", "Category: name", "Pass: name", "Eligibility", "Status",
                       "Order: reference", "Order status", "Created at"]


@pytest.fixture
def catalogue(conference):
    today = timezone.now().date()
    return build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                    regular_until=today + timedelta(days=60), venue_seats=100, social_seats=2,
                                    order_prefix="ICML26")


def place(conference, catalogue, category="non_academic", **needs):
    buyer = VerifiedUserFactory()
    person = attendee(buyer.email, catalogue.categories[category], catalogue.products["full"])
    person.dietary, person.accessibility = needs.get("dietary", ""), needs.get("accessibility", "")
    return services.place_order(conference=conference, buyer=buyer, attendees=[person], accept_code_of_conduct=True)


def export(client, model, action, *objects, app="registration"):
    return client.post(reverse(f"admin:{app}_{model}_changelist"),
                       {"action": action, "_selected_action": [o.pk for o in objects]})


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"),
    ("+82 10 1234", "'+82 10 1234"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("  =HYPERLINK(\"http://x\")", "'  =HYPERLINK(\"http://x\")"),
    ("\u3000+1", "'\u3000+1"),
    ("＝1+1", "'＝1+1"),
    ("＋1", "'＋1"),
    ("－1", "'－1"),
    ("＠A1", "'＠A1"),
    ("Kim Minji", "Kim Minji"),
    ("a=b", "a=b"),
    ("김민지", "김민지"),
    ("1-2", "1-2"),
    ("", ""),
])
def test_it_escapes_exactly_the_cells_a_spreadsheet_would_run(text, written):
    assert escape_cell(text) == written


def test_every_trigger_is_escaped_alone():
    assert [escape_cell(t) for t in FORMULA_TRIGGERS] == ["'" + t for t in FORMULA_TRIGGERS]


def test_it_exports_registrations_as_csv_with_exact_columns(client, staff_user, conference, catalogue):
    order = place(conference, catalogue)
    registration = order.registrations.get()
    client.force_login(staff_user)
    response = export(client, "registration", "export_csv", registration)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="registrations-{timezone.localdate():%Y-%m-%d}.csv"')
    header, row = read_csv(response)
    assert header == REGISTRATION_HEADER
    assert row[:12] == ["김민지", registration.user.email, "KAIST", "PhD student", "South Korea", "ICML 2026", "Non-academic",
                        catalogue.products["full"].name, "Not needed", "Active", order.reference, "Pending payment"]
    assert row[12] == timezone.localtime(registration.created_at).isoformat(sep=" ", timespec="seconds")


def test_it_escapes_a_formula_in_a_badge_name_in_csv_and_xlsx(client, staff_user, conference, catalogue):
    registration = place(conference, catalogue).registrations.get()
    Registration.objects.filter(pk=registration.pk).update(badge_name='=HYPERLINK("http://evil.example","x")',
                                                           affiliation=" @KAIST")
    client.force_login(staff_user)
    _header, row = read_csv(export(client, "registration", "export_csv", registration))
    assert row[0] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[2] == "' @KAIST"
    sheet = read_xlsx(export(client, "registration", "export_xlsx", registration))
    name, affiliation = sheet.cell(row=2, column=1), sheet.cell(row=2, column=3)
    assert (name.data_type, name.value) == ("s", '\'=HYPERLINK("http://evil.example","x")')
    assert (affiliation.data_type, affiliation.value) == ("s", "' @KAIST")


def test_it_writes_numbers_and_times_as_values_in_xlsx(client, staff_user, conference, catalogue):
    order = place(conference, catalogue)
    client.force_login(staff_user)
    response = export(client, "order", "export_xlsx", order)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = read_xlsx(response)
    header = [cell.value for cell in sheet[1]]
    assert header == ["Reference", "Conference: short name", "Buyer: e-mail address", "Buyer: first name",
                      "Buyer: last name", "Status", "Total", "Currency", "Placed", "Pay by", "Paid", "Cancelled",
                      "Billing name", "VAT / tax id", "Purchase order number", "Flagged for finance"]
    total = sheet.cell(row=2, column=7)
    assert (total.data_type, Decimal(str(total.value))) == ("n", order.total)
    placed = sheet.cell(row=2, column=9)
    assert placed.data_type == "d"
    # the wall time in the site's zone, without a zone (Excel has none), to Excel's millisecond
    assert abs(placed.value - timezone.localtime(order.created_at).replace(tzinfo=None)) < timedelta(milliseconds=1)
    assert sheet.cell(row=2, column=11).value is None  # not paid: an empty cell


def test_a_control_character_in_a_name_does_not_break_the_xlsx(client, staff_user, conference, catalogue):
    registration = place(conference, catalogue).registrations.get()
    Registration.objects.filter(pk=registration.pk).update(badge_name="Kim\x07 Minji")
    client.force_login(staff_user)
    response = export(client, "registration", "export_xlsx", registration)
    assert response.status_code == 200
    assert read_xlsx(response).cell(row=2, column=1).value == "Kim Minji"


def test_no_export_carries_needs_proofs_or_check_in_codes(client, staff_user, conference, catalogue):
    order = place(conference, catalogue, category="student", dietary="halal, no nuts",
                  accessibility="wheelchair access")
    registration = order.registrations.get()
    services.submit_proof(registration, SimpleUploadedFile("student-card.pdf", b"%PDF-1.4\n", "application/pdf"),
                          by=registration.user)
    client.force_login(staff_user)
    for model, obj in [("registration", registration), ("order", order)]:
        text = "\n".join(",".join(row) for row in read_csv(export(client, model, "export_csv", obj)))
        for secret in ["halal", "wheelchair", "student-card", registration.checkin_token]:
            assert secret not in text


def test_the_check_refuses_export_columns_that_lead_to_personal_data(monkeypatch):
    registration_admin = admin.site._registry[Registration]
    assert check_export_fields() == []
    monkeypatch.setattr(registration_admin, "export_fields", ["badge_name", "needs__dietary", "proofs", "nowhere"])
    errors = check_export_fields()
    assert [e.id for e in errors] == ["confsite.E101"] * 3
    assert [e.msg for e in errors] == [
        "export column needs__dietary of registration.Registration: needs__dietary: dietary, needs may not be exported",
        "export column proofs of registration.Registration: proofs: proofs may not be exported",
        "export column nowhere of registration.Registration: Registration has no field named 'nowhere'",
    ]


def test_the_export_issues_the_same_number_of_queries_for_3_and_30_rows(client, staff_user, conference, catalogue):
    client.force_login(staff_user)
    url = reverse("admin:registration_registration_changelist")

    def run():
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, {"action": "export_csv", "select_across": "1", "index": "0",
                                         "_selected_action": [Registration.objects.first().pk]})
            rows = read_csv(response)
        return len(queries), len(rows) - 1

    for _ in range(3):
        place(conference, catalogue)
    few, count = run()
    assert count == 3
    for _ in range(27):
        place(conference, catalogue)
    many, count = run()
    assert count == 30
    assert many == few, f"{few} queries for 3 rows, {many} for 30"


def test_select_all_exports_the_filtered_set(client, staff_user, conference, catalogue):
    paid = place(conference, catalogue)
    billing.record_payment(paid, amount=paid.total, provider="bank", external_id="T-1")
    place(conference, catalogue)
    client.force_login(staff_user)
    response = client.post(reverse("admin:registration_order_changelist") + "?status__exact=paid",
                           {"action": "export_csv", "select_across": "1", "index": "0",
                            "_selected_action": [paid.pk]})
    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == [paid.reference]
    assert rows[1][5] == "Paid"


def test_papers_export_with_authors_in_order_and_topics(client, staff_user, conference):
    paper = PaperFactory(conference=conference, external_id="abc123", title="+Attention is all")
    AuthorshipFactory(paper=paper, author=AuthorFactory(conference=conference, name="Second"), position=2)
    AuthorshipFactory(paper=paper, author=AuthorFactory(conference=conference, name="First"), position=1)
    paper.topics.set([TopicFactory(conference=conference, name="Vision"), TopicFactory(conference=conference,
                                                                                        name="Theory")])
    client.force_login(staff_user)
    header, row = read_csv(export(client, "paper", "export_csv", paper, app="schedule"))
    assert header == ["External id", "Title", "Decision", "Conference: short name", "Authors", "Topics",
                      "OpenReview", "ArXiv", "Updated at"]
    assert row[:7] == ["abc123", "'+Attention is all", "poster", "ICML 2026", "First; Second", "Theory; Vision", ""]


def staff_with(*codenames):
    user = VerifiedUserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_staff_who_may_view_and_export_registrations_export_them(client, conference, catalogue):
    registration = place(conference, catalogue).registrations.get()
    client.force_login(staff_with("view_registration", "export_people"))
    assert len(read_csv(export(client, "registration", "export_csv", registration))) == 2
    assert read_xlsx(export(client, "registration", "export_xlsx", registration)).max_row == 2


def test_viewing_registrations_is_not_enough_to_export_them(client, conference, catalogue):
    registration = place(conference, catalogue).registrations.get()
    client.force_login(staff_with("view_registration"))
    url = reverse("admin:registration_registration_changelist")
    assert "export_csv" not in dict(client.get(url).context["action_form"].fields["action"].choices)
    response = export(client, "registration", "export_csv", registration)
    assert (response.status_code, response["Location"]) == (302, url)
    assert "Content-Disposition" not in response


def test_the_export_permission_of_another_domain_is_not_enough(client, conference, catalogue):
    order = place(conference, catalogue)
    client.force_login(staff_with("view_order", "export_people", "export_programme"))
    assert export(client, "order", "export_csv", order).status_code == 302
    client.force_login(staff_with("view_order", "export_finance"))
    assert len(read_csv(export(client, "order", "export_csv", order))) == 2


def test_the_export_permission_without_view_opens_nothing(client, conference, catalogue):
    order = place(conference, catalogue)
    client.force_login(staff_with("export_finance", "export_people", "export_programme"))
    assert export(client, "order", "export_csv", order).status_code == 403


def test_the_check_requires_an_export_permission_for_every_list_with_exports(monkeypatch):
    registration_admin = admin.site._registry[Registration]
    monkeypatch.setattr(registration_admin, "export_permission", "registration.view_registration")
    errors = check_export_fields()
    assert [(e.id, e.msg) for e in errors] == [(
        "confsite.E102", "the exports of registration.Registration need an export_permission, one of "
        "confsite.export_people, confsite.export_finance, confsite.export_programme")]


def test_staff_without_view_permission_cannot_export(client, conference, catalogue):
    order = place(conference, catalogue)
    client.force_login(staff_with("view_registration", "export_people", "export_finance"))
    assert export(client, "order", "export_csv", order).status_code == 403


def test_anonymous_people_are_sent_to_log_in(client, conference, catalogue):
    order = place(conference, catalogue)
    response = export(client, "order", "export_csv", order)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert Order.objects.count() == 1


def test_rows_with_the_same_values_stay_two_rows_in_a_distinct_selection(rf, staff_user, conference, catalogue):
    from confsite.exports import rows

    first, second = (place(conference, catalogue).registrations.get() for _ in range(2))
    Registration.objects.filter(pk__in=[first.pk, second.pk]).update(badge_name="Kim", affiliation="KAIST")
    registration_admin = admin.site._registry[Registration]
    queryset = Registration.objects.filter(pk__in=[first.pk, second.pk]).distinct()
    exported = list(rows(registration_admin, queryset, for_xlsx=False))
    assert [row[0] for row in exported[1:]] == ["Kim", "Kim"]
    assert [row[1] for row in exported[1:]] == [first.user.email, second.user.email]


def test_a_long_csv_is_streamed_in_pieces_of_whole_rows(client, staff_user, conference, catalogue, monkeypatch):
    monkeypatch.setattr("confsite.exports.CHUNK", 2)
    registrations = [place(conference, catalogue).registrations.get() for _ in range(5)]
    client.force_login(staff_user)
    response = export(client, "registration", "export_csv", *registrations)
    pieces = [piece.decode("utf-8") for piece in response.streaming_content]
    assert [piece.count("\r\n") for piece in pieces] == [2, 2, 2]  # header + 5 rows, two rows a piece
    rows = list(csv.reader(io.StringIO("".join(pieces)[1:])))
    assert [row[1] for row in rows[1:]] == [r.user.email for r in registrations]
