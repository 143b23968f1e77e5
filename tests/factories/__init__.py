"""factory_boy factories, one module per app."""

from .core import ConferenceFactory, UserFactory, VerifiedUserFactory

__all__ = ["ConferenceFactory", "UserFactory", "VerifiedUserFactory"]
