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
from confsite.exports import EXPORT_PROGRAMME, ExportAdmin, export_csv, export_xlsx

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
    list_select_related = ["conference"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "conference", "slug"]
    list_filter = ["conference"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["conference"]


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "affiliation", "conference", "code"]
    list_filter = ["conference"]
    search_fields = ["name", "affiliation", "email"]
    readonly_fields = ["code"]
    list_select_related = ["conference"]


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
class PaperAdmin(ExportAdmin, admin.ModelAdmin):
    list_display = ["title", "external_id", "decision", "conference", "updated_at"]
    list_filter = ["conference", "decision", "topics"]
    search_fields = ["title", "external_id", "authorships__author__name"]
    autocomplete_fields = ["topics"]
    inlines = [AuthorshipInline, PaperPresentationInline]
    list_select_related = ["conference"]
    actions = [export_csv, export_xlsx]
    export_fields = ["external_id", "title", "decision", "conference__short_name", "author_names", "topic_names",
                     "openreview_url", "arxiv_url", "updated_at"]
    export_permission = EXPORT_PROGRAMME

    def export_queryset(self, queryset):
        return queryset.prefetch_related("authorships__author", "topics")

    @admin.display(description=_("authors"))
    def author_names(self, paper: Paper) -> str:
        return "; ".join(a.author.name for a in sorted(paper.authorships.all(), key=lambda a: a.position))

    @admin.display(description=_("topics"))
    def topic_names(self, paper: Paper) -> str:
        return "; ".join(sorted(topic.name for topic in paper.topics.all()))


class PresentationInline(admin.TabularInline):
    model = Presentation
    fk_name = "session"
    extra = 0
    autocomplete_fields = ["paper"]
    fields = ["paper", "board", "position", "start", "end"]
    ordering = ["position", "pk"]


@admin.register(Session)
class SessionAdmin(ExportAdmin, admin.ModelAdmin):
    list_display = ["title", "kind", "start", "end", "room", "conference", "code"]
    list_filter = ["conference", "kind", "room"]
    search_fields = ["title", "code"]
    date_hierarchy = "start"
    autocomplete_fields = ["room", "topics", "speakers"]
    readonly_fields = ["code"]
    inlines = [PresentationInline]
    list_select_related = ["room", "conference"]
    actions = [export_csv, export_xlsx]
    export_fields = ["code", "title", "kind", "conference__short_name", "start", "end", "room__name", "room__hall",
                     "presentation_count"]
    export_permission = EXPORT_PROGRAMME

    def export_queryset(self, queryset):
        return queryset.annotate(presentation_total=Count("presentations"))

    @admin.display(description=_("presentations"))
    def presentation_count(self, session: Session) -> int:
        return session.presentation_total


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


# --- Papers import and poster boards (import, boards, author conflicts) ------------------------------
# "Import papers" on the Paper changelist (needs "add paper"): the same import as `manage.py
# import_papers`, with its dry run and row-level report. On the Session changelist: the action
# "Assign poster boards" (needs "change session") and the list of authors with posters in two
# overlapping poster sessions (needs "view session"). The classes below extend whatever admin is
# registered for Paper and Session at this point, so other sections' additions are kept.

from django import forms  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils.html import format_html  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from confsite.models import Conference  # noqa: E402

from . import boards as _boards  # noqa: E402
from . import importing as _importing  # noqa: E402
from .services import ScheduleError  # noqa: E402

REPORT_ROWS = 500


class ImportPapersForm(forms.Form):
    conference = forms.ModelChoiceField(queryset=Conference.objects.order_by("-start_date"), label=_("edition"))
    file = forms.FileField(label=_("file"), help_text=_("A CSV or JSON export in UTF-8, at most 50 MB."))
    format = forms.ChoiceField(label=_("format"), initial="auto", choices=[
        ("auto", _("from the file name (.csv or .json)")), ("csv", "CSV"), ("json", "JSON")])
    mapping = forms.ChoiceField(label=_("field mapping"), initial="openreview", choices=[
        ("openreview", _("OpenReview export (id, title, authors, authorids, affiliations as lists)")),
        ("openreview-api", _("OpenReview API notes (content.title.value …)")),
        ("csv", _("Spreadsheet (id, title, authors, author_ids, author_emails … separated by “;”)")),
    ])
    custom_mapping = forms.CharField(
        label=_("custom mapping"), required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Optional JSON with the keys that differ from the preset, e.g. "
                    "{\"title\": \"Paper Title\", \"author_separator\": \",\"}."))
    dry_run = forms.BooleanField(label=_("dry run: only report what would change"), required=False, initial=True)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None or "mapping" not in cleaned:
            return cleaned
        fmt = cleaned.get("format")
        if fmt == "auto":
            fmt = _importing.guess_format(upload.name)
            if fmt is None:
                raise forms.ValidationError(_("Choose the format: the file name ends neither in .csv nor in .json."))
        try:
            mapping = _importing.load_mapping(cleaned["mapping"], cleaned.get("custom_mapping") or None)
            _importing.check_size(upload.size)
            cleaned["records"] = _importing.read_records(upload.read(), fmt, mapping)
        except _importing.ImportFileError as error:
            raise forms.ValidationError(str(error)) from None
        cleaned["field_mapping"] = mapping
        return cleaned


class ImportingPaperAdmin(type(admin.site._registry[Paper])):
    change_list_template = "admin/schedule/paper/change_list.html"

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="schedule_paper_import"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.has_perm("schedule.add_paper")}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not request.user.has_perm("schedule.add_paper"):
            raise PermissionDenied
        current = Conference.objects.filter(is_current=True).first()
        form = ImportPapersForm(request.POST or None, request.FILES or None,
                                initial={"conference": current} if current else {})
        report = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            report = _importing.import_papers(data["conference"], data["records"], data["field_mapping"],
                                              dry_run=data["dry_run"])
            prefix = _("Dry run: nothing was written.") + " " if report.dry_run else ""
            self.message_user(request, prefix + report.summary(),
                              messages.WARNING if report.errors else messages.SUCCESS)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import papers"),
            "form": form,
            "report": report,
            "errors_shown": report.errors[:REPORT_ROWS] if report else [],
            "errors_hidden": max(0, len(report.errors) - REPORT_ROWS) if report else 0,
            "updated_shown": list(report.updated.items())[:REPORT_ROWS] if report else [],
            "created_shown": report.created[:REPORT_ROWS] if report else [],
            "report_rows": REPORT_ROWS,
        }
        return TemplateResponse(request, "admin/schedule/paper/import.html", context)


admin.site.unregister(Paper)
admin.site.register(Paper, ImportingPaperAdmin)


_SessionAdminBase = type(admin.site._registry[Session])


class PosterBoardSessionAdmin(_SessionAdminBase):
    change_list_template = "admin/schedule/session/change_list.html"
    actions = [*(_SessionAdminBase.actions or []), "assign_poster_boards"]

    @admin.action(description=_("Assign poster boards"), permissions=["change"])
    def assign_poster_boards(self, request, queryset):
        for session in queryset.select_related("room").order_by("start", "title", "pk"):
            try:
                result = _boards.assign_boards(session)
            except ScheduleError as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            if result.assigned:
                first, last = result.assigned[0], result.assigned[-1]
                span = first if first == last else f"{first} … {last}"
                text = _("%(session)s: %(assigned)s boards assigned (%(span)s), %(kept)s kept.") % {
                    "session": session.title, "assigned": len(result.assigned), "span": span, "kept": result.kept}
            else:
                text = _("%(session)s: every poster already has a board (%(kept)s kept).") % {
                    "session": session.title, "kept": result.kept}
            self.message_user(request, text, messages.SUCCESS)
        conferences = {s.conference for s in queryset.select_related("conference")}
        for conference in sorted(conferences, key=lambda c: c.pk):
            conflicts = _boards.simultaneous_author_conflicts(conference)
            if conflicts:
                url = reverse("admin:schedule_session_author_conflicts") + f"?conference={conference.pk}"
                count = len({c.author.pk for c in conflicts})
                text = ngettext("{count} author of {edition} presents posters in two overlapping sessions: "
                                "<a href=\"{url}\">see who</a>.",
                                "{count} authors of {edition} present posters in two overlapping sessions: "
                                "<a href=\"{url}\">see who</a>.", count)
                self.message_user(request, format_html(text, count=count, edition=conference.short_name, url=url),
                                  messages.WARNING)

    def get_urls(self):
        return [path("author-conflicts/", self.admin_site.admin_view(self.conflicts_view),
                      name="schedule_session_author_conflicts"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_see_conflicts": self.has_view_permission(request)}
        return super().changelist_view(request, extra_context)

    def conflicts_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        editions = list(Conference.objects.order_by("-start_date"))
        chosen = None
        wanted = request.GET.get("conference", "")
        if wanted.isdigit():
            chosen = next((c for c in editions if c.pk == int(wanted)), None)
        if chosen is None:
            chosen = next((c for c in editions if c.is_current), editions[0] if editions else None)
        conflicts = _boards.simultaneous_author_conflicts(chosen) if chosen else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Authors in overlapping poster sessions"),
            "editions": editions,
            "conference": chosen,
            "conflicts": conflicts,
            "author_count": len({c.author.pk for c in conflicts}),
        }
        return TemplateResponse(request, "admin/schedule/session/author_conflicts.html", context)


admin.site.unregister(Session)
admin.site.register(Session, PosterBoardSessionAdmin)
