"""The public ids filled in 0004 become unique and required (a separate migration: PostgreSQL does not
alter a table in the transaction that updated its rows)."""

from django.db import migrations, models

import sponsors.models

MODELS = ["sponsormember", "recruitmentprofile", "apitoken", "interviewslot", "invitation", "complimentarypass"]


class Migration(migrations.Migration):

    dependencies = [
        ("sponsors", "0004_public_ids"),
    ]

    operations = [
        *[migrations.AlterField(model_name=name, name="public_id",
                                field=models.CharField(max_length=32, unique=True, editable=False,
                                                       default=sponsors.models.new_public_id))
          for name in MODELS],
    ]
