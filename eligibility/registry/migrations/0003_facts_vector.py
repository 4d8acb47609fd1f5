"""On PostgreSQL, the registry keeps each person's facts encoded for the column evaluator: the stored
generated column ``facts_vector`` (``eligibility.registry.fact_vector``), which matching reads instead of
decoding the jsonb. Not a model field; SQLite has none. Adding it rewrites the table once.

Should the catalogue's facts change (``fact_vector.LAYOUT``), a new migration runs the same
``refresh`` again: it rebuilds the column in the new layout and does nothing when it already has it.
``FACTS_VECTOR_LAYOUT`` says which layout a migration was written for (tests/matching asks that one
migration names the current layout)."""

from django.db import migrations

FACTS_VECTOR_LAYOUT = 32772067


def refresh(apps, schema_editor):
    from eligibility.registry.fact_vector import facts_vector_refresh

    facts_vector_refresh(schema_editor.connection, apps.get_model("registry", "RegistryPerson")._meta.db_table)


def drop(apps, schema_editor):
    from eligibility.registry.fact_vector import facts_vector_drop

    facts_vector_drop(schema_editor.connection, apps.get_model("registry", "RegistryPerson")._meta.db_table)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_policy_admin_permissions")]

    operations = [migrations.RunPython(refresh, drop, elidable=False)]
