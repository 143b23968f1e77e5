"""Operations on the programme. Each is one transaction with explicit arguments.

Other apps call these (and `queries`); views and admin actions are thin wrappers around them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from confsite.models import Conference

from . import caching
from .models import Authorship, Paper, Release, Session, Slot, normalize


class ScheduleError(Exception):
    """An operation that cannot be done; the message is a sentence for the person who asked."""


def refresh_search_text(papers: Iterable[Paper]) -> int:
    """Rebuild the folded search text (title, authors, keywords, topics) of `papers`; returns how many.

    Call after changing a paper's title, authors, keywords or topics in bulk (imports do).
    """
    ids = [p.pk for p in papers]
    rows = (Paper.objects.filter(pk__in=ids)
            .prefetch_related(Prefetch("authorships", queryset=Authorship.objects.select_related("author")), "topics"))
    changed = []
    for paper in rows:
        parts = [paper.title, paper.keywords]
        parts += [a.author.name for a in paper.authorships.all()]
        parts += [t.name for t in paper.topics.all()]
        text = normalize(" ".join(parts))
        if text != paper.search_text:
            paper.search_text = text
            changed.append(paper)
    Paper.objects.bulk_update(changed, ["search_text"], batch_size=500)
    return len(changed)


@transaction.atomic
def publish_release(conference: Conference, *, user=None, comment: str = "") -> Release:
    """Freeze every placed session's time and room into a new, numbered release of `conference`.

    Sessions without a start and end are not part of the release (they are drafts). Numbers are
    1, 2, 3 … per edition; two organisers publishing at once get consecutive numbers (the edition's
    row is locked for the numbering).
    """
    Conference.objects.select_for_update().filter(pk=conference.pk).first()
    sessions = list(Session.objects.filter(conference=conference, start__isnull=False, end__isnull=False))
    if not sessions:
        raise ScheduleError("There is nothing to publish: give at least one session a start and an end first.")
    number = (Release.objects.filter(conference=conference).aggregate(n=Max("number"))["n"] or 0) + 1
    release = Release.objects.create(conference=conference, number=number, published_at=timezone.now(),
                                     published_by=user, comment=comment)
    Slot.objects.bulk_create([Slot(release=release, session=s, room_id=s.room_id, start=s.start, end=s.end)
                              for s in sessions], batch_size=1000)
    transaction.on_commit(lambda: caching.bump(conference.pk))
    return release
