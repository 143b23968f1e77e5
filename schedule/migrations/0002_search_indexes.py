"""Trigram indexes for programme search on PostgreSQL (nothing on SQLite).

The searched columns hold text already folded in Python (`schedule.models.normalize`: accents
stripped, case folded, Hangul kept), so accent-insensitivity works on every database; pg_trgm adds
typo tolerance (`%` / word_similarity) and fast substring search through GIN indexes. Creating the
extension needs a role that may create extensions (the database owner on PostgreSQL 13+ for trusted
extensions such as pg_trgm).
"""

from django.db import migrations

INDEXES = [
    ("schedule_paper_search_trgm", "schedule_paper", "search_text"),
    ("schedule_session_search_trgm", "schedule_session", "search_text"),
    ("schedule_author_search_trgm", "schedule_author", "search_name"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("schedule", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
