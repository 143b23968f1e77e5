"""Documents: PDF downloads (invoices, receipts, visa letters), the visa-letter request page, and
the public page where consulates verify a letter.

Every download goes through an access check and is streamed from private storage; anyone not
entitled gets a 404, so the existence of someone else's document is not revealed. A PDF not yet
rendered (the worker has not got to it, or the broker was down) is rendered on first download.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from confsite.editions import edition_view
from confsite.models import Conference

from . import documents, queries, visa
from .errors import RegistrationError
from .models import Invoice, Payment, Registration, VisaLetter

logger = logging.getLogger(__name__)

FINANCE_PERMISSION = "registration.view_finance"
PASSPORT_PERMISSION = "registration.view_passportdata"


class VisaLetterForm(forms.Form):
    passport_name = forms.CharField(
        label=gettext_lazy("Name as in your passport"), max_length=200,
        help_text=gettext_lazy("Exactly as printed on your passport's photo page."),
    )
    nationality = LazyTypedChoiceField(label=gettext_lazy("Nationality"),
                                       choices=[("", gettext_lazy("Choose…")), *countries],
                                       help_text=gettext_lazy("The country that issued your passport."))
    passport_number = forms.CharField(label=gettext_lazy("Passport number"), max_length=40,
                                      widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    date_of_birth = forms.DateField(label=gettext_lazy("Date of birth"),
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _attachment(field: FieldFile, filename: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type="application/pdf", as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _ensure_rendered(obj, field_name: str, render) -> bool:
    """Render the PDF now if no worker has yet. False if it cannot be rendered (the error is logged)."""
    if documents.has_file(getattr(obj, field_name)):
        return True
    try:
        render(obj.pk)
    except Exception:
        logger.exception("rendering %s %s on download failed", type(obj).__name__, obj.pk)
        return False
    obj.refresh_from_db(fields=[field_name])
    return documents.has_file(getattr(obj, field_name))


def _not_ready(request: HttpRequest, edition: Conference) -> HttpResponse:
    messages.error(request, _("The document could not be prepared just now. Please try again in a few minutes; "
                              "if it keeps failing, write to %(email)s.") % {"email": edition.contact_email})
    return redirect("my_registration", edition.slug)


@require_GET
@edition_view
@login_required
def invoice_pdf(request: HttpRequest, edition: Conference, pk: int) -> HttpResponse:
    """A proforma invoice, invoice or credit note, for the order's buyer and finance staff."""
    invoice = get_object_or_404(Invoice.objects.select_related("order", "conference"), pk=pk, conference=edition)
    if invoice.order.buyer_id != request.user.pk and not request.user.has_perm(FINANCE_PERMISSION):
        raise Http404()
    if not _ensure_rendered(invoice, "pdf", documents.render_invoice):
        return _not_ready(request, edition)
    return _attachment(invoice.pdf, f"{invoice.display_number}.pdf")


@require_GET
@edition_view
@login_required
def receipt_pdf(request: HttpRequest, edition: Conference, pk: int) -> HttpResponse:
    """The receipt for a received payment, for the order's buyer and finance staff."""
    payment = get_object_or_404(Payment.objects.select_related("order"), pk=pk, order__conference=edition,
                                status=Payment.Status.CONFIRMED)
    if payment.order.buyer_id != request.user.pk and not request.user.has_perm(FINANCE_PERMISSION):
        raise Http404()
    if not _ensure_rendered(payment, "receipt_pdf", documents.render_receipt):
        return _not_ready(request, edition)
    return _attachment(payment.receipt_pdf, f"receipt-{documents.receipt_number(payment)}.pdf")


@require_GET
@edition_view
@login_required
def visa_letter_pdf(request: HttpRequest, edition: Conference, pk: int) -> HttpResponse:
    """A visa letter (it prints passport data): for its attendee and holders of view_passportdata."""
    letter = get_object_or_404(VisaLetter.objects.select_related("registration"), pk=pk,
                               registration__conference=edition)
    if letter.registration.user_id != request.user.pk and not request.user.has_perm(PASSPORT_PERMISSION):
        raise Http404()
    if not documents.has_file(letter.pdf) and not hasattr(letter, "passport"):
        # Purged after the edition: the record stays for verification, the PDF is gone for good.
        raise Http404(_("This letter's passport data was deleted after the conference."))
    if not _ensure_rendered(letter, "pdf", documents.render_visa_letter):
        return _not_ready(request, edition)
    return _attachment(letter.pdf, f"visa-letter-{letter.reference}.pdf")


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def visa_letter_request(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Ask for a visa invitation letter (own, paid registration), and list the letters issued so far."""
    registration = queries.active_registration(edition, request.user)
    refusal = visa.refusal(registration, request.user)
    initial = {"passport_name": registration.legal_name} if registration else {}
    form = VisaLetterForm(request.POST or None, initial=initial)
    if refusal is None and request.method == "POST" and form.is_valid():
        try:
            letter = visa.request_visa_letter(registration, by=request.user, **form.cleaned_data)
        except RegistrationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Your visa letter %(ref)s is ready; we have also e-mailed you the link.")
                             % {"ref": letter.reference})
            return redirect("visa_letter_request", edition.slug)
    letters = VisaLetter.objects.filter(registration__conference=edition, registration__user=request.user)
    context = {"conference": edition, "form": form, "refusal": refusal, "letters": letters}
    return render(request, "registration/documents/visa_letter_form.html", context)


@require_GET
@edition_view
def verify_letter(request: HttpRequest, edition: Conference, reference: str) -> HttpResponse:
    """Public: a consulate checks that a letter with this reference was issued, and to whom.
    Shows the name and the conference only, never passport data."""
    letter = (VisaLetter.objects.select_related("registration")
              .filter(reference=reference.strip().upper(), registration__conference=edition).first())
    context = {"conference": edition, "letter": letter, "reference": reference[:40]}
    if letter is None:
        return render(request, "registration/documents/verify_letter.html", context, status=404)
    context["registration_active"] = letter.registration.status == Registration.Status.ACTIVE
    return render(request, "registration/documents/verify_letter.html", context)
