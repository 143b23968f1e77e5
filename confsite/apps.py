from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfsiteConfig(AppConfig):
    name = "confsite"
    verbose_name = _("Confsite core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the outbox sweeper with the periodic runner.
        from . import audit, outbox, privacy  # noqa: F401

        # The audit trail of the apps' models (named by label: the core imports no app).
        audit.register_models()
