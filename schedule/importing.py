"""Import accepted papers from CSV or JSON exports (OpenReview and others).

The shape of the file is described by a `FieldMapping` (which key holds the title, whether authors
come as a list or as one `;`-separated string, …), so a real export whose names differ can be read
without editing it: pick a preset from `PRESETS` or give the differing keys as JSON.

Guarantees of `import_papers`:

- Rows are validated one by one; a bad row is reported (row, external id, field, message) and
  skipped, every good row is imported.
- Papers are matched by external id within the edition: re-importing the same file changes nothing,
  a changed row updates its paper, and a changed author list replaces the paper's authorships.
- Authors are matched by OpenReview profile id, or by e-mail (case-insensitively) when they have no
  id, never by name: two "Wei Zhang"s with different ids stay two authors. An author with neither
  is a row error. Authors left without any paper by a re-import are removed.
- Topics are created from the configured fields (and, if asked, keywords); a paper's topics are
  replaced by the imported ones when a topic field is configured.
- A dry run computes the same report and writes nothing.
- The whole import is one transaction: if the database fails half-way, nothing of it remains.
  The edition's row is locked while importing, so two imports of one edition run one after another.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from confsite.models import Conference

from . import caching
from .models import Author, Authorship, Paper, Topic, normalize
from .services import ScheduleError, refresh_search_text

MAX_FILE_BYTES = 50 * 1024 * 1024
BATCH_SIZE = 500
# Stays below SQLite's 999 bound parameters per statement; PostgreSQL would take more.
CHUNK = 900
FORMATS = ("csv", "json")

Progress = Callable[[str, int, int], None]


class ImportFileError(ScheduleError):
    """The file (or the mapping) cannot be read at all; nothing was imported."""


@dataclass(frozen=True)
class FieldMapping:
    """Where each piece of a paper is in one record of the export.

    Key names may be dotted paths into nested JSON (`content.title.value`). A list field (authors,
    author ids, e-mails, affiliations, keywords, topics) may be a JSON list or one string split on
    its separator. Author ids are OpenReview profile ids (`~Wei_Zhang3`) or e-mail addresses.
    An empty key name means the export has no such field.
    """

    id: str = "id"
    title: str = "title"
    abstract: str = "abstract"
    authors: str = "authors"
    author_ids: str = "authorids"
    author_emails: str = ""
    affiliations: str = "affiliations"
    keywords: str = "keywords"
    decision: str = "decision"
    topics: tuple[str, ...] = ("primary_area", "topics")
    topics_from_keywords: bool = False
    openreview_url: str = "openreview"
    arxiv_url: str = "arxiv"
    # With no link in the record, the OpenReview link is built from the id ("" to leave it empty).
    openreview_url_template: str = "https://openreview.net/forum?id={id}"
    author_separator: str = ";"
    affiliation_separator: str = ";"
    keyword_separator: str = ","
    topic_separator: str = ";"
    csv_delimiter: str = ","
    # JSON whose top level is an object: the key holding the list of records ("notes" for the API).
    records_key: str = ""
    default_decision: str = Paper.Decision.POSTER
    # Exact decision texts of the export → oral / spotlight / poster; others are recognised by
    # the word they contain ("Accept (Oral)" → oral) and anything else ("Reject") is a row error.
    decisions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: FieldMapping | None = None) -> FieldMapping:
        """`base` (the default mapping if None) with the keys of `data` replaced; unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise ImportFileError("A custom mapping must be a JSON object, e.g. {\"title\": \"paper_title\"}.")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ImportFileError(f"The mapping has unknown keys: {', '.join(unknown)}. "
                                  f"Known keys: {', '.join(known)}.")
        values: dict[str, Any] = {}
        for name, value in data.items():
            kind = known[name].type
            if name == "topics":
                value = [value] if isinstance(value, str) else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ImportFileError("The mapping's “topics” must be a key name or a list of key names.")
                value = tuple(v for v in value if v)
            elif name == "decisions":
                if not isinstance(value, Mapping) or not all(
                        isinstance(v, str) and v in Paper.Decision.values for v in value.values()):
                    raise ImportFileError("The mapping's “decisions” must map decision texts to oral, spotlight or poster.")
                value = dict(value)
            elif kind == "bool":
                if not isinstance(value, bool):
                    raise ImportFileError(f"The mapping's “{name}” must be true or false.")
            elif not isinstance(value, str):
                raise ImportFileError(f"The mapping's “{name}” must be a text (a key name or a separator).")
            values[name] = value
        if values.get("default_decision", Paper.Decision.POSTER) not in Paper.Decision.values:
            raise ImportFileError("The mapping's “default_decision” must be oral, spotlight or poster.")
        for name in ("author_separator", "affiliation_separator", "keyword_separator", "topic_separator"):
            if name in values and not values[name]:
                raise ImportFileError(f"The mapping's “{name}” cannot be empty.")
        if "csv_delimiter" in values and len(values["csv_delimiter"]) != 1:
            raise ImportFileError("The mapping's “csv_delimiter” must be one character, e.g. “,” or “;”.")
        return replace(base or cls(), **values)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["topics"] = list(self.topics)
        return data


PRESETS: dict[str, FieldMapping] = {
    # An OpenReview export flattened to one object per paper (the default).
    "openreview": FieldMapping(),
    # OpenReview API v2 notes as returned by /notes: {"notes": [{"id": …, "content": {"title": {"value": …}}}]}.
    "openreview-api": FieldMapping(
        records_key="notes", title="content.title.value", abstract="content.abstract.value",
        authors="content.authors.value", author_ids="content.authorids.value", affiliations="",
        keywords="content.keywords.value", decision="content.venue.value",
        topics=("content.primary_area.value",), openreview_url="", arxiv_url="",
    ),
    # A spreadsheet: one row per paper, lists in one cell separated by ";".
    "csv": FieldMapping(
        author_ids="author_ids", author_emails="author_emails", topics=("topics",),
        openreview_url="openreview_url", arxiv_url="arxiv_url", keyword_separator=";",
    ),
}


def load_mapping(preset: str = "openreview", custom: str | Mapping[str, Any] | None = None) -> FieldMapping:
    """The preset named `preset`, with the keys of `custom` (a JSON text or a dict) replaced.

    A custom mapping may name its own base with a "preset" key.
    """
    if isinstance(custom, str) and custom.strip():
        try:
            custom = json.loads(custom)
        except json.JSONDecodeError as error:
            raise ImportFileError(f"The custom mapping is not valid JSON ({error.msg}, line {error.lineno}).") from None
    if isinstance(custom, Mapping) and "preset" in custom:
        custom = dict(custom)
        preset = custom.pop("preset")
    if preset not in PRESETS:
        raise ImportFileError(f"There is no mapping preset “{preset}”. Presets: {', '.join(PRESETS)}.")
    mapping = PRESETS[preset]
    if custom:
        mapping = FieldMapping.from_dict(custom, base=mapping)
    return mapping


# --- Reading the file -------------------------------------------------------------------------

@dataclass
class Record:
    row: int  # CSV: the spreadsheet row (the header is row 1); JSON: the record's place in the list, from 1
    data: Any


def guess_format(filename: str) -> str | None:
    lower = (filename or "").lower()
    for fmt in FORMATS:
        if lower.endswith("." + fmt):
            return fmt
    return None


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} kB"


def check_size(size: int) -> None:
    """Refuse a file larger than `MAX_FILE_BYTES` before anybody reads it into memory."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(f"The file is {_size(size)}; an import takes at most {_size(MAX_FILE_BYTES)}. "
                              "Split it into several files.")


def read_records(data: bytes, fmt: str, mapping: FieldMapping) -> list[Record]:
    """The records of a CSV or JSON file; raises ImportFileError when the file cannot be read at all."""
    if fmt not in FORMATS:
        raise ImportFileError(f"Unknown format “{fmt}”: choose csv or json.")
    check_size(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}). "
            "Save it as UTF-8 (in Excel: “CSV UTF-8”) and import it again.") from None
    if not text.strip():
        raise ImportFileError("The file is empty.")
    records = _read_csv(text, mapping) if fmt == "csv" else _read_json(text, mapping)
    if not records:
        raise ImportFileError("The file holds no papers.")
    return records


def _required_keys(mapping: FieldMapping) -> list[tuple[str, str]]:
    keys = [("id", mapping.id), ("title", mapping.title), ("authors", mapping.authors)]
    if not mapping.author_ids and not mapping.author_emails:
        raise ImportFileError("The mapping names neither author ids nor author e-mails; authors are matched "
                              "only by these, so one of them is needed.")
    for name, key in keys:
        if not key:
            raise ImportFileError(f"The mapping's “{name}” cannot be empty.")
    return keys


def _read_csv(text: str, mapping: FieldMapping) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=mapping.csv_delimiter)
    try:
        header = reader.fieldnames or []
        columns = [c.strip() for c in header]
        reader.fieldnames = columns
        missing = [f"“{key}” ({name})" for name, key in _required_keys(mapping) if key not in columns]
        if not (mapping.author_ids in columns or mapping.author_emails in columns):
            missing.append(f"“{mapping.author_ids or mapping.author_emails}” (author ids)")
        if missing:
            hint = ""
            other = next((d for d in ";\t," if d != mapping.csv_delimiter and len(columns) == 1 and d in columns[0]), None)
            if other:
                hint = f" The columns look separated by “{other}”: set \"csv_delimiter\" in a custom mapping."
            raise ImportFileError(
                f"The file has no column {', '.join(missing)}. Its columns are: "
                f"{', '.join(columns) or '(none)'}. Choose another mapping or name the columns in a custom mapping."
                + hint)
        records = [Record(row=number, data=row) for number, row in enumerate(reader, start=2)]
    except csv.Error as error:
        raise ImportFileError(f"The file is not readable CSV (line {reader.line_num}: {error}).") from None
    return records


def _read_json(text: str, mapping: FieldMapping) -> list[Record]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"The file is not valid JSON (line {error.lineno}, column {error.colno}: "
                              f"{error.msg}).") from None
    except RecursionError:
        raise ImportFileError("The file is not valid JSON (it is nested too deeply).") from None
    items = document
    if isinstance(document, dict):
        keys = [mapping.records_key] if mapping.records_key else ["notes", "papers", "submissions"]
        items = next((document[k] for k in keys if isinstance(document.get(k), list)), None)
        if items is None:
            raise ImportFileError(f"The JSON file is an object without a list of papers under "
                                  f"{' or '.join(f'“{k}”' for k in keys)}.")
    if not isinstance(items, list):
        raise ImportFileError("The JSON file must hold a list of papers (or an object with one under “notes”).")
    records = [Record(row=number, data=item) for number, item in enumerate(items, start=1)]
    objects = [r.data for r in records if isinstance(r.data, dict)]
    for name, key in _required_keys(mapping):
        if objects and not any(_lookup(obj, key) is not None for obj in objects):
            raise ImportFileError(f"No paper in the file has the key “{key}” (the mapping's {name}). "
                                  "Choose another mapping or name the keys in a custom mapping.")
    return records


# --- Validating rows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int
    external_id: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" ({self.external_id})" if self.external_id else "")
        return f"{where}, {self.field}: {self.message}"


class _Problem(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field, self.message = field_name, message


@dataclass(frozen=True)
class AuthorRow:
    name: str
    openreview_id: str
    email: str
    affiliation: str

    @property
    def key(self) -> tuple[str, str]:
        return ("id", self.openreview_id) if self.openreview_id else ("email", self.email)


@dataclass
class PaperRow:
    row: int
    external_id: str
    title: str
    abstract: str
    decision: str
    keywords: str
    openreview_url: str
    arxiv_url: str
    topics: list[str]  # names, in file order, without duplicate slugs
    authors: list[AuthorRow]


_url = URLValidator(schemes=["http", "https"])
# A bare arXiv identifier, new style (2401.01234v2) or old (math.AG/0601001), becomes its abstract page.
ARXIV_ID = re.compile(r"^(arXiv:)?(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def _lookup(data: Any, key: str) -> Any:
    if not key or not isinstance(data, dict):
        return None
    if key in data:
        return data[key]
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any, field_name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Problem(field_name, "must be a text, not a list or an object.")
    text = str(value)
    if "\x00" in text:
        # PostgreSQL cannot store it; better a row error than a failed import.
        raise _Problem(field_name, "contains a NUL character (byte 0); remove it from the export.")
    return text.strip()


def _items(value: Any, separator: str, field_name: str) -> list[str]:
    """A list field: a JSON list (nested lists joined with ", ") or one string split on `separator`."""
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, list):
                item = ", ".join(_text(i, field_name) for i in item if i is not None)
            out.append(_text(item, field_name))
        return out
    text = _text(value, field_name)
    return [part.strip() for part in text.split(separator)] if text else []


def _limit(value: str, field_name: str, size: int) -> str:
    if len(value) > size:
        raise _Problem(field_name, f"is {len(value)} characters long; at most {size} fit.")
    return value


def _decision(raw: str, mapping: FieldMapping, field_name: str) -> str:
    if not raw:
        return mapping.default_decision
    explicit = {k.casefold(): v for k, v in mapping.decisions.items()}
    if raw.casefold() in explicit:
        return explicit[raw.casefold()]
    folded = raw.casefold()
    for decision in (Paper.Decision.ORAL, Paper.Decision.SPOTLIGHT, Paper.Decision.POSTER):
        if decision in folded:
            return decision
    if folded in ("accept", "accepted"):
        return mapping.default_decision
    raise _Problem(field_name, f"“{raw}” is not an accepted paper's decision (oral, spotlight or poster); "
                               "only accepted papers are imported.")


def _link(raw: str, field_name: str) -> str:
    if not raw:
        return ""
    try:
        _url(raw)
    except ValidationError:
        raise _Problem(field_name, f"“{raw}” is not a web address (https://…).") from None
    return _limit(raw, field_name, 200)


def _authors(data: Any, mapping: FieldMapping) -> list[AuthorRow]:
    names = _items(_lookup(data, mapping.authors), mapping.author_separator, mapping.authors)
    if not names or not any(names):
        raise _Problem(mapping.authors, "no authors given.")
    ids = _items(_lookup(data, mapping.author_ids), mapping.author_separator, mapping.author_ids)
    emails = _items(_lookup(data, mapping.author_emails), mapping.author_separator, mapping.author_emails)
    affiliations = _items(_lookup(data, mapping.affiliations), mapping.affiliation_separator, mapping.affiliations)
    for key, values, what in ((mapping.author_ids, ids, "author ids"), (mapping.author_emails, emails, "e-mails"),
                              (mapping.affiliations, affiliations, "affiliations")):
        if values and len(values) != len(names):
            raise _Problem(key, f"{len(values)} {what} for {len(names)} authors; give one per author "
                                "(empty for none) in the same order.")
    authors, seen = [], set()
    for index, name in enumerate(names):
        number = index + 1
        if not name:
            raise _Problem(mapping.authors, f"author {number} has no name.")
        _limit(name, mapping.authors, 200)
        identifier = ids[index] if ids else ""
        email = emails[index].lower() if emails else ""
        openreview_id = ""
        if identifier.startswith("~"):
            openreview_id = identifier
            if len(identifier) > 100 or any(ch.isspace() for ch in identifier):
                raise _Problem(mapping.author_ids, f"“{identifier}” (author {number}, {name}) is not an "
                                                   "OpenReview profile id.")
        elif "@" in identifier:
            if email and email != identifier.lower():
                raise _Problem(mapping.author_ids, f"author {number} ({name}) has two different e-mail addresses.")
            email = identifier.lower()
        elif identifier:
            raise _Problem(mapping.author_ids, f"“{identifier}” (author {number}, {name}) is neither an OpenReview "
                                               "profile id (~Name1) nor an e-mail address.")
        if email:
            _limit(email, mapping.author_emails or mapping.author_ids, 254)
            try:
                validate_email(email)
            except ValidationError:
                raise _Problem(mapping.author_emails or mapping.author_ids,
                               f"“{email}” (author {number}, {name}) is not an e-mail address.") from None
        if not openreview_id and not email:
            raise _Problem(mapping.author_ids or mapping.author_emails,
                           f"author {number} ({name}) has neither an OpenReview profile id nor an e-mail "
                           "address; authors are matched only by these, never by name.")
        affiliation = _limit(affiliations[index] if affiliations else "", mapping.affiliations, 300)
        author = AuthorRow(name=name, openreview_id=openreview_id, email=email, affiliation=affiliation)
        if author.key in seen:
            raise _Problem(mapping.author_ids or mapping.author_emails,
                           f"author {number} ({name}) appears twice in the author list.")
        seen.add(author.key)
        authors.append(author)
    return authors


def parse_record(record: Record, mapping: FieldMapping) -> PaperRow:
    """One record as a `PaperRow`; raises `_Problem` naming the first bad field."""
    data = record.data
    if not isinstance(data, dict):
        raise _Problem("—", "is not an object with a paper's fields.")
    external_id = _limit(_text(_lookup(data, mapping.id), mapping.id), mapping.id, 100)
    if not external_id:
        raise _Problem(mapping.id, "no id given; papers are matched on it when re-importing.")
    title = " ".join(_text(_lookup(data, mapping.title), mapping.title).split())
    if not title:
        raise _Problem(mapping.title, "no title given.")
    _limit(title, mapping.title, 500)
    keywords = [k for k in _items(_lookup(data, mapping.keywords), mapping.keyword_separator, mapping.keywords) if k]
    keyword_text = _limit(", ".join(keywords), mapping.keywords, 1000)
    topics: list[str] = []
    slugs: set[str] = set()
    sources = [(key, _items(_lookup(data, key), mapping.topic_separator, key)) for key in mapping.topics]
    if mapping.topics_from_keywords:
        sources.append((mapping.keywords, keywords))
    for key, names in sources:
        for name in names:
            if not name:
                continue
            _limit(name, key, 150)
            slug = slugify(name, allow_unicode=True)[:150]
            if not slug:
                raise _Problem(key, f"the topic “{name}” has no letters or digits.")
            if slug not in slugs:
                slugs.add(slug)
                topics.append(name)
    openreview_url = _link(_text(_lookup(data, mapping.openreview_url), mapping.openreview_url), mapping.openreview_url)
    if not openreview_url and mapping.openreview_url_template:
        openreview_url = mapping.openreview_url_template.format(id=external_id)
    arxiv = _text(_lookup(data, mapping.arxiv_url), mapping.arxiv_url)
    if ARXIV_ID.match(arxiv):
        arxiv = f"https://arxiv.org/abs/{arxiv.removeprefix('arXiv:')}"
    return PaperRow(
        row=record.row, external_id=external_id, title=title,
        abstract=_text(_lookup(data, mapping.abstract), mapping.abstract),
        decision=_decision(_text(_lookup(data, mapping.decision), mapping.decision), mapping, mapping.decision),
        keywords=keyword_text, openreview_url=openreview_url, arxiv_url=_link(arxiv, mapping.arxiv_url),
        topics=topics, authors=_authors(data, mapping),
    )


# --- Planning and writing ----------------------------------------------------------------------

@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    dry_run: bool
    rows: int = 0
    created: list[str] = field(default_factory=list)        # external ids
    updated: dict[str, list[str]] = field(default_factory=dict)  # external id → changed fields
    unchanged: list[str] = field(default_factory=list)
    authors_created: int = 0
    authors_updated: int = 0
    authors_removed: int = 0
    topics_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (f"{self.rows} rows: {len(self.created)} papers {verb} created, {len(self.updated)} {verb} updated, "
                f"{len(self.unchanged)} unchanged; {len(self.errors)} rows skipped with errors. "
                f"Authors: {self.authors_created} {verb} created, {self.authors_updated} updated, "
                f"{self.authors_removed} removed. Topics {verb} created: {len(self.topics_created)}.")


FIELDS = ("title", "abstract", "decision", "keywords", "openreview_url", "arxiv_url")


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_papers(conference: Conference, records: Iterable[Record], mapping: FieldMapping, *,
                  dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Import the accepted papers in `records` into `conference` (see the module docstring)."""
    started = time.monotonic()
    records = list(records)
    report = ImportReport(dry_run=dry_run, rows=len(records))
    notify = progress or (lambda phase, done, total: None)
    rows: list[PaperRow] = []
    first_row: dict[str, int] = {}
    for done, record in enumerate(records, start=1):
        try:
            paper = parse_record(record, mapping)
            if paper.external_id in first_row:
                raise _Problem(mapping.id, f"the id “{paper.external_id}” appears twice in the file "
                                           f"(first in row {first_row[paper.external_id]}); this row is skipped.")
        except _Problem as problem:
            external_id = ""
            if isinstance(record.data, dict):
                raw = _lookup(record.data, mapping.id)
                external_id = str(raw)[:100] if isinstance(raw, (str, int)) else ""
            report.errors.append(RowError(record.row, external_id, problem.field, problem.message))
        else:
            first_row[paper.external_id] = record.row
            rows.append(paper)
        if done % 250 == 0 or done == len(records):
            notify("check", done, len(records))
    with transaction.atomic():
        # Serialises imports of one edition; the planning below must see what the other one wrote.
        Conference.objects.select_for_update().filter(pk=conference.pk).first()
        _Importer(conference, mapping, rows, report, notify).run(write=not dry_run)
        if dry_run:
            transaction.set_rollback(True)
        else:
            transaction.on_commit(lambda: caching.bump(conference.pk))
    report.seconds = time.monotonic() - started
    return report


class _Importer:
    def __init__(self, conference: Conference, mapping: FieldMapping, rows: list[PaperRow], report: ImportReport,
                 notify: Progress):
        self.conference, self.mapping, self.rows, self.report, self.notify = conference, mapping, rows, report, notify

    def run(self, *, write: bool) -> None:
        conference, rows, report = self.conference, self.rows, self.report
        external_ids = [r.external_id for r in rows]
        papers: dict[str, Paper] = {}
        for chunk in _chunks(external_ids):
            papers.update((p.external_id, p) for p in Paper.objects.filter(conference=conference, external_id__in=chunk))

        # Authors: the file's name for each identity is the first one met.
        wanted: dict[tuple[str, str], AuthorRow] = {}
        for row in rows:
            for author in row.authors:
                wanted.setdefault(author.key, author)
        authors: dict[tuple[str, str], Author] = {}
        ids = [key[1] for key in wanted if key[0] == "id"]
        mails = [key[1] for key in wanted if key[0] == "email"]
        for chunk in _chunks(ids):
            for a in Author.objects.filter(conference=conference, openreview_id__in=chunk):
                authors[("id", a.openreview_id)] = a
        for chunk in _chunks(mails):
            for a in (Author.objects.filter(conference=conference, openreview_id="")
                      .annotate(email_lower=Lower("email")).filter(email_lower__in=chunk)):
                authors[("email", a.email.lower())] = a
        new_authors, changed_authors, renamed = [], [], []
        for key, given in wanted.items():
            author = authors.get(key)
            if author is None:
                author = Author(conference=conference, name=given.name, openreview_id=given.openreview_id,
                                email=given.email, search_name=normalize(given.name))
                authors[key] = author
                new_authors.append(author)
                continue
            dirty = False
            if author.name != given.name:
                author.name, author.search_name = given.name, normalize(given.name)
                renamed.append(author.pk)
                dirty = True
            if given.email and author.email.lower() != given.email:
                author.email, dirty = given.email, True
            if dirty:
                changed_authors.append(author)
        report.authors_created, report.authors_updated = len(new_authors), len(changed_authors)

        # Topics, matched on their slug.
        topics = {t.slug: t for t in Topic.objects.filter(conference=conference)}
        new_topics: list[Topic] = []
        for row in rows:
            for name in row.topics:
                slug = slugify(name, allow_unicode=True)[:150]
                if slug not in topics:
                    topics[slug] = Topic(conference=conference, name=name, slug=slug)
                    new_topics.append(topics[slug])
        report.topics_created = [t.name for t in new_topics]

        # What each existing paper has now.
        existing_ids = [p.pk for p in papers.values()]
        current_authorships: dict[int, list[tuple[int, str]]] = {}
        current_topics: dict[int, set[int]] = {}
        through = Paper.topics.through
        for chunk in _chunks(existing_ids):
            for paper_id, author_id, affiliation in (Authorship.objects.filter(paper_id__in=chunk)
                                                     .order_by("paper_id", "position")
                                                     .values_list("paper_id", "author_id", "affiliation")):
                current_authorships.setdefault(paper_id, []).append((author_id, affiliation))
            for paper_id, topic_id in through.objects.filter(paper_id__in=chunk).values_list("paper_id", "topic_id"):
                current_topics.setdefault(paper_id, set()).add(topic_id)

        new_papers, changed_papers, replace_authors, replace_topics = [], [], [], []
        now = timezone.now()
        for row in rows:
            paper = papers.get(row.external_id)
            if paper is None:
                paper = Paper(conference=conference, external_id=row.external_id,
                              **{name: getattr(row, name) for name in FIELDS})
                papers[row.external_id] = paper
                new_papers.append(paper)
                replace_authors.append(row)
                if row.topics:
                    replace_topics.append(row)
                report.created.append(row.external_id)
                continue
            changes = [name for name in FIELDS if getattr(paper, name) != getattr(row, name)]
            for name in changes:
                setattr(paper, name, getattr(row, name))
            wanted_list = [(authors[a.key].pk, a.affiliation) for a in row.authors]
            if wanted_list != current_authorships.get(paper.pk, []):
                changes.append("authors")
                replace_authors.append(row)
            if self.mapping.topics or self.mapping.topics_from_keywords:
                wanted_topics = {topics[slugify(n, allow_unicode=True)[:150]].pk for n in row.topics}
                if wanted_topics != current_topics.get(paper.pk, set()):
                    changes.append("topics")
                    replace_topics.append(row)
            if changes:
                report.updated[row.external_id] = changes
                if set(changes) & set(FIELDS):
                    paper.updated_at = now
                    changed_papers.append(paper)
            else:
                report.unchanged.append(row.external_id)
        dropped = self._dropped(replace_authors, papers, current_authorships, authors)
        if not write:
            replaced = {papers[r.external_id].pk for r in replace_authors if papers[r.external_id].pk}
            report.authors_removed = self._count_orphans(dropped, replaced)
            return

        total = len(rows)
        self.notify("write", 0, total)
        Topic.objects.bulk_create(new_topics, batch_size=BATCH_SIZE)
        # PostgreSQL and SQLite ≥ 3.35 return the new primary keys from bulk_create.
        Author.objects.bulk_create(new_authors, batch_size=BATCH_SIZE)
        Author.objects.bulk_update(changed_authors, ["name", "search_name", "email"], batch_size=BATCH_SIZE)
        Paper.objects.bulk_create(new_papers, batch_size=BATCH_SIZE)
        Paper.objects.bulk_update(changed_papers, [*FIELDS, "updated_at"], batch_size=BATCH_SIZE)
        self.notify("write", total // 4, total)

        replaced_ids = [papers[r.external_id].pk for r in replace_authors]
        for chunk in _chunks(replaced_ids):
            # A raw delete: the per-row post_delete signal would re-read each paper only to bump the
            # page cache, which this import bumps once at the end.
            Authorship.objects.filter(paper_id__in=chunk)._raw_delete(connection.alias)
        Authorship.objects.bulk_create(
            [Authorship(paper=papers[r.external_id], author=authors[a.key], position=position, affiliation=a.affiliation)
             for r in replace_authors for position, a in enumerate(r.authors, start=1)],
            batch_size=BATCH_SIZE * 2)
        self.notify("write", total // 2, total)

        topic_paper_ids = [papers[r.external_id].pk for r in replace_topics]
        for chunk in _chunks(topic_paper_ids):
            through.objects.filter(paper_id__in=chunk).delete()
        through.objects.bulk_create(
            [through(paper_id=papers[r.external_id].pk, topic_id=topics[slugify(n, allow_unicode=True)[:150]].pk)
             for r in replace_topics for n in r.topics],
            batch_size=BATCH_SIZE * 2)
        for chunk in _chunks(dropped):
            # Per-row delete: few rows, and their signals keep the page cache honest.
            report.authors_removed += Author.objects.filter(pk__in=chunk, authorships__isnull=True).delete()[1].get(
                Author._meta.label, 0)
        self.notify("write", 3 * total // 4, total)

        touched = {papers[e].pk for e in report.created} | {papers[e].pk for e in report.updated}
        for chunk in _chunks(renamed):
            touched |= set(Authorship.objects.filter(author_id__in=chunk).values_list("paper_id", flat=True))
        for chunk in _chunks(sorted(touched)):
            refresh_search_text(Paper(pk=pk) for pk in chunk)
        self.notify("write", total, total)

    def _dropped(self, replace_authors, papers, current_authorships, authors) -> list[int]:
        """Authors of the replaced author lists who are in none of the new ones."""
        before = {author_id for r in replace_authors
                  for author_id, _ in current_authorships.get(papers[r.external_id].pk, [])}
        after = {authors[a.key].pk for r in replace_authors for a in r.authors}
        return sorted(before - after)

    def _count_orphans(self, dropped: list[int], replaced: set[int]) -> int:
        """How many of `dropped` have no paper left once the `replaced` papers lose them."""
        keep: set[int] = set()
        for chunk in _chunks(dropped):
            for author_id, paper_id in Authorship.objects.filter(author_id__in=chunk).values_list("author_id", "paper_id"):
                if paper_id not in replaced:
                    keep.add(author_id)
        return len(dropped) - len(keep)
