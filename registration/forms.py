"""Registration forms: they parse and validate input; the services decide and write."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from confsite.models import Conference

from .models import Category, Product, Registration
from .services import AttendeeRequest

openreview_validator = RegexValidator(r"^~[^\s/]+$", _("An OpenReview id starts with ~, e.g. ~Minji_Kim1."))


class ProfileFields(forms.Form):
    badge_name = forms.CharField(label=_("Name on badge"), max_length=64, help_text=_("Any script: 김민지, 王伟, José."))
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, help_text=_("As on your passport; for invoices and letters."))
    affiliation = forms.CharField(label=_("Affiliation"), max_length=200)
    position = forms.ChoiceField(label=_("Position"), choices=[("", _("Choose…")), *Registration.Position.choices])
    country = LazyTypedChoiceField(label=_("Country"), choices=[("", _("Choose…")), *countries])
    pronouns = forms.CharField(label=_("Pronouns (optional)"), max_length=40, required=False)
    openreview_id = forms.CharField(
        label=_("OpenReview profile id (optional)"), max_length=100, required=False, validators=[openreview_validator],
        help_text=_("Links you to your papers at the conference, e.g. ~Minji_Kim1."),
    )

    def profile(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("badge_name", "legal_name", "affiliation", "position", "country",
                                                  "pronouns", "openreview_id")}


class RegistrationForm(ProfileFields):
    """Registering oneself: category, pass, add-ons, profile, needs, consents."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), widget=forms.RadioSelect,
                                      empty_label=None)
    pass_product = forms.ModelChoiceField(label=_("Pass"), queryset=Product.objects.none(), widget=forms.RadioSelect,
                                          empty_label=None)
    addons = forms.ModelMultipleChoiceField(label=_("Add-ons"), queryset=Product.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    voucher_code = forms.CharField(label=_("Voucher code (optional)"), max_length=40, required=False)
    dietary = forms.CharField(label=_("Dietary needs (optional)"), max_length=500, required=False,
                              help_text=_("Seen only by the catering team."))
    accessibility = forms.CharField(label=_("Accessibility needs (optional)"), max_length=500, required=False,
                                    help_text=_("Seen only by the access team."))
    accept_code_of_conduct = forms.BooleanField(label=_("I accept the code of conduct."), required=True,
                                                error_messages={"required": _("Please accept the code of conduct to register.")})
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    field_order = ["category", "pass_product", "addons", "voucher_code", "badge_name", "legal_name", "affiliation",
                   "position", "country", "pronouns", "openreview_id", "dietary", "accessibility",
                   "accept_code_of_conduct"]

    def __init__(self, *args, conference: Conference, fixed_product: Product | None = None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.conference = conference
        self.fields["category"].queryset = Category.objects.filter(conference=conference)
        passes = Product.objects.filter(conference=conference, is_active=True).exclude(kind=Product.Kind.ADDON)
        self.fields["pass_product"].queryset = passes
        self.fields["addons"].queryset = Product.objects.filter(conference=conference, is_active=True, kind=Product.Kind.ADDON)
        if fixed_product is not None and not fixed_product.is_addon:
            self.fields["pass_product"].queryset = passes.filter(pk=fixed_product.pk)
            self.fields["pass_product"].initial = fixed_product.pk

    def clean_voucher_code(self) -> str:
        return self.cleaned_data["voucher_code"].strip().upper()

    def attendee(self, email: str) -> AttendeeRequest:
        data = self.cleaned_data
        return AttendeeRequest(
            email=email,
            category=data["category"],
            pass_product=data["pass_product"],
            addons=list(data["addons"]),
            profile=self.profile(),
            dietary=data["dietary"],
            accessibility=data["accessibility"],
        )


class GroupMemberForm(ProfileFields):
    email = forms.EmailField(label=_("E-mail"))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), empty_label=None)
    pass_product = forms.ModelChoiceField(label=_("Pass"), queryset=Product.objects.none(), empty_label=None)

    field_order = ["email", "category", "pass_product", "badge_name", "legal_name", "affiliation", "position", "country"]

    def __init__(self, *args, conference: Conference, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("pronouns", "openreview_id"):
            del self.fields[name]
        self.fields["category"].queryset = Category.objects.filter(conference=conference)
        self.fields["pass_product"].queryset = Product.objects.filter(conference=conference, is_active=True).exclude(
            kind=Product.Kind.ADDON
        )

    def profile(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("badge_name", "legal_name", "affiliation", "position", "country")}

    def attendee(self) -> AttendeeRequest:
        data = self.cleaned_data
        return AttendeeRequest(email=data["email"].lower(), category=data["category"], pass_product=data["pass_product"],
                               profile=self.profile())


class BaseGroupFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        emails = [f.cleaned_data["email"].lower() for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if len(set(emails)) != len(emails):
            raise forms.ValidationError(_("Each person can appear only once in an order."))
        if not emails:
            raise forms.ValidationError(_("Name at least one person to register."))


GroupFormSet = forms.formset_factory(GroupMemberForm, formset=BaseGroupFormSet, extra=3, max_num=50, absolute_max=50,
                                     validate_max=True)


class GroupOrderForm(forms.Form):
    voucher_code = forms.CharField(label=_("Voucher code (optional)"), max_length=40, required=False)
    accept_code_of_conduct = forms.BooleanField(
        label=_("Every person named has accepted the code of conduct."), required=True,
        error_messages={"required": _("Please confirm that everyone accepts the code of conduct.")},
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def clean_voucher_code(self) -> str:
        return self.cleaned_data["voucher_code"].strip().upper()


class ProofForm(forms.Form):
    file = forms.FileField(label=_("Proof of status (PDF or image, up to 5 MB)"),
                           help_text=_("A student card, an enrolment letter or a letter from your institution."))


class SwitchCategoryForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Switch to"), queryset=Category.objects.none(), empty_label=None)

    def __init__(self, *args, registration: Registration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(conference=registration.conference_id).exclude(
            pk=registration.category_id
        )


class ProfileForm(ProfileFields):
    dietary = forms.CharField(label=_("Dietary needs (optional)"), max_length=500, required=False)
    accessibility = forms.CharField(label=_("Accessibility needs (optional)"), max_length=500, required=False)


class BillingForm(forms.Form):
    billing_name = forms.CharField(label=_("Invoice to (company or person)"), max_length=200)
    billing_address = forms.CharField(label=_("Billing address"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    vat_id = forms.CharField(label=_("VAT / tax id (optional)"), max_length=40, required=False)
    po_number = forms.CharField(label=_("Purchase order number (optional)"), max_length=60, required=False)
    invoice_email = forms.EmailField(label=_("Send invoices to (optional)"), required=False,
                                     help_text=_("Empty: your own address."))


class CancelForm(forms.Form):
    visa_denied = forms.BooleanField(label=_("My visa application was denied."), required=False)
    visa_applied_on = forms.DateField(label=_("Date of the visa application"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    visa_refusal = forms.FileField(label=_("The refusal letter (PDF or image, up to 5 MB)"), required=False)
    confirm = forms.BooleanField(label=_("Yes, cancel this order."), required=True,
                                 error_messages={"required": _("Tick the box to confirm the cancellation.")})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visa_denied"):
            if not cleaned.get("visa_applied_on"):
                self.add_error("visa_applied_on", _("Give the date of your visa application."))
            if not cleaned.get("visa_refusal"):
                self.add_error("visa_refusal", _("Upload the refusal letter."))
        return cleaned
