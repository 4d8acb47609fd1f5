"""The audit trail is append-only in the database too, and supervisors can be told
about overdue cases.

On PostgreSQL a trigger refuses every UPDATE and DELETE of an audit entry,
whoever sends it (the ORM already refuses both; this also stops raw SQL and
other clients). TRUNCATE is left alone: it is what the test suite's flush uses,
and only the table's owner can run it. Other databases (SQLite in development)
rely on the ORM alone.
"""

from django.db import migrations, models

FUNCTION = "applications_auditentry_append_only"
TRIGGER = "applications_auditentry_append_only"


def _table(apps, schema_editor) -> str:
    return schema_editor.quote_name(apps.get_model("applications", "AuditEntry")._meta.db_table)


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'The audit trail is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END;
        $$;
        """,
        params=None,
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {_table(apps, schema_editor)} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();",
        params=None,
    )


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {_table(apps, schema_editor)};", params=None)
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}();", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_reason_codes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="event",
            field=models.CharField(
                choices=[
                    ("submitted", "Application received"),
                    ("info_requested", "More information needed"),
                    ("approved", "Application approved"),
                    ("rejected", "Application rejected"),
                    ("sla_overdue", "Decision overdue"),
                ],
                max_length=20,
                verbose_name="event",
            ),
        ),
        migrations.RunPython(trigger_create, trigger_drop, elidable=False),
    ]
