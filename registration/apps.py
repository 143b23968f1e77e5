from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the order-expiry and waiting-list sweepers with the periodic runner, the Stripe
        # Checkout payment provider, and the signals that renew the catalogue snapshots.
        from . import privacy, services, snapshot, stripe_provider  # noqa: F401

        # Its part of the data export, the account erasure and the retention purges (confsite.privacy).
        privacy.connect()
        from . import author_attendance, cloning  # noqa: F401  (cloning an edition; badge names for bulk e-mail)
