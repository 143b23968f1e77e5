"""Root URLs. Public pages are scoped by edition slug: /icml2026/..."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import api, views, views_privacy
from .bulk_mail import unsubscribe as bulk_unsubscribe

# The admin's own login form would bypass allauth (rate limits, two-factor): send it through allauth.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Confsite"
admin.site.site_title = "Confsite admin"

router = DefaultRouter()
router.register("editions", api.ConferenceViewSet, basename="edition")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/my-data/", views_privacy.my_data, name="privacy"),
    path("accounts/my-data/export.json", views_privacy.export, name="privacy_export"),
    path("accounts/my-data/erase/", views_privacy.erase, name="privacy_erase"),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"), name="api-docs"),
    path("api/", include("registration.api_urls")),
    path("api/", include("sponsors.api_urls")),
    path("api/", include(router.urls)),
    path("payments/stripe/", include("registration.stripe_webhook_urls")),
    path("dev/mailbox/", views.dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:pk>/", views.dev_mailbox_message, name="dev_mailbox_message"),
    path("mail/unsubscribe/<str:token>/", bulk_unsubscribe, name="bulk_unsubscribe"),
    path("<slug:edition>/", views.edition_home, name="edition_home"),
    path("<slug:edition>/code-of-conduct/", views.code_of_conduct, name="code_of_conduct"),
    path("<slug:edition>/", include("registration.urls")),
    path("<slug:edition>/", include("schedule.urls")),
    path("<slug:edition>/", include("sponsors.urls")),
]
