"""Stripe's webhook: one endpoint for every edition (events name their order), at /payments/stripe/."""

from django.urls import path

from . import stripe_views

urlpatterns = [
    path("webhook/", stripe_views.webhook, name="stripe_webhook"),
]
