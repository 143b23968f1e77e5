"""Domain errors of registration. Each carries a sentence that tells the person what to do next."""

from django.utils.translation import gettext_lazy as _


class RegistrationError(Exception):
    """Base class: `message` is shown to the person; `field` names the form field it belongs to."""

    default_message = _("The registration could not be completed.")

    def __init__(self, message=None, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class RegistrationClosed(RegistrationError):
    default_message = _("Registration for this edition is closed.")


class SoldOut(RegistrationError):
    default_message = _("Sold out. You can join the waiting list and we will e-mail you if a seat frees up.")


class TryAgain(RegistrationError):
    default_message = _("Many people are registering right now. Please try again in a moment.")


class PriceUnavailable(RegistrationError):
    pass


class VoucherInvalid(RegistrationError):
    default_message = _("This code is not valid.")


class AlreadyRegistered(RegistrationError):
    pass


class NotAllowed(RegistrationError):
    default_message = _("You cannot do that.")
