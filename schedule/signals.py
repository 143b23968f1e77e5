"""Any edit to the programme invalidates the edition's cached public pages (see `caching`)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import caching
from .models import Author, Authorship, Paper, Presentation, Release, Room, Session, Slot, Speaker, Topic


def _conference_id(instance) -> int | None:
    if isinstance(instance, (Authorship,)):
        return instance.paper.conference_id
    if isinstance(instance, Presentation):
        return instance.session.conference_id
    if isinstance(instance, Slot):
        return instance.release.conference_id
    return getattr(instance, "conference_id", None)


def _edited(sender, instance, **kwargs) -> None:
    conference_id = _conference_id(instance)
    if conference_id is not None:
        caching.bump(conference_id)


def connect() -> None:
    for model in (Room, Topic, Speaker, Author, Paper, Authorship, Session, Presentation, Release, Slot):
        post_save.connect(_edited, sender=model, dispatch_uid=f"schedule-save-{model.__name__}")
        post_delete.connect(_edited, sender=model, dispatch_uid=f"schedule-delete-{model.__name__}")
    for through in (Paper.topics.through, Session.topics.through, Session.speakers.through):
        m2m_changed.connect(_m2m_edited, sender=through, dispatch_uid=f"schedule-m2m-{through.__name__}")


def _m2m_edited(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        _edited(sender, instance)
