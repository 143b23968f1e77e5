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


@admin.register(InterviewRoom)
class InterviewRoomAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "conference"]
    list_filter = ["conference"]
    search_fields = ["name"]
