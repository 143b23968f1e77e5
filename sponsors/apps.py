from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = _("Sponsors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the recruitment-retention sweeper with the periodic runner.
        from . import privacy, retention  # noqa: F401

        # Its part of the data export, the account erasure and the retention purges (confsite.privacy).
        privacy.connect()
        from . import cloning  # noqa: F401  (registers its part of cloning an edition)
