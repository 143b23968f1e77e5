"""The organisers' console for registration: the catalogue, orders, registrations, eligibility, waiting lists.

State and money are read-only here: an order's status and total, seats held, voucher uses, a
registration's status, eligibility and check-in code change only through the actions below, which
call registration.services like every other client does, and leave an entry in the admin history.
Saving a change form writes only the fields that form changed, so a page opened before a service ran
never writes stale state back.

Dietary and accessibility needs are health-related: they appear (inline or in their own list) only to
staff with `registration.view_sensitiveneeds`, which Django's model permissions already enforce for
the inline and the admin alike. Eligibility proofs are private files: the console links to the
`proof_file` view, which checks the permission, and never renders the file field or its URL.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from confsite import outbox
from confsite.admin import ViewOnlyAdmin
from confsite.audit import AuditHistoryAdmin
from confsite.bulk_mail import compose_bulk_email_action
from confsite.exports import EXPORT_FINANCE, EXPORT_PEOPLE, ExportAdmin, export_csv, export_xlsx
from confsite.models import Conference, OutboxEmail

from . import badges, billing, certificates, services
from .errors import RegistrationError
from .models import (
    Category,
    CheckIn,
    ConferenceDay,
    EligibilityDomain,
    EligibilityProof,
    Invoice,
    Order,
    OrderLine,
    Payment,
    Price,
    PricePeriod,
    Product,
    Quota,
    Refund,
    RefundPolicy,
    Registration,
    RegistrationSettings,
    RevokedCheckinToken,
    SensitiveNeeds,
    StripeEvent,
    VisaLetter,
    Voucher,
    WaitingListEntry,
)
from .pricing import ANYWHERE_ON_EARTH, end_of_day_aoe

# --- Shared behaviour ----------------------------------------------------------------------------


def _conference_of_edited(request, model: type[models.Model]) -> int | None:
    """The edition of the `model` object whose change page is being served, if any."""
    match = getattr(request, "resolver_match", None)
    object_id = match.kwargs.get("object_id") if match else None
    if object_id is None:
        return None
    return model.objects.filter(pk=unquote(object_id)).values_list("conference_id", flat=True).first()


def _other_edition_error(conference_id: int | None, choices) -> forms.ValidationError | None:
    """An error naming the chosen rows that belong to another edition than `conference_id`."""
    if conference_id is None:
        return None
    strays = [str(choice) for choice in choices if choice is not None and choice.conference_id != conference_id]
    if not strays:
        return None
    return forms.ValidationError(
        gettext("Not of this edition: %(names)s. Choose from this edition's own.") % {"names": ", ".join(strays)}
    )


class SaveChangedFieldsMixin:
    """Write only the fields the form changed (a full save() would overwrite state that services own)."""

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        concrete = {f.name for f in obj._meta.concrete_fields}
        names = [name for name in form.changed_data if name in concrete]
        if names:
            obj.save(update_fields=names)
        return None


class EditionScopedAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    """Catalogue rows: created for an edition (the current one by default) and never moved to another."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "conference" in form.base_fields:
            # Disabled, not read-only: the field stays in the form, so uniqueness within the
            # edition (voucher codes, category kinds, domains) is still validated, not a 500.
            form.base_fields["conference"].disabled = True
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        current = Conference.objects.current()
        if current is not None:
            initial.setdefault("conference", current.pk)
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._scoped(db_field, request, kwargs, super().formfield_for_foreignkey)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._scoped(db_field, request, kwargs, super().formfield_for_manytomany)

    def _scoped(self, db_field, request, kwargs, make):
        """On a change page, offer only related rows of the object's own edition."""
        related = db_field.related_model
        if related is not Conference and any(f.name == "conference" for f in related._meta.fields):
            conference_id = _conference_of_edited(request, self.model)
            if conference_id is not None:
                kwargs["queryset"] = related._default_manager.filter(conference_id=conference_id)
        return make(db_field, request, **kwargs)


class ReadOnlyInline:
    """An inline that shows rows and offers no way to add, change or delete them."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _proof_link(proof: EligibilityProof) -> str:
    # The view checks registration.view_eligibilityproof; private storage has no URL to show.
    url = reverse("proof_file", args=[proof.registration.conference.slug, proof.pk])
    return format_html('<a href="{}">{}</a>', url, proof.original_name)


# --- Catalogue -----------------------------------------------------------------------------------


@admin.register(RegistrationSettings)
class RegistrationSettingsAdmin(EditionScopedAdmin):
    list_display = ["conference", "is_open", "order_prefix", "payment_days", "waiting_list_claim_hours",
                    "max_group_size", "name_change_deadline"]
    list_filter = ["is_open"]
    search_fields = ["conference__short_name", "order_prefix"]
    list_select_related = ["conference"]


@admin.register(Category)
class CategoryAdmin(EditionScopedAdmin):
    list_display = ["name", "kind", "conference", "position"]
    list_filter = ["conference", "kind"]
    search_fields = ["name", "conference__short_name"]
    list_select_related = ["conference"]


class QuotaForm(forms.ModelForm):
    def clean_size(self):
        size = self.cleaned_data["size"]
        held = Quota.objects.filter(pk=self.instance.pk).values_list("held", flat=True).first() or 0
        if size is not None and size < held:
            raise forms.ValidationError(
                gettext("%(held)d seats are already held; the quota cannot be smaller than that.") % {"held": held}
            )
        return size


@admin.register(Quota)
class QuotaAdmin(EditionScopedAdmin):
    form = QuotaForm
    list_display = ["name", "conference", "size", "held", "seats_available"]
    list_filter = ["conference"]
    search_fields = ["name"]
    list_select_related = ["conference"]
    readonly_fields = ["held"]

    @admin.display(description=_("seats free"))
    def seats_available(self, obj):
        return obj.available


class PriceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        product = self.instance
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            error = _other_edition_error(product.conference_id,
                                         [form.cleaned_data.get("category"), form.cleaned_data.get("period")])
            if error:
                form.add_error(None, error)


class PriceInline(admin.TabularInline):
    model = Price
    formset = PriceFormSet
    fields = ["category", "period", "amount"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("category", "period"):
            conference_id = _conference_of_edited(request, Product)
            if conference_id is not None:
                kwargs["queryset"] = db_field.related_model._default_manager.filter(conference_id=conference_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "period")


class ProductForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        conference = cleaned.get("conference") or getattr(self.instance, "conference", None)
        error = _other_edition_error(conference.pk if conference else None, cleaned.get("quotas") or [])
        if error:
            self.add_error("quotas", error)
        return cleaned


@admin.register(Product)
class ProductAdmin(EditionScopedAdmin):
    form = ProductForm
    list_display = ["name", "kind", "conference", "is_active", "in_person", "quota_names", "position"]
    list_filter = ["conference", "kind", "is_active", "in_person"]
    search_fields = ["name", "conference__short_name"]
    list_select_related = ["conference"]
    filter_horizontal = ["quotas"]
    inlines = [PriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("quotas")

    @admin.display(description=_("quotas"))
    def quota_names(self, obj):
        return ", ".join(quota.name for quota in obj.quotas.all())


class PricePeriodForm(forms.ModelForm):
    """ML deadlines are end of day Anywhere on Earth: organisers pick a day, the exact moment follows."""

    deadline_day = forms.DateField(
        label=_("Deadline: end of this day, Anywhere on Earth (UTC−12)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Sets the deadline to 23:59:59 AoE on this day; leave empty to enter an exact moment below."),
    )

    class Meta:
        model = PricePeriod
        fields = ["conference", "kind", "name", "deadline_day", "ends_at"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("deadline_day"):
            cleaned["ends_at"] = end_of_day_aoe(cleaned["deadline_day"])
            self.instance.ends_at = cleaned["ends_at"]
        return cleaned


@admin.register(PricePeriod)
class PricePeriodAdmin(EditionScopedAdmin):
    form = PricePeriodForm
    list_display = ["name", "kind", "conference", "ends_at", "deadline_aoe"]

    @admin.display(description=_("deadline (AoE)"), ordering="ends_at")
    def deadline_aoe(self, obj):
        if obj.ends_at is None:
            return gettext("open-ended")
        return obj.ends_at.astimezone(ANYWHERE_ON_EARTH).strftime("%Y-%m-%d %H:%M AoE")

    list_filter = ["conference", "kind"]
    search_fields = ["name", "conference__short_name"]
    list_select_related = ["conference"]


class PriceForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is not None:
            error = _other_edition_error(product.conference_id, [cleaned.get("category"), cleaned.get("period")])
            if error:
                self.add_error(None, error)
        return cleaned


@admin.register(Price)
class PriceAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    form = PriceForm
    list_display = ["product", "category", "period", "amount", "product__conference"]
    list_filter = ["product__conference", "period__kind", "category__kind", "product__kind"]
    search_fields = ["product__name", "category__name", "period__name"]
    list_select_related = ["product__conference", "category", "period"]
    autocomplete_fields = ["product", "category", "period"]


@admin.register(EligibilityDomain)
class EligibilityDomainAdmin(EditionScopedAdmin):
    list_display = ["domain", "grants_student", "conference"]
    list_filter = ["conference", "grants_student"]
    search_fields = ["domain"]
    list_select_related = ["conference"]


class VoucherForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        conference = cleaned.get("conference") or getattr(self.instance, "conference", None)
        conference_id = conference.pk if conference else None
        for name in ("products", "categories"):
            error = _other_edition_error(conference_id, cleaned.get(name) or [])
            if error:
                self.add_error(name, error)
        used = Voucher.objects.filter(pk=self.instance.pk).values_list("used", flat=True).first() or 0
        max_uses = cleaned.get("max_uses")
        if max_uses is not None and max_uses < used:
            self.add_error("max_uses", gettext("The code was already used %(used)d times; allow at least that many.")
                           % {"used": used})
        return cleaned


@admin.register(Voucher)
class VoucherAdmin(EditionScopedAdmin):
    form = VoucherForm
    list_display = ["code", "conference", "kind", "value", "uses", "valid_from", "valid_until", "source"]
    list_filter = ["conference", "kind"]
    search_fields = ["code", "source"]
    list_select_related = ["conference"]
    readonly_fields = ["used", "created_at"]
    filter_horizontal = ["products", "categories"]
    fields = ["conference", "code", "kind", "value", "max_uses", "used", "valid_from", "valid_until",
              "products", "categories", "source", "created_at"]

    @admin.display(description=_("uses"), ordering="used")
    def uses(self, obj):
        return f"{obj.used} / {obj.max_uses}"


# --- Orders --------------------------------------------------------------------------------------

class OrderLineInline(ReadOnlyInline, admin.TabularInline):
    model = OrderLine
    fields = ["registration", "product", "category", "period", "price", "discount", "line_amount", "voucher",
              "from_waiting_list"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "registration__conference", "product", "category", "period", "voucher"
        )

    @admin.display(description=_("amount"))
    def line_amount(self, obj):
        # A form re-rendered after a malformed POST holds blank lines: show nothing, not a 500.
        return obj.amount if obj.price is not None else ""


class OrderRegistrationInline(ReadOnlyInline, admin.TabularInline):
    model = Registration
    fk_name = "order"
    verbose_name_plural = _("registrations created by this order")
    fields = ["badge_name", "user", "category", "pass_product", "eligibility", "status"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "category", "pass_product")


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Finance's queue: disputed card payments, failed refunds, money that reached a closed order."""

    title = _("flagged for finance")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged")), ("no", _("Not flagged"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(needs_attention="")
        if self.value() == "no":
            return queryset.filter(needs_attention="")
        return queryset


class OrderPaymentInline(ReadOnlyInline, admin.TabularInline):
    """Shown to staff who may view payments (finance); Django's inline permission checks decide."""

    model = Payment
    fields = ["provider", "status", "amount", "currency", "external_id", "confirmed_at", "recorded_by", "note"]
    readonly_fields = fields
    verbose_name_plural = _("payments")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class OrderRefundInline(ReadOnlyInline, admin.TabularInline):
    model = Refund
    fields = ["amount", "currency", "status", "reason", "created_at", "completed_at"]
    readonly_fields = fields


class OrderInvoiceInline(ReadOnlyInline, admin.TabularInline):
    model = Invoice
    fields = ["number_display", "kind", "gross", "currency", "issued_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conference")

    @admin.display(description=_("number"))
    def number_display(self, obj):
        return obj.display_number


class BankPaymentForm(forms.Form):
    """A bank transfer as the statement shows it: possibly only part of what is due."""

    amount = forms.DecimalField(label=_("amount received"), max_digits=12, decimal_places=2,
                                min_value=Decimal("0.01"))
    received_on = forms.DateField(label=_("received on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("bank reference"), max_length=255,
                                help_text=_("The transaction reference on the bank statement."))
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.due = billing.outstanding(order)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.due:
            raise forms.ValidationError(gettext("Only %(due)s %(currency)s is due on %(ref)s.")
                                        % {"due": self.due, "currency": self.order.currency,
                                           "ref": self.order.reference})
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        zone = self.order.conference.tzinfo
        if day > timezone.now().astimezone(zone).date():
            raise forms.ValidationError(gettext("The day the money arrived cannot be in the future."))
        if day < self.order.created_at.astimezone(zone).date():
            raise forms.ValidationError(gettext("Order %(ref)s was placed on %(day)s; the money cannot have "
                                                "arrived before that.")
                                        % {"ref": self.order.reference,
                                           "day": self.order.created_at.astimezone(zone).date()})
        return day

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        other = (Payment.objects.filter(provider=Payment.Provider.BANK, external_id=reference)
                 .select_related("order").first())
        if other is not None:
            raise forms.ValidationError(gettext("Reference %(reference)s is already recorded on order %(ref)s.")
                                        % {"reference": reference, "ref": other.order.reference})
        return reference

    def received_at(self) -> datetime:
        """Now, if the money arrived today; otherwise noon of that day in the edition's zone."""
        zone = self.order.conference.tzinfo
        day = self.cleaned_data["received_on"]
        now = timezone.now()
        if day == now.astimezone(zone).date():
            return now
        return datetime.combine(day, time(12, 0), tzinfo=zone)


def _intermediate(model_admin, request, queryset, template: str, title: str, action: str, **context):
    """A confirmation page that posts the same action back with the same selection."""
    return TemplateResponse(request, template, {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "action": action,
        "queryset": queryset,
        "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
        **context,
    })


@admin.register(Order)
class OrderAdmin(ExportAdmin, AuditHistoryAdmin, SaveChangedFieldsMixin, admin.ModelAdmin):
    """Orders are placed by attendees; organisers change them only through the actions below.

    Record a bank transfer (amount, day, reference; part of what is due is fine), mark paid, cancel,
    cancel and refund after a preview of what the refund policy gives back, resend the confirmation.
    """

    list_display = ["reference", "conference", "buyer", "status", "amount", "created_at", "expires_at", "paid_at",
                    "needs_attention"]
    list_filter = ["conference", "status", NeedsAttentionFilter]
    search_fields = ["reference", "buyer__email", "buyer__last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["conference", "buyer"]
    fields = ["reference", "conference", "buyer", "status", "total", "currency", "created_at", "expires_at",
              "paid_at", "cancelled_at", "needs_attention", "billing_name", "billing_address", "vat_id", "po_number",
              "invoice_email"]
    readonly_fields = fields
    inlines = [OrderLineInline, OrderRegistrationInline, OrderPaymentInline, OrderRefundInline, OrderInvoiceInline]
    actions = ["record_bank_payment", "mark_paid", "cancel_orders", "refund_orders", "resend_confirmation",
               export_csv, export_xlsx]
    export_fields = ["reference", "conference__short_name", "buyer__email", "buyer__first_name", "buyer__last_name",
                     "status", "total", "currency", "created_at", "expires_at", "paid_at", "cancelled_at",
                     "billing_name", "vat_id", "po_number", "needs_attention"]
    export_permission = EXPORT_FINANCE

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total"), ordering="total")
    def amount(self, obj):
        return f"{obj.total} {obj.currency}"

    @admin.action(description=_("Record a bank transfer (amount, day, reference)…"), permissions=["change"])
    def record_bank_payment(self, request, queryset):
        orders = list(queryset.select_related("conference", "buyer")[:2])
        if len(orders) != 1:
            self.message_user(request, gettext("Select exactly one order to record a bank transfer for: each "
                                               "transfer has its own amount and reference."), messages.ERROR)
            return None
        order = orders[0]
        if order.status != Order.Status.PENDING:
            self.message_user(request, gettext("Order %(ref)s is %(status)s; no payment is due.")
                              % {"ref": order.reference, "status": order.get_status_display().lower()},
                              messages.ERROR)
            return None
        form = BankPaymentForm(request.POST if "apply" in request.POST else None, order=order,
                               initial={"amount": billing.outstanding(order),
                                        "received_on": timezone.now().astimezone(order.conference.tzinfo).date()})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                payment = billing.record_payment(order, amount=data["amount"], provider=Payment.Provider.BANK,
                                                 external_id=data["reference"], by=request.user,
                                                 note=data["note"], now=form.received_at())
            except RegistrationError as error:
                form.add_error(None, error.message)
            else:
                order.refresh_from_db()
                self.log_change(request, order, gettext("Recorded a bank transfer of %(amount)s %(currency)s "
                                                        "(reference %(reference)s).")
                                % {"amount": payment.amount, "currency": payment.currency,
                                   "reference": payment.external_id})
                due = billing.outstanding(order)
                if order.status == Order.Status.PAID:
                    text = gettext("%(amount)s %(currency)s recorded on %(ref)s; the order is paid in full and "
                                   "the buyer was e-mailed a receipt.")
                else:
                    text = gettext("%(amount)s %(currency)s recorded on %(ref)s; %(due)s %(currency)s is still "
                                   "due. The buyer was e-mailed a receipt.")
                self.message_user(request, text % {"amount": payment.amount, "currency": payment.currency,
                                                   "ref": order.reference, "due": due}, messages.SUCCESS)
                return None
        return _intermediate(self, request, queryset, "admin/registration/order/record_payment.html",
                             gettext("Record a bank transfer for %(ref)s") % {"ref": order.reference},
                             "record_bank_payment", order=order, form=form, due=form.due)

    @admin.action(description=_("Mark as paid (records a bank payment of what is due)"), permissions=["change"])
    def mark_paid(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                if order.status != Order.Status.PENDING:
                    services.mark_paid(order)  # raises the "not pending" message
                billing.record_payment(order, amount=billing.outstanding(order), provider="bank", by=request.user,
                                       note=gettext("Recorded in the admin"))
            except RegistrationError as error:
                self.message_user(request, gettext("%(ref)s was not marked as paid: %(error)s")
                                  % {"ref": order.reference, "error": error.message}, messages.ERROR)
            else:
                self.log_change(request, order, gettext("Marked as paid."))
                done += 1
        if done:
            self.message_user(request, ngettext("%d order marked as paid.", "%d orders marked as paid.", done) % done,
                              messages.SUCCESS)

    @admin.action(description=_("Cancel (refund under the edition's policy)"), permissions=["change"])
    def cancel_orders(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                billing.cancel_with_refund(order, by=request.user, as_organiser=True)
            except RegistrationError as error:
                self.message_user(request, gettext("%(ref)s was not cancelled: %(error)s")
                                  % {"ref": order.reference, "error": error.message}, messages.ERROR)
            else:
                self.log_change(request, order, gettext("Cancelled."))
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%d order cancelled; its seats and voucher uses are free again.",
                         "%d orders cancelled; their seats and voucher uses are free again.", done) % done,
                messages.SUCCESS,
            )

    @admin.action(description=_("Cancel and refund: preview what the refund policy gives back…"),
                  permissions=["change"])
    def refund_orders(self, request, queryset):
        orders = list(queryset.select_related("conference", "buyer").order_by("reference"))
        previews, refusals = [], []
        for order in orders:
            reason = None
            if not order.is_active:
                reason = gettext("it is already %(status)s.") % {"status": order.get_status_display().lower()}
            elif billing.paid_amount(order) - billing.refunded_amount(order) <= 0:
                reason = gettext("nothing was paid, so nothing can be refunded; use “Cancel” instead.")
            else:
                try:
                    previews.append((order, billing.refund_quote(order)))
                except RegistrationError as error:
                    reason = error.message
            if reason:
                refusals.append((order, reason))
        if refusals:
            for order, reason in refusals:
                self.message_user(request, gettext("%(ref)s cannot be refunded: %(reason)s")
                                  % {"ref": order.reference, "reason": reason}, messages.ERROR)
            self.message_user(request, gettext("Nothing was cancelled: leave the orders named above out of the "
                                               "selection and try again."), messages.WARNING)
            return None
        if "apply" not in request.POST:
            return _intermediate(self, request, queryset, "admin/registration/order/refund.html",
                                 gettext("Cancel and refund"), "refund_orders", previews=previews)
        done = 0
        for order, _quote in previews:
            try:
                quote = billing.cancel_with_refund(order, by=request.user, as_organiser=True)
            except RegistrationError as error:
                self.message_user(request, gettext("%(ref)s was not refunded: %(error)s")
                                  % {"ref": order.reference, "error": error.message}, messages.ERROR)
            else:
                self.log_change(request, order, gettext("Cancelled; %(refund)s %(currency)s refunded (%(reason)s).")
                                % {"refund": quote.refund, "currency": order.currency, "reason": quote.reason})
                done += 1
        if done:
            self.message_user(request, ngettext(
                "%d order cancelled and refunded; bank refunds wait under Refunds until finance pays them out.",
                "%d orders cancelled and refunded; bank refunds wait under Refunds until finance pays them out.",
                done) % done, messages.SUCCESS)
        return None

    @admin.action(description=_("Resend the order confirmation e-mail"), permissions=["change"])
    def resend_confirmation(self, request, queryset):
        orders = list(queryset.order_by("reference"))
        rows = OutboxEmail.objects.filter(purpose="registration.order_placed",
                                          object_key__in=[f"order:{order.pk}" for order in orders])
        found = set(rows.values_list("object_key", flat=True))
        missing = [order.reference for order in orders if f"order:{order.pk}" not in found]
        if missing:
            self.message_user(request, gettext("No confirmation e-mail was ever written for %(refs)s; nothing "
                                               "was resent.") % {"refs": ", ".join(missing)}, messages.ERROR)
            return
        count = outbox.resend(rows)
        for order in orders:
            self.log_change(request, order, gettext("Resent the order confirmation."))
        self.message_user(request, ngettext("%d confirmation e-mail queued again.",
                                            "%d confirmation e-mails queued again.", count) % count,
                          messages.SUCCESS)


# --- Registrations -------------------------------------------------------------------------------

class SensitiveNeedsInline(admin.StackedInline):
    """Shown only to staff with view (or change) permission on SensitiveNeeds: Django's inline checks."""

    model = SensitiveNeeds
    fields = ["dietary", "accessibility"]
    can_delete = False
    max_num = 1
    extra = 0


class ProofInline(ReadOnlyInline, admin.TabularInline):
    model = EligibilityProof
    fields = ["download", "status", "uploaded_at", "reviewed_at", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("registration__conference")

    @admin.display(description=_("file"))
    def download(self, obj):
        return _proof_link(obj)


class CheckInInline(ReadOnlyInline, admin.TabularInline):
    model = CheckIn
    fields = ["date", "part", "checked_in_at", "checked_in_by", "desk"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checked_in_by")


class RevokedCheckinTokenInline(ReadOnlyInline, admin.TabularInline):
    model = RevokedCheckinToken
    fields = ["token", "revoked_at"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Registration)
class RegistrationAdmin(ExportAdmin, AuditHistoryAdmin, SaveChangedFieldsMixin, admin.ModelAdmin):
    """Profiles are editable; who, what and in which state are not (they follow the order and services).

    Category and pass are read-only too: they set the price and the seats taken, which only the
    services change consistently.
    """

    list_display = ["badge_name", "user__email", "conference", "category", "pass_product", "eligibility", "status",
                    "order__reference", "created_at"]
    list_filter = ["conference", "status", "eligibility", "category__kind", "pass_product__kind"]
    search_fields = ["badge_name", "legal_name", "affiliation", "user__email", "order__reference"]
    list_select_related = ["user", "conference", "category", "pass_product", "order"]
    date_hierarchy = "created_at"
    readonly_fields = ["conference", "user", "order", "registered_by", "status", "category", "pass_product",
                       "eligibility", "checkin_code", "code_of_conduct_accepted_at", "created_at"]
    fieldsets = [
        (None, {"fields": readonly_fields}),
        (_("Profile"), {"fields": ["badge_name", "legal_name", "affiliation", "position", "country", "pronouns",
                                   "openreview_id"]}),
    ]
    inlines = [SensitiveNeedsInline, ProofInline, RevokedCheckinTokenInline, CheckInInline]
    actions = ["reissue_checkin_code", "print_badges", "print_certificates", compose_bulk_email_action, export_csv,
               export_xlsx]
    print_badges = badges.print_badges  # an action by name, so the badges module's tests find it
    print_certificates = certificates.print_certificates
    # Never needs, proofs, passport data or the check-in code (confsite.exports refuses those).
    export_fields = ["badge_name", "user__email", "affiliation", "position", "country", "conference__short_name",
                     "category__name", "pass_product__name", "eligibility", "status", "order__reference",
                     ("order__status", _("order status")), "created_at"]
    export_permission = EXPORT_PEOPLE

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("check-in code"))
    def checkin_code(self, obj):
        # A bearer credential: staff recognise it by its start; the full code stays on the badge.
        return f"{obj.checkin_token[:6]}…"

    @admin.action(description=_("Reissue check-in code"), permissions=["change"])
    def reissue_checkin_code(self, request, queryset):
        done = 0
        for registration in queryset:
            services.reissue_checkin_token(registration)
            self.log_change(request, registration, gettext("Reissued the check-in code."))
            done += 1
        self.message_user(
            request,
            ngettext("%d registration has a new check-in code; the old one no longer admits anyone.",
                     "%d registrations have new check-in codes; the old ones no longer admit anyone.", done) % done,
            messages.SUCCESS,
        )


@admin.register(SensitiveNeeds)
class SensitiveNeedsAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    """Visible only with registration.view_sensitiveneeds (Django's default model permissions)."""

    list_display = ["registration__badge_name", "registration__conference", "dietary", "accessibility"]
    list_filter = ["registration__conference"]
    search_fields = ["registration__badge_name", "registration__user__email", "registration__order__reference"]
    list_select_related = ["registration__conference"]
    fields = ["registration", "dietary", "accessibility"]
    readonly_fields = ["registration"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RevokedCheckinToken)
class RevokedCheckinTokenAdmin(ViewOnlyAdmin):
    list_display = ["token", "registration", "revoked_at"]
    list_filter = ["registration__conference"]
    search_fields = ["token", "registration__badge_name", "registration__user__email"]
    list_select_related = ["registration__conference"]


# --- Days and check-ins --------------------------------------------------------------------------

@admin.register(ConferenceDay)
class ConferenceDayAdmin(EditionScopedAdmin):
    """Which part runs on which day: check-in admits a pass only on the days of its part."""

    list_display = ["date", "weekday", "part", "conference"]
    list_filter = ["conference", "part"]
    search_fields = ["conference__short_name"]
    date_hierarchy = "date"
    list_select_related = ["conference"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return obj.date.strftime("%A")


@admin.register(CheckIn)
class CheckInAdmin(ExportAdmin, AuditHistoryAdmin, ViewOnlyAdmin):
    """Check-ins are recorded by the desk's scanner page; organisers read (and export) them here."""

    list_display = ["checked_in_at", "registration__badge_name", "registration__category", "registration__pass_product",
                    "date", "part", "desk", "checked_in_by"]
    list_filter = ["registration__conference", "date", "part", "desk"]
    search_fields = ["registration__badge_name", "registration__user__email", "registration__order__reference",
                     "desk"]
    date_hierarchy = "checked_in_at"
    list_select_related = ["registration__category", "registration__pass_product", "checked_in_by"]
    fields = ["registration", "date", "part", "checked_in_at", "checked_in_by", "desk"]
    readonly_fields = fields
    actions = [export_csv, export_xlsx]
    export_fields = ["date", "part", "checked_in_at", "desk", "registration__badge_name", "registration__user__email",
                     "registration__category__name", "registration__pass_product__name",
                     ("checked_in_by__email", _("checked in by"))]
    export_permission = EXPORT_PEOPLE


# --- Eligibility ---------------------------------------------------------------------------------

class ProofReviewForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"), required=False, widget=forms.RadioSelect,
        choices=[("", _("Decide later")), ("approve", _("Approve")), ("reject", _("Reject"))],
        help_text=_("Saving with a decision e-mails the attendee; a rejection sends the note above."),
    )

    class Meta:
        model = EligibilityProof
        fields = ["note"]

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision and self.instance.status != EligibilityProof.Status.PENDING:
            raise forms.ValidationError(gettext("This proof was already decided."))
        if decision == "reject" and not (cleaned.get("note") or "").strip():
            self.add_error("note", gettext("Tell the attendee why the proof is not accepted and what to do next."))
        return cleaned


@admin.register(EligibilityProof)
class EligibilityProofAdmin(AuditHistoryAdmin, admin.ModelAdmin):
    """Review proofs of academic or student status.

    To reject, staff write the note to the attendee on the proof's page, then either choose "Reject"
    there and save, or use the "Reject" action from the list, which sends each proof's saved note and
    refuses proofs that have none. "Approve" works from either place and needs no note. Both call
    services.decide_proof, which e-mails the attendee and starts the payment deadline.
    """

    form = ProofReviewForm
    list_display = ["registration__badge_name", "registration__user__email", "registration__category",
                    "registration__conference", "status", "uploaded_at", "download", "reviewed_by", "reviewed_at"]
    list_filter = ["registration__conference", "status", "registration__category__kind"]
    search_fields = ["registration__badge_name", "registration__user__email", "original_name",
                     "registration__order__reference"]
    list_select_related = ["registration__user", "registration__category", "registration__conference", "reviewed_by"]
    date_hierarchy = "uploaded_at"
    readonly_fields = ["registration", "download", "file_type", "file_size", "uploaded_at", "status", "reviewed_by",
                       "reviewed_at"]
    actions = ["approve_proofs", "reject_proofs"]

    def get_fields(self, request, obj=None):
        fields = [*self.readonly_fields, "note"]
        pending = obj is None or obj.status == EligibilityProof.Status.PENDING
        if pending and self.has_change_permission(request, obj):
            fields.append("decision")
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != EligibilityProof.Status.PENDING:
            fields.append("note")  # it was sent to the attendee as it stands
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        return _proof_link(obj)

    @admin.display(description=_("type"))
    def file_type(self, obj):
        return obj.content_type

    @admin.display(description=_("size"))
    def file_size(self, obj):
        return filesizeformat(obj.size)

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if decision:
            try:
                services.decide_proof(obj, approve=decision == "approve", by=request.user,
                                      note=form.cleaned_data.get("note", ""))
            except RegistrationError as error:
                self._refused(request, obj, error.message)
        elif "note" in form.changed_data:
            obj.save(update_fields=["note"])

    def _refused(self, request, proof, reason) -> None:
        self.message_user(request, gettext("Proof %(file)s of %(email)s: %(reason)s") % {
            "file": proof.original_name, "email": proof.registration.user.email, "reason": reason,
        }, messages.ERROR)

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve_proofs(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject (sends each proof's note)"), permissions=["change"])
    def reject_proofs(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve: bool) -> None:
        done = 0
        for proof in queryset.select_related("registration__user"):
            if not approve and not proof.note.strip():
                self._refused(request, proof, gettext("write a note to the attendee on its page before rejecting it."))
                continue
            try:
                services.decide_proof(proof, approve=approve, by=request.user, note=proof.note)
            except RegistrationError as error:
                self._refused(request, proof, error.message)
            else:
                self.log_change(request, proof, gettext("Approved.") if approve else gettext("Rejected."))
                done += 1
        if not done:
            return
        if approve:
            text = ngettext("%d proof approved; the attendee was e-mailed.",
                            "%d proofs approved; the attendees were e-mailed.", done)
        else:
            text = ngettext("%d proof rejected; the attendee was e-mailed.",
                            "%d proofs rejected; the attendees were e-mailed.", done)
        self.message_user(request, text % done, messages.SUCCESS)


# --- Waiting list --------------------------------------------------------------------------------

@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(admin.ModelAdmin):
    """People join through the site and offers follow freed seats; organisers can trigger offers."""

    list_display = ["user", "product", "conference", "status", "created_at", "offered_at", "offer_expires_at"]
    list_filter = ["conference", "status", "product__kind"]
    search_fields = ["user__email", "product__name"]
    list_select_related = ["user", "product", "conference"]
    fields = ["conference", "user", "product", "status", "created_at", "offered_at", "offer_expires_at"]
    readonly_fields = fields
    actions = ["offer_free_seats"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # An offered entry holds a seat; deleting it would lose that seat.
        return False

    @admin.action(description=_("Offer free seats now"), permissions=["view"])
    def offer_free_seats(self, request, queryset):
        if not request.user.has_perm("registration.change_waitinglistentry"):
            self.message_user(request, gettext("You may not make waiting-list offers."), messages.ERROR)
            return
        offered = 0
        for conference in Conference.objects.filter(pk__in=queryset.values("conference_id")):
            try:
                offered += services.offer_freed_seats(conference)
            except RegistrationError as error:
                self.message_user(request, gettext("%(edition)s: %(error)s")
                                  % {"edition": conference, "error": error.message}, messages.ERROR)
        if offered:
            text = ngettext("%d seat offered; the person was e-mailed a claim link.",
                            "%d seats offered; each person was e-mailed a claim link.", offered)
            self.message_user(request, text % offered, messages.SUCCESS)
        else:
            self.message_user(request, gettext("No seat is free, or nobody is waiting: no offer was made."),
                              messages.INFO)


# --- Billing -------------------------------------------------------------------------------------

class PaymentForm(forms.ModelForm):
    """Adding a payment in the admin records money received (a bank transfer) through the service."""

    class Meta:
        model = Payment
        fields = ["order", "amount", "external_id", "note"]
        labels = {"external_id": _("bank reference")}

    def clean(self):
        cleaned = super().clean()
        order, amount = cleaned.get("order"), cleaned.get("amount")
        if order is not None and amount is not None:
            if order.status != Order.Status.PENDING:
                self.add_error("order", gettext("Order %(ref)s is %(status)s; no payment is due.")
                               % {"ref": order.reference, "status": order.get_status_display().lower()})
            elif amount > billing.outstanding(order):
                self.add_error("amount", gettext("Only %(due)s %(currency)s is due on %(ref)s.")
                               % {"due": billing.outstanding(order), "currency": order.currency, "ref": order.reference})
        return cleaned


@admin.register(Payment)
class PaymentAdmin(ExportAdmin, AuditHistoryAdmin, admin.ModelAdmin):
    list_display = ["created_at", "order", "amount", "currency", "provider", "status", "confirmed_at", "recorded_by"]
    list_filter = ["provider", "status", "order__conference"]
    search_fields = ["order__reference", "external_id", "order__buyer__email"]
    date_hierarchy = "created_at"
    list_select_related = ["order", "recorded_by"]
    autocomplete_fields = ["order"]
    form = PaymentForm
    actions = [export_csv, export_xlsx]
    export_fields = ["created_at", "order__reference", ("order__buyer__email", _("buyer")), "provider", "status",
                     "amount", "currency", "external_id", "confirmed_at", ("recorded_by__email", _("recorded by")),
                     "note"]
    export_permission = EXPORT_FINANCE

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["order", "provider", "status", "amount", "currency", "external_id", "payment_intent", "note",
                "recorded_by", "created_at", "confirmed_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        payment = billing.record_payment(data["order"], amount=data["amount"], provider="bank", by=request.user,
                                         external_id=data.get("external_id", ""), note=data.get("note", ""))
        obj.pk = payment.pk
        obj.__dict__.update(payment.__dict__)


@admin.register(Refund)
class RefundAdmin(ExportAdmin, AuditHistoryAdmin, admin.ModelAdmin):
    list_display = ["created_at", "order", "amount", "currency", "status", "reason", "completed_at"]
    list_filter = ["status", "order__conference"]
    search_fields = ["order__reference", "order__buyer__email", "external_id"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    readonly_fields = ["order", "payment", "amount", "currency", "status", "reason", "visa_applied_on", "external_id",
                       "created_at", "completed_at", "completed_by"]
    exclude = ["visa_refusal"]
    actions = ["mark_paid_out", export_csv, export_xlsx]
    export_fields = ["created_at", "order__reference", ("order__buyer__email", _("buyer")), "amount", "currency",
                     "status", "reason", "external_id", "completed_at"]
    export_permission = EXPORT_FINANCE

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark as paid out (bank refund done)"), permissions=["change"])
    def mark_paid_out(self, request, queryset):
        count = 0
        for refund in queryset.filter(status=Refund.Status.PENDING):
            billing.complete_refund(refund, by=request.user)
            count += 1
        self.message_user(request, ngettext("%d refund marked as paid out.", "%d refunds marked as paid out.", count)
                          % count, messages.SUCCESS)


@admin.register(Invoice)
class InvoiceAdmin(ExportAdmin, ViewOnlyAdmin):
    """Issued documents are immutable: no add, change or delete here."""

    list_display = ["number_display", "kind", "order", "gross", "currency", "issued_at"]
    list_filter = ["kind", "conference"]
    search_fields = ["order__reference", "order__buyer__email"]
    date_hierarchy = "issued_at"
    list_select_related = ["conference", "order"]
    exclude = ["pdf"]
    actions = [export_csv, export_xlsx]
    export_fields = ["number_display", "kind", "order__reference", "issued_at", "net", "tax", "gross", "tax_rate",
                     "currency"]
    export_permission = EXPORT_FINANCE

    @admin.display(description=_("number"), ordering="number")
    def number_display(self, obj):
        return obj.display_number


@admin.register(RefundPolicy)
class RefundPolicyAdmin(admin.ModelAdmin):
    list_display = ["conference", "full_refund_until", "fee_until", "fee_percent", "fee_minimum", "visa_denial_applied_before"]
    list_select_related = ["conference"]


@admin.register(VisaLetter)
class VisaLetterAdmin(ViewOnlyAdmin):
    """Letters, never their passport data: that stays in its own model behind view_passportdata."""

    list_display = ["reference", "registration", "issued_at"]
    search_fields = ["reference", "registration__badge_name", "registration__user__email"]
    list_filter = ["registration__conference"]
    date_hierarchy = "issued_at"
    list_select_related = ["registration__conference"]
    fields = ["reference", "registration", "role", "issued_at"]  # the name on it is the passport name
    readonly_fields = fields


@admin.register(StripeEvent)
class StripeEventAdmin(ViewOnlyAdmin):
    list_display = ["received_at", "type", "event_id"]
    list_filter = ["type"]
    search_fields = ["event_id"]
