"""Schedule: rooms, sessions, papers, poster boards, releases, personal schedules and exports."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "schedule"
    verbose_name = _("Schedule")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect()

        # Its part of the data export and the account erasure (confsite.privacy).
        from . import privacy

        privacy.connect()
        from . import cloning  # noqa: F401  (registers its part of cloning an edition)
