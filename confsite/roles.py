"""Staff roles: the Django groups that confsite/migrations/0003_staff_groups.py creates.

This is the documentation copy (tests and README read it); the migration carries its own frozen
copy, as a migration must not import code that later changes. A change here means a new data
migration, and tests/core/test_staff_roles.py asserts each group's exact codenames, so any change
is deliberate.

Four permissions guard data no role gets by default, so an organiser grants them to a named person:
registration.view_passportdata (visa letters' passport data), sponsors.view_cv (recruitment CVs),
registration.view_eligibilityproof (proof files) — and registration.view_sensitiveneeds (dietary
and accessibility needs), which only "Catering and access" holds.

Exports (CSV/XLSX from the admin lists) are bulk personal data leaving the system, so each needs an
export permission besides viewing the list (confsite/migrations/0004_export_permissions.py creates
them on the edition model and grants them):
- confsite.export_finance (orders, payments, refunds, invoices): Finance, whose reconciliation and
  accounting work is done in spreadsheets;
- confsite.export_programme (papers, sessions): Programme chairs, for reviewing and planning;
- confsite.export_people (registrations, check-ins, user accounts): no group. The desk, catering and
  programme chairs read registrations one screen at a time for their work; none of them needs every
  attendee's e-mail address in a file. Grant it to a named person when needed.
Sponsorship chairs get none: no list they may view has an export.
"""

from __future__ import annotations

SENSITIVE_PERMISSIONS = frozenset({
    "registration.view_passportdata",
    "sponsors.view_cv",
    "registration.view_eligibilityproof",
    "registration.view_sensitiveneeds",
})


EXPORT_PERMISSIONS = {
    "confsite.export_people": "Can export people (registrations, check-ins, accounts) as CSV/XLSX",
    "confsite.export_finance": "Can export orders, payments, refunds and invoices as CSV/XLSX",
    "confsite.export_programme": "Can export papers and sessions as CSV/XLSX",
}


def _crud(app_label: str, *models: str, actions: tuple[str, ...] = ("add", "change", "delete", "view")) -> list[str]:
    return [f"{app_label}.{action}_{model}" for model in models for action in actions]


REGISTRATION_DESK = "Registration desk"
FINANCE = "Finance"
PROGRAMME_CHAIRS = "Programme chairs"
SPONSORSHIP_CHAIRS = "Sponsorship chairs"
CATERING = "Catering and access"

ROLES: dict[str, frozenset[str]] = {
    # Check people in and look them up; no passport data, proofs, needs or money.
    REGISTRATION_DESK: frozenset([
        "registration.add_checkin", "registration.view_checkin",
        "registration.view_conferenceday",
        "registration.view_registration", "registration.view_order",
        "registration.view_category", "registration.view_product",
        "registration.view_revokedcheckintoken",
    ]),
    # Payments in, refunds out, invoices; mark orders paid or cancel them (actions need change_order).
    FINANCE: frozenset([
        "registration.view_payment", "registration.add_payment",
        "registration.view_refund", "registration.change_refund",
        "registration.view_invoice", "registration.view_finance",
        "registration.view_order", "registration.change_order", "registration.view_orderline",
        "registration.view_refundpolicy", "registration.view_stripeevent",
        "confsite.export_finance",
    ]),
    # The programme: everything in the schedule app except attendees' stars and private calendar
    # feeds; releases are published (added), never edited; registrations for author attendance.
    PROGRAMME_CHAIRS: frozenset([
        *_crud("schedule", "room", "topic", "speaker", "author", "paper", "authorship", "session",
               "presentation", "slot"),
        "schedule.add_release", "schedule.view_release",
        "registration.view_registration",
        "confsite.export_programme",
    ]),
    # Sponsors, tiers, members, interview rooms and slots, complimentary passes, the access log's
    # figures; never recruitment profiles, CVs, shortlists or API tokens.
    SPONSORSHIP_CHAIRS: frozenset([
        *_crud("sponsors", "tier", "sponsor", "sponsormember", "interviewroom", "interviewslot",
               "complimentarypass"),
        "sponsors.view_accesslogentry",
    ]),
    # Dietary and accessibility needs, as counts (dashboard) and the list (admin).
    CATERING: frozenset([
        "registration.view_sensitiveneeds", "registration.view_registration",
    ]),
}
