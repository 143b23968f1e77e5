"""Load the demo edition (ICML 2026, Seoul) and demo accounts. Safe to run again: it updates."""

from __future__ import annotations

from datetime import date
from functools import reduce
from importlib import import_module
from operator import or_

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from confsite import roles
from confsite.editions import make_current
from confsite.models import Conference, User

CODE_OF_CONDUCT = """\
ICML is dedicated to providing a harassment-free experience for everyone, regardless of gender, \
gender identity and expression, sexual orientation, disability, physical appearance, body size, \
race, age, religion, nationality or career stage.

We do not tolerate harassment of participants in any form. Participants asked to stop any harassing \
behaviour are expected to comply immediately. Organisers may take any action they deem appropriate, \
including expulsion from the conference without a refund.

If you are being harassed, notice that someone else is being harassed, or have any other concerns, \
contact a member of the conference staff or write to the contact address below."""

EDITIONS = [
    {
        "slug": "icml2026",
        "name": "Forty-Third International Conference on Machine Learning",
        "short_name": "ICML 2026",
        "city": "Seoul",
        "country": "KR",
        "venue": "COEX Convention & Exhibition Center",
        "venue_address": "513 Yeongdong-daero, Gangnam-gu, Seoul 06164, Republic of Korea",
        "time_zone": "Asia/Seoul",
        "start_date": date(2026, 7, 6),
        "end_date": date(2026, 7, 11),
        "currency": "USD",
        "contact_email": "icml2026@confsite.example",
    },
    {
        "slug": "icml2025",
        "name": "Forty-Second International Conference on Machine Learning",
        "short_name": "ICML 2025",
        "city": "Vancouver",
        "country": "CA",
        "venue": "Vancouver Convention Center",
        "venue_address": "1055 Canada Pl, Vancouver, BC V6C 0C3, Canada",
        "time_zone": "America/Vancouver",
        "start_date": date(2025, 7, 13),
        "end_date": date(2025, 7, 19),
        "currency": "USD",
        "contact_email": "icml2025@confsite.example",
    },
]

# Demo logins. They exist only in the local demo database; never load the demo in production.
# (e-mail, password, first name, last name, staff, group): the organiser is a superuser; the role
# accounts are staff in one group each (confsite/roles.py), to try what each role sees.
ACCOUNTS = [
    ("organiser@confsite.example", "demo-organiser-2026", "Olivia", "Organiser", True, None),
    ("attendee@confsite.example", "demo-attendee-2026", "Minji", "Kim", False, None),
    ("sponsor@confsite.example", "demo-sponsor-2026", "Sam", "Sponsor", False, None),
    ("desk@confsite.example", "demo-desk-2026", "Dana", "Desk", True, roles.REGISTRATION_DESK),
    ("finance@confsite.example", "demo-finance-2026", "Farid", "Finance", True, roles.FINANCE),
    ("programme@confsite.example", "demo-programme-2026", "Priya", "Programme", True, roles.PROGRAMME_CHAIRS),
    ("sponsorship@confsite.example", "demo-sponsorship-2026", "Seo-yeon", "Sponsorship", True,
     roles.SPONSORSHIP_CHAIRS),
    ("catering@confsite.example", "demo-catering-2026", "Camille", "Catering", True, roles.CATERING),
]


def _staff_group(name: str) -> Group:
    """The role's group, which the data migration creates; recreated if a database was flushed since."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        wanted = [tuple(codename.split(".")) for codename in roles.ROLES[name]]
        found = Permission.objects.filter(
            reduce(or_, (Q(content_type__app_label=app, codename=code) for app, code in wanted)))
        group.permissions.set(found)
    return group


class Command(BaseCommand):
    help = "Load the ICML 2026 demo edition and demo accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        for data in EDITIONS:
            slug = data["slug"]
            Conference.objects.update_or_create(
                slug=slug, defaults={**{k: v for k, v in data.items() if k != "slug"}, "code_of_conduct": CODE_OF_CONDUCT}
            )
        make_current(Conference.objects.get(slug="icml2026"))

        for email, password, first, last, staff, group in ACCOUNTS:
            user, _created = User.objects.get_or_create(email=email)
            user.first_name, user.last_name = first, last
            user.is_staff = staff
            user.is_superuser = staff and group is None
            user.set_password(password)
            user.save()
            if group:
                user.groups.set([_staff_group(group)])
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )

        # Each app may add its own demo data in `<app>/demo.py` with `load(conference, stdout)`;
        # the core does not import the apps by name.
        for app in apps.get_app_configs():
            try:
                module = import_module(f"{app.name}.demo")
            except ModuleNotFoundError:
                continue
            for conference in Conference.objects.all():
                module.load(conference, stdout=self.stdout)

        self.stdout.write(self.style.SUCCESS("Demo edition ICML 2026 (Seoul, 6–11 July 2026) is loaded."))
        self.stdout.write("Demo logins (e-mail / password):")
        for email, password, _first, _last, staff, group in ACCOUNTS:
            role = (f"staff: {group}" if group else "organiser, /admin/" if staff
                    else "sponsor member" if "sponsor" in email else "attendee")
            self.stdout.write(f"  {email:30} {password:22} ({role})")
