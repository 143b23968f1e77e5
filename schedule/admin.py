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
