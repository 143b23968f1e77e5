"""Bulk e-mail to a filtered set of attendees: composed, previewed, then queued through the outbox.

Guarantees:
- Queueing writes one outbox row per recipient (purpose "bulk", object "bulk:<pk>"); queueing the same
  mailing again finds the rows already written and adds none, so nobody gets it twice.
- Each row is in the recipient's language (User.language) where the mailing has that translation.
- Rows are spaced out at the mailing's `per_minute`: the n-th row is due n × 60/per_minute seconds
  after queueing. Only rows due at the commit (the first of a new mailing) go to a worker then; the
  outbox's periodic sweep (every 30 s) hands each later row to a worker once it is due, so a worker
  never receives a row early and the broker holds no countdowns. The sweep hands over, each run, the
  rows that fell due since the previous one: the rate holds per minute, in steps of the sweep's period.
- Non-essential mail carries List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058) and
  skips everyone whose "announcements" consent for the edition is withdrawn; essential mail (about a
  registration or safety) goes to everyone and has no unsubscribe link.
- The text is never given to the template engine: "{{ name }}" is replaced by plain string
  replacement, and any other template syntax is refused at compose time.

The core imports no app: the admin action reads `user_id` and `conference_id` from whatever
queryset it is given, and apps register where recipients' names come from (`register_name_source`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import consent, outbox
from .models import BulkMailing, Conference, ConsentRecord, OutboxEmail, User

logger = logging.getLogger(__name__)

PURPOSE = "bulk"
CONSENT_PURPOSE = "announcements"
PLACEHOLDER = "{{ name }}"
UNSUBSCRIBE_SALT = "confsite.bulk_mail.unsubscribe"
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)

NameSource = Callable[[Conference, list[int]], dict[int, str]]
_name_sources: list[NameSource] = []


def register_name_source(fn: NameSource) -> NameSource:
    """Register `fn(conference, user_ids) -> {user_id: name}`; the first source that names a person wins."""
    if fn not in _name_sources:
        _name_sources.append(fn)
    return fn


def object_key(mailing: BulkMailing) -> str:
    return f"bulk:{mailing.pk}"


# --- Composing ----------------------------------------------------------------------------------

def check_text(text: str) -> str | None:
    """A message if `text` holds template syntax other than {{ name }}; None if it is fine."""
    for match in TEMPLATE_SYNTAX.finditer(text):
        if re.fullmatch(r"\{\{\s*name\s*\}\}", match.group(0)) is None:
            return _("“%(found)s” is not a placeholder here: only {{ name }} is replaced. Remove it or write it "
                     "differently.") % {"found": match.group(0)[:60]}
    return None


class ComposeForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("subject"), max_length=200)
    body_text = forms.CharField(label=gettext_lazy("text"), widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
                                help_text=gettext_lazy("Plain text; {{ name }} becomes the recipient's name."))
    subject_ko = forms.CharField(label=gettext_lazy("subject in Korean"), max_length=200, required=False)
    body_text_ko = forms.CharField(label=gettext_lazy("text in Korean"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
                                   help_text=gettext_lazy("Optional: recipients whose language is Korean get this."))
    essential = forms.BooleanField(
        label=gettext_lazy("essential"), required=False,
        help_text=gettext_lazy("About the attendee's registration or safety: sent even to people who unsubscribed "
                               "from announcements, and without an unsubscribe link."),
    )
    # The outbox's sweep hands workers at most 2 × SWEEP_BATCH rows a minute for all mail together;
    # a mailing may take 900 of them, leaving room for receipts and sign-ups sent meanwhile.
    per_minute = forms.IntegerField(
        label=gettext_lazy("e-mails per minute"), min_value=1, max_value=900, initial=120,
        help_text=gettext_lazy("At most 900: the outbox sends about 1,000 e-mails a minute in all."))

    def clean(self):
        data = super().clean()
        for name in ("subject", "subject_ko"):
            if "\n" in data.get(name, "") or "\r" in data.get(name, ""):
                self.add_error(name, _("A subject is one line."))
        for name in ("subject", "body_text", "subject_ko", "body_text_ko"):
            problem = check_text(data.get(name) or "")
            if problem:
                self.add_error(name, problem)
        if bool(data.get("subject_ko", "").strip()) != bool(data.get("body_text_ko", "").strip()):
            self.add_error("body_text_ko", _("Give both the Korean subject and the Korean text, or neither."))
        return data

    @classmethod
    def initial_for(cls, mailing: BulkMailing) -> dict:
        ko = mailing.translations.get("ko", {})
        return {"subject": mailing.subject, "body_text": mailing.body_text, "subject_ko": ko.get("subject", ""),
                "body_text_ko": ko.get("body_text", ""), "essential": mailing.essential,
                "per_minute": mailing.per_minute}

    def apply(self, mailing: BulkMailing) -> None:
        data = self.cleaned_data
        mailing.subject, mailing.body_text = data["subject"].strip(), data["body_text"]
        mailing.translations = (
            {"ko": {"subject": data["subject_ko"].strip(), "body_text": data["body_text_ko"]}}
            if data["subject_ko"].strip() else {}
        )
        mailing.essential, mailing.per_minute = data["essential"], data["per_minute"]


def mailing_problem(mailing: BulkMailing) -> str | None:
    """Why this mailing cannot be queued as it stands, or None."""
    if not mailing.subject.strip() or not mailing.body_text.strip():
        return _("Write a subject and a text before queueing “%(mailing)s”.") % {"mailing": mailing.pk}
    if not mailing.recipient_ids:
        return _("Bulk e-mail %(pk)s has no recipients.") % {"pk": mailing.pk}
    for text in [mailing.subject, mailing.body_text, *(v for t in mailing.translations.values() for v in t.values())]:
        problem = check_text(text)
        if problem:
            return problem
    return None


@admin.action(description=gettext_lazy("Write an e-mail to these people"), permissions=["view"])
def compose_bulk_email_action(modeladmin, request, queryset):
    """Admin action for any changelist whose rows have `user_id` and `conference_id` (registrations):
    a draft mailing to the selected (or all filtered) rows' people, then the compose page."""
    if not request.user.has_perm("confsite.add_bulkmailing"):
        modeladmin.message_user(request, _("You may not send bulk e-mail."), messages.ERROR)
        return None
    conference_ids = set(queryset.values_list("conference_id", flat=True).distinct())
    if len(conference_ids) != 1:
        modeladmin.message_user(request, _("Select people of one edition only: filter the list by edition first."),
                                messages.ERROR)
        return None
    user_ids = sorted(set(queryset.values_list("user_id", flat=True)))
    filters = request.GET.urlencode()
    audience = _("%(count)d people from the %(list)s list") % {
        "count": len(user_ids), "list": queryset.model._meta.verbose_name_plural}
    if filters:
        audience += f" ({filters})"
    mailing = BulkMailing.objects.create(
        conference_id=conference_ids.pop(), audience=audience[:500], recipient_ids=user_ids, subject="", body_text="",
        created_by=request.user,
    )
    return HttpResponseRedirect(reverse("admin:confsite_bulkmailing_compose", args=[mailing.pk]))


# --- Rendering ----------------------------------------------------------------------------------

@dataclass
class Rendered:
    recipient: str
    language: str
    subject: str
    body_text: str
    headers: dict[str, str]


def unsubscribe_token(user_id: int, conference_id: int) -> str:
    # No timestamp: the same person's link is the same in the preview and in every e-mail, and never expires.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"u": user_id, "c": conference_id}, compress=True)


def unsubscribe_url(user_id: int, conference_id: int) -> str:
    return settings.SITE_URL + reverse("bulk_unsubscribe", args=[unsubscribe_token(user_id, conference_id)])


def names_for(conference: Conference, users: Iterable[User]) -> dict[int, str]:
    users = list(users)
    names: dict[int, str] = {}
    missing = [u.pk for u in users]
    for source in _name_sources:
        if not missing:
            break
        found = source(conference, missing)
        names.update({k: v for k, v in found.items() if v})
        missing = [pk for pk in missing if pk not in names]
    for user in users:
        names.setdefault(user.pk, user.get_full_name().strip() or user.email)
    return names


def render_for(mailing: BulkMailing, user: User, name: str) -> Rendered:
    """Exactly what `user` receives: their language where translated, {{ name }} replaced, the footer."""
    language = language_for(mailing, user)
    subject, body = mailing.subject, mailing.body_text
    if language != settings.LANGUAGE_CODE:
        subject, body = mailing.translations[language]["subject"], mailing.translations[language]["body_text"]
    body = body.replace("\r\n", "\n")
    body = re.sub(r"\{\{\s*name\s*\}\}", lambda _m: name, body)
    subject = re.sub(r"\{\{\s*name\s*\}\}", lambda _m: name, subject)
    headers: dict[str, str] = {}
    if not mailing.essential:
        url = unsubscribe_url(user.pk, mailing.conference_id)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        with translation.override(language):
            body = body.rstrip("\n") + "\n\n-- \n" + _(
                "You receive this as a registered attendee of %(edition)s. To stop receiving announcements: %(url)s"
            ) % {"edition": mailing.conference.short_name, "url": url} + "\n"
    return Rendered(user.email, language, settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, headers)


def withdrawn_user_ids(conference: Conference, user_ids: Iterable[int]) -> set[int]:
    """Of `user_ids`, those whose latest "announcements" record for `conference` is a withdrawal (one query)."""
    latest: dict[int, str] = {}
    rows = (ConsentRecord.objects.filter(conference=conference, purpose=CONSENT_PURPOSE, user_id__in=list(user_ids))
            .order_by("user_id", "-recorded_at", "-id").values_list("user_id", "action"))
    for user_id, action in rows:
        latest.setdefault(user_id, action)
    return {pk for pk, action in latest.items() if action == ConsentRecord.Action.WITHDRAWN}


@dataclass
class Plan:
    recipients: list[User]
    skipped: list[User]
    names: dict[int, str]


def plan(mailing: BulkMailing) -> Plan:
    """Who gets the mailing, in a stable order (by user id), and who is skipped as unsubscribed."""
    users = list(User.objects.filter(pk__in=mailing.recipient_ids, is_active=True).order_by("pk")
                 .only("pk", "email", "language", "first_name", "last_name"))
    skipped_ids = set() if mailing.essential else withdrawn_user_ids(mailing.conference, [u.pk for u in users])
    recipients = [u for u in users if u.pk not in skipped_ids]
    return Plan(recipients, [u for u in users if u.pk in skipped_ids], names_for(mailing.conference, recipients))


def language_for(mailing: BulkMailing, user: User) -> str:
    translated = mailing.translations.get(user.language or "")
    if translated and translated.get("subject") and translated.get("body_text"):
        return user.language
    return settings.LANGUAGE_CODE


def previews(mailing: BulkMailing, the_plan: Plan) -> list[Rendered]:
    """One rendered e-mail per language the recipients will get, each for a real recipient."""
    first: dict[str, User] = {}
    for user in the_plan.recipients:
        first.setdefault(language_for(mailing, user), user)
    return [render_for(mailing, user, the_plan.names[user.pk]) for user in first.values()]


# --- Queueing -----------------------------------------------------------------------------------

@dataclass
class QueueResult:
    queued: int
    already: int
    skipped: int


def queue(mailing: BulkMailing, now=None) -> QueueResult:
    """Write the outbox rows for `mailing` (see the module docstring for what is guaranteed).

    Raises ValueError with the organiser's message if the mailing cannot be queued; then nothing is written.
    """
    problem = mailing_problem(mailing)
    if problem:
        raise ValueError(problem)
    now = now or timezone.now()
    key = object_key(mailing)
    with transaction.atomic():
        mailing = BulkMailing.objects.select_for_update().select_related("conference").get(pk=mailing.pk)
        the_plan = plan(mailing)
        written = set(OutboxEmail.objects.filter(purpose=PURPOSE, object_key=key).values_list("recipient", flat=True))
        interval = timedelta(seconds=60 / mailing.per_minute)
        due: dict[int, object] = {}
        already = 0
        for user in the_plan.recipients:
            if user.email.strip().lower() in written:
                already += 1
                continue
            rendered = render_for(mailing, user, the_plan.names[user.pk])
            # Rows already written count in the spacing too, so a re-queue never bunches new rows up front.
            when = now + interval * (already + len(due))
            row = outbox.queue_email(
                purpose=PURPOSE, object_key=key, recipient=rendered.recipient, subject=rendered.subject,
                body_text=rendered.body_text, language=rendered.language, conference=mailing.conference,
                headers=rendered.headers, due_at=when,
            )
            written.add(row.recipient)
            due[row.pk] = when
        if mailing.status != BulkMailing.Status.QUEUED:
            mailing.status, mailing.queued_at = BulkMailing.Status.QUEUED, now
            mailing.save(update_fields=["status", "queued_at"])
    return QueueResult(queued=len(due), already=already, skipped=len(the_plan.skipped))


# Up to this many recipients the organiser's request writes the rows itself; a larger mailing is
# written by a worker (a 10,000-recipient mailing takes longer than a web request should).
INLINE_LIMIT = 300


@shared_task(name="confsite.bulk_mail.queue_mailing")
def queue_mailing(pk: int) -> None:
    """Worker side of `request_queue`: takes a primary key, re-fetches, queues (idempotent)."""
    mailing = BulkMailing.objects.filter(pk=pk).first()
    if mailing is not None:
        queue(mailing)


def request_queue(mailing: BulkMailing) -> QueueResult | None:
    """Queue now (small mailings: the result) or hand it to a worker after commit (large ones: None).

    Raises ValueError with the organiser's message if the mailing cannot be queued. If no worker takes
    the task, the mailing stays a draft with no rows and queueing it again is safe.
    """
    problem = mailing_problem(mailing)
    if problem:
        raise ValueError(problem)
    if len(mailing.recipient_ids) <= INLINE_LIMIT:
        return queue(mailing)

    def hand_over(pk=mailing.pk):
        try:
            queue_mailing.apply_async((pk,), retry=False)
        except Exception as exc:  # the broker is down: say so in the log; the organiser can queue again
            logger.warning("bulk mailing %s: could not reach the broker (%s)", pk, exc)

    transaction.on_commit(hand_over)
    return None


STATUS_COUNTS = {
    "queued": Count("pk"),
    "sent": Count("pk", filter=Q(status=OutboxEmail.Status.SENT)),
    "failed": Count("pk", filter=Q(status=OutboxEmail.Status.FAILED)),
    "pending": Count("pk", filter=Q(status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING])),
}


def progress(mailing: BulkMailing) -> dict[str, int]:
    """Queued/sent/failed/pending counts of one mailing's outbox rows, in one aggregated query."""
    return OutboxEmail.objects.filter(purpose=PURPOSE, object_key=object_key(mailing)).aggregate(**STATUS_COUNTS)


# --- Unsubscribing ------------------------------------------------------------------------------

def read_token(token: str) -> tuple[User, Conference] | None:
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        user = User.objects.get(pk=int(data["u"]))
        conference = Conference.objects.get(pk=int(data["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError,
            User.DoesNotExist, Conference.DoesNotExist):
        return None
    return user, conference


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session or a CSRF token; the
# signed token is what proves the request comes from the link we sent.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a confirm button. POST (the button, or a one-click client): withdraw."""
    found = read_token(token)
    if found is None:
        return render(request, "confsite/unsubscribe.html", {"invalid": True}, status=400)
    user, conference = found
    context = {"conference": conference, "email": user.email, "token": token}
    if request.method == "POST":
        if user.pk not in withdrawn_user_ids(conference, [user.pk]):
            consent.withdraw(user, conference, CONSENT_PURPOSE)
        context["done"] = True
    return render(request, "confsite/unsubscribe.html", context)
