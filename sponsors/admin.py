"""The organisers' console for sponsors: tiers, organisations, members, recruitment data, rooms, passes.

Recruitment profiles and CVs are personal data: their admin pages need the app's own permissions,
and CV files are linked through the access-checked download view, never a media URL.
"""

from __future__ import annotations

from django.contrib import admin

from .models import InterviewRoom, Sponsor, SponsorMember, Tier


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "conference", "position", "recruitment_access", "access_from", "access_until",
                    "interview_hours", "complimentary_passes", "logo_size"]
    list_filter = ["conference", "recruitment_access"]
    search_fields = ["name"]
    list_select_related = ["conference"]


class SponsorMemberInline(admin.TabularInline):
    model = SponsorMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "conference", "website", "is_published"]
    list_filter = ["conference", "tier"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["tier"]
    inlines = [SponsorMemberInline]
    list_select_related = ["tier", "conference"]


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
    search_fields = ["name"]
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

    list_display = ["email", "sponsor", "pass_status", "code", "assigned_at", "revoked_at"]
    list_filter = ["sponsor__conference", "sponsor__tier", "sponsor"]
    search_fields = ["email", "sponsor__name", "voucher__code"]
    list_select_related = ["sponsor", "voucher"]
    autocomplete_fields = ["sponsor"]
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("status"))
    def pass_status(self, obj):
        return {pass_services.PassStatus.UNUSED: gettext("not used yet"),
                pass_services.PassStatus.USED: gettext("used to register"),
                pass_services.PassStatus.REVOKED: gettext("revoked")}[pass_services.status(obj)]

    @admin.display(description=gettext_lazy("voucher code"), ordering="voucher__code")
    def code(self, obj):
        return obj.voucher.code

    def get_fields(self, request, obj=None):
        return ["sponsor", "email"] if obj is None else ["sponsor", "email", "voucher", "assigned_by", "assigned_at",
                                                          "revoked_at"]

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

from django.core.exceptions import PermissionDenied  # noqa: E402
from django.urls import path, reverse  # noqa: E402

from . import access_log  # noqa: E402
from .models import AccessLogEntry  # noqa: E402


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """View-only: the record of every sponsor read of personal data; nobody edits or deletes it here."""

    list_display = ["at", "sponsor", "action", "channel", "user", "profile"]
    list_filter = ["sponsor__conference", "sponsor", "action", "channel"]
    search_fields = ["sponsor__name", "user__email", "profile__user__email"]
    list_select_related = ["sponsor", "user", "profile__user", "profile__conference"]
    date_hierarchy = "at"
    fields = ["at", "sponsor", "user", "profile", "action", "channel"]
    readonly_fields = fields
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
