"""Attendee pages: register (oneself or a group), "My registration", proofs, waiting list."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from confsite import consent
from confsite.editions import edition_view
from confsite.models import Conference

from . import billing, queries, services
from .errors import RegistrationError
from .forms import (
    BillingForm,
    CancelForm,
    GroupFormSet,
    GroupOrderForm,
    ProfileForm,
    ProofForm,
    RegistrationForm,
    SwitchCategoryForm,
)
from .models import EligibilityProof, Order, Product, Registration


def _add_error(form, error: RegistrationError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _catalogue(conference: Conference) -> dict:
    return queries.catalogue(conference, timezone.now())


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def register(request: HttpRequest, edition: Conference) -> HttpResponse:
    existing = queries.active_registration(edition, request.user)
    if existing is not None:
        messages.info(request, _("You are already registered for %(edition)s.") % {"edition": edition.short_name})
        return redirect("my_registration", edition.slug)
    return _registration_form(request, edition, offer=None)


def _registration_form(request, edition, offer):
    form = RegistrationForm(request.POST or None, conference=edition, fixed_product=offer.product if offer else None,
                            initial={"badge_name": request.user.get_full_name()})
    quote = None
    if request.method == "POST" and form.is_valid():
        attendee = form.attendee(request.user.email)
        try:
            if request.POST.get("action") == "quote":
                quote = services.quote(edition, [attendee], form.cleaned_data["voucher_code"])
            else:
                order = services.place_order(
                    conference=edition, buyer=request.user, attendees=[attendee],
                    accept_code_of_conduct=form.cleaned_data["accept_code_of_conduct"],
                    voucher_code=form.cleaned_data["voucher_code"],
                    idempotency_key=form.cleaned_data["idempotency_key"], offer=offer,
                )
                messages.success(request, _("Order %(ref)s is placed.") % {"ref": order.reference})
                return redirect("my_registration", edition.slug)
        except RegistrationError as error:
            _add_error(form, error)
    context = {"conference": edition, "form": form, "quote": quote, "offer": offer,
               "recruitment_text": consent.latest_text(edition, services.RECRUITMENT), **_catalogue(edition)}
    return render(request, "registration/register.html", context, status=200)


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def register_group(request: HttpRequest, edition: Conference) -> HttpResponse:
    order_form = GroupOrderForm(request.POST or None)
    formset = GroupFormSet(request.POST or None, form_kwargs={"conference": edition}, prefix="people")
    quote = None
    if request.method == "POST" and order_form.is_valid() and formset.is_valid():
        attendees = [f.attendee() for f in formset.forms if f.cleaned_data]
        try:
            if request.POST.get("action") == "quote":
                quote = services.quote(edition, attendees, order_form.cleaned_data["voucher_code"])
            else:
                order = services.place_order(
                    conference=edition, buyer=request.user, attendees=attendees,
                    accept_code_of_conduct=order_form.cleaned_data["accept_code_of_conduct"],
                    voucher_code=order_form.cleaned_data["voucher_code"],
                    idempotency_key=order_form.cleaned_data["idempotency_key"],
                )
                messages.success(request, _("Order %(ref)s is placed.") % {"ref": order.reference})
                return redirect("my_registration", edition.slug)
        except RegistrationError as error:
            _add_error(order_form, error)
    context = {"conference": edition, "order_form": order_form, "formset": formset, "quote": quote, **_catalogue(edition)}
    return render(request, "registration/register_group.html", context)


@require_GET
@edition_view
@login_required
def my_registration(request: HttpRequest, edition: Conference) -> HttpResponse:
    registration = queries.active_registration(edition, request.user)
    context = {
        "conference": edition,
        "registration": registration,
        "orders": queries.orders_of(edition, request.user),
        "bought_for_others": queries.registrations_bought_for_others(edition, request.user),
        "waiting": queries.waiting_list_of(edition, request.user),
        "proof_form": ProofForm(),
        "switch_form": SwitchCategoryForm(registration=registration) if registration else None,
        "checkin_qr": queries.checkin_qr_svg(registration) if registration else "",
        "bank_instructions": getattr(getattr(edition, "registration_settings", None), "bank_instructions", ""),
        "stripe_enabled": billing.stripe_enabled(),
    }
    return render(request, "registration/my_registration.html", context)


def _own_registration(request, edition) -> Registration:
    registration = queries.active_registration(edition, request.user)
    if registration is None:
        raise Http404(_("You have no registration for this edition."))
    return registration


@require_POST
@edition_view
@login_required
def upload_proof(request: HttpRequest, edition: Conference) -> HttpResponse:
    registration = _own_registration(request, edition)
    form = ProofForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.submit_proof(registration, form.cleaned_data["file"], by=request.user)
        except RegistrationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Thank you. Organisers will review your proof; your seat and price are held."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("my_registration", edition.slug)


@require_GET
@edition_view
@login_required
def proof_file(request: HttpRequest, edition: Conference, pk: int) -> FileResponse:
    """Stream a proof to its owner or to staff allowed to review eligibility; nobody else."""
    proof = get_object_or_404(EligibilityProof.objects.select_related("registration"), pk=pk,
                              registration__conference=edition)
    if proof.registration.user_id != request.user.pk and not request.user.has_perm("registration.view_eligibilityproof"):
        raise Http404()
    response = FileResponse(proof.file.open("rb"), content_type=proof.content_type, as_attachment=True,
                            filename=proof.original_name)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@edition_view
@login_required
def switch_category(request: HttpRequest, edition: Conference) -> HttpResponse:
    registration = _own_registration(request, edition)
    form = SwitchCategoryForm(request.POST, registration=registration)
    if form.is_valid():
        try:
            order = services.switch_category(registration, form.cleaned_data["category"], by=request.user)
        except RegistrationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("You are now registered as %(category)s; the total is %(total)s %(currency)s.")
                             % {"category": form.cleaned_data["category"].name, "total": order.total,
                                "currency": order.currency})
    else:
        messages.error(request, _("Choose a category to switch to."))
    return redirect("my_registration", edition.slug)


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def edit_profile(request: HttpRequest, edition: Conference) -> HttpResponse:
    registration = _own_registration(request, edition)
    needs = getattr(registration, "needs", None)
    initial = {k: getattr(registration, k) for k in services.PROFILE_FIELDS}
    initial.update(dietary=needs.dietary if needs else "", accessibility=needs.accessibility if needs else "")
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(registration, by=request.user, data=form.profile(),
                                    dietary=form.cleaned_data["dietary"], accessibility=form.cleaned_data["accessibility"])
        except RegistrationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("my_registration", edition.slug)
    return render(request, "registration/profile.html", {"conference": edition, "form": form})


@require_POST
@edition_view
@login_required
def join_waiting_list(request: HttpRequest, edition: Conference, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.prefetch_related("quotas"), pk=product_id, conference=edition)
    try:
        services.join_waiting_list(edition, request.user, product)
    except RegistrationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("You are on the waiting list for %(product)s. We will e-mail you if a seat frees up.")
                         % {"product": product.name})
    return redirect("my_registration", edition.slug)


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def claim_offer(request: HttpRequest, edition: Conference, token: str) -> HttpResponse:
    try:
        offer = services.open_offer(token, request.user)
    except RegistrationError as error:
        messages.error(request, str(error.message))
        return redirect("my_registration", edition.slug)
    if offer.product.is_addon:
        registration = queries.active_registration(edition, request.user)
        if registration is None:
            messages.error(request, _("Register first; then claim the add-on."))
            return redirect("register", edition.slug)
        if request.method == "POST":
            try:
                attendee = services.AttendeeRequest(email=request.user.email, category=registration.category,
                                                    pass_product=None, addons=[offer.product])
                services.place_order(conference=edition, buyer=request.user, attendees=[attendee],
                                     accept_code_of_conduct=True, offer=offer,
                                     idempotency_key=f"offer-{offer.pk}")
            except RegistrationError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, _("%(product)s is added to your registration.") % {"product": offer.product.name})
            return redirect("my_registration", edition.slug)
        return render(request, "registration/claim_addon.html", {"conference": edition, "offer": offer})
    if queries.active_registration(edition, request.user) is not None:
        raise PermissionDenied(_("You are already registered for this edition."))
    return _registration_form(request, edition, offer=offer)


@require_GET
@edition_view
def prices(request: HttpRequest, edition: Conference) -> HttpResponse:
    return render(request, "registration/prices.html", {"conference": edition, **_catalogue(edition)})



def _own_order(request, edition, reference) -> Order:
    """The buyer's own order; anyone else's reference is a 404, not a hint that it exists."""
    return get_object_or_404(Order, conference=edition, reference=reference, buyer=request.user)


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def billing_details(request: HttpRequest, edition: Conference, reference: str) -> HttpResponse:
    order = _own_order(request, edition, reference)
    initial = {k: getattr(order, k) for k in ("billing_name", "billing_address", "vat_id", "po_number", "invoice_email")}
    form = BillingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        billing.update_billing(order, by=request.user, **form.cleaned_data)
        if request.POST.get("action") == "proforma":
            try:
                proforma = billing.request_proforma(order, by=request.user)
            except RegistrationError as error:
                _add_error(form, error)
                return render(request, "registration/billing.html", {"conference": edition, "order": order, "form": form})
            messages.success(request, _("Proforma invoice %(number)s is ready.") % {"number": proforma.display_number})
        else:
            messages.success(request, _("Billing details saved; they apply to documents issued from now on."))
        return redirect("my_registration", edition.slug)
    return render(request, "registration/billing.html", {"conference": edition, "order": order, "form": form})


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def cancel_order(request: HttpRequest, edition: Conference, reference: str) -> HttpResponse:
    """Shows what cancelling gives back under the refund policy, then cancels on confirmation."""
    order = _own_order(request, edition, reference)
    bound = request.method == "POST"
    form = CancelForm(request.POST if bound else None, request.FILES if bound else None)
    quote, problem = None, None
    if order.is_active:
        try:
            quote = billing.refund_quote(order)
        except RegistrationError as error:
            problem = str(error.message)
    if request.method == "POST" and form.is_valid() and order.is_active:
        visa = form.cleaned_data["visa_denied"]
        refusal = form.cleaned_data["visa_refusal"] if visa else None
        try:
            if refusal is not None:
                services.check_proof_file(refusal)
            result = billing.cancel_with_refund(
                order, by=request.user, visa_applied_on=form.cleaned_data["visa_applied_on"] if visa else None,
                visa_refusal=refusal,
            )
        except RegistrationError as error:
            _add_error(form, error)
        else:
            if result.refund:
                messages.success(request, _("Order %(ref)s is cancelled; %(amount)s %(currency)s will be refunded.")
                                 % {"ref": order.reference, "amount": result.refund, "currency": order.currency})
            else:
                messages.success(request, _("Order %(ref)s is cancelled.") % {"ref": order.reference})
            return redirect("my_registration", edition.slug)
    context = {"conference": edition, "order": order, "form": form, "quote": quote, "problem": problem}
    return render(request, "registration/cancel.html", context)


@require_http_methods(["GET", "POST"])
@edition_view
@login_required
def upgrade_pass(request: HttpRequest, edition: Conference) -> HttpResponse:
    """Change to a dearer pass with the same seat, paying the difference in a further order."""
    registration = _own_registration(request, edition)
    current_quotas = {q.pk for q in registration.pass_product.quotas.all()}
    candidates = Product.objects.filter(conference=edition, is_active=True).exclude(kind=Product.Kind.ADDON).exclude(
        pk=registration.pass_product_id).prefetch_related("quotas")
    options = []
    for product in candidates:
        if {q.pk for q in product.quotas.all()} != current_quotas:
            continue
        request_ = services.AttendeeRequest(email=request.user.email, category=registration.category,
                                            pass_product=product, upgrade=True)
        try:
            options.append((product, services.quote(edition, [request_]).total))
        except RegistrationError:
            continue
    if request.method == "POST":
        chosen = next((p for p, _total in options if str(p.pk) == request.POST.get("pass_product")), None)
        if chosen is None:
            messages.error(request, _("Choose one of the passes listed."))
        else:
            try:
                order = services.place_order(
                    conference=edition, buyer=request.user, accept_code_of_conduct=True,
                    idempotency_key=request.POST.get("idempotency_key", "")[:64],
                    attendees=[services.AttendeeRequest(email=request.user.email, category=registration.category,
                                                        pass_product=chosen, upgrade=True)],
                )
            except RegistrationError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, _("Order %(ref)s upgrades you to %(pass)s.")
                                 % {"ref": order.reference, "pass": chosen.name})
                return redirect("my_registration", edition.slug)
    return render(request, "registration/upgrade.html", {"conference": edition, "registration": registration,
                                                         "options": options, "idempotency_key": uuid.uuid4().hex})
