"""manage.py clone_edition icml2026 --slug icml2027 --name "…" --short-name "ICML 2027" --start-date 2027-07-12 --order-prefix ICML27"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from confsite.cloning import CloneError, clone_edition
from confsite.models import Conference


class Command(BaseCommand):
    help = "Copy an edition's structure (catalogue, prices, quotas, days, tiers, rooms) into a new edition, dates shifted."

    def add_arguments(self, parser):
        parser.add_argument("source", help="slug of the edition to copy, e.g. icml2026")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--short-name", required=True)
        parser.add_argument("--start-date", required=True, help="first day of the new edition, YYYY-MM-DD")
        parser.add_argument("--order-prefix", required=True, help="order reference prefix, e.g. ICML27")

    def handle(self, *args, **options):
        source = Conference.objects.filter(slug=options["source"]).first()
        if source is None:
            raise CommandError(f"No edition has the slug “{options['source']}”.")
        try:
            start = date.fromisoformat(options["start_date"])
        except ValueError as error:
            raise CommandError(f"“{options['start_date']}” is not a date; write it as YYYY-MM-DD.") from error
        try:
            target, report = clone_edition(
                source, name=options["name"], short_name=options["short_name"], slug=options["slug"],
                start_date=start, options={"order_prefix": options["order_prefix"]},
            )
        except CloneError as error:
            raise CommandError(f"{error} Nothing was created.") from error
        self.stdout.write(f"Created {target.short_name} ({target.slug}) from {source.short_name}, "
                          f"{target.start_date}–{target.end_date}; not the current edition.")
        for what, count in report.items():
            self.stdout.write(f"  {count} {what}")
