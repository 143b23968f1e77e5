"""The sponsor portal's front: the list of a user's sponsors, each sponsor's dashboard, its members.

Every page but the list is behind `@sponsor_portal_view` (member of this sponsor, two-factor,
404 for anyone else); member management is for sponsor admins. Members travel in POST bodies
as their random public ids (never primary keys) and are looked up inside `request.sponsor` only, never taken from the URL.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from confsite.editions import edition_view
from confsite.models import Conference

from .. import members as member_services
from ..decorators import sponsor_portal_view
from ..models import ComplimentaryPass, InterviewSlot, MemberInvitation, SponsorMember
from ..services import SponsorError

# Portal areas other modules provide, linked from the dashboard when their URL exists (each takes
# the edition and the sponsor slug). The first element is the URL name.
PORTAL_AREAS = [
    ("sponsor_portal_search", gettext_lazy("Search profiles"), False),
    ("sponsor_portal_shortlist", gettext_lazy("Shortlist"), False),
    ("sponsor_portal_tokens", gettext_lazy("API tokens"), True),
    ("sponsor_interviews", gettext_lazy("Interview rooms"), False),
    ("sponsor_passes", gettext_lazy("Complimentary passes"), True),
]


class AddMemberForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"),
                             help_text=gettext_lazy("We e-mail them a link to join; without an account yet, they "
                                                    "sign up with this address first."))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=SponsorMember.Role.choices,
                             initial=SponsorMember.Role.RECRUITER)


class MemberForm(forms.Form):
    member = forms.CharField(max_length=32, widget=forms.HiddenInput)


class RoleForm(MemberForm):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=SponsorMember.Role.choices)


def portal_links(edition: Conference, sponsor, member) -> list[tuple[str, str]]:
    """(label, URL) of the portal areas that exist, admin-only ones for admins only."""
    links = []
    for name, label, admins_only in PORTAL_AREAS:
        if admins_only and member.role != SponsorMember.Role.ADMIN:
            continue
        try:
            links.append((label, reverse(name, args=[edition.slug, sponsor.slug])))
        except NoReverseMatch:
            continue
    return links


def window_state(tier, now) -> str:
    if tier.recruitment_access == tier.Access.NONE:
        return "none"
    if tier.access_from is None or tier.access_until is None or now < tier.access_from:
        return "not_yet"
    return "open" if now < tier.access_until else "closed"


@require_GET
@edition_view
def portal_home(request: HttpRequest, edition: Conference) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    memberships = list(SponsorMember.objects.filter(user=request.user, sponsor__conference=edition)
                       .select_related("sponsor__tier").order_by("sponsor__name"))
    return render(request, "sponsors/portal_home.html", {"conference": edition, "memberships": memberships})


@require_GET
@sponsor_portal_view
def dashboard(request: HttpRequest, edition: Conference) -> HttpResponse:
    sponsor, member = request.sponsor, request.member
    tier = sponsor.tier
    passes = ComplimentaryPass.objects.filter(sponsor=sponsor, revoked_at__isnull=True).aggregate(
        held=Count("pk"), used=Count("pk", filter=Q(voucher__used__gt=0)))
    booked = sum((end - start for start, end in InterviewSlot.objects.filter(sponsor=sponsor)
                  .values_list("start", "end")), timedelta())
    members = list(SponsorMember.objects.filter(sponsor=sponsor).select_related("user").order_by("user__email"))
    is_admin = member.role == SponsorMember.Role.ADMIN
    return render(request, "sponsors/portal_dashboard.html", {
        "conference": edition, "sponsor": sponsor, "tier": tier, "member": member, "is_admin": is_admin,
        "window": window_state(tier, timezone.now()),
        "passes_held": passes["held"], "passes_used": passes["used"],
        "hours_booked": booked.total_seconds() / 3600,
        "links": portal_links(edition, sponsor, member),
        "members": members,
        "add_form": AddMemberForm() if is_admin else None,
        "invitations": list(MemberInvitation.objects.filter(sponsor=sponsor, accepted_at__isnull=True,
                                                            sent_at__gt=timezone.now() - timedelta(
                                                                days=MemberInvitation.VALID_FOR_DAYS))
                            .order_by("-sent_at")) if is_admin else [],
        "role_choices": SponsorMember.Role.choices,
    })


def _back(edition: Conference, sponsor) -> HttpResponse:
    return redirect(reverse("sponsor_portal", args=[edition.slug, sponsor.slug]) + "#members")


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_POST
@sponsor_portal_view(roles=(SponsorMember.Role.ADMIN,))
def add_member(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(edition, request.sponsor)
    email = form.cleaned_data["email"].strip()
    try:
        invited = member_services.add_member(request.sponsor, email, form.cleaned_data["role"], by=request.user)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        # The same sentence for every address, with or without an account; only the typed address is echoed.
        messages.success(request, _("An invitation to join as %(role)s was sent to %(email)s.")
                         % {"email": email, "role": invited.get_role_display()})
    return _back(edition, request.sponsor)


def _member(request: HttpRequest, form: MemberForm) -> SponsorMember:
    return get_object_or_404(SponsorMember.objects.select_related("user"), public_id=form.cleaned_data["member"],
                             sponsor=request.sponsor)


@require_POST
@sponsor_portal_view(roles=(SponsorMember.Role.ADMIN,))
def change_role(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = RoleForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(edition, request.sponsor)
    target = _member(request, form)
    try:
        changed = member_services.change_role(target, form.cleaned_data["role"])
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(email)s is now %(role)s.")
                         % {"email": changed.user.email, "role": changed.get_role_display()})
    return _back(edition, request.sponsor)


@require_POST
@sponsor_portal_view(roles=(SponsorMember.Role.ADMIN,))
def remove_member(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = MemberForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(edition, request.sponsor)
    target = _member(request, form)
    try:
        member_services.remove_member(target)
    except SponsorError as error:
        messages.error(request, str(error))
        return _back(edition, request.sponsor)
    messages.success(request, _("%(email)s is no longer a member.") % {"email": target.user.email})
    if target.pk == request.member.pk:
        return redirect("sponsor_portal_home", edition.slug)
    return _back(edition, request.sponsor)


@never_cache
@require_http_methods(["GET", "POST"])
@edition_view
def join(request: HttpRequest, edition: Conference, token: str) -> HttpResponse:
    """The link of a member invitation: GET shows the sponsor and the role, POST accepts.

    Anonymous visitors log in (or sign up) first and come back here. A link that is unknown, used or
    expired is a 404; someone logged in with another address is told so, and nothing changes.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    invitation = member_services.open_invitation(edition, token)
    if invitation is None:
        raise Http404(_("This invitation link is no longer valid. Ask a sponsor admin to invite you again."))
    error = ""
    if request.method == "POST":
        try:
            member = member_services.accept_invitation(invitation, request.user)
        except SponsorError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("You are now a member of %(sponsor)s (%(role)s).")
                             % {"sponsor": member.sponsor.name, "role": member.get_role_display()})
            return redirect("sponsor_portal", edition.slug, member.sponsor.slug)
    elif not member_services.owns_address(request.user, invitation.email):
        error = _("This invitation was sent to another e-mail address. Log in with the account of that address, "
                  "or add and verify the address in your account's e-mail settings.")
    return render(request, "sponsors/portal_join.html", {
        "conference": edition, "invitation": invitation, "sponsor": invitation.sponsor, "error": error},
        status=403 if error else 200)
