"""Delete an edition's expired recruitment profiles and CVs (also run periodically by the worker)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from confsite.models import Conference
from sponsors import retention


class Command(BaseCommand):
    help = ("Delete recruitment profiles and CVs of an edition after its last sponsor access window, except "
            "those their owners keep for the next edition (which stop being shared).")

    def add_arguments(self, parser):
        parser.add_argument("--edition", required=True, help="the edition's slug, e.g. icml2026")
        parser.add_argument("--dry-run", action="store_true", help="report what would be deleted; change nothing")

    def handle(self, *args, edition, dry_run, **options):
        conference = Conference.objects.filter(slug=edition).first()
        if conference is None:
            raise CommandError(f"No edition with the slug {edition!r}.")
        result = retention.purge(conference, dry_run=dry_run)
        due = timezone.localtime(result.due, conference.tzinfo).strftime("%Y-%m-%d %H:%M %Z")
        if timezone.now() < result.due:
            self.stdout.write(f"Nothing to do yet: {conference.short_name}'s recruitment data expires on {due}.")
            return
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {result.deleted} profiles and {result.files} CV files of {conference.short_name} "
                          f"(expired {due}); {result.kept} kept for the next edition, no longer shared.")
