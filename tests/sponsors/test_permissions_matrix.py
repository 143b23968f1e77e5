"""The sponsor-facing permissions matrix (issue 6, point 8).

Every URL whose view lives in the sponsors app — public pages, the attendee's recruitment pages,
the sponsor portal, interview rooms, complimentary passes, the API and the sponsors' own admin
views — has one row here, and each row is asserted for every persona:

    anonymous        nobody logged in
    attendee         Min-ji, who shares her profile and CV and has excluded Hooli
    opted_out        Oscar, who shared and then stopped
    gold             a recruiter of Acme (Gold: profiles and CVs)
    gold_admin       Acme's sponsor admin
    silver           a recruiter of Globex (Silver: profiles, no CVs)
    bronze           a recruiter of Initrode (Bronze: no recruitment access)
    expired          a recruiter of Umbrella (Gold, but its access window closed yesterday)
    other_sponsor    Globex's recruiter using Acme's URLs and references
    excluded         a recruiter of Hooli (Gold), which Min-ji excluded
    staff            an organiser (superuser, two-factor) who is no sponsor's member

A persona uses the URLs of their own sponsor (Acme for those who have none, and for
`other_sponsor`); profile references are issued to that sponsor, as the portal would. Each request
runs in a savepoint that is rolled back, so the personas do not disturb each other; a refused
request must change nothing and log no access, and an allowed read of a profile, CV or export must
write exactly one access-log entry per profile. `test_every_sponsor_facing_url_has_a_row` walks the
URL resolver and fails for any sponsors URL that has no row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from confsite.models import ConsentRecord, OutboxEmail
from sponsors import interviews, members, passes, queries, services
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
    SponsorMember,
    Tier,
)
from tests.factories import VerifiedUserFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

from .recruitment_fixtures import (
    mfa_member,
    paper_by,
    share,
    terms,  # noqa: F401 (autouse: the published consent text)
)

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "attendee", "opted_out", "gold", "gold_admin", "silver", "bronze", "expired",
            "other_sponsor", "excluded", "staff")
MEMBERS = ("gold", "gold_admin", "silver", "bronze", "expired", "excluded")
NOT_MEMBERS = ("attendee", "opted_out", "staff")

# A one-pixel PNG: the sponsors page shows Acme's logo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082")


# --- The world every row is asserted in ---------------------------------------------------------

@dataclass
class World:
    conference: Any
    sponsors: dict[str, Any]
    users: dict[str, Any]
    minji: RecruitmentProfile
    oscar: RecruitmentProfile
    slots: dict[str, InterviewSlot]
    free_slot: InterviewSlot
    invitation: Invitation
    complimentary_pass: ComplimentaryPass
    member_invitation: MemberInvitation
    api_keys: dict[str, str] = field(default_factory=dict)

    def sponsor_of(self, persona: str):
        """The sponsor whose URLs the persona uses."""
        return self.sponsors.get(persona if persona in MEMBERS else "gold")


@pytest.fixture
def world(conference) -> World:
    now = timezone.now()
    gold_tier = TierFactory(conference=conference, name="Gold", recruitment_access=Tier.Access.CVS)
    tiers = {
        "gold": gold_tier,
        "silver": TierFactory(conference=conference, name="Silver", recruitment_access=Tier.Access.PROFILES),
        "bronze": TierFactory(conference=conference, name="Bronze", recruitment_access=Tier.Access.NONE,
                              interview_hours=0),
        "expired": TierFactory(conference=conference, name="Gold (closed)", recruitment_access=Tier.Access.CVS,
                               access_from=now - timedelta(days=90), access_until=now - timedelta(days=1)),
        "excluded": gold_tier,
    }
    names = {"gold": "Acme", "silver": "Globex", "bronze": "Initrode", "expired": "Umbrella", "excluded": "Hooli"}
    sponsors = {key: SponsorFactory(conference=conference, tier=tiers[key], name=name, slug=name.lower())
                for key, name in names.items()}
    sponsors["gold"].logo.save("acme.png", ContentFile(PNG), save=True)
    sponsors["gold_admin"] = sponsors["gold"]

    users = {key: mfa_member(sponsors[key], first_name=names[key], last_name="Recruiter").user
             for key in ("gold", "silver", "bronze", "expired", "excluded")}
    users["gold_admin"] = mfa_member(sponsors["gold"], role=SponsorMember.Role.ADMIN, first_name="Ada").user
    users["other_sponsor"] = users["silver"]
    staff = VerifiedUserFactory(email="organiser@example.org", is_staff=True, is_superuser=True)
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    users["staff"] = staff

    minji = share(conference, first="Min-ji", last="Kim", email="minji@kaist.example", share_email=True,
                  excluded=[sponsors["excluded"]])
    paper_by(minji, "Offline reinforcement learning with diffusion")
    services.refresh_search_text(minji)
    oscar = share(conference, first="Oscar", last="Out", email="oscar@uni.example")
    services.opt_out(oscar)
    users["attendee"], users["opted_out"] = minji.user, oscar.user

    room = InterviewRoom.objects.create(conference=conference, name="Interview room 1")
    start = now + timedelta(days=3)
    slots = {}
    for offset, key in enumerate(("gold", "silver", "bronze", "expired", "excluded")):
        slot_start = start + timedelta(hours=offset)
        slots[key] = InterviewSlot.objects.create(room=room, start=slot_start, end=slot_start + timedelta(minutes=45),
                                                  sponsor=sponsors[key], booked_by=users[key], booked_at=now,
                                                  is_published=True)
    slots["gold_admin"] = slots["other_sponsor"] = slots["gold"]
    free_start = start + timedelta(hours=8)
    free_slot = InterviewSlot.objects.create(room=room, start=free_start, end=free_start + timedelta(minutes=45),
                                             is_published=True)
    ShortlistEntry.objects.create(sponsor=sponsors["gold"], profile=minji, added_by=users["gold"])
    invitation = interviews.invite(slots["gold"], SponsorMember.objects.get(user=users["gold"]), minji, "Hello")
    complimentary_pass = passes.assign_pass(sponsors["gold"], "guest@acme.example", by=users["gold_admin"])
    member_invitation = members.add_member(sponsors["gold"], minji.user.email, SponsorMember.Role.RECRUITER,
                                           by=users["gold_admin"])
    world = World(conference, sponsors, users, minji, oscar, slots, free_slot, invitation, complimentary_pass,
                  member_invitation)
    for key in ("gold", "gold_admin", "silver", "bronze", "expired", "excluded"):
        _token, world.api_keys[key] = APIToken.issue(SponsorMember.objects.get(user=users[key]), "matrix")
    world.api_keys["other_sponsor"] = world.api_keys["silver"]
    return world


# --- Rows ---------------------------------------------------------------------------------------

LOGIN = "login"            # 302 to the site's login page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's login page
REDIRECT = "redirect"      # 302 somewhere other than a login page: the action was let through

Expect = dict[str, Any]


def everyone(value) -> Expect:
    return dict.fromkeys(PERSONAS, value)


def signed_in(value, anonymous=LOGIN) -> Expect:
    return {**everyone(value), "anonymous": anonymous}


def members_only(member_value, *, roles: tuple[str, ...] = MEMBERS, refused=404) -> Expect:
    """Pages of one sponsor's portal: its members get `member_value`; everybody else is refused."""
    expect = {**everyone(refused), "anonymous": LOGIN}
    expect.update(dict.fromkeys(roles, member_value))
    return expect


def recruitment(gold, silver, *, closed=403, excluded=None, refused=404) -> Expect:
    """Recruitment data: Gold and Silver get theirs, Bronze and the closed window are refused."""
    expect = members_only(None, refused=refused)
    expect.update(gold=gold, gold_admin=gold, silver=silver, bronze=closed, expired=closed,
                  excluded=gold if excluded is None else excluded)
    return expect


def api(gold, silver, *, closed=403, excluded=None, other=None) -> Expect:
    expect = {**everyone(401)}
    expect.update(gold=gold, gold_admin=gold, silver=silver, bronze=closed, expired=closed,
                  excluded=gold if excluded is None else excluded, other_sponsor=silver if other is None else other)
    return expect


@dataclass
class Row:
    name: str
    expect: Expect
    method: str = "GET"
    args: Callable[[World, str], list] = lambda w, p: []
    data: Callable[[World, str], dict] = lambda w, p: {}
    label: str = ""
    logged: str = ""            # the access-log action an allowed 200 must write for Min-ji ("view", "cv", "export")
    api: bool = False
    admin: bool = False
    lists: bool = False         # a list of profiles: Min-ji in Gold's, not in Hooli's (whom she excluded)

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}{' (' + self.label + ')' if self.label else ''}"


def sponsor_args(w: World, p: str) -> list:
    return [w.sponsor_of(p).slug]


def ref(profile_of: Callable[[World], RecruitmentProfile]):
    return lambda w, p: queries.profile_ref(w.sponsor_of(p), profile_of(w))


def minji_ref(w: World, p: str) -> str:
    return ref(lambda w: w.minji)(w, p)


def slot_args(w: World, p: str) -> list:
    return [w.sponsor_of(p).slug, interviews.slot_ref(w.slots[p] if p in w.slots else w.slots["gold"])]


def member_ref(w: World, p: str) -> str:
    return SponsorMember.objects.get(user=w.users["gold"], sponsor=w.sponsors["gold"]).public_id


ROWS = [
    # Public pages.
    Row("sponsor_list", everyone(200)),
    Row("sponsor_logo", everyone(200), args=lambda w, p: [w.sponsors["gold"].slug]),
    # The attendee's own recruitment pages: whoever is signed in sees only their own.
    Row("recruitment_profile", signed_in(200)),
    Row("recruitment_own_cv", {**signed_in(404), "attendee": 200, "opted_out": 200}),
    Row("recruitment_remove_cv", signed_in(REDIRECT), method="POST"),
    Row("recruitment_share", {**signed_in(REDIRECT), "attendee": 200, "opted_out": 200}),
    Row("recruitment_activity", signed_in(200)),
    Row("my_interviews", signed_in(200)),
    Row("interview_invitation", {**signed_in(404), "attendee": 200}, args=lambda w, p: [w.invitation.token]),
    Row("interview_invitation", {**signed_in(404), "attendee": REDIRECT}, method="POST", label="answer",
        args=lambda w, p: [w.invitation.token], data=lambda w, p: {"answer": "accept"}),
    # The portal's own pages.
    Row("sponsor_portal_home", signed_in(200)),
    # A member invitation's link (sent to Min-ji's address here): only that address's account may join.
    Row("sponsor_member_join", {**signed_in(403), "attendee": 200}, args=lambda w, p: [w.member_invitation.token]),
    Row("sponsor_member_join", {**signed_in(403), "attendee": REDIRECT}, method="POST", label="accept",
        args=lambda w, p: [w.member_invitation.token]),
    Row("sponsor_portal", members_only(200), args=sponsor_args),
    Row("sponsor_member_add", members_only(REDIRECT, roles=("gold_admin",)), method="POST", args=sponsor_args,
        data=lambda w, p: {"email": "new.member@acme.example", "role": "recruiter"}),
    Row("sponsor_member_role", members_only(REDIRECT, roles=("gold_admin",)), method="POST", args=sponsor_args,
        data=lambda w, p: {"member": member_ref(w, p), "role": "admin"}),
    Row("sponsor_member_remove", members_only(REDIRECT, roles=("gold_admin",)), method="POST", args=sponsor_args,
        data=lambda w, p: {"member": member_ref(w, p)}),
    Row("sponsor_passes", members_only(200, roles=("gold_admin",)), args=sponsor_args),
    Row("sponsor_pass_assign", members_only(REDIRECT, roles=("gold_admin",)), method="POST", args=sponsor_args,
        data=lambda w, p: {"email": "second.guest@acme.example"}),
    Row("sponsor_pass_revoke", members_only(REDIRECT, roles=("gold_admin",)), method="POST", args=sponsor_args,
        data=lambda w, p: {"complimentary_pass": w.complimentary_pass.public_id}),
    Row("sponsor_pass_reassign", members_only(REDIRECT, roles=("gold_admin",)), method="POST", args=sponsor_args,
        data=lambda w, p: {"complimentary_pass": w.complimentary_pass.public_id, "email": "third.guest@acme.example"}),
    Row("sponsor_portal_tokens", members_only(200, roles=("gold_admin",)), args=sponsor_args),
    Row("sponsor_portal_tokens", members_only(200, roles=("gold_admin",)), method="POST", label="create",
        args=sponsor_args, data=lambda w, p: {"name": "ATS"}),
    Row("sponsor_portal_token_revoke", members_only(REDIRECT, roles=("gold_admin",)), method="POST",
        args=sponsor_args,
        data=lambda w, p: {"token": APIToken.objects.filter(sponsor=w.sponsors["gold"]).first().public_id}),
    # Recruitment data.
    Row("sponsor_portal_search", recruitment(200, 200), args=sponsor_args, lists=True),
    Row("sponsor_portal_export", recruitment(200, 200), args=sponsor_args, label="preview"),
    Row("sponsor_portal_export", recruitment(200, 200), method="POST", args=sponsor_args, logged="export",
        lists=True),
    Row("sponsor_portal_profile", recruitment(200, 200, closed=404, excluded=404), logged="view",
        args=lambda w, p: [*sponsor_args(w, p), minji_ref(w, p)]),
    Row("sponsor_portal_profile", recruitment(404, 404, closed=404), label="opted-out attendee",
        args=lambda w, p: [*sponsor_args(w, p), ref(lambda w: w.oscar)(w, p)]),
    Row("sponsor_portal_cv", recruitment(200, 404, closed=404, excluded=404), logged="cv",
        args=lambda w, p: [*sponsor_args(w, p), minji_ref(w, p)]),
    Row("sponsor_portal_cv", recruitment(404, 404, closed=404), label="opted-out attendee",
        args=lambda w, p: [*sponsor_args(w, p), ref(lambda w: w.oscar)(w, p)]),
    Row("sponsor_portal_shortlist", recruitment(200, 200), args=sponsor_args, lists=True),
    Row("sponsor_portal_shortlist_add", recruitment(REDIRECT, REDIRECT, closed=404, excluded=404), method="POST",
        args=sponsor_args, data=lambda w, p: {"profile": minji_ref(w, p)}),
    Row("sponsor_portal_shortlist_remove", recruitment(REDIRECT, REDIRECT, closed=REDIRECT), method="POST",
        args=sponsor_args, data=lambda w, p: {"profile": minji_ref(w, p)}),
    Row("sponsor_portal_shortlist_note", recruitment(REDIRECT, REDIRECT, closed=404, excluded=404), method="POST",
        args=sponsor_args, data=lambda w, p: {"profile": minji_ref(w, p), "note": "Strong RL"}),
    # Interview rooms: any member of a sponsor; booking itself is limited by the tier's hours.
    Row("sponsor_interviews", members_only(200), args=sponsor_args),
    Row("sponsor_interview_slot", members_only(200), args=slot_args),
    Row("sponsor_interview_book", members_only(REDIRECT), method="POST",
        args=lambda w, p: [w.sponsor_of(p).slug, interviews.slot_ref(w.free_slot)]),
    Row("sponsor_interview_release", members_only(REDIRECT), method="POST", args=slot_args),
    Row("sponsor_interview_withdraw", {**members_only(404), "gold": REDIRECT, "gold_admin": REDIRECT},
        method="POST", args=slot_args, data=lambda w, p: {"invitation": w.invitation.public_id}),
    # The API: Bearer tokens of one sponsor; a session is not enough.
    Row("api-sponsor-profile-list", api(200, 200), api=True, lists=True),
    Row("api-sponsor-profile-detail", api(200, 200, closed=404, excluded=404, other=404), api=True, logged="view",
        args=lambda w, p: [minji_ref(w, p)]),
    Row("api-sponsor-profile-detail", api(404, 404, closed=404, other=404), api=True, label="opted-out attendee",
        args=lambda w, p: [ref(lambda w: w.oscar)(w, p)]),
    Row("api-sponsor-profile-cv", api(200, 404, closed=404, excluded=404, other=404), api=True, logged="cv",
        args=lambda w, p: [minji_ref(w, p)]),
    # The organisers' per-sponsor figures in the admin.
    Row("admin:sponsors_accesslogentry_figures", {**everyone(ADMIN_LOGIN), "staff": 200}, admin=True),
    # An organiser's CV download (staff with sponsors.view_cv; the superuser has it): never logged as a sponsor's.
    Row("admin:sponsors_recruitmentprofile_cv", {**everyone(ADMIN_LOGIN), "staff": 200}, admin=True,
        args=lambda w, p: [w.minji.public_id]),
]


# --- Running a row ------------------------------------------------------------------------------

def fingerprint(world: World) -> tuple:
    """What a refused request must not change."""
    return (
        ShortlistEntry.objects.count(),
        tuple(ShortlistEntry.objects.order_by("pk").values_list("note", flat=True)),
        AccessLogEntry.objects.count(),
        tuple(SponsorMember.objects.order_by("pk").values_list("pk", "role")),
        tuple(MemberInvitation.objects.order_by("pk").values_list("pk", "accepted_at")),
        tuple(APIToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        tuple(ComplimentaryPass.objects.order_by("pk").values_list("pk", "email", "revoked_at")),
        tuple(InterviewSlot.objects.order_by("pk").values_list("pk", "sponsor_id")),
        tuple(Invitation.objects.order_by("pk").values_list("pk", "status")),
        ConsentRecord.objects.count(),
        OutboxEmail.objects.count(),
        tuple(RecruitmentProfile.objects.order_by("pk").values_list("pk", "cv", "opted_in")),
    )


def url_for(row: Row, world: World, persona: str) -> str:
    if row.admin:
        return reverse(row.name, args=row.args(world, persona))
    return reverse(row.name, args=[world.conference.slug, *row.args(world, persona)])


def request(row: Row, world: World, persona: str):
    client = Client()
    headers = {}
    if row.api:
        key = world.api_keys.get(persona)
        if key:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        elif persona != "anonymous":
            client.force_login(world.users[persona])  # a session alone opens no API endpoint
    elif persona != "anonymous":
        client.force_login(world.users[persona])
    url = url_for(row, world, persona)
    if row.method == "POST":
        return url, client.post(url, row.data(world, persona), **headers)
    return url, client.get(url, **headers)


def outcome(response) -> Any:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("account_login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return REDIRECT
    return response.status_code


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_the_matrix(row: Row, world: World):
    assert set(row.expect) == set(PERSONAS), f"{row.id}: every persona needs an expectation"
    failures = []
    for persona in PERSONAS:
        expected = row.expect[persona]
        with transaction.atomic():
            before = fingerprint(world)
            logged_before = set(AccessLogEntry.objects.values_list("pk", flat=True))
            url, response = request(row, world, persona)
            got = outcome(response)
            if got != expected:
                failures.append(f"{persona}: expected {expected}, got {got} for {row.method} {url}")
            elif expected in (LOGIN, ADMIN_LOGIN, 401, 403, 404, 405):
                if fingerprint(world) != before:
                    failures.append(f"{persona}: refused with {got}, but {row.method} {url} changed data")
            elif row.logged and expected == 200:
                new = list(AccessLogEntry.objects.exclude(pk__in=logged_before)
                           .values_list("profile_id", "action", "sponsor_id"))
                if persona == "excluded":
                    # Hooli's export runs, but Min-ji is not in it: nothing of hers is read or logged.
                    if new:
                        failures.append(f"excluded: {row.method} {url} logged {new}")
                elif new != [(world.minji.pk, row.logged, world.sponsor_of(persona).pk)]:
                    failures.append(f"{persona}: {row.method} {url} should log one {row.logged} of Min-ji: {new}")
            if row.lists and got == 200 and persona in ("gold", "excluded"):
                # Lists: Gold's shows Min-ji (the control), Hooli's, whom she excluded, shows nothing of hers.
                body = response.content
                shown = world.minji.public_id.encode() in body
                if persona == "gold" and not shown:
                    failures.append(f"gold: {row.method} {url} does not list Min-ji")
                if persona == "excluded" and (shown or b"Min-ji" in body or b"minji@" in body):
                    failures.append(f"excluded: {row.method} {url} shows Min-ji to the sponsor she excluded")
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


# --- The matrix covers every sponsor-facing URL ------------------------------------------------------

ADMIN_STANDARD_VIEW = re.compile(r"^admin:sponsors_[a-z]+_(changelist|add|history|delete|change|auditlog)$")


def sponsor_facing_urls() -> dict[str, str]:
    """{URL name: route} for every URL whose view is defined in the sponsors app."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, prefix + str(pattern.pattern), inner)
                continue
            assert isinstance(pattern, URLPattern)
            callback = pattern.callback
            module = getattr(getattr(callback, "view_class", None), "__module__", None) or callback.__module__
            if hasattr(callback, "model_admin"):
                module = type(callback.model_admin).__module__
            if not module.startswith("sponsors"):
                continue
            route = prefix + str(pattern.pattern)
            if pattern.name is None:
                # The admin's catch-all redirect from …/<id>/ to …/<id>/change/.
                assert route.startswith("admin/"), f"a sponsors URL without a name: {route}"
                continue
            name = f"{namespace}{pattern.name}"
            if ADMIN_STANDARD_VIEW.match(name):
                continue  # the admin's own views: tests/sponsors/test_admin_*.py, tests/core/test_audit.py, staff roles
            found[name] = route

    walk(get_resolver(), "", "")
    return found


def test_every_sponsor_facing_url_has_a_row():
    urls = sponsor_facing_urls()
    covered = {row.name for row in ROWS}
    missing = sorted(set(urls) - covered)
    assert not missing, "sponsor-facing URLs without a row in the permissions matrix: " + ", ".join(
        f"{name} ({urls[name]})" for name in missing)
    assert not covered - set(urls), f"rows for URLs that no longer exist: {sorted(covered - set(urls))}"
    assert len(urls) >= 35  # the walk itself works: it finds the sponsors app's URLs


def test_no_sponsor_facing_url_takes_a_guessable_id():
    """Objects in sponsor-facing URLs are named by slugs and unguessable references, never by integers."""
    numeric = {name: route for name, route in sponsor_facing_urls().items() if "<int:" in route}
    assert numeric == {}
