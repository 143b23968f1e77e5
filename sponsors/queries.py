"""Reads of the recruitment database for sponsors: search, what a listed row may show, paper counts,
and the references that stand for profiles in sponsor-facing URLs.

Everything here starts from `sponsors.access.visible_profiles(sponsor, at)` — never from
`RecruitmentProfile.objects` — so a profile an attendee stopped sharing, or a sponsor outside its
window, yields nothing, whatever the filters.

Keyword search runs over `RecruitmentProfile.search_text` (headline, position, areas, locations
and the attendee's paper titles, folded by `schedule.models.normalize`); the query is folded the same
way, so "muller" finds "Müller" on every database.
- PostgreSQL: `to_tsvector('simple', search_text) @@ plainto_tsquery('simple', <folded query>)`,
  ranked by `ts_rank`. The vector expression is written exactly as the GIN index of migration 0002
  (`sponsors_profile_search_fts`), so the planner can use it. Whole words match ("transformer"
  does not find "transformers"): the 'simple' configuration does no stemming, since profiles mix
  languages.
- SQLite (the embedded default): every folded query word must occur in the text as a substring;
  newest profiles first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db import connection
from django.db.models import BooleanField, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Value
from django.utils.crypto import constant_time_compare, salted_hmac

from schedule.models import normalize
from schedule.queries import papers_for_person

from . import access
from .models import RecruitmentProfile, Sponsor

MAX_QUERY_LENGTH = 200
# Paper counts are looked up this many profiles at a time: one OR-term per e-mail address, and
# SQLite refuses expressions deeper than 1,000.
PAPER_CHUNK = 200

JOB_TYPES = {
    "internship": "wants_internship",
    "full-time": "wants_full_time",
    "postdoc": "wants_postdoc",
}


class ProfileVector(Func):
    """`to_tsvector('simple'::regconfig, search_text)`: the expression of the GIN index, verbatim."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = FloatField()  # a tsvector; it is only compared and ranked, never read into Python


class PlainQuery(Func):
    template = "plainto_tsquery('simple'::regconfig, %(expressions)s)"
    output_field = FloatField()  # a tsquery, as above


class TextMatches(Func):
    """`vector @@ query`, usable in filter()."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


class Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


def full_text_available() -> bool:
    return connection.vendor == "postgresql"


def search_profiles(sponsor: Sponsor, *, q: str = "", areas: Iterable = (), positions: Iterable[str] = (),
                    graduation_years: Iterable[int] = (), locations: str = "", job_types: Iterable[str] = (),
                    at: datetime | None = None) -> QuerySet[RecruitmentProfile]:
    """The profiles `sponsor` may see at `at` (now by default) matching every given filter, best first.

    `areas` are schedule topics (or their ids): a profile matches if it has any of them. `positions`,
    `graduation_years` and `job_types` ("internship", "full-time", "postdoc") match any of the given
    values; `locations` is a folded substring of the profile's location preferences; `q` is the
    keyword search described in the module docstring. Each row comes with its user and research
    areas; `paper_counts` adds the number of papers for a page of them.
    """
    profiles = access.visible_profiles(sponsor, at)
    area_ids = [getattr(a, "pk", a) for a in areas]
    if area_ids:
        through = RecruitmentProfile.research_areas.through
        profiles = profiles.filter(Exists(through.objects.filter(recruitmentprofile=OuterRef("pk"),
                                                                 topic_id__in=area_ids)))
    positions = list(positions)
    if positions:
        profiles = profiles.filter(position__in=positions)
    years = list(graduation_years)
    if years:
        profiles = profiles.filter(graduation_date__year__in=years)
    kinds = [JOB_TYPES[kind] for kind in job_types]
    if kinds:
        condition = Q()
        for field in kinds:
            condition |= Q(**{field: True})
        profiles = profiles.filter(condition)
    place = normalize(locations)[:MAX_QUERY_LENGTH]
    if place:
        profiles = _in_locations(profiles, place)
    folded = normalize(q)[:MAX_QUERY_LENGTH]
    profiles = profiles.select_related("user", "conference").prefetch_related("research_areas")
    if folded and full_text_available():
        vector, query = ProfileVector(F("search_text")), PlainQuery(Value(folded))
        return (profiles.filter(TextMatches(vector, query))
                .annotate(rank=Rank(vector, query))
                .order_by("-rank", "-updated_at", "pk"))
    for word in folded.split():
        profiles = profiles.filter(search_text__contains=word)
    return profiles.order_by("-updated_at", "pk")


def _in_locations(profiles: QuerySet[RecruitmentProfile], place: str) -> QuerySet[RecruitmentProfile]:
    """Profiles whose folded location preferences contain `place`.

    `locations` is stored as typed. For plain-ASCII text folding is case-folding, which the database
    does (`icontains`); only rows with other characters ("München", "Zürich") are folded here, after
    `search_text` (which holds the folded locations) has narrowed them down in the database.
    """
    candidates = (profiles.filter(search_text__contains=place, locations__regex=r"[^\x01-\x7f]")
                  .values_list("pk", "locations"))
    ids = [pk for pk, text in candidates if place in normalize(text)]
    return profiles.filter(Q(locations__icontains=place) | Q(pk__in=ids))


@dataclass(frozen=True)
class RowVisibility:
    cv: bool
    email: bool
    links: bool


def row_visibility(sponsor: Sponsor, profile: RecruitmentProfile) -> RowVisibility:
    """What `sponsor` may see of a row it read from `access.visible_profiles` in this same request.

    `access.allowed_parts`, the rule `access.visibility` applies, without the per-row query: lists and
    exports apply it to thousands of rows.
    """
    parts = access.allowed_parts(sponsor, profile)
    return RowVisibility(cv=parts.cv, email=parts.email, links=parts.links)


def _openreview_id(profile: RecruitmentProfile) -> str:
    # As services.person_papers reads it: the id= parameter of the OpenReview profile URL.
    url = profile.openreview_url
    if url and "id=" in url:
        return url.split("id=", 1)[1].split("&", 1)[0].strip()
    return ""


def paper_counts(profiles: list[RecruitmentProfile]) -> dict[int, int]:
    """{profile id: number of accepted papers at its edition}, for a list of profiles with their users.

    The same identities as `services.person_papers` (the account's e-mail and verified addresses,
    the OpenReview id); three queries per `PAPER_CHUNK` profiles, however many papers.
    """
    counts = {p.pk: 0 for p in profiles}
    for start in range(0, len(profiles), PAPER_CHUNK):
        chunk = profiles[start:start + PAPER_CHUNK]
        emails: dict[int, set[str]] = {p.user_id: {p.user.email.lower()} if p.user.email else set() for p in chunk}
        for user_id, email in EmailAddress.objects.filter(user_id__in=list(emails), verified=True).values_list(
                "user_id", "email"):
            emails[user_id].add(email.lower())
        ids = {p.pk: _openreview_id(p) for p in chunk}
        by_conference: dict[int, list[RecruitmentProfile]] = {}
        for p in chunk:
            by_conference.setdefault(p.conference_id, []).append(p)
        for group in by_conference.values():
            papers = papers_for_person(group[0].conference,
                                       emails={e for p in group for e in emails[p.user_id]},
                                       openreview_ids={ids[p.pk] for p in group})
            for paper in papers:
                authors = [a.author for a in paper.authorships.all()]
                for p in group:
                    if any((ids[p.pk] and a.openreview_id == ids[p.pk])
                           or (a.email and a.email.lower() in emails[p.user_id]) for a in authors):
                        counts[p.pk] += 1
    return counts


# References: sponsor-facing URLs name a profile by its random public id and a MAC bound to the
# sponsor: no primary key (nothing to enumerate, no count of rows), and one sponsor's links mean
# nothing to another.

REF_MAC_LENGTH = 20


def _ref_mac(sponsor: Sponsor, public_id: str) -> str:
    return salted_hmac("sponsors.profile-ref", f"{sponsor.pk}:{public_id}").hexdigest()[:REF_MAC_LENGTH]


def profile_ref(sponsor: Sponsor, profile: RecruitmentProfile | int) -> str:
    """The reference by which `sponsor` names `profile` in URLs, forms and the API."""
    public_id = getattr(profile, "public_id", None)
    if public_id is None:
        public_id = RecruitmentProfile.objects.values_list("public_id", flat=True).get(pk=getattr(profile, "pk", profile))
    return f"{public_id}.{_ref_mac(sponsor, public_id)}"


def profile_public_id(sponsor: Sponsor, ref: str) -> str | None:
    """The public id `ref` stands for, or None if it is not a reference issued to `sponsor`."""
    public_id, _sep, mac = (ref or "").partition(".")
    if not public_id or len(public_id) > 32 or not constant_time_compare(mac, _ref_mac(sponsor, public_id)):
        return None
    return public_id
