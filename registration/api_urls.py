"""API URLs of registration, included under /api/: edition-scoped resources and the token exchange."""

from django.urls import path

from . import api

registrations = api.RegistrationViewSet.as_view({"get": "list"})
registration = api.RegistrationViewSet.as_view({"get": "retrieve"})
orders = api.OrderViewSet.as_view({"get": "list", "post": "create"})
order = api.OrderViewSet.as_view({"get": "retrieve"})
payments = api.PaymentViewSet.as_view({"get": "list"})
payment = api.PaymentViewSet.as_view({"get": "retrieve"})
refunds = api.RefundViewSet.as_view({"get": "list"})
invoices = api.InvoiceViewSet.as_view({"get": "list"})
visa_letters = api.VisaLetterViewSet.as_view({"get": "list"})

urlpatterns = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="api-token"),
    path("<slug:edition>/registrations/", registrations, name="api-registration-list"),
    path("<slug:edition>/registrations/<int:pk>/", registration, name="api-registration-detail"),
    path("<slug:edition>/orders/", orders, name="api-order-list"),
    path("<slug:edition>/orders/<str:reference>/", order, name="api-order-detail"),
    path("<slug:edition>/payments/", payments, name="api-payment-list"),
    path("<slug:edition>/payments/<int:pk>/", payment, name="api-payment-detail"),
    path("<slug:edition>/refunds/", refunds, name="api-refund-list"),
    path("<slug:edition>/invoices/", invoices, name="api-invoice-list"),
    path("<slug:edition>/visa-letters/", visa_letters, name="api-visa-letter-list"),
]
