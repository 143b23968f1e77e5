"""`manage.py import_papers --edition icml2026 papers.json`: import accepted papers (see schedule/importing.py).

Bad rows are listed and skipped; the exit status is non-zero only when the file (or the mapping)
cannot be read at all, so a script can tell "nothing happened" from "imported, with a report".
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from confsite.models import Conference
from schedule import importing

LISTED = 20


class ProgressBar:
    """A one-line progress bar on a stream, redrawn in place; one line per phase."""

    LABELS = {"check": "Checking rows", "write": "Writing"}

    def __init__(self, stream: OutputWrapper, width: int = 30):
        self.stream, self.width = stream, width
        self.phase: str | None = None
        self.last: tuple[int, int] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            if self.phase is not None:
                self._write("\n")
            self.phase, self.last = phase, None
        if (done, total) == self.last:
            return
        self.last = (done, total)
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        self._write(f"\r{self.LABELS.get(phase, phase)} [{bar}] {done}/{total}")

    def close(self) -> None:
        if self.phase is not None:
            self._write("\n")

    def _write(self, text: str) -> None:
        # Plain text, not the red of error messages, and no newline of its own.
        self.stream.write(text, style_func=lambda message: message, ending="")
        self.stream.flush()


class Command(BaseCommand):
    help = ("Import accepted papers from a CSV or JSON export into an edition. Re-importing updates papers "
            "by their external id; bad rows are reported and skipped.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or JSON export")
        parser.add_argument("--edition", required=True, help="the edition's slug, e.g. icml2026")
        parser.add_argument("--format", choices=importing.FORMATS,
                            help="csv or json (default: from the file name)")
        parser.add_argument("--mapping", default="openreview",
                            help=f"a preset ({', '.join(importing.PRESETS)}) or a JSON file with the keys that "
                                 "differ from one (it may name its base with \"preset\")")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, file: str, edition: str, format: str | None, mapping: str, dry_run: bool,
               no_progress: bool, verbosity: int, **options):
        conference = Conference.objects.filter(slug=edition).first()
        if conference is None:
            raise CommandError(f"There is no edition “{edition}”.")
        path = Path(file)
        fmt = format or importing.guess_format(path.name)
        if fmt is None:
            raise CommandError(f"Cannot tell the format of {file}: give --format csv or --format json.")
        try:
            field_mapping = self._mapping(mapping)
            importing.check_size(path.stat().st_size)
            records = importing.read_records(path.read_bytes(), fmt, field_mapping)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except importing.ImportFileError as error:
            raise CommandError(str(error)) from None

        progress = None if no_progress else ProgressBar(self.stderr)
        try:
            report = importing.import_papers(conference, records, field_mapping, dry_run=dry_run, progress=progress)
        finally:
            if progress:
                progress.close()

        summary = report.summary()
        self.stdout.write(f"Dry run: nothing was written. {summary}" if dry_run else summary)
        if dry_run or verbosity >= 2:
            self._list("Would create" if dry_run else "Created", report.created)
            self._list("Would update" if dry_run else "Updated",
                       [f"{eid} ({', '.join(changes)})" for eid, changes in report.updated.items()])
        if report.errors:
            self.stdout.write("Rows skipped:")
            for error in report.errors:
                self.stdout.write(f"  {error}")
        if verbosity >= 2:
            self.stdout.write(f"Took {report.seconds:.1f} s.")

    def _mapping(self, value: str) -> importing.FieldMapping:
        if value in importing.PRESETS:
            return importing.load_mapping(value)
        path = Path(value)
        if value.endswith(".json") or path.exists():
            try:
                return importing.load_mapping("openreview", path.read_text(encoding="utf-8"))
            except OSError as error:
                raise CommandError(f"Cannot read the mapping {value}: {error.strerror}.") from None
            except UnicodeDecodeError:
                raise CommandError(f"The mapping {value} is not UTF-8 text.") from None
        return importing.load_mapping(value)

    def _list(self, label: str, items: list[str]) -> None:
        if not items:
            return
        more = f" … and {len(items) - LISTED} more" if len(items) > LISTED else ""
        self.stdout.write(f"{label}: {', '.join(items[:LISTED])}{more}")
