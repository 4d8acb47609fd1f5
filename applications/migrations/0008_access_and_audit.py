"""Documents get a random link token; the audit trail becomes a hash chain owned by a role nobody logs in as.

1. ``Document.token``: a random UUID per document, the only id in a document's
   address (``documents/<token>/``). Existing documents get one here.
2. ``AuditEntry.sequence``/``previous_hash``/``entry_hash``: the hash chain of
   ``applications.audit_chain``. Existing entries are numbered and chained here
   in the order they were written (their id).
3. On PostgreSQL only, the audit table is sealed: it is given to the role
   ``linghuo_audit_owner`` (NOLOGIN, created if missing), and the user that runs
   the migrations (the application's user) keeps INSERT and SELECT only. Not
   being the owner, it can no longer TRUNCATE, UPDATE, DELETE, ALTER the table
   (so no ``DISABLE TRIGGER``) or replace the append-only trigger's function.

   Sealing needs a superuser. When the migrations run as a superuser, they do
   it directly. When they run as the application's own non-superuser role (as
   in docker-compose), they call ``linghuo_seal_audit_table()``, a function the
   database's superuser created once (``docker/postgres-init/``) that does the
   same, for the calling role only. Without either, the migration stops with
   a message saying so rather than leave the trail unprotected.

   A later migration that changes the audit table must run as a superuser.
"""

import uuid

import django.utils.timezone
from django.db import migrations, models

from applications.audit_chain import GENESIS, hash_of_entry

OWNER_ROLE = "linghuo_audit_owner"
SEAL_FUNCTION = "linghuo_seal_audit_table"
TRIGGER = "applications_auditentry_append_only"  # migration 0003
TRIGGER_FUNCTION = "applications_auditentry_append_only"
CREATE_OWNER_ROLE = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linghuo_audit_owner') THEN
        CREATE ROLE linghuo_audit_owner NOLOGIN;
    END IF;
END $$;
"""


def _is_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def backfill(apps, schema_editor):
    Document = apps.get_model("applications", "Document")
    AuditEntry = apps.get_model("applications", "AuditEntry")
    table = schema_editor.quote_name(AuditEntry._meta.db_table)
    postgresql = _is_postgresql(schema_editor)
    if postgresql:
        # Checked now rather than at commit, so the table can be altered again in this migration.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE", params=None)
    for document in Document.objects.filter(token__isnull=True).only("pk"):
        Document.objects.filter(pk=document.pk).update(token=uuid.uuid4())

    entries = AuditEntry.objects.order_by("id")
    if not entries.exists():
        return
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}", params=None)
    previous = GENESIS
    for number, entry in enumerate(entries.iterator(), start=1):
        entry.sequence = number
        entry.details = entry.details or {}
        digest = hash_of_entry(entry, previous)
        AuditEntry.objects.filter(pk=entry.pk).update(sequence=number, previous_hash=previous, entry_hash=digest)
        previous = digest
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}", params=None)


def _seal_statements(table: str, grantee_sql: str) -> list[str]:
    """What sealing does; ``grantee_sql`` names the application's role (``current_user``)."""
    return [
        f"ALTER TABLE {table} OWNER TO {OWNER_ROLE}",  # its identity sequence follows the table
        f"ALTER FUNCTION {TRIGGER_FUNCTION}() OWNER TO {OWNER_ROLE}",
        f"REVOKE ALL ON TABLE {table} FROM {grantee_sql}",
        f"GRANT INSERT, SELECT ON TABLE {table} TO {grantee_sql}",
    ]


def seal(apps, schema_editor):
    if not _is_postgresql(schema_editor):
        return
    table = schema_editor.quote_name(apps.get_model("applications", "AuditEntry")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [f"{SEAL_FUNCTION}()"])
        has_function = cursor.fetchone()[0]
        if superuser:
            cursor.execute(CREATE_OWNER_ROLE)
            for statement in _seal_statements(table, "current_user"):
                cursor.execute(statement)
        elif has_function:
            cursor.execute(f"SELECT {SEAL_FUNCTION}()")
        else:
            raise RuntimeError(
                "The audit trail cannot be sealed: the migrations run as a database user that is not a "
                f"superuser, and the function {SEAL_FUNCTION}() does not exist. Create it as a superuser "
                "(see docker/postgres-init/10-linghuo.sh), or run the migrations once as a superuser."
            )


def unseal(apps, schema_editor):
    if not _is_postgresql(schema_editor):
        return
    table = schema_editor.quote_name(apps.get_model("applications", "AuditEntry")._meta.db_table)
    # Only a superuser can take the table back; anyone else gets PostgreSQL's refusal.
    schema_editor.execute(f"ALTER TABLE {table} OWNER TO session_user", params=None)
    schema_editor.execute(f"ALTER FUNCTION {TRIGGER_FUNCTION}() OWNER TO session_user", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_application_screening_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="token",
            field=models.UUIDField(null=True, editable=False, verbose_name="link token"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="at"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, verbose_name="number"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="previous_hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash of the previous entry"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="document",
            name="token",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="link token"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="number"),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
