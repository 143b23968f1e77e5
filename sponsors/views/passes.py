"""Complimentary passes in the sponsor portal (sponsor admins only): list, assign, revoke, reassign.

Passes travel in POST bodies as their random public ids (never primary keys) and are looked up inside `request.sponsor` only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from confsite.models import Conference

from .. import passes as pass_services
from ..decorators import sponsor_portal_view
from ..models import ComplimentaryPass, SponsorMember
from ..services import SponsorError

ADMINS = (SponsorMember.Role.ADMIN,)


class AssignForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Staff e-mail"),
                             help_text=gettext_lazy("They receive the voucher code and the registration link."))


class PassForm(forms.Form):
    complimentary_pass = forms.CharField(max_length=32, widget=forms.HiddenInput)


class ReassignForm(PassForm):
    email = forms.EmailField(label=gettext_lazy("New e-mail"))


def _back(edition: Conference, sponsor) -> HttpResponse:
    return redirect("sponsor_passes", edition.slug, sponsor.slug)


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_GET
@sponsor_portal_view(roles=ADMINS)
def pass_list(request: HttpRequest, edition: Conference) -> HttpResponse:
    sponsor = request.sponsor
    rows = [(p, pass_services.status(p)) for p in
            ComplimentaryPass.objects.filter(sponsor=sponsor).select_related("voucher").order_by("assigned_at", "pk")]
    current = [(p, s) for p, s in rows if s != pass_services.PassStatus.REVOKED]
    limit = sponsor.tier.complimentary_passes
    return render(request, "sponsors/passes.html", {
        "conference": edition, "sponsor": sponsor, "limit": limit,
        "current": current, "revoked": [p for p, s in rows if s == pass_services.PassStatus.REVOKED],
        "left": max(limit - len(current), 0),
        "assign_form": AssignForm(),
    })


@require_POST
@sponsor_portal_view(roles=ADMINS)
def assign(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = AssignForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(edition, request.sponsor)
    try:
        given = pass_services.assign_pass(request.sponsor, form.cleaned_data["email"], by=request.user)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A pass is on its way to %(email)s.") % {"email": given.email})
    return _back(edition, request.sponsor)


def _pass(request: HttpRequest, form: PassForm) -> ComplimentaryPass:
    return get_object_or_404(ComplimentaryPass, public_id=form.cleaned_data["complimentary_pass"], sponsor=request.sponsor)


@require_POST
@sponsor_portal_view(roles=ADMINS)
def revoke(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = PassForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(edition, request.sponsor)
    target = _pass(request, form)
    try:
        pass_services.revoke_pass(target)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The pass for %(email)s is revoked; its code no longer works.")
                         % {"email": target.email})
    return _back(edition, request.sponsor)


@require_POST
@sponsor_portal_view(roles=ADMINS)
def reassign(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = ReassignForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(edition, request.sponsor)
    target = _pass(request, form)
    try:
        given = pass_services.reassign_pass(target, form.cleaned_data["email"], by=request.user)
    except SponsorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The pass for %(old)s now goes to %(new)s, with a new code; the old code no "
                                    "longer works.") % {"old": target.email, "new": given.email})
    return _back(edition, request.sponsor)
