from django.conf import settings

from .editions import current_edition


def site(request):
    """The edition the page belongs to (or the current one), for navigation and footer."""
    return {
        "edition": current_edition(request),
        "dev_mailbox": settings.DEV_MAILBOX,
    }
