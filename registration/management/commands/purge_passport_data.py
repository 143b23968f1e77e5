"""Delete the passport data of an edition's visa letters once the edition is over.

    manage.py purge_passport_data --edition icml2026 [--force]

The letters stay (reference, name, role), so consulates can still verify them; their PDFs, which
print the passport details, are deleted with the data.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from confsite.models import Conference
from registration.visa import purge_passport_data


class Command(BaseCommand):
    help = "Delete the passport data (and letter PDFs) of an edition's visa letters after the edition."

    def add_arguments(self, parser):
        parser.add_argument("--edition", required=True, metavar="SLUG", help="The edition's URL slug, e.g. icml2026.")
        parser.add_argument("--force", action="store_true",
                            help="Purge even before the edition has ended (attendees could not re-download letters).")

    def handle(self, *args, edition: str, force: bool, **options):
        conference = Conference.objects.filter(slug=edition).first()
        if conference is None:
            raise CommandError(f"No edition with the slug {edition!r}.")
        today = timezone.localdate(timezone=conference.tzinfo)
        if today <= conference.end_date and not force:
            raise CommandError(
                f"{conference.short_name} runs until {conference.end_date:%Y-%m-%d}; attendees may still need their "
                f"letters. Run again after that day, or add --force."
            )
        purged = purge_passport_data(conference)
        self.stdout.write(f"Purged the passport data of {purged} visa letter(s) of {conference.short_name}.")
