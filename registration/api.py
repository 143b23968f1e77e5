"""Registration API: attendees read their registrations, orders, payments, refunds and documents and
place orders; staff with the matching view permission read all of the edition.

Edition-scoped under /api/<edition>/ and calling the same services as the pages. Authentication is
the browser's session or a token (`Authorization: Token <key>`, from POST /api/auth/token/).

Errors: invalid input is a 400 with DRF's field-level messages. A refusal from the order service is
`{"detail": <sentence>, "field": <input field or null>, "code": <error kind>}`: 409 Conflict when
the request was well-formed but the state of the edition stands in its way (sold out, already
registered, a concurrent order holding the seats: try again, with Retry-After), 400 otherwise.
"""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from confsite.models import Conference

from . import queries, services
from .eligibility import is_verified
from .errors import AlreadyRegistered, RegistrationError, SoldOut, TryAgain
from .models import (
    Category,
    Invoice,
    Order,
    OrderLine,
    PassportData,
    Payment,
    Product,
    Refund,
    Registration,
    VisaLetter,
)
from .snapshot import catalogue_for

# Refusals caused by the edition's state, not by the request: the same request may succeed later.
CONFLICTS = (SoldOut, AlreadyRegistered, TryAgain)
PASS_KINDS = [(value, label) for value, label in Product.Kind.choices if value != Product.Kind.ADDON]
IDEMPOTENCY_KEY_MAX = Order._meta.get_field("idempotency_key").max_length
# Primary keys are 64-bit; a larger number in a query would be a database error, not "not found".
MAX_ID = 2**63 - 1
# A bound on the work one request can ask for; the edition's own group limit is checked by the service.
MAX_ATTENDEES = 1000
PROFILE_REQUIRED = ("badge_name", "legal_name", "affiliation", "position", "country")
ORDER_REFERENCE_MAX = Order._meta.get_field("reference").max_length
# The same permissions the PDF downloads check (registration.document_views).
FINANCE = "registration.view_finance"
PASSPORT_DATA = "registration.view_passportdata"

EDITION = OpenApiParameter(
    "edition", OpenApiTypes.STR, OpenApiParameter.PATH, description=_lazy("The edition's URL slug, e.g. icml2026.")
)


def sees_all(user, *permissions: str) -> bool:
    """Organisers with the model's view permission (any of those named) see every row of the edition."""
    return user.is_staff and any(user.has_perm(permission) for permission in permissions)


def error_response(error: RegistrationError) -> Response:
    conflict = isinstance(error, CONFLICTS)
    body = {"detail": str(error.message), "field": error.field, "code": _snake(type(error).__name__)}
    headers = {"Retry-After": "1"} if isinstance(error, TryAgain) else None
    return Response(body, status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST, headers=headers)


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name).lstrip("_")


# --- Serializers: output -------------------------------------------------------------------------

class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_lazy("A sentence for the person, saying what to do next."))
    field = serializers.CharField(allow_null=True, help_text=_lazy("The input field it concerns, if any."))
    code = serializers.CharField(help_text=_lazy("e.g. sold_out, already_registered, try_again, not_allowed."))


class CategoryRefSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_lazy("academic, student or non_academic"))
    name = serializers.CharField()


class ProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=_lazy("full, main, tutorials, workshops, virtual, exhibitor or addon"))
    name = serializers.CharField()


class PeriodRefSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_lazy("early, regular or late"))
    name = serializers.CharField()


class RegistrationSerializer(serializers.ModelSerializer):
    """A registration as its attendee, its buyer or an organiser sees it; never the sensitive needs."""

    category = CategoryRefSerializer(read_only=True)
    country = serializers.CharField(read_only=True, help_text=_lazy("ISO 3166 alpha-2 code"))
    order = serializers.CharField(source="order.reference", read_only=True, help_text=_lazy("The order that created it."))
    checkin_token = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = ["id", "badge_name", "legal_name", "affiliation", "position", "country", "category", "status",
                  "eligibility", "order", "created_at", "checkin_token"]
        read_only_fields = fields

    def get_fields(self):
        # "pass" is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["pass"] = ProductRefSerializer(source="pass_product", read_only=True)
        order = [*self.Meta.fields[:7], "pass", *self.Meta.fields[7:]]
        return {name: fields[name] for name in order}

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_lazy(
        "The code on the badge; only in the attendee's own registration, null for anyone else.")))
    def get_checkin_token(self, registration: Registration) -> str | None:
        request = self.context.get("request")
        own = request is not None and registration.user_id == request.user.pk
        return registration.checkin_token if own else None


class OrderLineSerializer(serializers.ModelSerializer):
    who = serializers.CharField(source="registration.badge_name", read_only=True, help_text=_lazy("Name on badge"))
    product = ProductRefSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True)
    period = PeriodRefSerializer(read_only=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True,
                                      help_text=_lazy("price − discount"))

    class Meta:
        model = OrderLine
        fields = ["who", "product", "category", "period", "price", "discount", "amount"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["reference", "status", "total", "currency", "created_at", "expires_at", "lines"]
        read_only_fields = fields


# The answer to a placed order is what OrderSerializer gives (tests compare the two), written out by hand:
# a ModelSerializer builds its fields from the model for every instance, a sixth of an order's CPU time.
_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)
_MOMENT = serializers.DateTimeField()


def placed_order_representation(order: Order) -> dict:
    def ref(obj, *names):
        return {name: getattr(obj, name) for name in names}

    return {
        "reference": order.reference,
        "status": order.status,
        "total": _MONEY.to_representation(order.total),
        "currency": order.currency,
        "created_at": _MOMENT.to_representation(order.created_at),
        "expires_at": _MOMENT.to_representation(order.expires_at) if order.expires_at else None,
        "lines": [
            {
                "who": line.registration.badge_name,
                "product": ref(line.product, "id", "kind", "name"),
                "category": ref(line.category, "kind", "name"),
                "period": ref(line.period, "kind", "name"),
                "price": _MONEY.to_representation(line.price),
                "discount": _MONEY.to_representation(line.discount),
                "amount": _MONEY.to_representation(line.amount),
            }
            for line in order.lines.all()
        ],
    }


def _document_path(name: str, context: dict, pk: int) -> str:
    return reverse(name, kwargs={"edition": context["edition"].slug, "pk": pk})


class PaymentSerializer(serializers.ModelSerializer):
    """Money received or on its way; who recorded it, notes and provider references stay in the admin."""

    order = serializers.CharField(source="order.reference", read_only=True, help_text=_lazy("The order it pays."))
    receipt_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "order", "provider", "status", "amount", "currency", "created_at", "confirmed_at",
                  "receipt_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_lazy(
        "Path of the receipt PDF for a received payment, null otherwise. It downloads for the buyer and for "
        "organisers with view_finance.")))
    def get_receipt_url(self, payment: Payment) -> str | None:
        if payment.status != Payment.Status.CONFIRMED:
            return None
        return _document_path("receipt_pdf", self.context, payment.pk)


class RefundSerializer(serializers.ModelSerializer):
    """Money going back to the buyer; a visa refusal sent with the cancellation is never included."""

    order = serializers.CharField(source="order.reference", read_only=True, help_text=_lazy("The order refunded."))

    class Meta:
        model = Refund
        fields = ["id", "order", "amount", "currency", "status", "reason", "created_at", "completed_at"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number", read_only=True,
                                   help_text=_lazy("As printed on the document, e.g. ICML2026-INV-00001."))
    gross = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                     help_text=_lazy("The total including tax; negative on a credit note."))
    order = serializers.CharField(source="order.reference", read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = ["id", "kind", "number", "gross", "currency", "issued_at", "order", "pdf_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text=_lazy(
        "Path of the PDF; it downloads for the buyer and for organisers with view_finance.")))
    def get_pdf_url(self, invoice: Invoice) -> str:
        return _document_path("invoice_pdf", self.context, invoice.pk)


class VisaLetterSerializer(serializers.ModelSerializer):
    """A letter's public reference and its PDF; never the passport data it prints, nor the name on it."""

    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = VisaLetter
        fields = ["id", "reference", "registration", "issued_at", "pdf_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_lazy(
        "Path of the PDF; null once the passport data was deleted after the conference. It downloads for the "
        "attendee and for organisers with view_passportdata.")))
    def get_pdf_url(self, letter: VisaLetter) -> str | None:
        if not letter.pdf.name and not letter.has_passport:
            return None
        return _document_path("visa_letter_pdf", self.context, letter.pk)


# --- Serializers: input --------------------------------------------------------------------------

class CountryCodeField(serializers.CharField):
    default_error_messages = {"invalid_country": _lazy("“{value}” is not an ISO 3166 country code such as KR or AT.")}

    def __init__(self, **kwargs):
        super().__init__(max_length=2, min_length=2, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if not countries.alpha2(value):
            self.fail("invalid_country", value=value)
        return value


class AttendeeInputSerializer(serializers.Serializer):
    """One person in an order. The profile is required with a pass, ignored without one (add-ons only)."""

    email = serializers.EmailField(max_length=254)
    category = serializers.ChoiceField(choices=Category.Kind.choices)
    addons = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=50, required=False, default=list,
        help_text=_lazy("Ids of add-on products of this edition."),
    )
    badge_name = serializers.CharField(max_length=64, required=False)
    legal_name = serializers.CharField(max_length=200, required=False)
    affiliation = serializers.CharField(max_length=200, required=False)
    position = serializers.ChoiceField(choices=Registration.Position.choices, required=False)
    country = CountryCodeField(required=False, help_text=_lazy("ISO 3166 alpha-2 code, e.g. KR"))
    pronouns = serializers.CharField(max_length=40, required=False, allow_blank=True)
    openreview_id = serializers.RegexField(
        r"^~[^\s/]+$", max_length=100, required=False, allow_blank=True,
        error_messages={"invalid": _lazy("An OpenReview id starts with ~, e.g. ~Minji_Kim1.")},
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["pass"] = serializers.ChoiceField(
            choices=PASS_KINDS, allow_null=True,
            help_text=_lazy("The pass kind, or null to add add-ons to the person's existing registration."),
        )
        return fields

    def validate(self, attrs):
        catalogue = _catalogue(self.context)
        errors = {}
        category = catalogue["categories"].get(attrs["category"])
        if category is None:
            errors["category"] = _("%(edition)s has no such category.") % {"edition": catalogue["edition"].short_name}
        pass_product = None
        if attrs["pass"] is not None:
            pass_product = catalogue["passes"].get(attrs["pass"])
            if pass_product is None:
                errors["pass"] = _("%(edition)s sells no such pass.") % {"edition": catalogue["edition"].short_name}
            for name in PROFILE_REQUIRED:
                if name not in attrs:
                    errors[name] = _("This field is required.")
        unknown = [pk for pk in attrs["addons"] if pk not in catalogue["products"]]
        if unknown:
            errors["addons"] = _("%(edition)s has no product with id %(id)s.") % {
                "edition": catalogue["edition"].short_name, "id": unknown[0]}
        if errors:
            raise serializers.ValidationError(errors)
        return services.AttendeeRequest(
            email=attrs["email"].strip().lower(),
            category=category,
            pass_product=pass_product,
            addons=[catalogue["products"][pk] for pk in attrs["addons"]],
            profile={k: attrs[k] for k in services.PROFILE_FIELDS if k in attrs},
        )


def _catalogue(context: dict) -> dict:
    """The edition's categories and products: the process's snapshot, the same one the order is priced from."""
    if "catalogue" not in context:
        edition = context["edition"]
        snapshot = catalogue_for(edition, context.get("registration_settings"))
        context["catalogue"] = {"edition": edition, "categories": snapshot.categories, "passes": snapshot.passes,
                                "products": snapshot.products}
    return context["catalogue"]


class OrderInputSerializer(serializers.Serializer):
    """What the buyer asks for. Prices and totals are computed by the service; any sent are ignored."""

    attendees = AttendeeInputSerializer(many=True, allow_empty=False, max_length=MAX_ATTENDEES)
    voucher_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    accept_code_of_conduct = serializers.BooleanField(
        help_text=_lazy("Must be true: accepting the edition's code of conduct is a condition of registering."),
    )


class RegistrationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Registration.Status.choices, required=False)
    category = serializers.ChoiceField(choices=Category.Kind.choices, required=False, help_text=_lazy("Category kind"))
    eligibility = serializers.ChoiceField(choices=Registration.Eligibility.choices, required=False)
    q = serializers.CharField(max_length=100, required=False,
                              help_text=_lazy("Search in badge name, e-mail address and affiliation."))

    def get_fields(self):
        fields = super().get_fields()
        fields["pass"] = serializers.ChoiceField(choices=PASS_KINDS, required=False, help_text=_lazy("Pass kind"))
        return fields


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)


class OrderReferenceFilter(serializers.Serializer):
    order = serializers.CharField(max_length=ORDER_REFERENCE_MAX, required=False,
                                  help_text=_lazy("Order reference, e.g. ICML26-7KQ2M"))


class PaymentFilterSerializer(OrderReferenceFilter):
    status = serializers.ChoiceField(choices=Payment.Status.choices, required=False)
    provider = serializers.ChoiceField(choices=Payment.Provider.choices, required=False)


class RefundFilterSerializer(OrderReferenceFilter):
    status = serializers.ChoiceField(choices=Refund.Status.choices, required=False)


class InvoiceFilterSerializer(OrderReferenceFilter):
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices, required=False)


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"},
                                     write_only=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_lazy("Send it as the header `Authorization: Token <token>`."))


# --- Views ---------------------------------------------------------------------------------------

class EditionScoped:
    """Resolves the <edition> URL segment (404 if unknown) before authentication and permissions."""

    edition: Conference

    def editions(self) -> QuerySet[Conference]:
        return Conference.objects.all()

    def initial(self, request, *args, **kwargs):
        try:
            # get(), not first(): the slug is unique, and first() would sort the one row.
            self.edition = self.editions().get(slug=kwargs.get("edition", ""))
        except Conference.DoesNotExist:
            raise NotFound(_("There is no edition %(slug)s.") % {"slug": kwargs.get("edition", "")}) from None
        super().initial(request, *args, **kwargs)

    def filters(self, serializer_class) -> dict:
        if self.action != "list":
            return {}
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def get_serializer_context(self) -> dict:
        # Document links name the edition; the schema generator builds serializers before there is one.
        return {**super().get_serializer_context(), "edition": getattr(self, "edition", None)}


@extend_schema(parameters=[EDITION], tags=["registrations"])
class RegistrationViewSet(EditionScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registrations: attendees see those they hold or bought; organisers with the view permission see all."""

    queryset = Registration.objects.none()
    serializer_class = RegistrationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Registration]:
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        user = self.request.user
        registrations = queries.registrations_for_staff(self.edition).order_by("-created_at", "-pk")
        if not sees_all(user, "registration.view_registration"):
            registrations = registrations.filter(Q(user=user) | Q(registered_by=user))
        wanted = self.filters(RegistrationFilterSerializer)
        for param, lookup in [("status", "status"), ("category", "category__kind"), ("pass", "pass_product__kind"),
                              ("eligibility", "eligibility")]:
            if param in wanted:
                registrations = registrations.filter(**{lookup: wanted[param]})
        if wanted.get("q"):
            q = wanted["q"]
            registrations = registrations.filter(
                Q(badge_name__icontains=q) | Q(user__email__icontains=q) | Q(affiliation__icontains=q)
            )
        return registrations

    @extend_schema(parameters=[RegistrationFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[EDITION], tags=["orders"])
class OrderViewSet(EditionScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders: buyers see their own; organisers with the view permission see all. Anyone logged in may order."""

    queryset = Order.objects.none()
    serializer_class = OrderSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]  # orders are nested (people, add-ons): JSON only
    lookup_field = "reference"

    @staticmethod
    def lines() -> Prefetch:
        return Prefetch("lines", queryset=OrderLine.objects.select_related("product", "category", "period", "registration"))

    def editions(self) -> QuerySet[Conference]:
        # Placing an order needs the registration settings (open? catalogue version?): read them with the edition.
        return Conference.objects.select_related("registration_settings") if self.action == "create" else super().editions()

    def orders(self) -> QuerySet[Order]:
        return Order.objects.filter(conference=self.edition).prefetch_related(self.lines()).order_by("-created_at", "-pk")

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        orders = self.orders()
        if not sees_all(self.request.user, "registration.view_order"):
            orders = orders.filter(buyer=self.request.user)
        wanted = self.filters(OrderFilterSerializer)
        if "status" in wanted:
            orders = orders.filter(status=wanted["status"])
        return orders

    @extend_schema(parameters=[OrderFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=OrderInputSerializer,
        parameters=[OpenApiParameter(
            "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
            description=_lazy("Up to 64 characters. A retry with the same key returns the first order (200) "
                              "instead of placing a second one."),
        )],
        responses={
            201: OpenApiResponse(OrderSerializer, description=_lazy("The order was placed.")),
            200: OpenApiResponse(OrderSerializer, description=_lazy("A retry: the order first placed with this key.")),
            400: OpenApiResponse(description=_lazy("Invalid input (field errors), or the order service refused "
                                                   "(detail, field, code).")),
            409: OpenApiResponse(ErrorSerializer, description=_lazy("Sold out, already registered, or try again.")),
        },
    )
    def create(self, request, *args, **kwargs):
        """Place an order that registers one or more people, at the current price; it holds their seats."""
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX or not (key.isascii() and key.isprintable()):
            return Response({"detail": _("The Idempotency-Key header must be at most %(n)d printable ASCII characters, "
                                         "e.g. a UUID.") % {"n": IDEMPOTENCY_KEY_MAX},
                             "field": "Idempotency-Key", "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
        reg_settings = getattr(self.edition, "registration_settings", None)
        data = OrderInputSerializer(data=request.data, context={"edition": self.edition, "request": request,
                                                                "registration_settings": reg_settings})
        data.is_valid(raise_exception=True)
        # The service returns the first order for a known key, also when a concurrent request placed
        # it; an order carrying exactly this call's timestamp is the one this call placed.
        now = timezone.now()
        try:
            order = services.place_order(
                conference=self.edition, buyer=request.user, attendees=data.validated_data["attendees"],
                accept_code_of_conduct=data.validated_data["accept_code_of_conduct"],
                voucher_code=data.validated_data["voucher_code"], idempotency_key=key, now=now,
                registration_settings=reg_settings,
            )
        except RegistrationError as error:
            return error_response(error)
        if order.conference_id != self.edition.pk:
            return Response({"detail": _("This Idempotency-Key was already used for an order of another edition; "
                                         "use a new key."), "field": "Idempotency-Key", "code": "key_reused"},
                            status=status.HTTP_409_CONFLICT)
        created = order.created_at == now
        prefetch_related_objects([order], self.lines())
        location = reverse("api-order-detail", kwargs={"edition": self.edition.slug, "reference": order.reference})
        return Response(placed_order_representation(order), headers={"Location": location},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _filtered(rows: QuerySet, wanted: dict, lookups: dict[str, str]) -> QuerySet:
    for param, lookup in lookups.items():
        if param in wanted:
            rows = rows.filter(**{lookup: wanted[param]})
    return rows


@extend_schema(parameters=[EDITION], tags=["payments"])
class PaymentViewSet(EditionScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payments: buyers see the payments of the orders they bought; organisers with view_payment or
    view_finance see all of the edition. `receipt_url` is the path of a received payment's receipt PDF."""

    queryset = Payment.objects.none()
    serializer_class = PaymentSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Payment]:
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        payments = (Payment.objects.filter(order__conference=self.edition).select_related("order")
                    .order_by("-created_at", "-pk"))
        if not sees_all(self.request.user, "registration.view_payment", FINANCE):
            payments = payments.filter(order__buyer=self.request.user)
        return _filtered(payments, self.filters(PaymentFilterSerializer),
                         {"status": "status", "provider": "provider", "order": "order__reference"})

    @extend_schema(parameters=[PaymentFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[EDITION], tags=["payments"])
class RefundViewSet(EditionScoped, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Refunds: buyers see the refunds of the orders they bought; organisers with view_refund or
    view_finance see all of the edition."""

    queryset = Refund.objects.none()
    serializer_class = RefundSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Refund]:
        if getattr(self, "swagger_fake_view", False):
            return Refund.objects.none()
        refunds = (Refund.objects.filter(order__conference=self.edition).select_related("order")
                   .order_by("-created_at", "-pk"))
        if not sees_all(self.request.user, "registration.view_refund", FINANCE):
            refunds = refunds.filter(order__buyer=self.request.user)
        return _filtered(refunds, self.filters(RefundFilterSerializer), {"status": "status", "order": "order__reference"})

    @extend_schema(parameters=[RefundFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[EDITION], tags=["documents"])
class InvoiceViewSet(EditionScoped, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Invoices, proformas and credit notes: buyers see those of the orders they bought; organisers
    with view_finance see all of the edition. Visa letters are listed apart, under visa-letters/."""

    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Invoice]:
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        invoices = (Invoice.objects.filter(conference=self.edition).select_related("conference", "order")
                    .order_by("-issued_at", "-pk"))
        if not sees_all(self.request.user, FINANCE):
            invoices = invoices.filter(order__buyer=self.request.user)
        return _filtered(invoices, self.filters(InvoiceFilterSerializer), {"kind": "kind", "order": "order__reference"})

    @extend_schema(parameters=[InvoiceFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[EDITION], tags=["documents"])
class VisaLetterViewSet(EditionScoped, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Visa invitation letters: attendees see their own (not those of people they bought for);
    organisers with view_passportdata see all of the edition. No passport data is ever listed."""

    queryset = VisaLetter.objects.none()
    serializer_class = VisaLetterSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[VisaLetter]:
        if getattr(self, "swagger_fake_view", False):
            return VisaLetter.objects.none()
        # Whether the passport data is still there, without reading it.
        letters = (VisaLetter.objects.filter(registration__conference=self.edition)
                   .annotate(has_passport=Exists(PassportData.objects.filter(letter=OuterRef("pk"))))
                   .order_by("-issued_at", "-pk"))
        if not sees_all(self.request.user, PASSPORT_DATA):
            letters = letters.filter(registration__user=self.request.user)
        return letters


class TokenEmailThrottle(SimpleRateThrottle):
    """Guesses at one account's password are limited whatever the addresses they come from."""

    scope = "api_token_account"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email:
            return None
        return self.cache_format % {"scope": self.scope, "ident": email.strip().lower()[:254]}


@extend_schema(
    request=TokenRequestSerializer,
    responses={200: TokenSerializer, 400: OpenApiResponse(ErrorSerializer, description=_lazy("Refused.")),
               429: OpenApiResponse(description=_lazy("Too many attempts; wait a minute."))},
    tags=["auth"],
)
class ObtainTokenView(APIView):
    """Exchange an attendee's e-mail address and password for an API token (the same token each time).

    Accounts with two-factor authentication or staff access get no token by password alone: an
    administrator issues theirs in the admin (Auth Token → Tokens).
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle, TokenEmailThrottle]
    throttle_scope = "api_token"

    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, password = data.validated_data["email"].lower(), data.validated_data["password"]
        user = authenticate(request._request, email=email, password=password)
        if user is None:
            return self.refuse(_("The e-mail address or the password is not correct."), "invalid_credentials")
        if not is_verified(user):
            return self.refuse(_("Confirm your e-mail address first: follow the link in the message we sent you."),
                               "unverified")
        if user.is_staff or is_mfa_enabled(user):
            return self.refuse(_("Accounts with staff access or two-factor authentication get API tokens from an "
                                 "administrator, in the admin."), "token_by_admin")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    def refuse(self, detail: str, code: str) -> Response:
        return Response({"detail": detail, "field": None, "code": code}, status=status.HTTP_400_BAD_REQUEST)
