"""Opaque public ids (filled here, made unique and required in 0005) for everything a sponsor names in a URL or a form (issue 6 review: ids in
sponsor-facing URLs must neither be guessable nor reveal how many rows exist)."""

from django.db import migrations, models

import sponsors.models

MODELS = ["sponsormember", "recruitmentprofile", "apitoken", "interviewslot", "invitation", "complimentarypass"]


def fill(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("sponsors", name)
        rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
        for row in rows:
            row.public_id = sponsors.models.new_public_id()
        model.objects.bulk_update(rows, ["public_id"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("sponsors", "0003_cv_permission"),
    ]

    operations = [
        *[migrations.AddField(model_name=name, name="public_id",
                              field=models.CharField(max_length=32, null=True, editable=False))
          for name in MODELS],
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
