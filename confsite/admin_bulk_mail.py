"""The organisers' console for bulk e-mail: compose → preview → queue, and the progress of each mailing.

Mailings start from the "Write an e-mail to these people" action on the registrations list (see
confsite/bulk_mail.py), which fixes the recipients; here the organiser writes, checks and queues.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import bulk_mail
from .models import BulkMailing, OutboxEmail


def _count_rows(**status_filter):
    rows = (OutboxEmail.objects.filter(purpose=bulk_mail.PURPOSE,
                                       object_key=Concat(Value("bulk:"), Cast(OuterRef("pk"), output_field=CharField())))
            .filter(**status_filter).order_by().values("purpose").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(BulkMailing)
class BulkMailingAdmin(admin.ModelAdmin):
    list_display = ["subject_or_draft", "conference", "status", "essential", "recipient_count", "queued_at",
                    "rows_queued", "rows_sent", "rows_failed", "rows_pending"]
    list_filter = ["status", "essential", "conference"]
    search_fields = ["subject", "audience"]
    date_hierarchy = "created_at"
    list_select_related = ["conference"]
    readonly_fields = ["conference", "subject", "body_text", "translations", "essential", "audience", "recipient_count",
                       "per_minute", "status", "created_by", "created_at", "queued_at", "progress_summary",
                       "next_step"]
    fields = readonly_fields

    def has_add_permission(self, request):
        # Recipients come from a filtered list: mailings start from the registrations' action.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The progress columns: four counted subqueries in the list's one query, not four per row.
        return super().get_queryset(request).annotate(
            n_queued=_count_rows(),
            n_sent=_count_rows(status=OutboxEmail.Status.SENT),
            n_failed=_count_rows(status=OutboxEmail.Status.FAILED),
            n_pending=_count_rows(status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING]),
        )

    @admin.display(description=gettext_lazy("subject"))
    def subject_or_draft(self, obj):
        return obj.subject or _("(not written yet)")

    @admin.display(description=gettext_lazy("recipients"))
    def recipient_count(self, obj):
        return len(obj.recipient_ids)

    @admin.display(description=gettext_lazy("queued"), ordering="n_queued")
    def rows_queued(self, obj):
        return obj.n_queued

    @admin.display(description=gettext_lazy("sent"), ordering="n_sent")
    def rows_sent(self, obj):
        return obj.n_sent

    @admin.display(description=gettext_lazy("failed"), ordering="n_failed")
    def rows_failed(self, obj):
        return obj.n_failed

    @admin.display(description=gettext_lazy("pending"), ordering="n_pending")
    def rows_pending(self, obj):
        return obj.n_pending

    @admin.display(description=gettext_lazy("progress"))
    def progress_summary(self, obj):
        counts = bulk_mail.progress(obj)
        return _("%(queued)d queued: %(sent)d sent, %(pending)d pending, %(failed)d failed") % counts

    @admin.display(description=gettext_lazy("next step"))
    def next_step(self, obj):
        if obj.status == BulkMailing.Status.QUEUED:
            return _("Queued; the outbox sends it at the chosen rate.")
        return format_html('<a href="{}">{}</a>', reverse("admin:confsite_bulkmailing_compose", args=[obj.pk]),
                           _("Write and preview this e-mail"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/compose/", view(self.compose_view), name="confsite_bulkmailing_compose"),
            path("<int:pk>/preview/", view(self.preview_view), name="confsite_bulkmailing_preview"),
            path("<int:pk>/queue/", view(self.queue_view), name="confsite_bulkmailing_queue"),
            *super().get_urls(),
        ]

    def _mailing(self, request, pk):
        if not request.user.has_perm("confsite.add_bulkmailing"):
            raise PermissionDenied
        if pk > 2**63 - 1:  # the URL takes any digits; a database integer does not
            raise Http404
        return get_object_or_404(BulkMailing.objects.select_related("conference"), pk=pk)

    def _context(self, request, mailing, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title,
                "mailing": mailing, "recipient_count": len(mailing.recipient_ids), **extra}

    def compose_view(self, request, pk):
        mailing = self._mailing(request, pk)
        if mailing.status == BulkMailing.Status.QUEUED:
            self.message_user(request, _("Bulk e-mail %(pk)s is queued already; it can no longer be changed.")
                              % {"pk": mailing.pk}, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:confsite_bulkmailing_change", args=[mailing.pk]))
        form = bulk_mail.ComposeForm(request.POST if request.method == "POST" else None,
                                     initial=bulk_mail.ComposeForm.initial_for(mailing))
        if request.method == "POST" and form.is_valid():
            form.apply(mailing)
            mailing.save(update_fields=["subject", "body_text", "translations", "essential", "per_minute"])
            return HttpResponseRedirect(reverse("admin:confsite_bulkmailing_preview", args=[mailing.pk]))
        return TemplateResponse(request, "admin/confsite/bulkmailing/compose.html",
                                self._context(request, mailing, _("Write a bulk e-mail"), form=form))

    def preview_view(self, request, pk):
        mailing = self._mailing(request, pk)
        problem = bulk_mail.mailing_problem(mailing)
        if problem:
            self.message_user(request, problem, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk]))
        plan = bulk_mail.plan(mailing)
        return TemplateResponse(request, "admin/confsite/bulkmailing/preview.html", self._context(
            request, mailing, _("Check the bulk e-mail before queueing it"),
            previews=bulk_mail.previews(mailing, plan), sending=len(plan.recipients), skipped=len(plan.skipped),
            duration_minutes=-(-len(plan.recipients) // mailing.per_minute),
        ))

    def queue_view(self, request, pk):
        mailing = self._mailing(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            result = bulk_mail.request_queue(mailing)
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk]))
        if result is None:
            self.message_user(request, _(
                "Bulk e-mail %(pk)s goes to %(count)d people: a worker is writing the e-mails now. Reload this page "
                "to follow the progress; if nothing is queued within a few minutes, queue it again (nobody gets it "
                "twice).") % {"pk": mailing.pk, "count": len(mailing.recipient_ids)}, messages.SUCCESS)
        else:
            self.message_user(request, _(
                "Bulk e-mail %(pk)s: %(queued)d e-mails queued, %(already)d queued before, %(skipped)d skipped "
                "(unsubscribed).") % {"pk": mailing.pk, "queued": result.queued, "already": result.already,
                                      "skipped": result.skipped}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:confsite_bulkmailing_change", args=[mailing.pk]))

