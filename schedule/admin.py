"""The organisers' console for the programme: rooms, topics, speakers, papers, sessions, releases.

Times and rooms edited here are the working copy; the public sees them once a release is published
(the "Publish a release" action). Author identifiers (OpenReview id, e-mail) are visible here, to
staff with the schedule permissions only; public pages never show them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from confsite.admin import ViewOnlyAdmin

from .models import (
    Author,
    Authorship,
    CalendarFeed,
    Paper,
    Presentation,
    Release,
    Room,
    Session,
    Slot,
    Speaker,
    Star,
    Topic,
)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "conference", "hall", "capacity", "position", "board_prefix", "board_start"]
    list_filter = ["conference"]
    list_editable = ["position"]
    search_fields = ["name", "hall"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "conference", "slug"]
    list_filter = ["conference"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "affiliation", "conference", "code"]
    list_filter = ["conference"]
    search_fields = ["name", "affiliation", "email"]
    readonly_fields = ["code"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "openreview_id", "email", "conference", "paper_count"]
    list_filter = ["conference"]
    search_fields = ["name", "openreview_id", "email"]
    readonly_fields = ["code"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conference").annotate(paper_total=Count("authorships"))

    @admin.display(description=_("papers"), ordering="paper_total")
    def paper_count(self, author: Author) -> int:
        return author.paper_total


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    autocomplete_fields = ["author"]
    ordering = ["position"]


class PaperPresentationInline(admin.TabularInline):
    model = Presentation
    fk_name = "paper"
    extra = 0
    autocomplete_fields = ["session"]
    fields = ["session", "board", "position", "start", "end"]


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "external_id", "decision", "conference", "updated_at"]
    list_filter = ["conference", "decision", "topics"]
    search_fields = ["title", "external_id", "authorships__author__name"]
    autocomplete_fields = ["topics"]
    inlines = [AuthorshipInline, PaperPresentationInline]
    list_select_related = ["conference"]


class PresentationInline(admin.TabularInline):
    model = Presentation
    fk_name = "session"
    extra = 0
    autocomplete_fields = ["paper"]
    fields = ["paper", "board", "position", "start", "end"]
    ordering = ["position", "pk"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "start", "end", "room", "conference", "code"]
    list_filter = ["conference", "kind", "room"]
    search_fields = ["title", "code"]
    date_hierarchy = "start"
    autocomplete_fields = ["room", "topics", "speakers"]
    readonly_fields = ["code"]
    inlines = [PresentationInline]
    list_select_related = ["room", "conference"]


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    can_delete = False
    fields = ["session", "room", "start", "end"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(ViewOnlyAdmin):
    """Releases are published by the "Publish a release" action and never edited afterwards."""

    list_display = ["__str__", "number", "published_at", "published_by", "comment"]
    list_filter = ["conference"]
    list_select_related = ["conference", "published_by"]
    inlines = [SlotInline]


@admin.register(Star)
class StarAdmin(ViewOnlyAdmin):
    list_display = ["user", "session", "paper", "conference", "created_at"]
    list_filter = ["conference"]
    list_select_related = ["user", "session", "paper", "conference"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ViewOnlyAdmin):
    list_display = ["user", "conference", "created_at", "revoked_at"]
    list_filter = ["conference"]
    list_select_related = ["user", "conference"]
    exclude = ["token"]


# --- Releases: "Publish a release" (personal schedule & releases) -----------------------------------
# A view on the Release changelist (button "Publish a release"): shows what publishing now would change
# (the working copy against the latest release), then publishes with an optional comment. Needs the
# "add release" permission; the service writes the release, its slots and the digest e-mails at once.

from django import forms as _forms  # noqa: E402
from django.contrib import messages as _messages  # noqa: E402
from django.core.exceptions import PermissionDenied as _PermissionDenied  # noqa: E402
from django.shortcuts import redirect as _redirect  # noqa: E402
from django.template.response import TemplateResponse as _TemplateResponse  # noqa: E402
from django.urls import path as _path  # noqa: E402

from confsite.models import Conference as _Conference  # noqa: E402

from . import releases as _releases  # noqa: E402
from . import services as _services  # noqa: E402


class PublishReleaseForm(_forms.Form):
    conference = _forms.ModelChoiceField(queryset=_Conference.objects.order_by("-start_date"), label=_("edition"))
    comment = _forms.CharField(label=_("comment"), max_length=500, required=False,
                               help_text=_("Shown on the public changelog and in the digest e-mails, "
                                           "e.g. “Poster session 3 moved to Hall C”."))


class PublishingReleaseAdmin(ReleaseAdmin):
    change_list_template = "admin/schedule/release/change_list.html"

    def get_urls(self):
        return [_path("publish/", self.admin_site.admin_view(self.publish_view), name="schedule_release_publish"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_publish": request.user.has_perm("schedule.add_release")}
        return super().changelist_view(request, extra_context)

    def publish_view(self, request):
        if not request.user.has_perm("schedule.add_release"):
            raise _PermissionDenied
        initial = {}
        current = _Conference.objects.filter(is_current=True).first()
        if current is not None:
            initial["conference"] = current
        form = PublishReleaseForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            conference = form.cleaned_data["conference"]
            try:
                release = _services.publish_release(conference, user=request.user, comment=form.cleaned_data["comment"])
            except _services.ScheduleError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _("Published release %(number)s of %(edition)s.")
                                  % {"number": release.number, "edition": conference.short_name}, _messages.SUCCESS)
                return _redirect("admin:schedule_release_changelist")
        chosen = form.cleaned_data.get("conference") if form.is_bound and form.is_valid() else initial.get("conference")
        if request.method == "GET" and request.GET.get("conference", "").isdigit():
            chosen = _Conference.objects.filter(pk=int(request.GET["conference"])).first() or chosen
            if chosen is not None:
                form = PublishReleaseForm(initial={"conference": chosen})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Publish a release"),
            "form": form,
            "conference": chosen,
            "pending": _releases.pending_changes(chosen) if chosen is not None else [],
        }
        return _TemplateResponse(request, "admin/schedule/release/publish.html", context)


admin.site.unregister(Release)
admin.site.register(Release, PublishingReleaseAdmin)
