"""Staff roles as groups with exact permission sets (issue 7); see confsite/roles.py for the why.

A frozen copy of the roles, not an import: the migration must keep meaning what it meant when it ran.
Forward: creates the groups, or resets existing ones to exactly these permissions (idempotent).
Backward: deletes the five groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def _crud(app_label, *models, actions=("add", "change", "delete", "view")):
    return [f"{app_label}.{action}_{model}" for model in models for action in actions]


ROLES = {
    "Registration desk": [
        "registration.add_checkin", "registration.view_checkin",
        "registration.view_conferenceday",
        "registration.view_registration", "registration.view_order",
        "registration.view_category", "registration.view_product",
        "registration.view_revokedcheckintoken",
    ],
    "Finance": [
        "registration.view_payment", "registration.add_payment",
        "registration.view_refund", "registration.change_refund",
        "registration.view_invoice", "registration.view_finance",
        "registration.view_order", "registration.change_order", "registration.view_orderline",
        "registration.view_refundpolicy", "registration.view_stripeevent",
    ],
    "Programme chairs": [
        *_crud("schedule", "room", "topic", "speaker", "author", "paper", "authorship", "session",
               "presentation", "slot"),
        "schedule.add_release", "schedule.view_release",
        "registration.view_registration",
    ],
    "Sponsorship chairs": [
        *_crud("sponsors", "tier", "sponsor", "sponsormember", "interviewroom", "interviewslot",
               "complimentarypass"),
        "sponsors.view_accesslogentry",
    ],
    "Catering and access": [
        "registration.view_sensitiveneeds", "registration.view_registration",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are made by post_migrate, after every migration: on a fresh database they do not
    # exist yet when this runs, so create them now from the migration state.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for name, names in ROLES.items():
        wanted = {tuple(full.split(".", 1)) for full in names}
        found = list(Permission.objects.using(db).filter(
            content_type__app_label__in={app for app, _ in wanted}, codename__in={code for _, code in wanted},
        ).select_related("content_type"))
        found = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        if missing:
            raise RuntimeError(f"{name}: no such permissions: {sorted('.'.join(m) for m in missing)}")
        group, _ = Group.objects.using(db).get_or_create(name=name)
        group.permissions.set(found)


def delete_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("confsite", "0002_bulk_mailing"),
        ("registration", "0006_voucher_recipient"),
        ("schedule", "0003_published_sessions_are_kept"),
        ("sponsors", "0007_bind_pass_vouchers"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
