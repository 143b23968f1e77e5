"""URLs for Stripe Checkout under the edition prefix; the webhook is in stripe_webhook_urls."""

from django.urls import path

from . import stripe_views

urlpatterns = [
    path("pay/stripe/<str:reference>/", stripe_views.start, name="stripe_start"),
    path("pay/stripe/<str:reference>/return/", stripe_views.returned, name="stripe_return"),
    path("pay/stripe/<str:reference>/cancelled/", stripe_views.cancelled, name="stripe_cancelled"),
]
