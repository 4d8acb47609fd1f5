"""The audit trail's hash chain and ``manage.py audit_verify``.

On PostgreSQL, the table is one the application can only append to.
"""

import importlib
import json
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection, connections

from applications.audit_chain import GENESIS, hash_of_entry
from applications.models import AuditEntry
from applications.services.audit import audit_record
from tests.factories import CaseworkerFactory

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table
migration = importlib.import_module("applications.migrations.0008_access_and_audit")


def write(count: int, actor=None) -> list[AuditEntry]:
    return [
        audit_record(actor=actor, action=AuditEntry.Action.NOTE, details={"n": n, "text": "备注", "ids": (1, 2)})
        for n in range(count)
    ]


def verify(tmp_path, *extra) -> tuple[int, list[str]]:
    """Runs the command; its exit code and the lines it printed."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", "--checkpoint", str(tmp_path / "head.json"), *extra, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue().splitlines()


def raw(sql: str, params=()) -> None:
    """Tampering as someone with the owner's rights would (on PostgreSQL, past the append-only trigger)."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET session_replication_role = replica")  # triggers off; a superuser's power
        cursor.execute(sql, params)
        if postgresql:
            cursor.execute("SET session_replication_role = origin")


# --- The chain --------------------------------------------------------------------------------


def test_entries_are_numbered_and_chained():
    entries = write(3, actor=CaseworkerFactory())
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].previous_hash == GENESIS
    assert entries[1].previous_hash == entries[0].entry_hash
    for stored in AuditEntry.objects.order_by("sequence"):  # what the database gives back hashes the same
        assert hash_of_entry(stored, stored.previous_hash) == stored.entry_hash
    assert AuditEntry.objects.get(sequence=1).details == {"n": 0, "text": "备注", "ids": [1, 2]}


def test_an_intact_trail_verifies_and_records_its_head(tmp_path):
    entries = write(3)
    code, lines = verify(tmp_path)
    assert code == 0
    assert lines == ["The audit trail is intact: 3 entries, chain verified."]
    head = json.loads((tmp_path / "head.json").read_text())
    assert head["sequence"] == 3 and head["hash"] == entries[-1].entry_hash


def test_an_empty_trail_without_checkpoint_is_intact(tmp_path):
    assert verify(tmp_path) == (0, ["The audit trail is intact: 0 entries, chain verified."])


def test_a_changed_entry_is_reported(tmp_path):
    write(3)
    raw("UPDATE applications_auditentry SET details = %s WHERE sequence = 2", [json.dumps({"n": 99})])
    code, lines = verify(tmp_path)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("changed: entry 2 ")


def test_a_removed_entry_is_a_gap(tmp_path):
    write(4)
    raw("DELETE FROM applications_auditentry WHERE sequence IN (2, 3)")
    code, lines = verify(tmp_path)
    assert code == 1
    assert lines == ["gap: entries 2-3 are missing (between 1 and 4)"]


def test_a_forged_insert_is_reported(tmp_path):
    write(2)
    forged = AuditEntry(action=AuditEntry.Action.DECISION, details={"decision": "approve"}, sequence=3)
    forged.previous_hash = "0" * 64  # does not know (or care about) the previous hash
    forged.entry_hash = "f" * 64
    forged.save(force_insert=True)
    code, lines = verify(tmp_path)
    assert code == 1
    assert [line.split(":")[0] for line in lines] == ["broken link", "changed"]
    assert "entry 3" in lines[0] and "entry 3" in lines[1]


def test_an_entry_replaced_with_a_valid_hash_breaks_the_next_link(tmp_path):
    write(3)
    second = AuditEntry.objects.get(sequence=2)
    second.details = {"n": "replaced"}
    raw("DELETE FROM applications_auditentry WHERE sequence = 2")
    second.entry_hash = hash_of_entry(second, second.previous_hash)
    second.pk = None
    second.save(force_insert=True)
    code, lines = verify(tmp_path)
    assert code == 1
    assert lines == [lines[0]] and lines[0].startswith("broken link: entry 3 ")


def test_truncation_is_reported_against_the_checkpoint(tmp_path):
    write(5)
    assert verify(tmp_path)[0] == 0
    raw("DELETE FROM applications_auditentry WHERE sequence >= 4")  # the newest entries cut off
    code, lines = verify(tmp_path)
    assert code == 1
    assert lines[0].startswith("truncated: the trail ends at entry 3, but entry 5 was there")
    raw("DELETE FROM applications_auditentry")  # everything
    code, lines = verify(tmp_path)
    assert code == 1 and lines[0].startswith("truncated: the trail is empty, but entry 5 was there")


def test_a_trail_that_does_not_start_at_one_is_truncated(tmp_path):
    write(3)
    raw("DELETE FROM applications_auditentry WHERE sequence = 1")
    code, lines = verify(tmp_path, "--no-checkpoint")
    assert code == 1 and lines == ["truncated: the trail starts at entry 2; entries 1-1 are missing"]


def test_a_recomputed_chain_is_caught_by_the_checkpoint(tmp_path):
    write(3)
    assert verify(tmp_path)[0] == 0
    previous = GENESIS
    entries = list(AuditEntry.objects.order_by("sequence"))
    raw("DELETE FROM applications_auditentry")
    for entry in entries:  # every hash made again, over changed content
        entry.pk, entry.details = None, {"rewritten": True}
        entry.previous_hash = previous
        entry.entry_hash = previous = hash_of_entry(entry, previous)
        entry.save(force_insert=True)
    code, lines = verify(tmp_path)
    assert code == 1 and lines == [lines[0]] and lines[0].startswith("rewritten: entry 3 ")


def test_a_checkpoint_is_not_moved_past_a_problem(tmp_path):
    write(2)
    assert verify(tmp_path)[0] == 0
    write(1)
    raw("UPDATE applications_auditentry SET action = 'decision' WHERE sequence = 3")
    assert verify(tmp_path)[0] == 1
    assert json.loads((tmp_path / "head.json").read_text())["sequence"] == 2


# --- PostgreSQL: one chain under concurrent writers, a table the application can only append to -------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_chain(tmp_path):
    errors = []

    def writer():
        try:
            for n in range(10):
                audit_record(actor=None, action=AuditEntry.Action.NOTE, details={"n": n})
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True)) == list(range(1, 61))
    assert verify(tmp_path)[0] == 0


APP_ROLE = "linghuo_app_test"


@pytest.fixture
def app_role_connection():
    """A connection as a login role that is not a superuser, with what migration 0008 grants the application."""
    psycopg = pytest.importorskip("psycopg")
    password = uuid.uuid4().hex
    table = connection.ops.quote_name(TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        cursor.execute(f"{verb} ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '{password}'")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        # The application owns every other table; here the test role may at least read the ones audit_verify joins.
        for statement in migration._seal_statements(table, APP_ROLE):
            cursor.execute(statement)
    settings_dict = connection.settings_dict
    app = psycopg.connect(
        host=settings_dict["HOST"] or "localhost",
        port=settings_dict["PORT"] or 5432,
        dbname=settings_dict["NAME"],
        user=APP_ROLE,
        password=password,
        autocommit=True,
    )
    try:
        yield app
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f"REVOKE ALL ON TABLE {table} FROM {APP_ROLE}")
            cursor.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
            cursor.execute(f"ALTER ROLE {APP_ROLE} NOLOGIN")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_application_role_may_only_insert_and_select(app_role_connection, tmp_path):
    import psycopg

    write(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", [TABLE])
        assert cursor.fetchone()[0] == migration.OWNER_ROLE
        cursor.execute(
            "SELECT c.relowner::regrole::text FROM pg_class c WHERE c.oid = pg_get_serial_sequence(%s, 'id')::regclass",
            [TABLE],
        )
        assert cursor.fetchone()[0] == migration.OWNER_ROLE
        cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [migration.OWNER_ROLE])
        assert cursor.fetchone()[0] is False

    refused = {
        "TRUNCATE": "TRUNCATE applications_auditentry",
        "UPDATE": "UPDATE applications_auditentry SET action = 'decision'",
        "DELETE": "DELETE FROM applications_auditentry",
        "DISABLE TRIGGER": "ALTER TABLE applications_auditentry DISABLE TRIGGER ALL",
        "DROP": "DROP TABLE applications_auditentry",
        "replace the trigger function": (
            f"CREATE OR REPLACE FUNCTION {migration.TRIGGER_FUNCTION}() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$"
        ),
    }
    for what, statement in refused.items():
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_role_connection.execute(statement)
        assert what  # each refusal is its own statement

    rows = app_role_connection.execute("SELECT sequence FROM applications_auditentry ORDER BY sequence").fetchall()
    assert [row[0] for row in rows] == [1, 2]
    app_role_connection.execute(
        "INSERT INTO applications_auditentry (action, details, at, sequence, previous_hash, entry_hash) "
        "VALUES ('decision', '{\"decision\": \"approve\"}', now(), 3, %s, %s)",
        ["0" * 64, "f" * 64],
    )
    assert AuditEntry.objects.count() == 3
    code, lines = verify(tmp_path)
    assert code == 1
    assert any(line.startswith("changed: entry 3 ") for line in lines)
    assert any(line.startswith("broken link: entry 3 ") for line in lines)
