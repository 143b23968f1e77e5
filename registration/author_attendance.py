"""Author attendance: accepted papers none of whose authors is registered, and reminders to their authors.

An author counts as registered when an ACTIVE registration of the same edition has the author's
OpenReview id, or belongs to a user whose e-mail equals the author's (trimmed, in any case). Names
never match. The matching is one SQL condition (`has_registered_author`), so the list is a queryset
that the page counts and slices in the database; only the papers shown have their authors loaded.

Also here: the badge names that the core's bulk e-mail puts in place of {{ name }}.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower, Trim
from django.urls import reverse

from confsite import bulk_mail, outbox
from confsite.models import Conference, OutboxEmail
from schedule.models import Author, Authorship, Paper, Presentation, Session, Topic

from .models import Registration

REMINDER_PURPOSE = "author_attendance.reminder"
# Papers per reminder batch: a batch costs three queries plus one insert per e-mail queued.
REMINDER_CHUNK = 500


@dataclass
class PaperRow:
    paper: Paper
    authors: list[Author] = field(default_factory=list)

    @property
    def reachable(self) -> list[Author]:
        return [a for a in self.authors if a.email]

    @property
    def unreachable(self) -> list[Author]:
        return [a for a in self.authors if not a.email]


@dataclass
class Totals:
    papers: int
    reachable: int
    unreachable: int


def has_registered_author(conference: Conference) -> Exists:
    """True for a paper (the outer query's row) that has an author registered at `conference`.

    One correlated EXISTS over the paper's authorships: an author matches an ACTIVE registration of
    `conference` by OpenReview id (trimmed, non-empty) or by e-mail against the registered user's
    (trimmed and lower-cased on both sides, non-empty). Names never match.

    The two identity lists are uncorrelated `IN (SELECT …)` subqueries rather than correlated EXISTS:
    under an OR, PostgreSQL cannot turn a correlated EXISTS into a join and would scan the registrations
    once per authorship (over a minute at 3,300 papers), while an uncorrelated list is hashed once per
    query (SQLite likewise builds it once).
    """
    active = Registration.objects.filter(conference=conference, status=Registration.Status.ACTIVE)
    registered_ids = active.annotate(key=Trim("openreview_id")).exclude(key="").values("key")
    registered_emails = active.annotate(key=Lower(Trim("user__email"))).exclude(key="").values("key")
    return Exists(
        Authorship.objects.filter(paper=OuterRef("pk"))
        .annotate(author_openreview_id=Trim("author__openreview_id"), author_email=Lower(Trim("author__email")))
        .filter(Q(author_openreview_id__in=registered_ids) | Q(author_email__in=registered_emails)))


def papers_without_registered_author(
    conference: Conference, *, decision: str = "", topic: Topic | None = None, session: Session | None = None
) -> QuerySet[Paper]:
    """The edition's accepted papers (optionally of one decision, topic or session) with no registered
    author, ordered by title: an unevaluated queryset, each paper once (no joins that repeat it)."""
    papers = Paper.objects.filter(conference=conference)
    if decision:
        papers = papers.filter(decision=decision)
    if topic is not None:
        papers = papers.filter(Exists(Paper.topics.through.objects.filter(paper=OuterRef("pk"), topic=topic)))
    if session is not None:
        papers = papers.filter(Exists(Presentation.objects.filter(paper=OuterRef("pk"), session=session)))
    return papers.filter(~has_registered_author(conference)).order_by("title", "pk")


def with_authors(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    """`papers` with what the page and the reminders show: title and track, and the authors in author
    order (prefetched: one more query). Other paper fields are deferred, the abstract above all."""
    return papers.only("pk", "title", "decision").prefetch_related(
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")
                 .only("paper", "position", "author__name", "author__email", "author__openreview_id")))


def paper_rows(papers: Iterable[Paper]) -> list[PaperRow]:
    """Rows for papers fetched through `with_authors`, in their order."""
    return [PaperRow(paper, [a.author for a in paper.authorships.all()]) for paper in papers]


def totals(papers: QuerySet[Paper]) -> Totals:
    """How many papers `papers` holds and how many authorships of them have an e-mail address or none,
    in one aggregate query (an author of two papers is counted twice, as the reminders are)."""
    # The LEFT JOIN keeps papers without authors in the paper count; their NULL authorship is not counted.
    row = papers.order_by().aggregate(
        papers=Count("pk", distinct=True),
        reachable=Count("authorships", filter=Q(authorships__author__email__gt="")),
        unreachable=Count("authorships", filter=Q(authorships__author__email="")),
    )
    return Totals(row["papers"], row["reachable"], row["unreachable"])


@dataclass
class ReminderResult:
    queued: int
    already: int
    unreachable: int


def send_reminders(conference: Conference, papers: QuerySet[Paper], *, day: date,
                   chunk_size: int | None = None) -> ReminderResult:
    """Queue one reminder per paper of `papers` and author e-mail: at most one per paper and author per `day`.

    Each names the paper and links to registration. Authors without an e-mail are counted as unreachable.
    Papers are taken `chunk_size` (default REMINDER_CHUNK) at a time in primary-key order, each batch in
    its own transaction (its e-mails are handed to the workers when it commits): three queries a batch
    plus one insert per e-mail, whatever the number of papers. If it stops half-way, sending again the
    same day queues only what is missing.
    """
    chunk_size = chunk_size or REMINDER_CHUNK
    register_url = settings.SITE_URL + reverse("register", args=[conference.slug])
    queued = already = unreachable = 0
    after, more = 0, True
    while more:
        with transaction.atomic():
            rows = paper_rows(with_authors(papers.filter(pk__gt=after).order_by("pk")[:chunk_size]))
            if not rows:
                break
            after, more = rows[-1].paper.pk, len(rows) == chunk_size
            keys = {row.paper.pk: f"paper:{row.paper.pk}:{day.isoformat()}" for row in rows}
            written = set(
                OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE, object_key__in=list(keys.values()))
                .values_list("object_key", "recipient"))
            for row in rows:
                unreachable += len(row.unreachable)
                for author in row.reachable:
                    recipient = author.email.strip().lower()
                    if (keys[row.paper.pk], recipient) in written:
                        already += 1
                        continue
                    outbox.queue_templated_email(
                        purpose=REMINDER_PURPOSE, object_key=keys[row.paper.pk], recipient=recipient,
                        template_prefix="registration/staff/author_reminder",
                        context={"conference": conference, "paper": row.paper, "author": author,
                                 "register_url": register_url},
                        conference=conference,
                    )
                    written.add((keys[row.paper.pk], recipient))
                    queued += 1
    return ReminderResult(queued, already, unreachable)


class ReminderFilterGone(LookupError):
    """The filter a reminder run was asked for no longer names a record of the edition."""


def send_reminders_for(conference_pk: int, *, decision: str = "", topic_pk: int | None = None,
                       session_pk: int | None = None, day: date) -> ReminderResult:
    """`send_reminders` over the papers of the edition `conference_pk` with no registered author, filtered
    as the programme chairs' page was: for a task, which is given primary keys and plain values.

    The same guarantees: at most one reminder per paper, author and `day`, however often it runs. Raises
    ReminderFilterGone, queueing nothing, if the decision is unknown or the topic or session is not (or no
    longer) the edition's: a narrower list must never turn into every paper of the edition.
    """
    conference = Conference.objects.get(pk=conference_pk)
    if decision and decision not in Paper.Decision.values:
        raise ReminderFilterGone(f"decision {decision!r} of {conference.slug}")
    topic = session = None
    if topic_pk is not None:
        topic = Topic.objects.filter(conference=conference, pk=topic_pk).first()
        if topic is None:
            raise ReminderFilterGone(f"topic {topic_pk} of {conference.slug}")
    if session_pk is not None:
        session = Session.objects.filter(conference=conference, pk=session_pk).first()
        if session is None:
            raise ReminderFilterGone(f"session {session_pk} of {conference.slug}")
    papers = papers_without_registered_author(conference, decision=decision, topic=topic, session=session)
    return send_reminders(conference, papers, day=day)


def reminders_queued_on(conference: Conference, day: date) -> int:
    """How many reminders of `conference` carry `day` in their key (whoever queued them): one COUNT."""
    return OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE, conference=conference,
                                      object_key__endswith=f":{day.isoformat()}").count()


@bulk_mail.register_name_source
def badge_names(conference: Conference, user_ids: list[int]) -> dict[int, str]:
    """Badge names of these users' active registrations at `conference`, for the core's bulk e-mail."""
    return dict(Registration.objects.filter(conference=conference, status=Registration.Status.ACTIVE,
                                            user_id__in=user_ids).values_list("user_id", "badge_name"))
