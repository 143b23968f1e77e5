"""The organisers' console for the core: people, editions, the outbox, consent, periodic jobs."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .cloning import clone_edition_action
from .editions import make_current
from .exports import EXPORT_PEOPLE, ExportAdmin, export_csv, export_xlsx
from .models import Conference, ConsentRecord, ConsentText, OutboxEmail, PeriodicRun, User

_response_action = admin.ModelAdmin.response_action
# Row ids the database can hold: a forged selection ("abc", a 30-digit number) is refused with a message
# instead of reaching the database as a ValueError or OverflowError (a 500).
_LARGEST_ID = {"AutoField": 2**31 - 1, "IntegerField": 2**31 - 1, "SmallAutoField": 2**15 - 1}


def _checked_response_action(self, request, queryset):
    """Django's action dispatch, for every admin of the site, after checking the selected ids."""
    pk = self.model._meta.pk
    for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
        try:
            python = pk.to_python(value)
        except ValidationError:
            python = None
        largest = _LARGEST_ID.get(pk.get_internal_type(), 2**63 - 1)
        if python is None or (isinstance(python, int) and not 0 < python <= largest):
            self.message_user(request, _("The selection was not understood; nothing was changed. Select the rows "
                                         "again and retry."), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
    return _response_action(self, request, queryset)


admin.ModelAdmin.response_action = _checked_response_action


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (ledgers, issued documents, job runs): organisers read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ExportAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    date_hierarchy = "date_joined"
    actions = [export_csv, export_xlsx]
    export_fields = ["email", "first_name", "last_name", "language", "is_active", "is_staff", "date_joined",
                     "last_login"]
    export_permission = EXPORT_PEOPLE


@admin.register(Conference)
class ConferenceAdmin(admin.ModelAdmin):
    list_display = ["short_name", "slug", "city", "start_date", "end_date", "currency", "is_current"]
    list_filter = ["is_current", "country"]
    search_fields = ["name", "short_name", "slug", "city"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["short_name"]}
    readonly_fields = ["is_current", "created_at"]
    actions = ["make_current_edition", clone_edition_action]

    @admin.action(description=_("Make the selected edition the current one"))
    def make_current_edition(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one edition to make current."), messages.ERROR)
            return
        conference = queryset.get()
        make_current(conference)
        self.message_user(request, _("%(edition)s is now the current edition.") % {"edition": conference}, messages.SUCCESS)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "purpose", "status", "attempts", "sent_at", "short_error"]
    list_filter = ["status", "purpose", "conference"]
    search_fields = ["recipient", "subject", "object_key"]
    date_hierarchy = "created_at"
    list_select_related = ["conference"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["resend_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description=_("Send the selected e-mails again"), permissions=["view"])
    def resend_selected(self, request, queryset):
        if not request.user.has_perm("confsite.change_outboxemail"):
            self.message_user(request, _("You may not resend e-mails."), messages.ERROR)
            return
        count = outbox.resend(queryset)
        self.message_user(
            request, ngettext("%d e-mail queued again.", "%d e-mails queued again.", count) % count, messages.SUCCESS
        )


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "conference", "published_at"]
    list_filter = ["purpose", "conference"]
    search_fields = ["purpose", "version", "text"]
    list_select_related = ["conference"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ViewOnlyAdmin):
    """The ledger is append-only: organisers read it, nobody edits it here."""

    list_display = ["recorded_at", "user", "conference", "purpose", "action", "text"]
    list_filter = ["purpose", "action", "conference"]
    search_fields = ["user__email"]
    date_hierarchy = "recorded_at"
    list_select_related = ["user", "conference", "text"]
    autocomplete_fields = ["user"]


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ViewOnlyAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_error"]
    search_fields = ["name"]
from . import admin_bulk_mail  # noqa: E402, F401  (BulkMailingAdmin, registered on import)
