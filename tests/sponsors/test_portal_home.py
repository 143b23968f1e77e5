"""The sponsor portal's front: the user's sponsors, a sponsor's dashboard, member management, the nav link."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from confsite.models import OutboxEmail
from sponsors.context_processors import sponsor_portal
from sponsors.models import InterviewRoom, InterviewSlot, MemberInvitation, SponsorMember, Tier
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.sponsors import SponsorFactory, SponsorMemberFactory, TierFactory
from tests.sponsors.test_two_factor import with_totp

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def gold(conference):
    return TierFactory(conference=conference, name="Gold", recruitment_access=Tier.Access.CVS,
                       access_from=datetime(2026, 6, 1, tzinfo=SEOUL), access_until=datetime(2027, 1, 1, tzinfo=SEOUL),
                       interview_hours=6, complimentary_passes=5, placement="Lanyards")


@pytest.fixture
def acme(conference, gold):
    return SponsorFactory(conference=conference, tier=gold, name="Acme", slug="acme")


@pytest.fixture
def admin(acme):
    return with_totp(SponsorMemberFactory(sponsor=acme, role="admin", user__email="boss@acme.example").user)


@pytest.fixture
def recruiter(acme):
    return with_totp(SponsorMemberFactory(sponsor=acme, role="recruiter", user__email="hr@acme.example").user)


def url(name, sponsor="acme"):
    return reverse(name, args=["icml2026", sponsor])


def members(sponsor):
    return sorted(SponsorMember.objects.filter(sponsor=sponsor).values_list("user__email", "role"))


# --- The list of the user's sponsors ------------------------------------------------------------

def test_the_portal_lists_the_users_sponsors_of_this_edition(client, conference, acme, recruiter):
    globex = SponsorFactory(conference=conference, name="Globex", slug="globex")
    SponsorMemberFactory(sponsor=globex, user=recruiter, role="admin")
    SponsorMemberFactory(sponsor=SponsorFactory(conference=ConferenceFactory(slug="icml2027"), name="Later"),
                         user=recruiter)
    client.force_login(recruiter)
    response = client.get("/icml2026/sponsor-portal/")
    assert response.status_code == 200
    assert [(m.sponsor.name, m.role) for m in response.context["memberships"]] == [("Acme", "recruiter"),
                                                                                  ("Globex", "admin")]
    assert 'href="/icml2026/sponsor-portal/acme/"' in response.content.decode()


def test_the_portal_list_tells_a_non_member_how_to_get_in(client, conference, acme, user):
    client.force_login(user)
    response = client.get("/icml2026/sponsor-portal/")
    assert response.context["memberships"] == []
    assert "Your account is not a member of any sponsor of ICML 2026." in response.content.decode()
    assert "Acme" not in response.content.decode()


def test_the_portal_list_needs_a_login(client, conference):
    response = client.get("/icml2026/sponsor-portal/")
    assert response["Location"] == "/accounts/login/?next=/icml2026/sponsor-portal/"


# --- The dashboard -----------------------------------------------------------------------------

def test_the_dashboard_shows_the_tiers_benefits(client, conference, acme, recruiter):
    room = InterviewRoom.objects.create(conference=conference, name="Room 1")
    start = timezone.now() + timedelta(days=1)
    InterviewSlot.objects.create(room=room, start=start, end=start + timedelta(minutes=90), sponsor=acme)
    InterviewSlot.objects.create(room=room, start=start + timedelta(hours=2), end=start + timedelta(hours=3))
    client.force_login(recruiter)
    response = client.get(url("sponsor_portal"))
    html = response.content.decode()
    assert response.context["window"] == "open"
    assert "profiles and CVs" in html
    assert "from 1 Jun 2026, 00:00 to 1 Jan 2027, 00:00 (Asia/Seoul)" in html
    assert "1.5 of 6 booked" in html
    assert "0 of 5 assigned, 0 used to register" in html
    assert "Lanyards" in html


@pytest.mark.parametrize(("access", "start", "end", "state"), [
    ("none", -10, 10, "none"), ("cvs", 5, 10, "not_yet"), ("profiles", -10, -5, "closed"), ("profiles", -1, 1, "open")])
def test_the_dashboard_says_whether_recruitment_is_open(client, acme, recruiter, access, start, end, state):
    now = timezone.now()
    Tier.objects.filter(pk=acme.tier_id).update(recruitment_access=access, access_from=now + timedelta(days=start),
                                                access_until=now + timedelta(days=end))
    client.force_login(recruiter)
    assert client.get(url("sponsor_portal")).context["window"] == state


def test_the_dashboard_links_existing_portal_areas_and_passes_for_admins_only(client, acme, admin, recruiter):
    client.force_login(admin)
    links = [(str(label), link) for label, link in client.get(url("sponsor_portal")).context["links"]]
    assert links == [("Search profiles", "/icml2026/sponsor-portal/acme/profiles/"),
                     ("Shortlist", "/icml2026/sponsor-portal/acme/shortlist/"),
                     ("API tokens", "/icml2026/sponsor-portal/acme/tokens/"),
                     ("Interview rooms", "/icml2026/sponsor-portal/acme/interviews/"),
                     ("Complimentary passes", "/icml2026/sponsor-portal/acme/passes/")]
    client.force_login(recruiter)
    links = [str(label) for label, _link in client.get(url("sponsor_portal")).context["links"]]
    assert links == ["Search profiles", "Shortlist", "Interview rooms"]


def test_the_dashboard_lists_members_and_shows_forms_to_admins_only(client, acme, admin, recruiter):
    client.force_login(recruiter)
    response = client.get(url("sponsor_portal"))
    assert [m.user.email for m in response.context["members"]] == ["boss@acme.example", "hr@acme.example"]
    assert "Add a member" not in response.content.decode()
    client.force_login(admin)
    assert "Add a member" in client.get(url("sponsor_portal")).content.decode()


# --- Members ---------------------------------------------------------------------------------

def invite(client, email, role="recruiter"):
    response = client.post(url("sponsor_member_add"), {"email": email, "role": role}, follow=True)
    return [str(m) for m in response.context["messages"]], response


def join_link(email) -> str:
    return MemberInvitation.objects.get(email=email.lower()).token


def test_an_address_with_and_one_without_an_account_get_the_same_answer_and_the_same_invitation(client, acme, admin,
                                                                                                 settings):
    VerifiedUserFactory(email="new.hire@acme.example")
    client.force_login(admin)
    known, known_page = invite(client, "New.Hire@acme.example")
    unknown, unknown_page = invite(client, "ghost@acme.example")
    assert known == ["An invitation to join as recruiter was sent to New.Hire@acme.example."]
    assert unknown == ["An invitation to join as recruiter was sent to ghost@acme.example."]
    assert (known_page.status_code, unknown_page.status_code) == (200, 200)
    assert members(acme) == [("boss@acme.example", "admin")]
    mails = list(OutboxEmail.objects.filter(purpose="sponsor_member_invited").order_by("pk"))
    assert [m.recipient for m in mails] == ["new.hire@acme.example", "ghost@acme.example"]
    assert [m.subject for m in mails] == ["[Confsite] Join Acme's ICML 2026 sponsor portal"] * 2
    for mail, email in zip(mails, ["new.hire@acme.example", "ghost@acme.example"], strict=True):
        assert f"{settings.SITE_URL}/icml2026/sponsor-portal/join/{join_link(email)}/" in mail.body_text
        assert "as recruiter" in mail.body_text


def test_the_answer_echoes_only_the_typed_address_never_the_accounts_own(client, acme, admin):
    owner = VerifiedUserFactory(email="private.primary@gmail.example")
    EmailAddress.objects.create(user=owner, email="work.alias@acme.example", verified=True, primary=False)
    client.force_login(admin)
    sentences, response = invite(client, "work.alias@acme.example")
    assert sentences == ["An invitation to join as recruiter was sent to work.alias@acme.example."]
    assert "private.primary" not in response.content.decode()
    assert OutboxEmail.objects.get(purpose="sponsor_member_invited").recipient == "work.alias@acme.example"


def test_the_invited_person_accepts_and_becomes_a_member(client, acme, admin):
    client.force_login(admin)
    invite(client, "New.Hire@acme.example", role="admin")
    newcomer = VerifiedUserFactory(email="new.hire@acme.example")  # signs up after the invitation
    link = reverse("sponsor_member_join", args=["icml2026", join_link("new.hire@acme.example")])
    client.force_login(newcomer)
    page = client.get(link)
    assert page.status_code == 200
    assert "You are invited to work for Acme at ICML 2026 as sponsor admin." in page.content.decode()
    assert members(acme) == [("boss@acme.example", "admin")]
    response = client.post(link)
    assert response["Location"] == "/icml2026/sponsor-portal/acme/"
    assert members(acme) == [("boss@acme.example", "admin"), ("new.hire@acme.example", "admin")]
    invitation = MemberInvitation.objects.get()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (newcomer, True)
    assert client.post(link).status_code == 404
    assert client.get(link).status_code == 404


def test_a_verified_second_address_accepts_an_unverified_one_does_not(client, acme, admin):
    client.force_login(admin)
    invite(client, "alias@acme.example")
    invite(client, "unverified@acme.example")
    verified, unverified = VerifiedUserFactory(), VerifiedUserFactory()
    EmailAddress.objects.create(user=verified, email="Alias@acme.example", verified=True, primary=False)
    EmailAddress.objects.create(user=unverified, email="unverified@acme.example", verified=False, primary=False)
    client.force_login(unverified)
    refused = client.post(reverse("sponsor_member_join", args=["icml2026", join_link("unverified@acme.example")]))
    assert refused.status_code == 403
    assert "This invitation was sent to another e-mail address." in refused.content.decode()
    client.force_login(verified)
    client.post(reverse("sponsor_member_join", args=["icml2026", join_link("alias@acme.example")]))
    assert members(acme) == [("boss@acme.example", "admin"), (verified.email, "recruiter")]


def test_someone_else_cannot_use_the_link_and_nothing_changes(client, acme, admin, user):
    client.force_login(admin)
    invite(client, "new.hire@acme.example")
    link = reverse("sponsor_member_join", args=["icml2026", join_link("new.hire@acme.example")])
    client.force_login(user)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 403
        assert ("This invitation was sent to another e-mail address. Log in with the account of that address, or "
                "add and verify the address in your account&#x27;s e-mail settings.") in response.content.decode()
        assert "new.hire@acme.example" not in response.content.decode()
    assert members(acme) == [("boss@acme.example", "admin")]
    assert MemberInvitation.objects.get().accepted_at is None


def test_the_link_needs_a_login_and_expires_and_a_new_invitation_replaces_the_old_link(client, conference, acme,
                                                                                        admin):
    client.force_login(admin)
    invite(client, "new.hire@acme.example")
    old = join_link("new.hire@acme.example")
    invite(client, "new.hire@acme.example", role="admin")
    new = join_link("new.hire@acme.example")
    assert old != new and MemberInvitation.objects.count() == 1
    client.logout()
    link = reverse("sponsor_member_join", args=["icml2026", new])
    assert client.get(link)["Location"] == f"/accounts/login/?next={link}"
    client.force_login(VerifiedUserFactory(email="new.hire@acme.example"))
    assert client.get(reverse("sponsor_member_join", args=["icml2026", old])).status_code == 404
    assert client.get(reverse("sponsor_member_join", args=["icml2026", "x" * 65])).status_code == 404
    ConferenceFactory(slug="icml2027")
    assert client.get(reverse("sponsor_member_join", args=["icml2027", new])).status_code == 404
    MemberInvitation.objects.update(sent_at=timezone.now() - timedelta(days=14, seconds=1))
    assert client.post(link).status_code == 404
    assert members(acme) == [("boss@acme.example", "admin")]


def test_the_dashboard_lists_pending_invitations_to_admins(client, acme, admin, recruiter):
    client.force_login(admin)
    invite(client, "ghost@acme.example")
    assert [i.email for i in client.get(url("sponsor_portal")).context["invitations"]] == ["ghost@acme.example"]
    client.force_login(recruiter)
    assert client.get(url("sponsor_portal")).context["invitations"] == []


def test_adding_a_member_twice_or_with_bad_input_is_refused(client, acme, admin, recruiter):
    client.force_login(admin)
    response = client.post(url("sponsor_member_add"), {"email": "HR@acme.example", "role": "admin"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["HR@acme.example is already a member."]
    response = client.post(url("sponsor_member_add"), {"email": "not-an-address", "role": "boss"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Enter a valid email address.", "Select a valid choice. boss is not one of the available choices."]
    assert members(acme) == [("boss@acme.example", "admin"), ("hr@acme.example", "recruiter")]
    assert MemberInvitation.objects.count() == 0


def test_an_admin_changes_roles_but_the_last_admin_stays_one(client, acme, admin, recruiter):
    client.force_login(admin)
    boss, hr = (SponsorMember.objects.get(user=u) for u in (admin, recruiter))
    response = client.post(url("sponsor_member_role"), {"member": boss.public_id, "role": "recruiter"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "boss@acme.example is the only sponsor admin. Make someone else an admin first."]
    client.post(url("sponsor_member_role"), {"member": hr.public_id, "role": "admin"})
    client.post(url("sponsor_member_role"), {"member": boss.public_id, "role": "recruiter"})
    assert members(acme) == [("boss@acme.example", "recruiter"), ("hr@acme.example", "admin")]


def test_the_last_admin_cannot_be_removed_but_a_recruiter_can(client, acme, admin, recruiter):
    client.force_login(admin)
    boss, hr = (SponsorMember.objects.get(user=u) for u in (admin, recruiter))
    response = client.post(url("sponsor_member_remove"), {"member": boss.public_id}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "boss@acme.example is the only sponsor admin and cannot be removed. Make someone else an admin first."]
    client.post(url("sponsor_member_remove"), {"member": hr.public_id})
    assert members(acme) == [("boss@acme.example", "admin")]


def test_an_admin_may_leave_when_another_admin_remains(client, acme, admin):
    SponsorMemberFactory(sponsor=acme, role="admin", user__email="deputy@acme.example")
    client.force_login(admin)
    response = client.post(url("sponsor_member_remove"), {"member": SponsorMember.objects.get(user=admin).public_id})
    assert response["Location"] == "/icml2026/sponsor-portal/"
    assert members(acme) == [("deputy@acme.example", "admin")]


def test_recruiters_cannot_manage_members(client, acme, admin, recruiter):
    client.force_login(recruiter)
    boss = SponsorMember.objects.get(user=admin)
    VerifiedUserFactory(email="friend@example.org")
    assert client.post(url("sponsor_member_add"), {"email": "friend@example.org", "role": "admin"}).status_code == 404
    assert client.post(url("sponsor_member_role"), {"member": boss.public_id, "role": "recruiter"}).status_code == 404
    assert client.post(url("sponsor_member_remove"), {"member": boss.public_id}).status_code == 404
    assert members(acme) == [("boss@acme.example", "admin"), ("hr@acme.example", "recruiter")]


def test_an_admin_cannot_touch_another_sponsors_members(client, conference, acme, admin):
    other = SponsorMemberFactory(sponsor=SponsorFactory(conference=conference, slug="globex"), role="recruiter")
    client.force_login(admin)
    assert client.post(url("sponsor_member_remove"), {"member": other.public_id}).status_code == 404
    assert client.post(url("sponsor_member_role"), {"member": other.public_id, "role": "admin"}).status_code == 404
    assert client.post(url("sponsor_member_remove"), {"member": "x"}).status_code == 404
    assert client.post(url("sponsor_member_remove"), {"member": other.pk}).status_code == 404
    assert client.post(url("sponsor_member_remove"), {"member": "x" * 33}, follow=True).status_code == 200
    assert SponsorMember.objects.filter(pk=other.pk, role="recruiter").exists()


def test_member_management_is_post_only_and_gated(client, acme, admin):
    assert client.post(url("sponsor_member_add"), {"email": "a@b.example", "role": "admin"})["Location"].startswith(
        "/accounts/login/")
    client.force_login(admin)
    assert client.get(url("sponsor_member_add")).status_code == 405


# --- The navigation link -------------------------------------------------------------------------

def nav(client, path="/icml2026/sponsors/"):
    return 'href="/icml2026/sponsor-portal/"' in client.get(path).content.decode()


def test_the_nav_links_the_portal_for_sponsor_members_only(client, conference, acme, recruiter, user):
    assert nav(client) is False
    client.force_login(user)
    assert nav(client) is False
    client.force_login(recruiter)
    assert nav(client) is True


def test_the_nav_link_is_for_this_editions_sponsors(client, conference, user):
    SponsorMemberFactory(sponsor=SponsorFactory(conference=ConferenceFactory(slug="icml2027")), user=user)
    client.force_login(user)
    assert nav(client) is False


def test_the_context_processor_queries_nothing_for_anonymous_visitors(rf, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert sponsor_portal(request) == {}


def test_the_context_processor_asks_once_and_only_when_the_template_does(conference, recruiter,
                                                                          django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user, request.edition = recruiter, conference
    with django_assert_num_queries(0):
        context = sponsor_portal(request)
    template = engines["django"].from_string("{% if is_sponsor_member %}yes{% endif %}{% if is_sponsor_member %}!{% endif %}")
    with django_assert_num_queries(1):
        assert template.render(context) == "yes!"
