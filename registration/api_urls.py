"""API URLs of registration, included under /api/: edition-scoped resources and the token exchange."""

from django.urls import path

from . import api

registrations = api.RegistrationViewSet.as_view({"get": "list"})
registration = api.RegistrationViewSet.as_view({"get": "retrieve"})
orders = api.OrderViewSet.as_view({"get": "list", "post": "create"})
order = api.OrderViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="api-token"),
    path("<slug:edition>/registrations/", registrations, name="api-registration-list"),
    path("<slug:edition>/registrations/<int:pk>/", registration, name="api-registration-detail"),
    path("<slug:edition>/orders/", orders, name="api-order-list"),
    path("<slug:edition>/orders/<str:reference>/", order, name="api-order-detail"),
]
