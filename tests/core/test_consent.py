"""The consent ledger records grants and withdrawals with the exact text version."""

import pytest

from confsite import consent
from confsite.models import ConsentRecord, ConsentText


@pytest.mark.django_db
def test_a_grant_is_in_force_until_withdrawn(user, conference):
    text = ConsentText.objects.create(conference=conference, purpose="recruitment", version="1", text="Share with …")
    assert consent.in_force(user, conference, "recruitment") is None
    granted = consent.grant(user, text, scope={"recipients": ["Acme AI"]})
    assert consent.in_force(user, conference, "recruitment") == granted
    assert granted.text.version == "1"
    consent.withdraw(user, conference, "recruitment")
    assert consent.in_force(user, conference, "recruitment") is None
    assert list(ConsentRecord.objects.order_by("id").values_list("action", flat=True)) == ["granted", "withdrawn"]


@pytest.mark.django_db
def test_the_latest_text_version_is_offered(conference):
    ConsentText.objects.create(conference=conference, purpose="recruitment", version="1", text="old")
    newer = ConsentText.objects.create(conference=conference, purpose="recruitment", version="2", text="new")
    assert consent.latest_text(conference, "recruitment") == newer


@pytest.mark.django_db
def test_consent_is_per_edition(user, conference):
    from tests.factories import ConferenceFactory

    other = ConferenceFactory(slug="icml2027")
    text = ConsentText.objects.create(conference=conference, purpose="recruitment", version="1", text="…")
    consent.grant(user, text)
    assert consent.in_force(user, other, "recruitment") is None
