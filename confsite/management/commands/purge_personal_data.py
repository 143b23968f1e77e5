"""Delete personal data whose retention period after an edition has passed.

    manage.py purge_personal_data [--edition icml2026] [--only passport proofs access_log] [--dry-run]

Periods are days after the edition's last day, from settings.CONFSITE_RETENTION (defaults: passport
30, proofs 90, access_log 365). Each purge does nothing before it is due and nothing the second time;
the worker runs the same purges periodically (confsite.privacy.purge_expired).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from confsite import privacy
from confsite.models import Conference


class Command(BaseCommand):
    help = "Delete passport data, eligibility proofs and sponsor access logs once their retention period has passed."

    def add_arguments(self, parser):
        parser.add_argument("--edition", metavar="SLUG", help="only this edition (default: every edition)")
        parser.add_argument("--only", nargs="+", metavar="KIND", help="only these kinds: " + ", ".join(sorted(privacy.purges())))
        parser.add_argument("--dry-run", action="store_true", help="report what would be deleted; change nothing")

    def handle(self, *args, edition=None, only=None, dry_run=False, **options):
        unknown = sorted(set(only or ()) - set(privacy.purges()))
        if unknown:
            raise CommandError(f"Unknown kind(s): {', '.join(unknown)}; choose from {', '.join(sorted(privacy.purges()))}.")
        editions = Conference.objects.order_by("start_date")
        if edition:
            editions = editions.filter(slug=edition)
            if not editions.exists():
                raise CommandError(f"No edition with the slug {edition!r}.")
        now = timezone.now()
        verb = "Would delete" if dry_run else "Deleted"
        for conference in editions:
            for result in privacy.run_purges(conference, now=now, dry_run=dry_run, kinds=only):
                due = timezone.localtime(result.due, conference.tzinfo).strftime("%Y-%m-%d %H:%M %Z")
                if now < result.due:
                    self.stdout.write(f"{conference.short_name}: {result.what} are kept until {due}.")
                else:
                    files = f" and {result.files} files" if result.files else ""
                    self.stdout.write(f"{conference.short_name}: {verb} {result.count} {result.what}{files} "
                                      f"(expired {due}).")
