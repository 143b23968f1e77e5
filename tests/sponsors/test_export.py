"""CSV export of a search or the shortlist: columns limited by tier and attendee, formula escaping,
one access-log entry per exported profile, consent re-checked at request time."""

from __future__ import annotations

import csv
import io

import pytest

from sponsors import queries, services
from sponsors.models import AccessLogEntry, ShortlistEntry
from sponsors.views.portal import csv_cell

from .recruitment_fixtures import *  # noqa: F403 (the shared fixtures)
from .recruitment_fixtures import portal_url, share

pytestmark = pytest.mark.django_db


def export(client, sponsor, **data) -> list[dict]:
    response = client.post(portal_url("sponsor_portal_export", sponsor), data)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(("value", "cell"), [
    ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ("+1 555 0100", "'+1 555 0100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTabbed", "'\tTabbed"),
    ("\rReturn", "'\rReturn"),
    ("\nNewline", "\nNewline"),
    ("PhD = student", "PhD = student"),
    # After leading blanks: a BOM, spaces, tabs, CR/LF (and no-break or ideographic spaces).
    (" =1+1", "' =1+1"),
    ("\ufeff=1+1", "'\ufeff=1+1"),
    ("\ufeff \t\r\n@SUM(A1)", "'\ufeff \t\r\n@SUM(A1)"),
    ("\n-5", "'\n-5"),
    ("\r\n+5", "'\r\n+5"),
    ("\u00a0=A1", "'\u00a0=A1"),
    ("\u3000=A1", "'\u3000=A1"),
    # Full-width forms, which spreadsheets also read as formulas.
    ("\uff1dHYPERLINK(1)", "'\uff1dHYPERLINK(1)"),
    ("\uff0b1", "'\uff0b1"),
    ("\uff0d1", "'\uff0d1"),
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
    ("  \uff1d1", "'  \uff1d1"),
    ("   ", "   "),
    ("a=b", "a=b"),
    ("Zürich @ home", "Zürich @ home"),
    (2027, "2027"),
    (None, ""),
])
def test_cells_that_spreadsheets_would_run_are_escaped(value, cell):
    assert csv_cell(value) == cell


def test_a_formula_in_a_profile_reaches_the_file_escaped(client, conference, acme, recruiter):
    share(conference, first="Eve", last="Hacker", headline='=HYPERLINK("http://evil.example","click")',
          locations="@remote")
    client.force_login(recruiter.user)
    [row] = export(client, acme)
    assert row["Headline"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Locations"] == "'@remote"


def test_hidden_and_full_width_formulas_reach_the_file_escaped(client, conference, acme, recruiter):
    share(conference, first=" \uff1dcmd", last="Hacker", headline="\ufeff\t=1+1", locations="\r\n\uff20remote")
    client.force_login(recruiter.user)
    [row] = export(client, acme)
    assert (row["Name"], row["Headline"], row["Locations"]) == ("'\uff1dcmd Hacker", "'\ufeff\t=1+1",
                                                                 "'\r\n\uff20remote")


def test_the_export_holds_what_the_tier_and_each_attendee_allow(client, conference, acme, recruiter, minji):
    share(conference, first="Kofi", last="Osei", email="kofi@uni.example", share_email=False, share_links=False,
          share_cv=False, github_url="https://github.com/kofi")
    client.force_login(recruiter.user)
    rows = {r["Name"]: r for r in export(client, acme)}
    assert list(rows["Min-ji Kim"]) == ["Name", "Headline", "Current position", "Research areas", "Graduation year",
                                        "Looking for", "Locations", "E-mail", "Google Scholar", "OpenReview",
                                        "GitHub", "Homepage", "Papers at ICML 2026", "Profile", "CV"]
    kim, osei = rows["Min-ji Kim"], rows["Kofi Osei"]
    assert (kim["E-mail"], kim["GitHub"], kim["Google Scholar"]) == (
        "minji@kaist.example", "https://github.com/minji", "https://scholar.example/mk")
    assert (kim["Research areas"], kim["Graduation year"], kim["Looking for"], kim["Papers at ICML 2026"]) == (
        "Reinforcement learning", "2027", "internship", "1")
    assert kim["CV"] == "http://testserver" + portal_url("sponsor_portal_cv", acme, queries.profile_ref(acme, minji))
    assert kim["Profile"] == "http://testserver" + portal_url("sponsor_portal_profile", acme,
                                                              queries.profile_ref(acme, minji))
    assert (osei["E-mail"], osei["GitHub"], osei["CV"]) == ("", "", "")


def test_a_profiles_only_tier_gets_no_cv_column(client, globex, globex_recruiter, minji):
    client.force_login(globex_recruiter.user)
    [row] = export(client, globex)
    assert "CV" not in row
    assert row["E-mail"] == "minji@kaist.example"


def test_the_export_follows_the_search_filters(client, conference, acme, recruiter, minji):
    share(conference, first="Kofi", last="Osei", headline="Postdoc in NLP")
    client.force_login(recruiter.user)
    assert [r["Name"] for r in export(client, acme, q="nlp")] == ["Kofi Osei"]
    assert [r["Name"] for r in export(client, acme, area="rl")] == ["Min-ji Kim"]


def test_each_exported_profile_is_logged_once(client, conference, acme, recruiter, minji):
    other = share(conference, first="Kofi", last="Osei")
    client.force_login(recruiter.user)
    export(client, acme)
    entries = AccessLogEntry.objects.order_by("profile_id")
    assert [(e.profile_id, e.action, e.channel, e.user_id) for e in entries] == [
        (minji.pk, "export", "portal", recruiter.user.pk), (other.pk, "export", "portal", recruiter.user.pk)]


def test_the_confirmation_page_counts_and_logs_nothing(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    response = client.get(portal_url("sponsor_portal_export", acme), {"q": "probabilistic"})
    assert response.status_code == 200
    assert "1 profile matches your search." in response.content.decode()
    assert '<input type="hidden" name="q" value="probabilistic">' in response.content.decode()
    assert AccessLogEntry.objects.count() == 0


def test_the_shortlist_export_carries_the_private_notes(client, conference, acme, recruiter, minji):
    share(conference, first="Not", last="Shortlisted")
    ShortlistEntry.objects.create(sponsor=acme, profile=minji, note="=call back")
    client.force_login(recruiter.user)
    [row] = export(client, acme, source="shortlist")
    assert (row["Name"], row["Private note"]) == ("Min-ji Kim", "'=call back")
    assert AccessLogEntry.objects.filter(action="export").count() == 1


def test_an_attendee_who_opted_out_is_not_exported(client, conference, acme, recruiter, minji):
    ShortlistEntry.objects.create(sponsor=acme, profile=minji)
    share(conference, first="Kofi", last="Osei")
    services.opt_out(minji)
    client.force_login(recruiter.user)
    assert [r["Name"] for r in export(client, acme)] == ["Kofi Osei"]
    assert export(client, acme, source="shortlist") == []
    assert AccessLogEntry.objects.filter(profile=minji).count() == 0


def test_an_excluded_sponsor_exports_nothing_of_that_attendee(client, conference, acme, globex, globex_recruiter):
    share(conference, first="Ana", last="Silva", excluded=[globex])
    client.force_login(globex_recruiter.user)
    assert export(client, globex) == []


def test_without_access_there_is_no_export(client, initrode, initrode_recruiter, minji):
    client.force_login(initrode_recruiter.user)
    response = client.post(portal_url("sponsor_portal_export", initrode))
    assert response.status_code == 403
    assert b"Min-ji" not in response.content
    assert AccessLogEntry.objects.count() == 0


def test_another_sponsors_member_cannot_export(client, acme, globex_recruiter, user, minji):
    client.force_login(globex_recruiter.user)
    assert client.post(portal_url("sponsor_portal_export", acme)).status_code == 404
    client.force_login(user)
    assert client.post(portal_url("sponsor_portal_export", acme)).status_code == 404
    assert AccessLogEntry.objects.count() == 0


def test_invalid_filters_export_nothing_and_say_why(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    response = client.post(portal_url("sponsor_portal_export", acme), {"graduation_year": "soon"}, follow=True)
    assert response.redirect_chain[-1][0] == portal_url("sponsor_portal_search", acme)
    assert "Graduation year" in response.content.decode()
    assert AccessLogEntry.objects.count() == 0
