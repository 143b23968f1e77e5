"""The attendee's recruitment profile, what they share with which sponsors, and who looked.

Everything here belongs to the logged-in attendee only: other people's profiles and CVs are never
reachable from these URLs (they take no ids).
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from confsite import consent
from confsite.editions import edition_view
from confsite.models import Conference, ConsentRecord

from .. import access, services
from ..forms_attendee import ProfileForm, ShareForm
from ..models import AccessLogEntry, RecruitmentProfile, Sponsor, SponsorDecision


def _profile(request: HttpRequest, edition: Conference, *, create: bool = False) -> RecruitmentProfile | None:
    profile = RecruitmentProfile.objects.filter(user=request.user, conference=edition).first()
    if profile is None and create:
        profile = RecruitmentProfile(user=request.user, conference=edition)
    return profile


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def profile(request: HttpRequest, edition: Conference) -> HttpResponse:
    current = _profile(request, edition, create=True)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=current, conference=edition)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                saved = form.save()
                if form.cleaned_data.get("cv_upload"):
                    services.save_cv(saved, form.cleaned_data["cv_upload"])
                services.refresh_search_text(saved)
            messages.success(request, _("Your recruitment profile is saved."))
            return redirect("recruitment_profile", edition.slug)
        messages.error(request, _("Please correct the highlighted fields; nothing was saved."))
    papers = list(services.person_papers(current)) if current.pk else []
    return render(request, "sponsors/profile.html", {"conference": edition, "form": form, "profile": current,
                                                     "papers": papers})


@require_POST
@edition_view
@login_required
def remove_cv(request: HttpRequest, edition: Conference) -> HttpResponse:
    current = _profile(request, edition)
    if current is not None and current.cv:
        services.remove_cv(current)
        messages.success(request, _("Your CV is deleted; sponsors can no longer download it."))
    return redirect("recruitment_profile", edition.slug)


@require_GET
@edition_view
@login_required
def own_cv(request: HttpRequest, edition: Conference) -> FileResponse:
    current = _profile(request, edition)
    if current is None or not current.cv:
        raise Http404(_("You have not uploaded a CV."))
    try:
        handle = current.cv.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("You have not uploaded a CV.")) from error
    response = FileResponse(handle, content_type="application/pdf", as_attachment=True, filename="cv.pdf")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def share(request: HttpRequest, edition: Conference) -> HttpResponse:
    current = _profile(request, edition)
    if current is None:
        messages.info(request, _("Fill in your recruitment profile first; then choose what to share."))
        return redirect("recruitment_profile", edition.slug)
    recipients = access.recipients(edition)
    text = consent.latest_text(edition, services.RECRUITMENT)
    form = ShareForm(request.POST if request.POST.get("action") == "opt_in" else None, recipients=recipients,
                     has_cv=bool(current.cv), initial={
                         "share_cv": current.share_cv, "share_email": current.share_email,
                         "share_links": current.share_links,
                         "new_sponsors_need_approval": current.new_sponsors_need_approval,
                         "excluded": list(SponsorDecision.objects.filter(
                             profile=current, decision=SponsorDecision.Decision.EXCLUDED).values_list("sponsor_id",
                                                                                                     flat=True)),
                     })
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "opt_in" and form.is_valid():
                data = form.cleaned_data
                services.opt_in(current, share_cv=data["share_cv"], share_email=data["share_email"],
                                share_links=data["share_links"], excluded=list(data["excluded"]),
                                new_sponsors_need_approval=data["new_sponsors_need_approval"])
                messages.success(request, _("Your profile is shared with the sponsors listed below."))
                return redirect("recruitment_share", edition.slug)
            if action == "opt_out" and current.opted_in:
                services.opt_out(current)
                messages.success(request, _("You stopped sharing. Sponsors can no longer see your profile or CV."))
                return redirect("recruitment_share", edition.slug)
            if action in ("accept", "exclude"):
                sponsor = get_object_or_404(Sponsor, pk=request.POST.get("sponsor") or 0, conference=edition) \
                    if str(request.POST.get("sponsor", "")).isdigit() else None
                if sponsor is None:
                    raise services.SponsorError(_("Choose a sponsor from the list."))
                decision = SponsorDecision.Decision.ACCEPTED if action == "accept" else SponsorDecision.Decision.EXCLUDED
                services.decide(current, sponsor, decision)
                messages.success(request, _("Your choice for %(name)s is saved.") % {"name": sponsor.name})
                return redirect("recruitment_share", edition.slug)
            if action not in ("opt_in", "opt_out", "accept", "exclude"):
                messages.error(request, _("That action is not available."))
        except services.SponsorError as error:
            messages.error(request, str(error))
    decisions = {d.sponsor_id: d.decision for d in SponsorDecision.objects.filter(profile=current)}
    for sponsor in recipients:
        sponsor.my_decision = decisions.get(sponsor.pk)
    history = list(ConsentRecord.objects.filter(user=request.user, conference=edition,
                                                purpose=services.RECRUITMENT)
                   .select_related("text").order_by("-recorded_at", "-id")[:50])
    return render(request, "sponsors/consent.html", {
        "conference": edition, "profile": current, "form": form, "text": text, "recipients": recipients,
        "pending": services.pending_recipients(current), "history": history,
    })


@require_GET
@edition_view
@login_required
def activity(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Which sponsors read the attendee's profile, what and when (never which recruiter)."""
    current = _profile(request, edition)
    entries = []
    if current is not None:
        entries = list(AccessLogEntry.objects.filter(profile=current).select_related("sponsor")
                       .order_by("sponsor__name", "-at")[:1000])
    groups = [(sponsor, list(rows)) for sponsor, rows in groupby(entries, key=lambda e: e.sponsor)]
    return render(request, "sponsors/activity.html", {"conference": edition, "profile": current, "groups": groups})
