"""Recruitment data is deleted after the edition's last access window, unless its owner keeps it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from confsite.models import ConsentRecord, ConsentText
from confsite.periodic import registered
from sponsors import access, retention, services
from sponsors.models import AccessLogEntry, RecruitmentProfile, ShortlistEntry, SponsorDecision
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(conference):
    ConsentText.objects.create(conference=conference, purpose="recruitment", version="1", text="Share.")
    acme = SponsorFactory(conference=conference, name="Acme")
    profiles = []
    for keep in (False, True):
        profile = RecruitmentProfileFactory(conference=conference, keep_for_next_edition=keep)
        profile.cv.save("cv.pdf", ContentFile(b"%PDF-1.4 cv"), save=True)
        services.opt_in(profile, share_cv=True, share_email=True, share_links=True)
        ShortlistEntry.objects.create(sponsor=acme, profile=profile, note="Strong candidate")
        AccessLogEntry.objects.create(sponsor=acme, profile=profile, action="view")
        profiles.append(profile)
    return acme, profiles


def test_nothing_is_deleted_before_the_last_access_window_ends(conference, shared):
    acme, _ = shared
    result = retention.purge(conference, now=acme.tier.access_until - timedelta(seconds=1))
    assert (result.deleted, result.kept) == (0, 0)
    assert RecruitmentProfile.objects.count() == 2


def test_after_the_window_unkept_profiles_and_their_cvs_are_gone_and_kept_ones_stop_being_shared(
        conference, shared, django_capture_on_commit_callbacks):
    acme, (gone, kept) = shared
    gone_cv, storage = gone.cv.name, gone.cv.storage
    with django_capture_on_commit_callbacks(execute=True):
        result = retention.purge(conference, now=acme.tier.access_until)
    assert (result.deleted, result.kept, result.files) == (1, 1, 1)
    assert list(RecruitmentProfile.objects.values_list("pk", flat=True)) == [kept.pk]
    assert storage.exists(gone_cv) is False
    kept.refresh_from_db()
    assert kept.opted_in is False and storage.exists(kept.cv.name) is True
    assert access.visibility(acme, kept, at=acme.tier.access_until - timedelta(seconds=1)) == access.NOTHING
    assert (ShortlistEntry.objects.count(), AccessLogEntry.objects.count(), SponsorDecision.objects.count()) == (0, 0, 0)
    # The ledger is the record of what each person agreed to: it stays, with the withdrawal of the kept profile.
    assert sorted(ConsentRecord.objects.values_list("action", flat=True)) == ["granted", "granted", "withdrawn"]


def test_a_dry_run_changes_nothing(conference, shared):
    acme, _ = shared
    result = retention.purge(conference, now=acme.tier.access_until, dry_run=True)
    assert (result.deleted, result.kept, result.files) == (1, 1, 1)
    assert RecruitmentProfile.objects.filter(opted_in=True).count() == 2


def test_without_any_window_data_expires_30_days_after_the_last_day(conference):
    due = retention.retention_due(conference)
    assert due.astimezone(conference.tzinfo).strftime("%Y-%m-%d %H:%M") == "2026-08-10 23:59"


def test_the_periodic_sweep_purges_expired_editions(conference, shared):
    acme, _ = shared
    assert "sponsors.recruitment_retention" in registered()
    assert retention.purge_expired(now=acme.tier.access_until) == 1
    assert retention.purge_expired(now=acme.tier.access_until) == 0


def test_the_command_reports_and_refuses_unknown_editions(conference, shared, capsys):
    call_command("purge_recruitment_data", "--edition", "icml2026", "--dry-run")
    assert "Nothing to do yet: ICML 2026's recruitment data expires on" in capsys.readouterr().out
    with pytest.raises(Exception, match="No edition with the slug 'nope'"):
        call_command("purge_recruitment_data", "--edition", "nope")
