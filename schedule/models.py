"""The programme of one edition: rooms, topics, sessions, papers and their authors, releases, stars.

How versions work (the pretalx model, trimmed): a `Session`'s `start`, `end` and `room` are the
organisers' working copy. Publishing a `Release` freezes every placed session's time and room into
`Slot` rows of that release; the public pages and exports read the latest release's slots, so
edits stay private until the next release. The content of a session or paper (titles, abstracts,
authors, posters and their boards) is not versioned: a typo fixed in the admin shows at once.

Stars point at sessions and papers (stable primary keys), never at a release's slots, so a star
survives every later release.
"""

from __future__ import annotations

import secrets
import unicodedata

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from confsite.models import Conference


def normalize(text: str) -> str:
    """Fold `text` for accent- and case-insensitive matching: "Müller Étienne" → "muller etienne".

    Combining marks are stripped after a canonical decomposition and the rest recomposed, so
    Hangul syllables survive intact ("서울" stays "서울") while Latin accents go.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", stripped).casefold().split())


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    """A public code like "7KQ3FX2M9A": 50 random bits, so 10,000 authors collide with odds of about 1 in 10^7."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class Room(models.Model):
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. Hall E, Room 301"))
    hall = models.CharField(_("hall or building"), max_length=100, blank=True,
                            help_text=_("Groups rooms in the grid, e.g. “COEX Hall E”."))
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Column order in the day grid."))
    board_prefix = models.CharField(
        _("poster board prefix"), max_length=10, blank=True,
        help_text=_("For poster halls: boards here are numbered PREFIX-NUMBER, e.g. “E” gives E-1001."))
    board_start = models.PositiveIntegerField(_("first board number"), default=1)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["conference", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["conference", "name"], name="room_unique_name")]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, allow_unicode=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["conference", "name"]
        constraints = [models.UniqueConstraint(fields=["conference", "slug"], name="topic_unique_slug")]

    def __str__(self) -> str:
        return self.name


class Speaker(models.Model):
    """A keynote, invited, tutorial or workshop speaker (paper authors are `Author`s)."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="speakers")
    code = models.CharField(_("public code"), max_length=12, default=new_code, editable=False)
    name = models.CharField(_("name"), max_length=200)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    biography = models.TextField(_("biography"), blank=True)
    homepage = models.URLField(_("homepage"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Private: never shown on public pages."))

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["conference", "name"]
        constraints = [models.UniqueConstraint(fields=["conference", "code"], name="speaker_unique_code")]

    def __str__(self) -> str:
        return self.name


class Author(models.Model):
    """A paper author at one edition, identified by OpenReview profile id (or, failing that, e-mail).

    Two authors are the same person only when their OpenReview ids (or, for authors without one,
    their e-mail addresses) are equal: never by name. Both identifiers are private; public pages
    use `code`. When the person erases their account, both identifiers are blanked and `erased_at`
    set: the name stays on the papers as published (schedule/privacy.py).
    """

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="authors")
    code = models.CharField(_("public code"), max_length=12, default=new_code, editable=False)
    name = models.CharField(_("name"), max_length=200)
    openreview_id = models.CharField(_("OpenReview profile id"), max_length=100, blank=True,
                                     help_text=_("e.g. ~Wei_Zhang3. Private."))
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Private."))
    search_name = models.CharField(max_length=200, editable=False, default="")
    erased_at = models.DateTimeField(_("identifiers erased"), null=True, blank=True, editable=False,
                                     help_text=_("The person erased their account: no e-mail, no OpenReview id."))

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        ordering = ["conference", "name"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "code"], name="author_unique_code"),
            models.UniqueConstraint(fields=["conference", "openreview_id"], condition=~Q(openreview_id=""),
                                    name="author_unique_openreview_id"),
            models.UniqueConstraint(fields=["conference", "email"], condition=Q(openreview_id="") & ~Q(email=""),
                                    name="author_unique_email_without_openreview_id"),
            models.CheckConstraint(condition=~Q(openreview_id="") | ~Q(email="") | Q(erased_at__isnull=False),
                                   name="author_has_identity"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = normalize(self.name)
        super().save(*args, **kwargs)


class Paper(models.Model):
    class Decision(models.TextChoices):
        ORAL = "oral", _("oral")
        SPOTLIGHT = "spotlight", _("spotlight")
        POSTER = "poster", _("poster")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="papers")
    external_id = models.CharField(_("external id"), max_length=100,
                                   help_text=_("The id in the submission system (e.g. the OpenReview forum id); imports match on it."))
    title = models.CharField(_("title"), max_length=500)
    abstract = models.TextField(_("abstract"), blank=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, default=Decision.POSTER)
    keywords = models.CharField(_("keywords"), max_length=1000, blank=True)
    openreview_url = models.URLField(_("OpenReview"), blank=True)
    arxiv_url = models.URLField(_("arXiv"), blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="papers", verbose_name=_("topics"))
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers", verbose_name=_("authors"))
    # Folded title, author names, keywords and topics (see `normalize`); rebuilt by `refresh_search_text`.
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = ["conference", "title"]
        constraints = [models.UniqueConstraint(fields=["conference", "external_id"], name="paper_unique_external_id")]

    def __str__(self) -> str:
        return self.title


class Authorship(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveIntegerField(_("position"))
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("authorship")
        verbose_name_plural = _("authorships")
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="authorship_unique_position"),
            models.UniqueConstraint(fields=["paper", "author"], name="authorship_unique_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position})"


class Session(models.Model):
    class Kind(models.TextChoices):
        KEYNOTE = "keynote", _("keynote")
        INVITED = "invited", _("invited talk")
        ORAL = "oral", _("oral session")
        SPOTLIGHT = "spotlight", _("spotlight session")
        POSTER = "poster", _("poster session")
        TUTORIAL = "tutorial", _("tutorial")
        WORKSHOP = "workshop", _("workshop")
        EXPO = "expo", _("expo talk")
        SOCIAL = "social", _("social event")
        BREAK = "break", _("break")

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="sessions")
    code = models.CharField(_("public code"), max_length=12, default=new_code, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="sessions", verbose_name=_("topics"))
    speakers = models.ManyToManyField(Speaker, blank=True, related_name="sessions", verbose_name=_("speakers"))
    # The working copy; the public sees these only once a release has frozen them into a Slot.
    room = models.ForeignKey(Room, on_delete=models.RESTRICT, null=True, blank=True, related_name="sessions",
                             verbose_name=_("room"))
    start = models.DateTimeField(_("start"), null=True, blank=True)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["conference", "start", "title"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "code"], name="session_unique_code"),
            models.CheckConstraint(condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gt=models.F("start")),
                                   name="session_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.search_text = normalize(f"{self.title} {self.description}")
        super().save(*args, **kwargs)


class Presentation(models.Model):
    """A paper in a session: a poster on a board in a poster session, or a timed talk in an oral session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="presentations")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="presentations")
    position = models.PositiveIntegerField(_("position"), default=0)
    board = models.CharField(_("poster board"), max_length=20, blank=True, help_text=_("e.g. E-1042"))
    start = models.DateTimeField(_("talk start"), null=True, blank=True, help_text=_("Timed talks only."))
    end = models.DateTimeField(_("talk end"), null=True, blank=True)

    class Meta:
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
        ordering = ["session", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "paper"], name="presentation_unique_paper"),
            models.UniqueConstraint(fields=["session", "board"], condition=~Q(board=""), name="presentation_unique_board"),
        ]
        indexes = [models.Index(fields=["board"], name="presentation_board")]

    def __str__(self) -> str:
        return f"{self.paper} @ {self.session}"


class Release(models.Model):
    """A numbered, published version of the programme's times and rooms."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="releases")
    number = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))
    comment = models.CharField(_("comment"), max_length=500, blank=True,
                               help_text=_("Shown on the changelog, e.g. “Poster session 3 moved to Hall C”."))

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["conference", "-number"]
        get_latest_by = "number"
        constraints = [models.UniqueConstraint(fields=["conference", "number"], name="release_unique_number")]

    def __str__(self) -> str:
        return f"{self.conference.short_name} v{self.number}"

    @property
    def version(self) -> str:
        return str(self.number)


class Slot(models.Model):
    """A session's time and room as frozen by one release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="slots")
    session = models.ForeignKey(Session, on_delete=models.RESTRICT, related_name="slots")
    room = models.ForeignKey(Room, on_delete=models.RESTRICT, null=True, blank=True, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["release", "start", "room__position"]
        constraints = [models.UniqueConstraint(fields=["release", "session"], name="slot_unique_session")]
        indexes = [models.Index(fields=["release", "start"], name="slot_release_start")]

    def __str__(self) -> str:
        return f"{self.session} {self.start:%Y-%m-%d %H:%M}"


class Star(models.Model):
    """An attendee's star on a session or a paper."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule_stars")
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, null=True, blank=True, related_name="stars")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, null=True, blank=True, related_name="stars")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("star")
        verbose_name_plural = _("stars")
        constraints = [
            models.CheckConstraint(condition=Q(session__isnull=True) ^ Q(paper__isnull=True), name="star_one_target"),
            models.UniqueConstraint(fields=["user", "session"], condition=Q(session__isnull=False), name="star_unique_session"),
            models.UniqueConstraint(fields=["user", "paper"], condition=Q(paper__isnull=False), name="star_unique_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.session or self.paper}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A private iCal subscription URL for one attendee's starred programme; revoked, it answers 404."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["user", "conference"], condition=Q(revoked_at__isnull=True),
                                    name="calendar_feed_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.conference}"
