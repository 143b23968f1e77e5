from datetime import timedelta

import pytest
from django.utils import timezone

from registration.catalogue import build_standard_catalogue
from registration.models import Category, Product
from registration.services import AttendeeRequest

PROFILE = {"badge_name": "김민지", "legal_name": "Kim Minji", "affiliation": "KAIST", "position": "phd", "country": "KR"}


@pytest.fixture
def catalogue(conference):
    today = timezone.now().date()
    return build_standard_catalogue(
        conference, early_until=today + timedelta(days=30), regular_until=today + timedelta(days=60),
        venue_seats=100, social_seats=2, order_prefix="ICML26",
    )


@pytest.fixture
def full_pass(catalogue):
    return catalogue.products[Product.Kind.FULL]


@pytest.fixture
def social(catalogue):
    return catalogue.products["social"]


@pytest.fixture
def academic(catalogue):
    return catalogue.categories[Category.Kind.ACADEMIC]


@pytest.fixture
def student(catalogue):
    return catalogue.categories[Category.Kind.STUDENT]


@pytest.fixture
def industry(catalogue):
    return catalogue.categories[Category.Kind.NON_ACADEMIC]


def attendee(email, category, pass_product=None, addons=(), **profile):
    return AttendeeRequest(email=email, category=category, pass_product=pass_product, addons=list(addons),
                           profile={**PROFILE, **profile})
