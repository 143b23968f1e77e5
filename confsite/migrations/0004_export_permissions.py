"""Exports get their own permissions (see confsite/roles.py for the why): three, by domain, on the
edition model (confsite.Conference), granted to Finance (finance) and Programme chairs (programme);
export_people goes to no group.

A frozen copy, not an import of confsite.roles. Forward: creates the permissions (or finds them) and
adds each to its groups, leaving the groups' other permissions as they are. Backward: deletes the
three permissions, which takes them from every group and person.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {
    "export_people": "Can export people (registrations, check-ins, accounts) as CSV/XLSX",
    "export_finance": "Can export orders, payments, refunds and invoices as CSV/XLSX",
    "export_programme": "Can export papers and sessions as CSV/XLSX",
}
GRANTS = {
    "Finance": ["export_finance"],
    "Programme chairs": ["export_programme"],
}


def create_and_grant(apps, schema_editor):
    db = schema_editor.connection.alias
    # On a fresh database post_migrate has not yet made the content types: make confsite's now.
    app_config = apps.get_app_config("confsite")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=db)
    app_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    edition = ContentType.objects.db_manager(db).get_by_natural_key("confsite", "conference")
    made = {}
    for codename, name in PERMISSIONS.items():
        permission, _ = Permission.objects.using(db).get_or_create(
            content_type=edition, codename=codename, defaults={"name": name})
        made[codename] = permission
    for group_name, codenames in GRANTS.items():
        # Groups an organiser deleted stay deleted; 0003 creates them on a fresh database.
        for group in Group.objects.using(db).filter(name=group_name):
            group.permissions.add(*(made[codename] for codename in codenames))


def delete(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="confsite", content_type__model="conference", codename__in=list(PERMISSIONS),
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("confsite", "0003_staff_groups"),
    ]

    operations = [migrations.RunPython(create_and_grant, delete)]
