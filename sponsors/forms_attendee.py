"""Forms of the attendee's recruitment profile and consent screen."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from schedule.models import Topic

from .models import RecruitmentProfile, Sponsor

MAX_CV_BYTES = 5 * 1024 * 1024


def check_cv(upload) -> None:
    """A CV must be a real PDF (checked from its content, not its name) of at most 5 MB."""
    if upload.size > MAX_CV_BYTES:
        raise forms.ValidationError(_("Your CV is larger than 5 MB; upload a smaller PDF."))
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise forms.ValidationError(_("Your CV must be a PDF file."))
    try:
        PdfReader(io.BytesIO(upload.read()), strict=False).pages[0]  # noqa: B018 - parses the first page
    except (PdfReadError, IndexError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise forms.ValidationError(_("Your CV could not be read as a PDF. Export it again and retry.")) from error
    except Exception as error:  # noqa: BLE001 - a malformed upload must be a form error, never a 500
        raise forms.ValidationError(_("Your CV could not be read as a PDF. Export it again and retry.")) from error
    finally:
        upload.seek(0)


# Where each profile link may point. Lenient (any subdomain or country domain that the service
# uses) but safe: http(s) only, and a Scholar link cannot point at an arbitrary site.
LINK_HOSTS = {
    "scholar_url": (re.compile(r"^scholar\.google\.[a-z.]{2,12}$"), _("Enter your Google Scholar address "
                                                                       "(https://scholar.google.com/…).")),
    "openreview_url": (re.compile(r"^(www\.)?openreview\.net$"), _("Enter your OpenReview address "
                                                                   "(https://openreview.net/profile?id=…).")),
    "github_url": (re.compile(r"^(www\.)?github\.com$"), _("Enter your GitHub address (https://github.com/…).")),
}


def check_link(field: str, value: str) -> str | None:
    """The error message for a profile link, or None: http(s) only, and known services on their own hosts."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return str(_("Enter a web address starting with https://."))
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return str(_("Enter a web address starting with https://."))
    if parts.username or parts.password:
        return str(_("Enter the web address without a user name or password."))
    if field in LINK_HOSTS:
        pattern, message = LINK_HOSTS[field]
        if not pattern.match(parts.hostname.lower()):
            return str(message)
    return None


class IdsField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows whose submitted ids are checked to be database-sized integers first
    (Django would send any number to the database, which refuses numbers beyond 64 bits with an error)."""

    def _check_values(self, value):
        for pk in value:
            if not str(pk).isdigit() or len(str(pk)) > 18:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                            params={"pk": pk})
        return super()._check_values(value)


class ProfileForm(forms.ModelForm):
    scholar_url = forms.URLField(label=_("Google Scholar"), required=False, assume_scheme="https")
    openreview_url = forms.URLField(label=_("OpenReview"), required=False, assume_scheme="https")
    github_url = forms.URLField(label=_("GitHub"), required=False, assume_scheme="https")
    homepage_url = forms.URLField(label=_("Homepage"), required=False, assume_scheme="https")
    cv_upload = forms.FileField(label=_("CV (PDF, at most 5 MB)"), required=False,
                                widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))

    class Meta:
        model = RecruitmentProfile
        fields = ["headline", "position", "wants_internship", "wants_full_time", "wants_postdoc", "graduation_date",
                  "research_areas", "locations", "scholar_url", "openreview_url", "github_url", "homepage_url",
                  "keep_for_next_edition"]
        widgets = {"graduation_date": forms.DateInput(attrs={"type": "date"}),
                   "research_areas": forms.CheckboxSelectMultiple}
        field_classes = {"research_areas": IdsField}

    def __init__(self, *args, conference, kept: RecruitmentProfile | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["research_areas"].queryset = Topic.objects.filter(conference=conference).order_by("name")
        if kept is not None and kept.cv:
            # Creating this edition's profile from one kept from an earlier edition: its CV is copied
            # unless the attendee unticks this or uploads a new one.
            self.fields["copy_cv"] = forms.BooleanField(
                label=_("Use the CV from my %(edition)s profile") % {"edition": kept.conference.short_name},
                required=False, initial=True)
            order = list(self.fields)
            order.remove("copy_cv")
            order.insert(order.index("cv_upload") + 1, "copy_cv")
            self.order_fields(order)

    def clean_cv_upload(self):
        upload = self.cleaned_data.get("cv_upload")
        if upload:
            check_cv(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        for name in ("scholar_url", "openreview_url", "github_url", "homepage_url"):
            value = cleaned.get(name) or ""
            error = check_link(name, value) if value else None
            if error:
                self.add_error(name, error)
        return cleaned


class ShareForm(forms.Form):
    share_cv = forms.BooleanField(label=_("My CV"), required=False)
    share_email = forms.BooleanField(label=_("My e-mail address"), required=False)
    share_links = forms.BooleanField(label=_("My links (Scholar, OpenReview, GitHub, homepage)"), required=False,
                                     initial=True)
    excluded = IdsField(label=_("Do not show my profile to"), required=False,
                                              queryset=Sponsor.objects.none(), widget=forms.CheckboxSelectMultiple)
    new_sponsors_need_approval = forms.BooleanField(
        label=_("Ask me before a sponsor that gains access later can see my profile"), required=False, initial=True)

    def __init__(self, *args, recipients, has_cv: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["excluded"].queryset = Sponsor.objects.filter(pk__in=[s.pk for s in recipients]).order_by("name")
        if not has_cv:
            self.fields["share_cv"].disabled = True
            self.fields["share_cv"].help_text = _("Upload a CV on your profile first.")
