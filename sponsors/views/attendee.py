"""The attendee's recruitment profile, what they share with which sponsors, and who looked.

Everything here belongs to the logged-in attendee only: other people's profiles and CVs are never
reachable from these URLs (they take no ids).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from confsite import consent
from confsite.editions import edition_view
from confsite.models import Conference, ConsentRecord

from .. import access, services
from ..forms_attendee import ProfileForm, ShareForm
from ..models import AccessLogEntry, RecruitmentProfile, Sponsor, SponsorDecision


def _profile(request: HttpRequest, edition: Conference) -> RecruitmentProfile | None:
    """The logged-in attendee's own profile at this edition: the only one these views ever touch."""
    return RecruitmentProfile.objects.filter(user=request.user, conference=edition).first()


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def profile(request: HttpRequest, edition: Conference) -> HttpResponse:
    current = _profile(request, edition)
    # A first profile at this edition starts from the one the attendee kept from an earlier edition.
    kept = services.kept_profile_for(request.user, edition) if current is None else None
    instance = current or RecruitmentProfile(user=request.user, conference=edition)
    form = ProfileForm(request.POST if request.method == "POST" else None, request.FILES or None, instance=instance,
                       initial=services.prefill(kept, edition) if kept else None, conference=edition, kept=kept)
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = form.save()
                    if form.cleaned_data.get("cv_upload"):
                        services.save_cv(saved, form.cleaned_data["cv_upload"])
                    elif kept is not None and form.cleaned_data.get("copy_cv"):
                        services.copy_cv(kept, saved)
                    services.refresh_search_text(saved)
            except IntegrityError:
                # Two first saves at once (e.g. a double submit): the other one created the profile.
                messages.error(request, _("Your profile was just saved from another window. Check it below and "
                                          "save again if needed."))
                return redirect("recruitment_profile", edition.slug)
            except services.SponsorError as error:
                messages.error(request, str(error))
                return redirect("recruitment_profile", edition.slug)
            messages.success(request, _("Your recruitment profile is saved."))
            return redirect("recruitment_profile", edition.slug)
        messages.error(request, _("Please correct the highlighted fields; nothing was saved."))
    papers = list(services.person_papers(instance)) if instance.pk else []
    return render(request, "sponsors/profile.html", {"conference": edition, "form": form, "profile": instance,
                                                     "kept": kept, "papers": papers})


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


def _chosen_sponsor(request: HttpRequest, edition: Conference) -> Sponsor:
    raw = str(request.POST.get("sponsor", ""))
    sponsor = Sponsor.objects.filter(pk=int(raw), conference=edition).first() if raw.isdigit() and len(raw) < 19 \
        else None
    if sponsor is None:
        raise services.SponsorError(_("Choose a sponsor from the list."))
    return sponsor


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def share(request: HttpRequest, edition: Conference) -> HttpResponse:
    """The consent screen: whom the profile would go to, the terms, the choices, and the record so far."""
    current = _profile(request, edition)
    if current is None:
        messages.info(request, _("Fill in your recruitment profile first; then choose what to share."))
        return redirect("recruitment_profile", edition.slug)
    recipients = access.recipients(edition)
    text = consent.latest_text(edition, services.RECRUITMENT)
    action = request.POST.get("action") if request.method == "POST" else None
    form = ShareForm(request.POST if action == "opt_in" else None, recipients=recipients,
                     has_cv=bool(current.cv), initial={
                         "share_cv": current.share_cv, "share_email": current.share_email,
                         "share_links": current.share_links,
                         "new_sponsors_need_approval": current.new_sponsors_need_approval,
                         "excluded": list(SponsorDecision.objects.filter(
                             profile=current, decision=SponsorDecision.Decision.EXCLUDED).values_list("sponsor_id",
                                                                                                     flat=True)),
                     })
    if request.method == "POST":
        try:
            if action == "opt_in":
                if form.is_valid():
                    data = form.cleaned_data
                    services.opt_in(current, share_cv=data["share_cv"], share_email=data["share_email"],
                                    share_links=data["share_links"], excluded=list(data["excluded"]),
                                    new_sponsors_need_approval=data["new_sponsors_need_approval"])
                    messages.success(request, _("Your profile is shared with the sponsors listed below."))
                    return redirect("recruitment_share", edition.slug)
                messages.error(request, _("Please correct your choices below; nothing was shared."))
            elif action == "opt_out":
                if current.opted_in:
                    services.opt_out(current)
                    messages.success(request, _("You stopped sharing. Sponsors can no longer see your profile or "
                                                "CV; you can share again at any time."))
                else:
                    messages.info(request, _("Your profile is not shared; there is nothing to stop."))
                return redirect("recruitment_share", edition.slug)
            elif action in ("accept", "exclude"):
                sponsor = _chosen_sponsor(request, edition)
                decision = SponsorDecision.Decision.ACCEPTED if action == "accept" else SponsorDecision.Decision.EXCLUDED
                services.decide(current, sponsor, decision)
                messages.success(request, _("Your choice for %(name)s is saved.") % {"name": sponsor.name})
                return redirect("recruitment_share", edition.slug)
            else:
                messages.error(request, _("That action is not available."))
        except services.SponsorError as error:
            messages.error(request, str(error))
    decisions = {d.sponsor_id: d.decision for d in SponsorDecision.objects.filter(profile=current)}
    for sponsor in recipients:
        sponsor.my_decision = decisions.get(sponsor.pk)
    # Latecomers: sponsors with access that the attendee has not decided about since opting in.
    pending = [s for s in recipients if s.my_decision is None] if current.opted_in else []
    history = list(ConsentRecord.objects.filter(user=request.user, conference=edition,
                                                purpose=services.RECRUITMENT)
                   .select_related("text").order_by("-recorded_at", "-id")[:50])
    return render(request, "sponsors/consent.html", {
        "conference": edition, "profile": current, "form": form, "text": text, "recipients": recipients,
        "pending": pending, "history": history,
    })


# What the attendee reads for each kind of access; the sponsor is named, its recruiter never is.
READ_LABELS = {
    AccessLogEntry.Action.VIEW: gettext_lazy("viewed the profile"),
    AccessLogEntry.Action.CV: gettext_lazy("downloaded the CV"),
    AccessLogEntry.Action.EXPORT: gettext_lazy("included the profile in an export"),
}
ACTIVITY_ROWS = 500


@require_GET
@edition_view
@login_required
def activity(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Which sponsors read the attendee's profile, what and when (never which recruiter).

    Two queries whatever the size: per-sponsor totals, and the most recent reads (at most 500).
    """
    current = _profile(request, edition)
    groups: list[dict] = []
    shown = total = 0
    if current is not None:
        totals = (AccessLogEntry.objects.filter(profile=current).values("sponsor_id", "sponsor__name")
                  .annotate(reads=Count("id"), last=Max("at")).order_by("sponsor__name", "sponsor_id"))
        by_sponsor = {row["sponsor_id"]: {"id": row["sponsor_id"], "name": row["sponsor__name"],
                                          "reads": row["reads"], "last": row["last"], "rows": []} for row in totals}
        recent = (AccessLogEntry.objects.filter(profile=current).only("sponsor_id", "action", "channel", "at")
                  .order_by("-at", "-id")[:ACTIVITY_ROWS])
        for entry in recent:
            if entry.sponsor_id in by_sponsor:
                by_sponsor[entry.sponsor_id]["rows"].append(
                    {"what": READ_LABELS.get(entry.action, entry.get_action_display()),
                     "at": entry.at, "channel": entry.get_channel_display()})
                shown += 1
        groups = list(by_sponsor.values())
        total = sum(g["reads"] for g in groups)
    return render(request, "sponsors/activity.html", {"conference": edition, "profile": current, "groups": groups,
                                                      "shown": shown, "total": total})
