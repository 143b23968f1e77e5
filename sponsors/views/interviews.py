"""Interview rooms: the sponsor portal's slot list, booking and invitations; the attendee's answers.

Portal pages go through `@sponsor_portal_view` (member of this sponsor, two-factor login). Another
sponsor's bookings show as "booked", never by name. Candidates are named to the sponsor only while
`sponsors.access` lets it see their profile, and their e-mail address only if they shared it.
The attendee's pages answer only the invited user; everyone else gets 404.
"""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from confsite.editions import edition_view
from confsite.models import Conference

from .. import access, interviews, queries
from ..decorators import sponsor_portal_view
from ..models import InterviewSlot, Invitation, Sponsor
from ..services import SponsorError


class InviteForm(forms.Form):
    candidate = forms.ChoiceField(label=gettext_lazy("Candidate"), error_messages={
                                           "invalid_choice": gettext_lazy("Choose a candidate from your shortlist.")},
                                       help_text=gettext_lazy("Candidates on your shortlist who share their profile "
                                                              "with you."))
    message = forms.CharField(label=gettext_lazy("Message to the candidate"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, sponsor, profiles, **kwargs):
        super().__init__(*args, **kwargs)
        # Options carry the sponsor's profile references, never primary keys.
        self.profiles = {queries.profile_ref(sponsor, p): p for p in profiles}
        self.fields["candidate"].choices = [("", _("Choose a candidate"))] + [
            (ref, f"{interviews.candidate_name(p)} — {p.headline}" if p.headline and p.user.get_full_name()
             else interviews.candidate_name(p)) for ref, p in self.profiles.items()]

    def clean_candidate(self):
        return self.profiles[self.cleaned_data["candidate"]]


def _candidates(sponsor: Sponsor, invitations: list[Invitation]) -> None:
    """Label each invitation's candidate as this sponsor may see them now (one query)."""
    ids = {i.profile_id for i in invitations}
    visible = dict(access.visible_profiles(sponsor).filter(pk__in=ids).values_list("pk", "share_email")) if ids else {}
    for invitation in invitations:
        invitation.slot.ref = interviews.slot_ref(invitation.slot)
        if invitation.profile_id in visible:
            invitation.candidate = interviews.candidate_name(invitation.profile)
            invitation.headline = invitation.profile.headline
            invitation.candidate_email = invitation.profile.user.email if visible[invitation.profile_id] else ""
        else:
            invitation.candidate = _("A candidate who no longer shares their profile with you")
            invitation.headline = invitation.candidate_email = ""


def _sponsor_invitations(sponsor: Sponsor, **filters) -> list[Invitation]:
    invitations = list(Invitation.objects.filter(sponsor=sponsor, **filters)
                       .select_related("slot__room", "profile__user").order_by("slot__start", "pk"))
    _candidates(sponsor, invitations)
    return invitations


@require_GET
@sponsor_portal_view
def sponsor_interviews(request: HttpRequest, edition: Conference) -> HttpResponse:
    sponsor, now = request.sponsor, timezone.now()
    slots = list(interviews.slots_for(sponsor, now))
    used = sum(int((s.end - s.start).total_seconds()) for s in slots if s.sponsor_id == sponsor.pk)
    allowance = interviews.Allowance(total=sponsor.tier.interview_hours * 3600, used=used)
    for slot in slots:
        slot.local_start = interviews.local(slot.start, edition)
        slot.local_end = interviews.local(slot.end, edition)
        slot.state = "yours" if slot.sponsor_id == sponsor.pk else "booked" if slot.sponsor_id else "free"
        slot.is_future = slot.start > now
        slot.ref = interviews.slot_ref(slot)
        needed = int((slot.end - slot.start).total_seconds())
        slot.can_book = slot.state == "free" and allowance.used + needed <= allowance.total
    days = [(day, list(rows)) for day, rows in groupby(slots, key=lambda s: s.local_start.date())]
    context = {"conference": edition, "sponsor": sponsor, "member": request.member, "days": days,
               "allowance": allowance, "invitations": _sponsor_invitations(sponsor)}
    return render(request, "sponsors/interview_slots.html", context)


def _slot(edition: Conference, ref: str, **filters) -> InterviewSlot:
    """The slot a portal URL names (a `slot_ref`); 404 for a made-up reference or another edition's slot."""
    public_id = interviews.slot_public_id(ref)
    if public_id is None:
        raise Http404(_("No such slot."))
    return get_object_or_404(InterviewSlot.objects.select_related("room"), public_id=public_id,
                             room__conference=edition, **filters)


@require_POST
@sponsor_portal_view
def book_slot(request: HttpRequest, edition: Conference, slot: str) -> HttpResponse:
    found = _slot(edition, slot)
    try:
        interviews.book_slot(found, request.member)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You have booked %(room)s on %(when)s.") % {
            "room": found.room.name, "when": f"{interviews.local(found.start, edition):%d %b %Y, %H:%M}"})
    return redirect("sponsor_interviews", edition.slug, request.sponsor.slug)


@require_POST
@sponsor_portal_view
def release_slot(request: HttpRequest, edition: Conference, slot: str) -> HttpResponse:
    found = _slot(edition, slot)
    try:
        interviews.release_slot(found, request.member)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You have released %(room)s on %(when)s.") % {
            "room": found.room.name, "when": f"{interviews.local(found.start, edition):%d %b %Y, %H:%M}"})
    return redirect("sponsor_interviews", edition.slug, request.sponsor.slug)


@require_http_methods(["GET", "POST"])
@sponsor_portal_view
def booked_slot(request: HttpRequest, edition: Conference, slot: str) -> HttpResponse:
    """One of this sponsor's booked slots: its invitations and the form to invite a candidate."""
    sponsor, now = request.sponsor, timezone.now()
    found = _slot(edition, slot, sponsor=sponsor)
    profiles = interviews.invitable_profiles(sponsor)
    form = InviteForm(request.POST or None, sponsor=sponsor, profiles=profiles)
    if request.method == "POST" and form.is_valid():
        candidate = form.cleaned_data["candidate"]
        try:
            interviews.invite(found, request.member, candidate, form.cleaned_data["message"])
        except SponsorError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s is invited; we have e-mailed them for you.") % {
                "name": interviews.candidate_name(candidate)})
            return redirect("sponsor_interview_slot", edition.slug, sponsor.slug, slot)
    invitations = _sponsor_invitations(sponsor, slot=found)
    found.ref = slot
    context = {"conference": edition, "sponsor": sponsor, "slot": found, "form": form, "invitations": invitations,
               "start": interviews.local(found.start, edition), "end": interviews.local(found.end, edition),
               "is_future": found.start > now, "has_open": any(i.status in interviews.OPEN for i in invitations)}
    return render(request, "sponsors/interview_slot.html", context, status=400 if form.errors else 200)


@require_POST
@sponsor_portal_view
def withdraw_invitation(request: HttpRequest, edition: Conference, slot: str) -> HttpResponse:
    sponsor = request.sponsor
    found = _slot(edition, slot, sponsor=sponsor)
    public_id = request.POST.get("invitation", "")
    invitation = (Invitation.objects.filter(public_id=public_id, slot=found, sponsor=sponsor).first()
                  if public_id and len(public_id) <= 32 else None)
    if invitation is None:
        raise Http404(_("No such invitation."))
    try:
        interviews.withdraw(invitation, request.member)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The invitation is withdrawn; we have told the candidate."))
    return redirect("sponsor_interview_slot", edition.slug, sponsor.slug, slot)


# --- The attendee's side ---------------------------------------------------------------------

def _attendee_invitations(edition: Conference, user):
    return (Invitation.objects.filter(profile__user=user, profile__conference=edition)
            .select_related("slot__room", "sponsor"))


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def interview_invitation(request: HttpRequest, edition: Conference, token: str) -> HttpResponse:
    invitation = _attendee_invitations(edition, request.user).filter(token=token).first()
    if invitation is None:
        raise Http404(_("No such invitation."))
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in ("accept", "decline"):
            messages.error(request, _("Choose Accept or Decline."))
        else:
            try:
                interviews.respond(invitation, request.user, accept=answer == "accept")
            except SponsorError as error:
                messages.error(request, str(error))
            else:
                text = (_("You accepted the interview; %(sponsor)s has been told.") if answer == "accept"
                        else _("You declined the interview; %(sponsor)s has been told."))
                messages.success(request, text % {"sponsor": invitation.sponsor.name})
        return redirect("interview_invitation", edition.slug, token)
    now = timezone.now()
    context = {"conference": edition, "invitation": invitation, "slot": invitation.slot,
               "start": interviews.local(invitation.slot.start, edition),
               "end": interviews.local(invitation.slot.end, edition),
               "can_answer": invitation.status != Invitation.Status.CANCELLED and invitation.slot.start > now,
               "suggested": request.GET.get("answer", "")}
    return render(request, "sponsors/interview_invitation.html", context)


@require_GET
@edition_view
@login_required
def my_interviews(request: HttpRequest, edition: Conference) -> HttpResponse:
    invitations = list(_attendee_invitations(edition, request.user).order_by("slot__start", "pk"))
    for invitation in invitations:
        invitation.local_start = interviews.local(invitation.slot.start, edition)
    return render(request, "sponsors/interview_list.html", {"conference": edition, "invitations": invitations})
