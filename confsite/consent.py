"""The consent ledger: who agreed to what, in which version of the text, and when.

Records are only ever added; withdrawing adds a "withdrawn" row. What is in force is the latest
row for (user, conference, purpose).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .models import Conference, ConsentRecord, ConsentText, User


def latest_text(conference: Conference | None, purpose: str) -> ConsentText | None:
    return ConsentText.objects.filter(conference=conference, purpose=purpose).order_by("-published_at", "-id").first()


@transaction.atomic
def grant(user: User, text: ConsentText, scope: Mapping[str, Any] | None = None) -> ConsentRecord:
    """Record that `user` agreed to `text` with this scope (e.g. the recipients they accept)."""
    return ConsentRecord.objects.create(
        user=user,
        conference=text.conference,
        purpose=text.purpose,
        action=ConsentRecord.Action.GRANTED,
        text=text,
        scope=dict(scope or {}),
    )


@transaction.atomic
def withdraw(user: User, conference: Conference | None, purpose: str) -> ConsentRecord:
    """Record a withdrawal; it is in force from the moment the transaction commits."""
    return ConsentRecord.objects.create(
        user=user, conference=conference, purpose=purpose, action=ConsentRecord.Action.WITHDRAWN
    )


def in_force(user: User, conference: Conference | None, purpose: str) -> ConsentRecord | None:
    """The granted record in force, or None if the person never agreed or has withdrawn."""
    record = (
        ConsentRecord.objects.filter(user=user, conference=conference, purpose=purpose)
        .select_related("text")
        .order_by("-recorded_at", "-id")
        .first()
    )
    if record is None or record.action != ConsentRecord.Action.GRANTED:
        return None
    return record
