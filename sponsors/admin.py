"""The organisers' console for sponsors: tiers, organisations, members, recruitment data, rooms, passes.

Recruitment profiles and CVs are personal data: their admin pages need the app's own permissions,
and a CV is downloaded through an access-checked view that needs `sponsors.view_cv` too, never
through a media URL. The access log names profiles by their opaque public id, never by the
attendee's address. Shortlists are not here: their notes are private to the sponsor. Live voucher
codes of complimentary passes are never shown (the code went to the recipient by e-mail).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _lazy

from confsite.audit import AuditHistoryAdmin

from .models import (
    APIToken,
    InterviewRoom,
    MemberInvitation,
    RecruitmentProfile,
    Sponsor,
    SponsorDecision,
    SponsorMember,
    Tier,
)


@admin.register(Tier)
class TierAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    list_display = ["name", "conference", "position", "recruitment_access", "access_from", "access_until",
                    "interview_hours", "complimentary_passes", "logo_size"]
    list_filter = ["conference", "recruitment_access", "logo_size"]
    search_fields = ["name", "conference__short_name"]
    list_select_related = ["conference"]
    autocomplete_fields = ["conference"]


class SponsorMemberInline(admin.TabularInline):
    model = SponsorMember
    extra = 0
    fields = ["user", "role", "added_at"]
    readonly_fields = ["added_at"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Sponsor)
class SponsorAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    list_display = ["name", "tier", "conference", "website", "is_published", "created_at"]
    list_filter = ["conference", "tier", "is_published"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["conference", "tier"]
    inlines = [SponsorMemberInline]
    list_select_related = ["tier__conference", "conference"]


@admin.register(SponsorMember)
class SponsorMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "sponsor", "role", "conference", "added_at"]
    list_filter = ["sponsor__conference", "role", "sponsor__tier"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "sponsor__name"]
    list_select_related = ["user", "sponsor__conference"]
    autocomplete_fields = ["sponsor", "user"]
    fields = ["sponsor", "user", "role", "added_at"]
    readonly_fields = ["added_at"]

    @admin.display(description=_lazy("edition"), ordering="sponsor__conference__start_date")
    def conference(self, member):
        return member.sponsor.conference.short_name


@admin.register(MemberInvitation)
class MemberInvitationAdmin(admin.ModelAdmin):
    """View-only: sponsor admins invite from the portal; the link token stays hidden."""

    list_display = ["email", "sponsor", "role", "sent_at", "accepted_at", "invited_by"]
    list_filter = ["sponsor__conference", "role", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "sponsor__name"]
    list_select_related = ["sponsor", "invited_by"]
    fields = ["sponsor", "email", "role", "invited_by", "sent_at", "accepted_at", "accepted_by"]
    readonly_fields = fields
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SponsorDecisionInline(admin.TabularInline):
    """The attendee's choices about named sponsors (view-only: they change them on their page)."""

    model = SponsorDecision
    extra = 0
    fields = ["sponsor", "decision", "decided_at"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sponsor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class GraduationYearFilter(admin.SimpleListFilter):
    title = _lazy("graduation year")
    parameter_name = "graduation_year"

    def lookups(self, request, model_admin):
        years = (RecruitmentProfile.objects.exclude(graduation_date__isnull=True)
                 .dates("graduation_date", "year", order="ASC"))
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and len(value) == 4:
            return queryset.filter(graduation_date__year=int(value))
        return queryset


@admin.register(RecruitmentProfile)
class RecruitmentProfileAdmin(admin.ModelAdmin):
    """View-only: profiles change only on the attendee's page. No CV link without `sponsors.view_cv`."""

    list_display = ["owner", "conference", "headline", "position", "graduation_year", "opted_in", "share_cv",
                    "has_cv", "keep_for_next_edition", "updated_at"]
    list_filter = ["conference", "opted_in", "position", GraduationYearFilter, "share_cv", "share_email",
                   "keep_for_next_edition", "wants_internship", "wants_full_time", "wants_postdoc"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "headline", "=public_id"]
    list_select_related = ["user", "conference"]
    date_hierarchy = "updated_at"
    inlines = [SponsorDecisionInline]
    fields = ["owner", "conference", "public_id", "headline", "position", "wants_internship", "wants_full_time",
              "wants_postdoc", "graduation_date", "areas", "locations", "scholar_url", "openreview_url",
              "github_url", "homepage_url", "cv_download", "cv_uploaded_at", "opted_in", "opted_in_at", "share_cv",
              "share_email", "share_links", "new_sponsors_need_approval", "keep_for_next_edition", "created_at",
              "updated_at"]
    readonly_fields = fields

    @admin.display(description=_lazy("attendee"), ordering="user__email")
    def owner(self, profile):
        return profile.user

    @admin.display(description=_lazy("graduation"), ordering="graduation_date")
    def graduation_year(self, profile):
        return profile.graduation_date.year if profile.graduation_date else "—"

    @admin.display(description=_lazy("CV uploaded"), boolean=True)
    def has_cv(self, profile):
        return bool(profile.cv)

    @admin.display(description=_lazy("research areas"))
    def areas(self, profile):
        return ", ".join(t.name for t in profile.research_areas.all()) or "—"

    @admin.display(description=_lazy("CV"))
    def cv_download(self, profile):
        if not profile.cv:
            return "—"
        url = reverse("admin:sponsors_recruitmentprofile_cv", args=[profile.public_id])
        return format_html('<a href="{}">{}</a>', url, _lazy("Download the CV (PDF)"))

    @admin.display(description=_lazy("CV"))
    def cv_state(self, profile):
        return _lazy("uploaded (downloading it needs the CV permission)") if profile.cv else "—"

    def _may_download(self, request) -> bool:
        return request.user.has_perm("sponsors.view_cv")

    def get_fields(self, request, obj=None):
        # Without the CV permission the page has no link at all, not a link that answers 403.
        return [("cv_download" if self._may_download(request) else "cv_state") if f == "cv_download" else f
                for f in self.fields]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("research_areas")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        cv = self.admin_site.admin_view(self.cv_view)
        # Named by the profile's public id, like everything else about a profile outside its own change page.
        return [path("<str:public_id>/cv/", cv, name="sponsors_recruitmentprofile_cv"), *super().get_urls()]

    def cv_view(self, request, public_id: str):
        """The CV, streamed after checking the profile view permission and `sponsors.view_cv`."""
        if not (self.has_view_permission(request) and self._may_download(request)):
            raise PermissionDenied
        profile = get_object_or_404(RecruitmentProfile.objects.select_related("user"), public_id=public_id[:32])
        if not profile.cv:
            raise Http404("No CV.")
        try:
            handle = profile.cv.open("rb")
        except (FileNotFoundError, OSError, ValueError) as error:
            raise Http404("No CV.") from error
        name = slugify(profile.user.get_full_name()) or "candidate"
        response = FileResponse(handle, content_type="application/pdf", as_attachment=True,
                                filename=f"cv-{name}.pdf")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class RevokedFilter(admin.SimpleListFilter):
    title = _lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _lazy("active")), ("revoked", _lazy("revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """View-only (sponsor admins create tokens in the portal; only a hash is stored); revocable in bulk."""

    list_display = ["name", "sponsor", "member_email", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["sponsor__conference", RevokedFilter, "sponsor"]
    search_fields = ["name", "=prefix", "sponsor__name", "member__user__email"]
    list_select_related = ["sponsor", "member__user"]
    fields = ["sponsor", "member", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke_tokens"]

    @admin.display(description=_lazy("member"), ordering="member__user__email")
    def member_email(self, token):
        return token.member.user.email

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("sponsors.delete_apitoken")

    @admin.action(description=_lazy("Revoke the selected tokens"), permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        from django.utils import timezone
        from django.utils.translation import ngettext

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", count) % {"n": count})


# --- Interview rooms, slots and invitations ---------------------------------------------------

from django import forms  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.utils.translation import gettext, gettext_lazy  # noqa: E402

from . import interviews  # noqa: E402
from .models import InterviewSlot, Invitation  # noqa: E402
from .services import SponsorError  # noqa: E402


class InterviewSlotInline(admin.TabularInline):
    model = InterviewSlot
    extra = 0
    fields = ["start", "end", "is_published", "booked_by_sponsor"]
    readonly_fields = ["booked_by_sponsor"]
    ordering = ["start"]
    show_change_link = True

    @admin.display(description=gettext_lazy("booked by"))
    def booked_by_sponsor(self, slot):
        return slot.sponsor or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sponsor")


class CreateSlotsForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=gettext_lazy("from"), widget=forms.TimeInput(attrs={"type": "time"}),
                                       help_text=gettext_lazy("Local time at the venue."))
    end = forms.TimeField(label=gettext_lazy("to"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label=gettext_lazy("slot length (minutes)"), min_value=5, max_value=480,
                                            initial=30)
    published = forms.BooleanField(label=gettext_lazy("bookable at once"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(gettext("The end time must be after the start time."))
        return data


@admin.register(InterviewRoom)
class InterviewRoomAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "conference"]
    list_filter = ["conference"]
    search_fields = ["name", "location"]
    list_select_related = ["conference"]
    autocomplete_fields = ["conference"]
    inlines = [InterviewSlotInline]
    actions = ["create_slots"]

    @admin.action(description=gettext_lazy("Create slots in the selected rooms"), permissions=["add"])
    def create_slots(self, request, queryset):
        """An intermediate form (day, from, to, length); cutting is idempotent on each room's times."""
        form = CreateSlotsForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created, skipped = interviews.create_slots(list(queryset), data["day"], data["start"], data["end"],
                                                            data["minutes"], published=data["published"])
            except SponsorError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.message_user(request, gettext(
                "Created %(created)d slots; %(skipped)d overlapped slots the rooms already had and were skipped.")
                % {"created": created, "skipped": skipped}, messages.SUCCESS)
            return None
        context = {**self.admin_site.each_context(request), "title": gettext("Create interview slots"),
                   "form": form, "rooms": queryset, "opts": self.model._meta,
                   "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "sponsors/interview_admin_create_slots.html", context)


class BookedFilter(admin.SimpleListFilter):
    title = gettext_lazy("booking")
    parameter_name = "booked"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("booked")), ("no", gettext_lazy("free"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sponsor__isnull=False)
        if self.value() == "no":
            return queryset.filter(sponsor__isnull=True)
        return queryset


@admin.register(InterviewSlot)
class InterviewSlotAdmin(admin.ModelAdmin):
    list_display = ["room", "local_start", "local_end", "is_published", "sponsor", "booked_by", "booked_at"]
    list_filter = ["room__conference", BookedFilter, "is_published", "room", "sponsor"]
    search_fields = ["room__name", "sponsor__name", "booked_by__email"]
    list_select_related = ["room__conference", "sponsor", "booked_by"]
    readonly_fields = ["sponsor", "booked_by", "booked_at"]
    autocomplete_fields = ["room"]
    date_hierarchy = "start"
    actions = ["publish", "unpublish"]

    @admin.display(description=gettext_lazy("start (venue time)"), ordering="start")
    def local_start(self, slot):
        return f"{interviews.local(slot.start, slot.room.conference):%Y-%m-%d %H:%M}"

    @admin.display(description=gettext_lazy("end (venue time)"), ordering="end")
    def local_end(self, slot):
        return f"{interviews.local(slot.end, slot.room.conference):%H:%M}"

    @admin.action(description=gettext_lazy("Make bookable"), permissions=["change"])
    def publish(self, request, queryset):
        self.message_user(request, gettext("%(n)d slots are bookable.") % {"n": queryset.update(is_published=True)})

    @admin.action(description=gettext_lazy("Stop new bookings (booked slots stay booked)"), permissions=["change"])
    def unpublish(self, request, queryset):
        self.message_user(request, gettext("%(n)d slots take no new bookings.")
                          % {"n": queryset.update(is_published=False)})


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """View-only: invitations are the sponsors' and candidates' business; the link token stays hidden."""

    list_display = ["sponsor", "slot", "candidate", "status", "created_at", "responded_at"]
    list_filter = ["slot__room__conference", "status", "sponsor"]
    search_fields = ["sponsor__name", "profile__user__email", "profile__user__last_name"]
    list_select_related = ["sponsor", "slot__room", "profile__user"]
    fields = ["sponsor", "slot", "profile", "message", "status", "invited_by", "created_at", "responded_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("candidate"), ordering="profile__user__last_name")
    def candidate(self, invitation):
        return interviews.candidate_name(invitation.profile)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Complimentary passes ----------------------------------------------------------------------
# Passes are assigned through sponsors.passes (the portal, or "Add" here), never by editing rows: the
# service counts the tier's passes under a lock, issues the voucher through registration and sends it.

from django.utils import timezone  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from . import passes as pass_services  # noqa: E402
from .models import ComplimentaryPass  # noqa: E402


class AssignPassForm(forms.ModelForm):
    """Organisers assign a pass on a sponsor's behalf; the service does the work when the form is clean."""

    class Meta:
        model = ComplimentaryPass
        fields = ["sponsor", "email"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.assigned = request, None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.assigned = pass_services.assign_pass(cleaned["sponsor"], cleaned["email"],
                                                      by=self.request.user if self.request else None)
        except SponsorError as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned


@admin.register(ComplimentaryPass)
class ComplimentaryPassAdmin(admin.ModelAdmin):
    """View-only rows; "Add" assigns a pass through the service; unused passes can be revoked in bulk."""

    # No voucher code column: a live code is a free pass for whoever reads it (it went to the recipient).
    list_display = ["email", "sponsor", "pass_status", "assigned_at", "revoked_at"]
    list_filter = ["sponsor__conference", "sponsor__tier", "sponsor"]
    search_fields = ["email", "sponsor__name", "=voucher__code"]
    list_select_related = ["sponsor", "voucher"]
    autocomplete_fields = ["sponsor"]
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("status"))
    def pass_status(self, obj):
        return {pass_services.PassStatus.UNUSED: gettext("not used yet"),
                pass_services.PassStatus.USED: gettext("used to register"),
                pass_services.PassStatus.REVOKED: gettext("revoked")}[pass_services.status(obj)]

    @admin.display(description=gettext_lazy("voucher"))
    def voucher_state(self, obj):
        return gettext("issued; the code was e-mailed to the recipient and is not shown here")

    def get_fields(self, request, obj=None):
        return ["sponsor", "email"] if obj is None else ["sponsor", "email", "pass_status", "voucher_state",
                                                          "assigned_by", "assigned_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)

        class BoundAssignPassForm(AssignPassForm):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, request=request, **form_kwargs)

        return BoundAssignPassForm

    def save_form(self, request, form, change):
        return form.assigned if not change else super().save_form(request, form, change)

    def save_model(self, request, obj, form, change):
        """The service saved the pass while the form was cleaned."""

    def save_related(self, request, form, formsets, change):
        """Nothing related to save: the voucher was issued by the service."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("sponsors.add_complimentarypass")

    @admin.action(description=gettext_lazy("Revoke the selected passes that are not used yet"),
                  permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked, refused = 0, []
        now = timezone.now()
        for complimentary_pass in queryset.select_related("sponsor"):
            if complimentary_pass.revoked_at is not None:
                continue
            try:
                pass_services.revoke_pass(complimentary_pass, now=now)
                revoked += 1
            except SponsorError:
                refused.append(complimentary_pass.email)
        self.message_user(request, ngettext("%(n)d pass revoked.", "%(n)d passes revoked.", revoked) % {"n": revoked})
        if refused:
            self.message_user(request, gettext("Used to register, so kept: %(emails)s.")
                              % {"emails": ", ".join(refused)}, messages.WARNING)


# --- Recruitment access log and per-sponsor figures -------------------------------------------

from . import access_log  # noqa: E402
from .models import AccessLogEntry  # noqa: E402


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """View-only: the record of every sponsor read of personal data; nobody edits or deletes it here."""

    # The attendee appears only as the profile's opaque public id: no name, no address, not searchable by them.
    list_display = ["at", "sponsor", "action", "channel", "user", "profile_ref"]
    list_filter = ["sponsor__conference", "sponsor", "action", "channel"]
    search_fields = ["sponsor__name", "user__email", "=profile__public_id"]
    list_select_related = ["sponsor", "user", "profile"]
    date_hierarchy = "at"
    fields = ["at", "sponsor", "user", "profile_ref", "action", "channel"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("profile"), ordering="profile__public_id")
    def profile_ref(self, entry):
        return entry.profile.public_id if entry.profile_id else "—"
    change_list_template = "admin/sponsors/accesslogentry/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        figures = self.admin_site.admin_view(self.figures_view)
        return [path("figures/", figures, name="sponsors_accesslogentry_figures"), *super().get_urls()]

    def figures_view(self, request):
        """Recruitment access by sponsor: views, CV downloads, exports and distinct profiles read."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from confsite.models import Conference

        conferences = list(Conference.objects.order_by("-start_date"))
        chosen = next((c for c in conferences if c.slug == request.GET.get("conference")), None)
        sponsors = list(access_log.figures_by_sponsor(chosen))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": gettext("Recruitment access by sponsor"), "sponsors": sponsors,
                   "conferences": conferences, "chosen": chosen,
                   "changelist_url": reverse("admin:sponsors_accesslogentry_changelist")}
        return TemplateResponse(request, "admin/sponsors/accesslogentry/figures.html", context)
