"""The sponsors console: every changelist issues the same number of queries at 3 and at 30 rows, every
change form opens, and what organisers see of personal data follows the permissions: the access log
names no attendee, live voucher codes are never shown, and a CV needs `sponsors.view_cv`.

The builders below make `n` rows of one model each. A sponsors model registered in the admin without
a builder fails the test, so a new model cannot slip into the console without an N+1 check.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from confsite.models import ConsentText
from registration.catalogue import build_standard_catalogue
from sponsors import passes, services
from sponsors.access_log import record_access
from sponsors.models import (
    AccessLogEntry,
    APIToken,
    ComplimentaryPass,
    InterviewRoom,
    InterviewSlot,
    Invitation,
    MemberInvitation,
    RecruitmentProfile,
    ShortlistEntry,
    SponsorDecision,
    SponsorMember,
    Tier,
)
from tests.factories import VerifiedUserFactory
from tests.factories.sponsors import (
    RecruitmentProfileFactory,
    SponsorFactory,
    SponsorMemberFactory,
    TierFactory,
)
from tests.sponsors.test_two_factor import with_totp

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a CV\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


class World:
    def __init__(self, conference):
        self.conference = conference
        ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                   text="Share my profile with the sponsors named below.")
        today = timezone.now().date()
        build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                 regular_until=today + timedelta(days=60), order_prefix="ICML26")
        self.tier = TierFactory(conference=conference, name="Gold", complimentary_passes=100, interview_hours=100)
        self.sponsor = SponsorFactory(conference=conference, tier=self.tier, name="Acme", slug="acme")
        self.room = InterviewRoom.objects.create(conference=conference, name="Room 1")
        self.member = SponsorMemberFactory(sponsor=self.sponsor, role="admin")

    def sponsor_n(self):
        n = serial()
        return SponsorFactory(conference=self.conference, tier=self.tier, name=f"Sponsor {n}", slug=f"s-{n}")

    def profile(self, cv=False):
        n = serial()
        profile = RecruitmentProfileFactory(conference=self.conference, graduation_date=timezone.now().date(),
                                            user=VerifiedUserFactory(email=f"attendee{n}@uni.example",
                                                                     first_name="Min-ji", last_name=f"Kim{n}"))
        if cv:
            profile.cv.save("cv.pdf", ContentFile(PDF), save=True)
        services.opt_in(profile, share_cv=cv, share_email=False, share_links=True, excluded=[self.sponsor],
                        new_sponsors_need_approval=False)
        return profile

    def slot(self, sponsor=None):
        start = timezone.now() + timedelta(days=30, hours=serial())
        return InterviewSlot.objects.create(room=self.room, start=start, end=start + timedelta(minutes=30),
                                            sponsor=sponsor, booked_by=self.member.user if sponsor else None,
                                            booked_at=timezone.now() if sponsor else None)


def _tiers(w, n):
    for _ in range(n):
        TierFactory(conference=w.conference)


def _sponsors(w, n):
    for _ in range(n):
        sponsor = w.sponsor_n()
        SponsorMemberFactory(sponsor=sponsor)


def _members(w, n):
    for _ in range(n):
        SponsorMemberFactory(sponsor=w.sponsor_n())


def _member_invitations(w, n):
    for _ in range(n):
        MemberInvitation.objects.create(sponsor=w.sponsor_n(), email=f"invitee{serial()}@acme.example",
                                        invited_by=w.member.user)


def _profiles(w, n):
    for _ in range(n):
        w.profile(cv=True).research_areas.set([])


def _tokens(w, n):
    for _ in range(n):
        APIToken.issue(SponsorMemberFactory(sponsor=w.sponsor_n()), f"token {serial()}")


def _rooms(w, n):
    for _ in range(n):
        InterviewRoom.objects.create(conference=w.conference, name=f"Room x{serial()}")


def _slots(w, n):
    for _ in range(n):
        w.slot(sponsor=w.sponsor_n())


def _invitations(w, n):
    for _ in range(n):
        sponsor = w.sponsor_n()
        Invitation.objects.create(slot=w.slot(sponsor=sponsor), sponsor=sponsor, profile=w.profile(),
                                  invited_by=w.member.user)


def _passes(w, n):
    for _ in range(n):
        passes.assign_pass(w.sponsor_n(), f"guest{serial()}@acme.example")


def _access_log(w, n):
    for _ in range(n):
        record_access(w.sponsor_n(), w.member.user, [w.profile()], AccessLogEntry.Action.VIEW)


BUILDERS = {
    "sponsors.tier": _tiers,
    "sponsors.sponsor": _sponsors,
    "sponsors.sponsormember": _members,
    "sponsors.memberinvitation": _member_invitations,
    "sponsors.recruitmentprofile": _profiles,
    "sponsors.apitoken": _tokens,
    "sponsors.interviewroom": _rooms,
    "sponsors.interviewslot": _slots,
    "sponsors.invitation": _invitations,
    "sponsors.complimentarypass": _passes,
    "sponsors.accesslogentry": _access_log,
}


def registered() -> list[str]:
    return sorted(m._meta.label_lower for m in admin.site._registry if m._meta.app_label == "sponsors")


def model_of(label: str):
    return next(m for m in admin.site._registry if m._meta.label_lower == label)


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def organiser(db, settings):
    """A superuser who has passed two-factor set-up, with the admin's two-factor rule on."""
    settings.STAFF_REQUIRE_MFA = True
    return with_totp(VerifiedUserFactory(email="organiser@example.org", is_staff=True, is_superuser=True))


@pytest.fixture
def world(conference):
    return World(conference)


def test_every_registered_sponsors_model_has_a_builder_and_private_ones_are_not_registered():
    assert [label for label in registered() if label not in BUILDERS] == []
    # Shortlist notes are private to the sponsor; decisions show inside their profile.
    assert (ShortlistEntry in admin.site._registry, SponsorDecision in admin.site._registry) == (False, False)


@pytest.mark.parametrize("label", sorted(BUILDERS))
def test_it_lists_with_the_same_number_of_queries_for_3_and_30_rows(client, organiser, world, label):
    model = model_of(label)
    client.force_login(organiser)
    base = model._default_manager.count()
    BUILDERS[label](world, 3)
    assert model._default_manager.count() == base + 3
    client.get(changelist(model))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(changelist(model)).status_code == 200
    BUILDERS[label](world, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == base + 30
    assert len(many) == len(few), (
        f"{label}: {len(few)} queries with 3 rows, {len(many)} with 30:\n"
        + "\n".join(q["sql"][:300] for q in many.captured_queries[len(few):][:3]))


@pytest.mark.parametrize("label", sorted(BUILDERS))
def test_it_opens_the_change_form_and_searches_each_model(client, organiser, world, label):
    model = model_of(label)
    BUILDERS[label](world, 1)
    client.force_login(organiser)
    row = model._default_manager.order_by("-pk").first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
    assert client.get(url).status_code == 200
    assert client.get(changelist(model), {"q": "=cmd| ' /C calc'!A0 \u0000 김민지"}).status_code == 200


def test_staff_without_two_factor_are_sent_to_set_it_up(client, settings, world):
    settings.STAFF_REQUIRE_MFA = True
    staff = VerifiedUserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(changelist(Tier))["Location"] == reverse("mfa_activate_totp")


# --- The access log names no attendee ---------------------------------------------------------

def test_the_access_log_shows_the_profiles_opaque_id_and_no_attendee_address_or_name(client, organiser, world):
    profile = world.profile()
    record_access(world.sponsor, world.member.user, [profile], AccessLogEntry.Action.VIEW)
    entry = AccessLogEntry.objects.get()
    client.force_login(organiser)
    listing = client.get(changelist(AccessLogEntry)).content.decode()
    form = client.get(reverse("admin:sponsors_accesslogentry_change", args=[entry.pk])).content.decode()
    for page in (listing, form):
        assert profile.public_id in page
        assert (profile.user.email in page, profile.user.last_name in page) == (False, False)
    by_address = client.get(changelist(AccessLogEntry), {"q": profile.user.email})
    by_id = client.get(changelist(AccessLogEntry), {"q": profile.public_id})
    assert (by_address.context["cl"].result_count, by_id.context["cl"].result_count) == (0, 1)


def test_the_access_log_figures_per_sponsor_stay(client, organiser, world):
    record_access(world.sponsor, world.member.user, [world.profile(), world.profile()], AccessLogEntry.Action.VIEW)
    client.force_login(organiser)
    response = client.get(reverse("admin:sponsors_accesslogentry_figures"), {"conference": "icml2026"})
    assert [(s.name, s.views, s.profiles) for s in response.context["sponsors"]] == [("Acme", 2, 2)]


# --- Complimentary passes show no live code ----------------------------------------------------

@pytest.mark.parametrize("superuser", [True, False])
def test_no_live_voucher_code_is_shown_in_the_pass_admin(client, organiser, world, superuser):
    given = passes.assign_pass(world.sponsor, "guest@acme.example")
    viewer = organiser
    if not superuser:
        viewer = with_totp(VerifiedUserFactory(is_staff=True))
        viewer.user_permissions.add(Permission.objects.get(codename="view_complimentarypass"))
    client.force_login(viewer)
    listing = client.get(changelist(ComplimentaryPass))
    form = client.get(reverse("admin:sponsors_complimentarypass_change", args=[given.pk]))
    assert (listing.status_code, form.status_code) == (200, 200)
    for page in (listing.content.decode(), form.content.decode()):
        assert "guest@acme.example" in page
        assert given.voucher.code not in page
    # Staff who know a code may still find its pass (exact match only).
    found = client.get(changelist(ComplimentaryPass), {"q": given.voucher.code})
    partial = client.get(changelist(ComplimentaryPass), {"q": given.voucher.code[:4]})
    assert (found.context["cl"].result_count, partial.context["cl"].result_count) == (1, 0)


# --- Recruitment profiles and CVs ---------------------------------------------------------------

def staff_with(*codenames):
    user = with_totp(VerifiedUserFactory(is_staff=True))
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="sponsors", codename__in=codenames))
    return user


def test_the_profile_admin_is_view_only(client, organiser, world):
    profile = world.profile(cv=True)
    client.force_login(organiser)
    assert client.get(reverse("admin:sponsors_recruitmentprofile_add")).status_code == 403
    url = reverse("admin:sponsors_recruitmentprofile_change", args=[profile.pk])
    assert client.post(url, {"headline": "changed"}).status_code == 403
    profile.refresh_from_db()
    assert profile.headline == "PhD student in machine learning"


def test_with_the_cv_permission_the_cv_link_downloads_through_the_checked_view(client, settings, world):
    settings.STAFF_REQUIRE_MFA = True
    profile = world.profile(cv=True)
    client.force_login(staff_with("view_recruitmentprofile", "view_cv"))
    page = client.get(reverse("admin:sponsors_recruitmentprofile_change", args=[profile.pk])).content.decode()
    cv_url = reverse("admin:sponsors_recruitmentprofile_cv", args=[profile.public_id])
    assert f'href="{cv_url}"' in page
    assert profile.cv.name not in page and "/media/" not in page
    response = client.get(cv_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert (response["Content-Type"], response["Cache-Control"]) == (
        "application/pdf", "private, no-store, max-age=0, no-cache, must-revalidate")


def test_without_the_cv_permission_there_is_no_link_and_the_view_is_403(client, settings, world):
    settings.STAFF_REQUIRE_MFA = True
    profile = world.profile(cv=True)
    client.force_login(staff_with("view_recruitmentprofile"))
    page = client.get(reverse("admin:sponsors_recruitmentprofile_change", args=[profile.pk]))
    cv_url = reverse("admin:sponsors_recruitmentprofile_cv", args=[profile.public_id])
    assert page.status_code == 200
    assert cv_url not in page.content.decode()
    assert "uploaded (downloading it needs the CV permission)" in page.content.decode()
    assert client.get(cv_url).status_code == 403


def test_the_cv_view_needs_the_profile_permission_too_and_staff(client, settings, world, user):
    settings.STAFF_REQUIRE_MFA = True
    profile = world.profile(cv=True)
    cv_url = reverse("admin:sponsors_recruitmentprofile_cv", args=[profile.public_id])
    client.force_login(staff_with("view_cv"))
    assert client.get(cv_url).status_code == 403
    client.force_login(user)
    assert "/admin/login/" in client.get(cv_url)["Location"]
    client.logout()
    assert "/admin/login/" in client.get(cv_url)["Location"]


def test_the_cv_view_of_a_profile_without_cv_or_unknown_is_404(client, organiser, world):
    profile = world.profile(cv=False)
    client.force_login(organiser)
    assert client.get(reverse("admin:sponsors_recruitmentprofile_cv", args=[profile.public_id])).status_code == 404
    assert client.get(reverse("admin:sponsors_recruitmentprofile_cv", args=["0" * 20])).status_code == 404
    assert client.get(f"/admin/sponsors/recruitmentprofile/{profile.pk}/cv/").status_code == 404
    assert client.get(f"/admin/sponsors/recruitmentprofile/{'9' * 300}/cv/").status_code == 404


def test_the_profile_list_filters_by_graduation_year_and_a_bad_year_is_ignored(client, organiser, world):
    world.profile()
    client.force_login(organiser)
    year = str(timezone.now().year)
    for value, count in [(year, 1), ("1999", 0), ("abc", 1), ("9" * 30, 1)]:
        response = client.get(changelist(RecruitmentProfile), {"graduation_year": value}, follow=True)
        assert response.status_code == 200
        assert response.context["cl"].result_count == count, value


def test_api_tokens_are_revoked_in_bulk_from_the_admin(client, organiser, world):
    token, _key = APIToken.issue(world.member, "ATS")
    client.force_login(organiser)
    response = client.post(changelist(APIToken), {"action": "revoke_tokens", "_selected_action": [token.pk]},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 token revoked."]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.key_hash not in client.get(reverse("admin:sponsors_apitoken_change", args=[token.pk])).content.decode()


def test_member_invitations_hide_the_link_token(client, organiser, world):
    invitation = MemberInvitation.objects.create(sponsor=world.sponsor, email="new@acme.example")
    client.force_login(organiser)
    page = client.get(reverse("admin:sponsors_memberinvitation_change", args=[invitation.pk])).content.decode()
    assert "new@acme.example" in page and invitation.token not in page


def test_members_are_listed_with_their_sponsor(client, organiser, world):
    client.force_login(organiser)
    response = client.get(changelist(SponsorMember), {"q": world.member.user.email})
    assert [m.sponsor.name for m in response.context["cl"].result_list] == ["Acme"]
