"""The sponsor portal's recruitment pages: search, a profile, its CV, the shortlist, CSV export, and
API tokens (sponsor admins).

Every page is behind `@sponsor_portal_view` (member of this sponsor, two-factor login, 404 for
anyone else) and asks `sponsors.access` again on each request: a request that starts after an
attendee's opt-out has committed does not see them. A profile is named in URLs by its random public id
with a MAC bound to this sponsor (`queries.profile_ref`; no primary key); one that does not exist, is not shared with this sponsor,
or is someone else's reference is the same 404. Each profile view, CV download and exported row is
written to the access log once.
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from confsite.models import Conference
from schedule.models import Topic

from .. import access, queries, services
from ..access_log import record_access
from ..decorators import sponsor_portal_view
from ..models import AccessLogEntry, APIToken, RecruitmentProfile, ShortlistEntry, SponsorMember, Tier

PAGE_SIZE = 25
NOTE_MAX = 5000
JOB_TYPE_CHOICES = [("internship", gettext_lazy("internship")), ("full-time", gettext_lazy("full-time position")),
                    ("postdoc", gettext_lazy("postdoc"))]
# Spreadsheets run cells that begin with these as formulas (CSV injection), also after leading blanks
# (a BOM, spaces, tabs, line breaks) and in their full-width forms; a leading tab or CR is escaped too.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LEADING_BLANKS = "\ufeff \t\r\n\u00a0\u3000"


class SearchForm(forms.Form):
    """The portal's and the API's search filters (all optional)."""

    q = forms.CharField(label=gettext_lazy("Keywords"), required=False, max_length=queries.MAX_QUERY_LENGTH,
                        help_text=gettext_lazy("Words from the profile or the titles of the attendee's papers. "
                                               "Accents and capitals do not matter."))
    area = forms.ModelMultipleChoiceField(label=gettext_lazy("Research areas"), queryset=Topic.objects.none(),
                                          to_field_name="slug", required=False)
    position = forms.MultipleChoiceField(label=gettext_lazy("Current position"), required=False,
                                         choices=RecruitmentProfile.Position.choices,
                                         widget=forms.CheckboxSelectMultiple)
    graduation_year = forms.TypedMultipleChoiceField(label=gettext_lazy("Graduation year"), coerce=int,
                                                     required=False)
    location = forms.CharField(label=gettext_lazy("Location"), required=False, max_length=100,
                               help_text=gettext_lazy("e.g. Seoul, Europe, remote"))
    job_type = forms.MultipleChoiceField(label=gettext_lazy("Looking for"), required=False, choices=JOB_TYPE_CHOICES,
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, data=None, *, conference: Conference, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["area"].queryset = Topic.objects.filter(conference=conference).order_by("name")
        year = conference.start_date.year
        self.fields["graduation_year"].choices = [(y, str(y)) for y in range(year - 6, year + 8)]

    def search(self, sponsor):
        data = self.cleaned_data
        return queries.search_profiles(sponsor, q=data["q"], areas=data["area"], positions=data["position"],
                                       graduation_years=data["graduation_year"], locations=data["location"],
                                       job_types=data["job_type"])

    def error_sentences(self) -> list[str]:
        return [f"{self.fields[name].label}: {error}" if name in self.fields else str(error)
                for name, errors in self.errors.items() for error in errors]


def looking_for(profile: RecruitmentProfile) -> list[str]:
    """The job types a profile is looking for, as codes ("internship", "full-time", "postdoc")."""
    return [code for code, field in queries.JOB_TYPES.items() if getattr(profile, field)]


def _closed_reason(tier: Tier) -> str:
    now = timezone.now()
    if tier.recruitment_access == Tier.Access.NONE:
        return _("Your sponsorship tier does not include access to the recruitment database. Contact the "
                 "organisers if you would like to upgrade.")
    if tier.access_from is None or tier.access_until is None:
        return _("The organisers have not set your access window yet.")
    if now < tier.access_from:
        return _("Your access to the recruitment database opens on %(date)s.") % {
            "date": f"{timezone.localtime(tier.access_from):%d %B %Y}"}
    return _("Your access to the recruitment database closed on %(date)s.") % {
        "date": f"{timezone.localtime(tier.access_until):%d %B %Y}"}


def _closed(request: HttpRequest, edition: Conference) -> HttpResponse:
    """The page shown instead of any recruitment data when the sponsor has no access now."""
    return render(request, "sponsors/portal_search_closed.html", {
        "conference": edition, "sponsor": request.sponsor, "reason": _closed_reason(request.sponsor.tier)},
        status=403)


def _decorate(request: HttpRequest, profiles: list[RecruitmentProfile]) -> list[RecruitmentProfile]:
    counts = queries.paper_counts(profiles)
    for profile in profiles:
        profile.ref = queries.profile_ref(request.sponsor, profile)
        profile.papers_count = counts[profile.pk]
        profile.job_labels = [str(label) for code, label in JOB_TYPE_CHOICES if code in looking_for(profile)]
        profile.name = profile.user.get_full_name()
    return profiles


@require_GET
@sponsor_portal_view
def sponsor_portal_search(request: HttpRequest, edition: Conference) -> HttpResponse:
    sponsor = request.sponsor
    if not access.recruitment_open(sponsor):
        return _closed(request, edition)
    form = SearchForm(request.GET, conference=edition)
    page = None
    if form.is_valid():
        page = Paginator(form.search(sponsor), PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = _decorate(request, list(page.object_list))
    return render(request, "sponsors/portal_search.html", {
        "conference": edition, "sponsor": sponsor, "member": request.member, "form": form, "page": page,
        "filtered": any(v for k, v in request.GET.lists() if k != "page")})


def _visible_profile(request: HttpRequest, ref: str) -> tuple[RecruitmentProfile, access.Visibility]:
    """The profile `ref` names and what this sponsor may see of it now; 404 if nothing."""
    sponsor = request.sponsor
    public_id = queries.profile_public_id(sponsor, ref)
    profile = None
    if public_id is not None:
        profile = (access.visible_profiles(sponsor).filter(public_id=public_id).select_related("user", "conference")
                   .prefetch_related("research_areas").first())
    if profile is None:
        raise Http404(_("No such profile."))
    return profile, access.allowed_parts(sponsor, profile)


@require_GET
@sponsor_portal_view
def sponsor_portal_profile(request: HttpRequest, edition: Conference, ref: str) -> HttpResponse:
    sponsor = request.sponsor
    profile, seen = _visible_profile(request, ref)
    papers = list(services.person_papers(profile))
    entry = ShortlistEntry.objects.filter(sponsor=sponsor, profile=profile).first()
    record_access(sponsor, request.user, [profile], AccessLogEntry.Action.VIEW)
    profile.ref = ref
    profile.job_labels = [str(label) for code, label in JOB_TYPE_CHOICES if code in looking_for(profile)]
    links = []
    if seen.links:
        links = [(label, url) for label, url in [
            (_("Google Scholar"), profile.scholar_url), (_("OpenReview"), profile.openreview_url),
            (_("GitHub"), profile.github_url), (_("Homepage"), profile.homepage_url)] if url]
    return render(request, "sponsors/portal_profile.html", {
        "conference": edition, "sponsor": sponsor, "member": request.member, "profile": profile, "seen": seen,
        "name": profile.user.get_full_name(), "email": profile.user.email if seen.email else "",
        "links": links, "papers": papers, "entry": entry})


def _cv_response(profile: RecruitmentProfile) -> FileResponse:
    try:
        handle = profile.cv.open("rb")
    except (FileNotFoundError, OSError, ValueError) as error:
        raise Http404(_("No such CV.")) from error
    name = slugify(profile.user.get_full_name()) or "candidate"
    response = FileResponse(handle, content_type="application/pdf", as_attachment=True, filename=f"cv-{name}.pdf")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@sponsor_portal_view
def sponsor_portal_cv(request: HttpRequest, edition: Conference, ref: str) -> HttpResponse:
    profile, seen = _visible_profile(request, ref)
    if not seen.cv:
        raise Http404(_("No such CV."))
    response = _cv_response(profile)
    record_access(request.sponsor, request.user, [profile], AccessLogEntry.Action.CV)
    return response


# --- Shortlist --------------------------------------------------------------------------------

class ShortlistForm(forms.Form):
    profile = forms.CharField(max_length=200)
    back = forms.ChoiceField(choices=[("profile", "profile"), ("shortlist", "shortlist")], required=False)


class NoteForm(ShortlistForm):
    note = forms.CharField(label=gettext_lazy("Private note"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=gettext_lazy("Only members of your organisation see it."))


def _shortlist_entries(sponsor):
    """This sponsor's entries whose profiles it may still see (an attendee who opted out drops out)."""
    visible = access.visible_profiles(sponsor).values("pk")
    return (ShortlistEntry.objects.filter(sponsor=sponsor, profile__in=visible)
            .select_related("profile__user", "profile__conference", "added_by").prefetch_related("profile__research_areas")
            .order_by("-created_at", "pk"))


@require_GET
@sponsor_portal_view
def sponsor_portal_shortlist(request: HttpRequest, edition: Conference) -> HttpResponse:
    sponsor = request.sponsor
    if not access.recruitment_open(sponsor):
        return _closed(request, edition)
    page = Paginator(_shortlist_entries(sponsor), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    _decorate(request, [e.profile for e in entries])
    for entry in entries:
        entry.form = NoteForm(initial={"profile": entry.profile.ref, "note": entry.note, "back": "shortlist"},
                              auto_id=f"note-{entry.pk}-%s")
    page.object_list = entries
    return render(request, "sponsors/portal_shortlist.html", {
        "conference": edition, "sponsor": sponsor, "member": request.member, "page": page})


def _shortlist_back(request: HttpRequest, edition: Conference, form: forms.Form) -> HttpResponse:
    ref = form.cleaned_data.get("profile") if form.is_valid() else None
    if ref and form.cleaned_data.get("back") == "profile":
        return redirect("sponsor_portal_profile", edition.slug, request.sponsor.slug, ref)
    return redirect("sponsor_portal_shortlist", edition.slug, request.sponsor.slug)


@require_POST
@sponsor_portal_view
def sponsor_portal_shortlist_add(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = ShortlistForm(request.POST)
    if not form.is_valid():
        raise Http404(_("No such profile."))
    profile, _seen = _visible_profile(request, form.cleaned_data["profile"])
    _entry, created = ShortlistEntry.objects.get_or_create(sponsor=request.sponsor, profile=profile,
                                                           defaults={"added_by": request.user})
    messages.success(request, _("Added to your shortlist.") if created else _("Already on your shortlist."))
    return _shortlist_back(request, edition, form)


@require_POST
@sponsor_portal_view
def sponsor_portal_shortlist_remove(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = ShortlistForm(request.POST)
    public_id = queries.profile_public_id(request.sponsor, form.cleaned_data["profile"]) if form.is_valid() else None
    if public_id is None:
        raise Http404(_("No such profile."))
    deleted, _rows = ShortlistEntry.objects.filter(sponsor=request.sponsor, profile__public_id=public_id).delete()
    if deleted:
        messages.success(request, _("Removed from your shortlist."))
    return _shortlist_back(request, edition, form)


@require_POST
@sponsor_portal_view
def sponsor_portal_shortlist_note(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        if "profile" in form.errors:
            raise Http404(_("No such profile."))
        for error in form.errors.get("note", []):
            messages.error(request, _("The note was not saved: %(error)s") % {"error": error})
        return _shortlist_back(request, edition, ShortlistForm(request.POST))
    profile, _seen = _visible_profile(request, form.cleaned_data["profile"])
    updated = ShortlistEntry.objects.filter(sponsor=request.sponsor, profile=profile).update(
        note=form.cleaned_data["note"], updated_at=timezone.now())
    if updated:
        messages.success(request, _("Note saved."))
    else:
        messages.error(request, _("Add the profile to your shortlist first; then you can write a note."))
    return _shortlist_back(request, edition, form)


# --- CSV export -------------------------------------------------------------------------------

def csv_cell(value) -> str:
    """A value as a CSV cell that spreadsheets show as text: a quote goes before a cell whose first
    character after any blanks is =, +, -, @ (or ＝ ＋ － ＠), and before one that starts with a tab or CR."""
    text = "" if value is None else str(value)
    if text.startswith(("\t", "\r")) or text.lstrip(LEADING_BLANKS).startswith(FORMULA_STARTS):
        return "'" + text
    return text


def export_rows(request: HttpRequest, edition: Conference, profiles: list[RecruitmentProfile],
                notes: dict[int, str] | None = None) -> str:
    """The CSV text (with a BOM, for Excel) of `profiles`, read from `access.visible_profiles` in this request.

    Columns follow the tier (a CV column only with CV access) and each cell the attendee's choices:
    the e-mail and link cells are empty for attendees who did not share them.
    """
    sponsor = request.sponsor
    cvs = sponsor.tier.recruitment_access == Tier.Access.CVS
    counts = queries.paper_counts(profiles)
    header = [_("Name"), _("Headline"), _("Current position"), _("Research areas"), _("Graduation year"),
              _("Looking for"), _("Locations"), _("E-mail"), _("Google Scholar"), _("OpenReview"), _("GitHub"),
              _("Homepage"), _("Papers at %(edition)s") % {"edition": edition.short_name}, _("Profile")]
    if cvs:
        header.append(_("CV"))
    if notes is not None:
        header.append(_("Private note"))
    labels = dict(JOB_TYPE_CHOICES)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for profile in profiles:
        seen = queries.row_visibility(sponsor, profile)
        ref = queries.profile_ref(sponsor, profile)
        links = [profile.scholar_url, profile.openreview_url, profile.github_url, profile.homepage_url]
        row = [profile.user.get_full_name(), profile.headline,
               profile.get_position_display() if profile.position else "",
               "; ".join(t.name for t in profile.research_areas.all()),
               profile.graduation_date.year if profile.graduation_date else "",
               "; ".join(str(labels[code]) for code in looking_for(profile)), profile.locations,
               profile.user.email if seen.email else "",
               *(links if seen.links else ["", "", "", ""]),
               counts[profile.pk],
               request.build_absolute_uri(reverse("sponsor_portal_profile", args=[edition.slug, sponsor.slug, ref]))]
        if cvs:
            row.append(request.build_absolute_uri(reverse("sponsor_portal_cv", args=[edition.slug, sponsor.slug, ref]))
                       if seen.cv else "")
        if notes is not None:
            row.append(notes.get(profile.pk, ""))
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


@require_http_methods(["GET", "POST"])
@sponsor_portal_view
def sponsor_portal_export(request: HttpRequest, edition: Conference) -> HttpResponse:
    """GET: what would be exported, and a button; POST: the CSV (each exported profile logged once)."""
    sponsor = request.sponsor
    if not access.recruitment_open(sponsor):
        return _closed(request, edition)
    data = request.POST if request.method == "POST" else request.GET
    source = "shortlist" if data.get("source") == "shortlist" else "search"
    form = SearchForm(data, conference=edition)
    notes = None
    if source == "shortlist":
        entries = list(_shortlist_entries(sponsor))
        profiles = [e.profile for e in entries]
        notes = {e.profile_id: e.note for e in entries}
    elif form.is_valid():
        profiles = form.search(sponsor)
    else:
        for sentence in form.error_sentences():
            messages.error(request, sentence)
        return redirect("sponsor_portal_search", edition.slug, sponsor.slug)
    if request.method == "GET":
        count = len(profiles) if isinstance(profiles, list) else profiles.count()
        return render(request, "sponsors/portal_search_export.html", {
            "conference": edition, "sponsor": sponsor, "member": request.member, "source": source,
            "count": count, "form": form, "params": data.urlencode()})
    profiles = profiles if isinstance(profiles, list) else list(profiles)
    with transaction.atomic():
        body = export_rows(request, edition, profiles, notes)
        record_access(sponsor, request.user, profiles, AccessLogEntry.Action.EXPORT)
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    response["Content-Disposition"] = f'attachment; filename="{sponsor.slug}-{source}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- API tokens (sponsor admins) --------------------------------------------------------------

class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100,
                           help_text=gettext_lazy("What the token is for, e.g. “ATS integration”."))


class RevokeForm(forms.Form):
    token = forms.CharField(max_length=32)


def _tokens_page(request: HttpRequest, edition: Conference, form: TokenForm, key: str = "",
                 status: int = 200) -> HttpResponse:
    tokens = list(APIToken.objects.filter(sponsor=request.sponsor).select_related("member__user")
                  .order_by("revoked_at", "-created_at"))
    response = render(request, "sponsors/portal_tokens.html", {
        "conference": edition, "sponsor": request.sponsor, "member": request.member, "tokens": tokens,
        "form": form, "key": key,
        "api_base": request.build_absolute_uri(f"/api/{edition.slug}/sponsor/profiles/")}, status=status)
    if key:
        response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@sponsor_portal_view(roles=(SponsorMember.Role.ADMIN,))
def sponsor_portal_tokens(request: HttpRequest, edition: Conference) -> HttpResponse:
    """The sponsor's API tokens; POST creates one and shows its key, once."""
    if request.method == "GET":
        return _tokens_page(request, edition, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, edition, form, status=400)
    _token, key = APIToken.issue(request.member, form.cleaned_data["name"].strip())
    messages.success(request, _("Token created. Copy the key now: it is shown only once."))
    return _tokens_page(request, edition, TokenForm(), key=key)


@require_POST
@sponsor_portal_view(roles=(SponsorMember.Role.ADMIN,))
def sponsor_portal_token_revoke(request: HttpRequest, edition: Conference) -> HttpResponse:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        raise Http404(_("No such token."))
    revoked = APIToken.objects.filter(public_id=form.cleaned_data["token"], sponsor=request.sponsor,
                                      revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not revoked and not APIToken.objects.filter(public_id=form.cleaned_data["token"],
                                                              sponsor=request.sponsor).exists():
        raise Http404(_("No such token."))
    messages.success(request, _("The token is revoked: requests with it are refused from now on."))
    return redirect("sponsor_portal_tokens", edition.slug, request.sponsor.slug)
