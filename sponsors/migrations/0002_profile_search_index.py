"""Full-text index on the recruitment profiles' folded search text (PostgreSQL only).

The 'simple' configuration: profiles mix languages (English, Korean, names), so no stemming
dictionary is right for all of them; the text is already folded in Python (accents, case).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS sponsors_profile_search_fts ON sponsors_recruitmentprofile "
        "USING gin (to_tsvector('simple'::regconfig, search_text))")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS sponsors_profile_search_fts")


class Migration(migrations.Migration):
    dependencies = [("sponsors", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
