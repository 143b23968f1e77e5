"""Recruitment data is deleted after the edition's last access window, unless its owner keeps it
(sponsors.retention, the purge_recruitment_data command and the periodic sweeper)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from confsite.models import ConsentRecord, ConsentText
from confsite.periodic import registered
from sponsors import access, retention, services
from sponsors.models import (
    AccessLogEntry,
    InterviewRoom,
    InterviewSlot,
    Invitation,
    RecruitmentProfile,
    ShortlistEntry,
    SponsorDecision,
    Tier,
)
from tests.factories import ConferenceFactory
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory, TierFactory

from .attendee_fixtures import real_pdf

pytestmark = pytest.mark.django_db


def with_cv(profile: RecruitmentProfile) -> RecruitmentProfile:
    profile.cv.save("cv.pdf", ContentFile(real_pdf()), save=True)
    return profile


@pytest.fixture
def shared(conference):
    """Two shared profiles with CVs, one kept for the next edition; a sponsor recorded things about both."""
    ConsentText.objects.create(conference=conference, purpose="recruitment", version="1", text="Share.")
    acme = SponsorFactory(conference=conference, name="Acme")
    room = InterviewRoom.objects.create(conference=conference, name="Room 1")
    slot = InterviewSlot.objects.create(room=room, start=acme.tier.access_from, sponsor=acme,
                                        end=acme.tier.access_from + timedelta(minutes=30))
    profiles = []
    for keep in (False, True):
        profile = with_cv(RecruitmentProfileFactory(conference=conference, keep_for_next_edition=keep))
        services.opt_in(profile, share_cv=True, share_email=True, share_links=True)
        ShortlistEntry.objects.create(sponsor=acme, profile=profile, note="Strong candidate")
        AccessLogEntry.objects.create(sponsor=acme, profile=profile, action="view")
        Invitation.objects.create(slot=slot, sponsor=acme, profile=profile, message="Meet us")
        profiles.append(profile)
    return acme, profiles


def test_nothing_is_deleted_before_the_last_access_window_ends(conference, shared):
    acme, _ = shared
    later = TierFactory(conference=conference, name="Later", access_until=acme.tier.access_until + timedelta(days=1))
    assert retention.retention_due(conference) == later.access_until
    result = retention.purge(conference, now=acme.tier.access_until)
    assert (result.deleted, result.kept, result.files) == (0, 0, 0)
    assert RecruitmentProfile.objects.filter(opted_in=True).count() == 2
    assert (ShortlistEntry.objects.count(), AccessLogEntry.objects.count(), Invitation.objects.count()) == (2, 2, 2)


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
    # What the sponsor recorded goes, about both: shortlists and notes, reads, decisions, invitations.
    assert (ShortlistEntry.objects.count(), AccessLogEntry.objects.count(), SponsorDecision.objects.count(),
            Invitation.objects.count()) == (0, 0, 0, 0)
    # The ledger is the record of what each person agreed to: it stays, with the withdrawal of the kept profile.
    assert sorted(ConsentRecord.objects.values_list("user_id", "action")) == sorted(
        [(gone.user_id, "granted"), (kept.user_id, "granted"), (kept.user_id, "withdrawn")])


def test_a_purge_touches_no_other_edition(conference, shared):
    acme, _ = shared
    other = ConferenceFactory(slug="icml2027")
    TierFactory(conference=other, access_until=acme.tier.access_until + timedelta(days=365))
    elsewhere = with_cv(RecruitmentProfileFactory(conference=other))
    retention.purge(conference, now=acme.tier.access_until)
    assert RecruitmentProfile.objects.filter(pk=elsewhere.pk).exists()


def test_a_dry_run_changes_nothing(conference, shared):
    acme, (gone, _) = shared
    result = retention.purge(conference, now=acme.tier.access_until, dry_run=True)
    assert (result.deleted, result.kept, result.files) == (1, 1, 1)
    assert RecruitmentProfile.objects.filter(opted_in=True).count() == 2
    assert gone.cv.storage.exists(gone.cv.name) is True


def test_without_any_window_data_expires_30_days_after_the_last_day(conference):
    TierFactory(conference=conference, recruitment_access=Tier.Access.NONE, access_from=None, access_until=None)
    due = retention.retention_due(conference)
    assert due.astimezone(conference.tzinfo).strftime("%Y-%m-%d %H:%M") == "2026-08-10 23:59"


def test_the_periodic_sweep_purges_expired_editions_once(conference, shared):
    acme, _ = shared
    assert registered()["sponsors.recruitment_retention"] is retention.purge_expired
    assert retention.purge_expired(now=acme.tier.access_until - timedelta(seconds=1)) == 0
    assert retention.purge_expired(now=acme.tier.access_until) == 1
    assert retention.purge_expired(now=acme.tier.access_until) == 0
    assert retention.has_expired_data(conference) is False


def test_the_sweep_also_clears_records_about_a_kept_profile_that_stopped_sharing_earlier(conference, shared):
    acme, (gone, kept) = shared
    gone.delete()
    services.opt_out(kept)
    assert retention.has_expired_data(conference) is True
    retention.purge_expired(now=acme.tier.access_until)
    assert (ShortlistEntry.objects.count(), AccessLogEntry.objects.count(), Invitation.objects.count()) == (0, 0, 0)
    assert list(RecruitmentProfile.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_kept_profile_pre_fills_the_next_edition_after_the_purge(client, conference, shared,
                                                                    django_capture_on_commit_callbacks):
    acme, (_, kept) = shared
    retention.purge(conference, now=acme.tier.access_until)
    ConferenceFactory(slug="icml2027", short_name="ICML 2027", start_date="2027-07-12", end_date="2027-07-18")
    client.force_login(kept.user)
    html = client.get("/icml2027/recruitment/").content.decode()
    assert "This form starts from the profile you kept from ICML 2026." in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/icml2027/recruitment/", {"headline": kept.headline, "copy_cv": "on"})
    new = RecruitmentProfile.objects.get(conference__slug="icml2027")
    assert (new.user, new.opted_in, bytes(new.cv.read())) == (kept.user, False, real_pdf())
    assert ConsentRecord.objects.filter(user=kept.user, conference=new.conference).count() == 0


def test_the_command_waits_for_the_window(conference, shared, capsys):
    call_command("purge_recruitment_data", "--edition", "icml2026", "--dry-run")
    acme, _ = shared
    due = acme.tier.access_until.astimezone(conference.tzinfo).strftime("%Y-%m-%d %H:%M KST")
    assert capsys.readouterr().out == f"Nothing to do yet: ICML 2026's recruitment data expires on {due}.\n"
    assert RecruitmentProfile.objects.filter(opted_in=True).count() == 2


def test_the_command_purges_once_the_window_has_ended(conference, shared, capsys):
    acme, _ = shared
    Tier.objects.filter(pk=acme.tier.pk).update(access_from=datetime(2026, 6, 1, tzinfo=UTC),
                                                access_until=datetime(2026, 8, 1, tzinfo=UTC))
    call_command("purge_recruitment_data", "--edition", "icml2026", "--dry-run")
    assert capsys.readouterr().out == ("Would delete 1 profiles and 1 CV files of ICML 2026 (expired 2026-08-01 09:00 "
                                       "KST); 1 kept for the next edition, no longer shared.\n")
    assert RecruitmentProfile.objects.count() == 2
    call_command("purge_recruitment_data", "--edition", "icml2026")
    assert capsys.readouterr().out == ("Deleted 1 profiles and 1 CV files of ICML 2026 (expired 2026-08-01 09:00 "
                                       "KST); 1 kept for the next edition, no longer shared.\n")
    assert RecruitmentProfile.objects.count() == 1


def test_the_command_refuses_unknown_editions(conference):
    with pytest.raises(CommandError, match="No edition with the slug 'nope'."):
        call_command("purge_recruitment_data", "--edition", "nope")
