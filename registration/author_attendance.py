"""Author attendance: accepted papers none of whose authors is registered, and reminders to their authors.

An author counts as registered when an ACTIVE registration of the same edition has the author's
OpenReview id, or belongs to a user whose e-mail equals the author's (case-insensitive). Names never
match. The lists are built from three queries whatever the number of papers (registrations' identities,
papers, authorships with their authors).

Also here: the badge names that the core's bulk e-mail puts in place of {{ name }}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from confsite import bulk_mail, outbox
from confsite.models import Conference, OutboxEmail
from schedule.models import Author, Authorship, Paper, Session, Topic

from .models import Registration

REMINDER_PURPOSE = "author_attendance.reminder"


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


def registered_identities(conference: Conference) -> tuple[set[str], set[str]]:
    """(OpenReview ids, lower-cased e-mails) of the people with an active registration at `conference`."""
    ids: set[str] = set()
    emails: set[str] = set()
    rows = Registration.objects.filter(conference=conference, status=Registration.Status.ACTIVE).values_list(
        "openreview_id", "user__email")
    for openreview_id, email in rows:
        if openreview_id:
            ids.add(openreview_id.strip())
        if email:
            emails.add(email.strip().lower())
    return ids, emails


def papers_without_registered_author(
    conference: Conference, *, decision: str = "", topic: Topic | None = None, session: Session | None = None
) -> list[PaperRow]:
    """The edition's accepted papers (optionally of one decision, topic or session) with no registered
    author, ordered by title, each with its authors in author order."""
    ids, emails = registered_identities(conference)
    papers = Paper.objects.filter(conference=conference)
    if decision:
        papers = papers.filter(decision=decision)
    if topic is not None:
        papers = papers.filter(topics=topic)
    if session is not None:
        papers = papers.filter(presentations__session=session)
    papers = papers.distinct().order_by("title", "pk").prefetch_related(
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")))
    rows = []
    for paper in papers:
        authors = [a.author for a in paper.authorships.all()]
        if any((a.openreview_id and a.openreview_id in ids) or (a.email and a.email.lower() in emails)
               for a in authors):
            continue
        rows.append(PaperRow(paper, authors))
    return rows


@dataclass
class ReminderResult:
    queued: int
    already: int
    unreachable: int


def send_reminders(conference: Conference, rows: list[PaperRow], *, day: date) -> ReminderResult:
    """Queue one reminder per (paper, author e-mail): at most one per paper and author per `day`.

    Each names the paper and links to registration. Authors without an e-mail are counted as unreachable.
    """
    keys = {row.paper.pk: f"paper:{row.paper.pk}:{day.isoformat()}" for row in rows}
    written = set(
        OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE, object_key__in=list(keys.values()))
        .values_list("object_key", "recipient"))
    register_url = settings.SITE_URL + reverse("register", args=[conference.slug])
    queued = already = unreachable = 0
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
                context={"conference": conference, "paper": row.paper, "author": author, "register_url": register_url},
                conference=conference,
            )
            written.add((keys[row.paper.pk], recipient))
            queued += 1
    return ReminderResult(queued, already, unreachable)


@bulk_mail.register_name_source
def badge_names(conference: Conference, user_ids: list[int]) -> dict[int, str]:
    """Badge names of these users' active registrations at `conference`, for the core's bulk e-mail."""
    return dict(Registration.objects.filter(conference=conference, status=Registration.Status.ACTIVE,
                                            user_id__in=user_ids).values_list("user_id", "badge_name"))
