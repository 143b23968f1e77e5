"""Retention purges after an edition: passport data (30 days), eligibility proofs (90 days) and sponsors'
access logs (365 days) by default; what remains before and after each deadline, the command, the sweeper."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from confsite import privacy
from confsite.models import Conference
from registration import services
from registration.models import EligibilityProof, PassportData, Registration, VisaLetter
from sponsors.models import AccessLogEntry
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory

from .conftest import attendee

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def end_of(conference: Conference) -> datetime:
    return datetime.combine(conference.end_date, time.max, tzinfo=conference.tzinfo)


def personal_data(conference: Conference, registration: Registration) -> dict:
    letter = VisaLetter.objects.create(registration=registration, name_on_letter="KIM MINJI")
    letter.pdf.save("letter.pdf", ContentFile(PDF), save=True)
    PassportData.objects.create(letter=letter, passport_name="KIM MINJI", nationality="KR",
                                passport_number="M1234567", date_of_birth=date(1995, 3, 14))
    proof = EligibilityProof(registration=registration, original_name="id.pdf", content_type="application/pdf",
                             size=len(PDF), status=EligibilityProof.Status.APPROVED)
    proof.file.save("proof.pdf", ContentFile(PDF), save=True)
    sponsor = SponsorFactory(conference=conference)
    profile = RecruitmentProfileFactory(conference=conference, user=registration.user)
    AccessLogEntry.objects.create(sponsor=sponsor, profile=profile, action="view")
    return {"letter": letter, "proof_file": proof.file, "letter_file": letter.pdf}


@pytest.fixture
def registration(conference, catalogue, industry, full_pass):
    person = VerifiedUserFactory(email="minji@example.com")
    order = services.place_order(conference=conference, buyer=person, accept_code_of_conduct=True,
                                 attendees=[attendee(person.email, industry, full_pass)])
    return order.registrations.get()


@pytest.fixture
def data(conference, registration):
    return personal_data(conference, registration)


def remaining(conference: Conference) -> tuple[int, int, int]:
    return (PassportData.objects.filter(letter__registration__conference=conference).count(),
            EligibilityProof.objects.filter(registration__conference=conference).count(),
            AccessLogEntry.objects.filter(sponsor__conference=conference).count())


def counts(results) -> dict[str, tuple[int, int]]:
    return {r.kind: (r.count, r.files) for r in results}


def test_the_default_periods_are_30_90_and_365_days_after_the_last_day(conference):
    end = end_of(conference)
    assert privacy.retention_due(conference, "passport") == end + timedelta(days=30)
    assert privacy.retention_due(conference, "proofs") == end + timedelta(days=90)
    assert privacy.retention_due(conference, "access_log") == end + timedelta(days=365)


def test_settings_change_the_periods(conference, settings):
    settings.CONFSITE_RETENTION = {"passport": 7}
    assert privacy.retention_due(conference, "passport") == end_of(conference) + timedelta(days=7)
    assert privacy.retention_due(conference, "proofs") == end_of(conference) + timedelta(days=90)


def test_nothing_goes_before_its_deadline(conference, data, django_capture_on_commit_callbacks):
    just_before = end_of(conference) + timedelta(days=30) - timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        results = privacy.run_purges(conference, now=just_before)
    assert counts(results) == {"access_log": (0, 0), "passport": (0, 0), "proofs": (0, 0)}
    assert remaining(conference) == (1, 1, 1)
    assert data["proof_file"].storage.exists(data["proof_file"].name)
    assert data["letter_file"].storage.exists(data["letter_file"].name)


def test_passport_data_goes_after_30_days_and_the_letter_stays(conference, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        results = privacy.run_purges(conference, now=end_of(conference) + timedelta(days=30, seconds=1))
    assert counts(results) == {"access_log": (0, 0), "passport": (1, 1), "proofs": (0, 0)}
    assert remaining(conference) == (0, 1, 1)
    letter = VisaLetter.objects.get(pk=data["letter"].pk)
    assert (letter.name_on_letter, letter.pdf.name) == ("KIM MINJI", "")
    assert not data["letter_file"].storage.exists(data["letter_file"].name)
    assert data["proof_file"].storage.exists(data["proof_file"].name)


def test_proofs_go_after_90_days_with_their_files_and_the_decision_stays(conference, registration, data,
                                                                         django_capture_on_commit_callbacks):
    Registration.objects.filter(pk=registration.pk).update(eligibility=Registration.Eligibility.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        results = privacy.run_purges(conference, now=end_of(conference) + timedelta(days=90, seconds=1))
    assert counts(results) == {"access_log": (0, 0), "passport": (1, 1), "proofs": (1, 1)}
    assert remaining(conference) == (0, 0, 1)
    assert not data["proof_file"].storage.exists(data["proof_file"].name)
    assert Registration.objects.get(pk=registration.pk).eligibility == "approved"


def test_the_access_log_goes_after_a_year_and_other_editions_keep_theirs(conference, data, catalogue):
    later = ConferenceFactory(slug="icml2027", start_date=date(2027, 7, 5), end_date=date(2027, 7, 10))
    sponsor = SponsorFactory(conference=later)
    AccessLogEntry.objects.create(sponsor=sponsor, profile=RecruitmentProfileFactory(conference=later), action="cv")
    results = privacy.run_purges(conference, now=end_of(conference) + timedelta(days=365, seconds=1))
    assert counts(results) == {"access_log": (1, 0), "passport": (1, 1), "proofs": (1, 1)}
    assert remaining(conference) == (0, 0, 0)
    assert AccessLogEntry.objects.filter(sponsor__conference=later).count() == 1


def test_a_second_run_does_nothing(conference, data):
    after = end_of(conference) + timedelta(days=400)
    privacy.run_purges(conference, now=after)
    assert counts(privacy.run_purges(conference, now=after)) == {"access_log": (0, 0), "passport": (0, 0),
                                                                  "proofs": (0, 0)}


def test_a_dry_run_reports_and_changes_nothing(conference, data):
    results = privacy.run_purges(conference, now=end_of(conference) + timedelta(days=400), dry_run=True)
    assert counts(results) == {"access_log": (1, 0), "passport": (1, 1), "proofs": (1, 1)}
    assert remaining(conference) == (1, 1, 1)
    assert VisaLetter.objects.get(pk=data["letter"].pk).pdf.name != ""


def ended_days_ago(conference: Conference, days: int) -> None:
    end = timezone.localdate(timezone=conference.tzinfo) - timedelta(days=days)
    Conference.objects.filter(pk=conference.pk).update(start_date=end - timedelta(days=5), end_date=end)
    conference.refresh_from_db()


def run(*args) -> str:
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_what_it_did_and_what_it_keeps(conference, data, django_capture_on_commit_callbacks):
    ended_days_ago(conference, 40)
    due = {kind: timezone.localtime(privacy.retention_due(conference, kind), conference.tzinfo)
           .strftime("%Y-%m-%d %H:%M %Z") for kind in ("passport", "proofs", "access_log")}
    assert run("--edition", "icml2026", "--dry-run") == (
        f"ICML 2026: access-log entries are kept until {due['access_log']}.\n"
        f"ICML 2026: Would delete 1 passport records and 1 files (expired {due['passport']}).\n"
        f"ICML 2026: eligibility proofs are kept until {due['proofs']}.\n")
    assert remaining(conference) == (1, 1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--edition", "icml2026")
    assert output.splitlines()[1] == f"ICML 2026: Deleted 1 passport records and 1 files (expired {due['passport']})."
    assert remaining(conference) == (0, 1, 1)
    assert run("--edition", "icml2026", "--only", "passport") == (
        f"ICML 2026: Deleted 0 passport records (expired {due['passport']}).\n")


def test_the_command_refuses_unknown_editions_and_kinds(conference):
    with pytest.raises(CommandError, match="No edition with the slug 'nope'."):
        run("--edition", "nope")
    with pytest.raises(CommandError, match="Unknown kind"):
        run("--only", "cvs")


def test_the_sweeper_purges_only_editions_past_their_deadline(conference, data, django_capture_on_commit_callbacks):
    ended_days_ago(conference, 100)
    recent = ConferenceFactory(slug="recent")
    ended_days_ago(recent, 10)
    mine = Registration.objects.get(conference=conference)
    there = Registration.objects.create(conference=recent, order=mine.order, user=mine.user, category=mine.category,
                                        pass_product=mine.pass_product, registered_by=mine.user, badge_name="M",
                                        legal_name="Kim Minji", affiliation="KAIST", position="phd", country="KR",
                                        code_of_conduct_accepted_at=timezone.now())
    personal_data(recent, there)
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.purge_expired() == 2  # passport data and the proof of the edition that ended 100 days ago
    assert remaining(conference) == (0, 0, 1)
    assert remaining(recent) == (1, 1, 1)
    cache.clear()
    assert privacy.purge_expired() == 0


def test_the_sweeper_runs_at_most_once_an_hour(conference, data):
    ended_days_ago(conference, 60)
    assert privacy.purge_expired() == 1  # the passport data; proofs are due in 30 days
    later = timezone.now() + timedelta(days=31)
    assert privacy.purge_expired(now=later) == 0  # within the hour of the last sweep: skipped
    assert remaining(conference) == (0, 1, 1)
    cache.clear()  # the hour has passed
    assert privacy.purge_expired(now=later) == 1
    assert remaining(conference) == (0, 0, 1)
