"""Two ways to store the generator's rows: PostgreSQL's COPY, and ``bulk_create`` elsewhere (SQLite in tests).

Both take the same ``Chunk``s of ``applications.bench_data.generator`` and store
what the application would: personal data encrypted with ``applications.crypto``
(``encrypt_text`` under the field's own context, as ``EncryptedTextField`` does)
and the identity number's keyed hash beside it; JSON as JSON. ``CopyWriter``
sends each table of a chunk with one ``COPY … FROM STDIN`` (psycopg 3,
``copy.write_row``) and, at the end, moves each table's id sequence past the
rows it wrote; ``BulkWriter`` makes model instances and lets the fields prepare
their values, keeping the generated timestamps (``auto_now`` is held off while
it writes). Each keeps the seconds spent per table.
"""

import json
import time
from collections import defaultdict
from contextlib import contextmanager

import orjson
from django.contrib.auth import get_user_model
from django.db import connection

from applications.bench_data.generator import FIELDS, NUMBERED, TABLES, JSONText
from applications.crypto import EncryptedTextField, KeyedHashField, encrypt_text, keyed_hash
from applications.models import (
    Application,
    Approval,
    AuditEntry,
    CaseEvent,
    Document,
    Fulfilment,
    InformationRequest,
    Payment,
    Reconsideration,
)


def table_models() -> dict:
    User = get_user_model()
    return {
        "users": User,
        "user_groups": User.groups.through,
        "applications": Application,
        "events": CaseEvent,
        "documents": Document,
        "approvals": Approval,
        "payments": Payment,
        "information_requests": InformationRequest,
        "reconsiderations": Reconsideration,
        "fulfilments": Fulfilment,
        "audit": AuditEntry,
    }


def quoted_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class _Timed:
    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.rows: dict[str, int] = defaultdict(int)

    def write_chunk(self, chunk) -> None:
        for table in TABLES:
            rows = chunk.rows[table]
            if not rows:
                continue
            started = time.perf_counter()
            self.write(table, rows)
            self.seconds[table] += time.perf_counter() - started
            self.rows[table] += len(rows)


def _json_text(value):
    if value is None or isinstance(value, JSONText):
        return value
    return orjson.dumps(value).decode()


class _CopyTable:
    """A table's COPY statement and what each row's values become on the way."""

    def __init__(self, model, fields: tuple[str, ...]):
        self.model = model
        meta = model._meta
        columns = [meta.get_field(name).column for name in fields]
        self.transforms: list[tuple[int, object]] = []
        self.hashes: list[int] = []
        for index, name in enumerate(fields):
            field = meta.get_field(name)
            if isinstance(field, EncryptedTextField):
                self.transforms.append((index, _encrypter(field.encryption_context)))
            elif field.get_internal_type() == "JSONField":
                self.transforms.append((index, _json_text))
        for field in meta.concrete_fields:
            if isinstance(field, KeyedHashField):
                columns.append(field.column)
                self.hashes.append(fields.index(field.source))
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        self.statement = f"COPY {quoted_table(model)} ({names}) FROM STDIN"

    def prepared(self, row: tuple) -> list:
        values = list(row)
        for index in self.hashes:
            values.append(keyed_hash(row[index]))
        for index, transform in self.transforms:
            values[index] = transform(values[index])
        return values


def _encrypter(context: str):
    def encrypt(value):
        return encrypt_text(value, context=context) if value else value

    return encrypt


class CopyWriter(_Timed):
    """PostgreSQL: one COPY per table and chunk, in the caller's transaction."""

    def __init__(self):
        super().__init__()
        models = table_models()
        self.tables = {table: _CopyTable(models[table], FIELDS[table]) for table in TABLES}

    def write(self, table: str, rows: list[tuple]) -> None:
        spec = self.tables[table]
        with connection.cursor() as cursor, cursor.cursor.copy(spec.statement) as copy:
            prepared, write = spec.prepared, copy.write_row
            for row in rows:
                write(prepared(row))

    def finish(self) -> None:
        """Each id sequence moved past the highest id, so the application's next row gets a free one."""
        with connection.cursor() as cursor:
            for table in NUMBERED:
                model = self.tables[table].model
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(MAX(id), 1)) FROM {quoted_table(model)}",  # noqa: S608
                    [model._meta.db_table],
                )


@contextmanager
def _generated_timestamps(model):
    """``auto_now``/``auto_now_add`` off while the generator's own moments are written."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class BulkWriter(_Timed):
    """Any other database: model instances and ``bulk_create``, the fields preparing each value."""

    BATCH = 500

    def __init__(self):
        super().__init__()
        self.models = table_models()

    def write(self, table: str, rows: list[tuple]) -> None:
        model = self.models[table]
        fields = FIELDS[table]
        instances = [
            model(
                **{
                    name: json.loads(value) if isinstance(value, JSONText) else value
                    for name, value in zip(fields, row, strict=True)
                }
            )
            for row in rows
        ]
        with _generated_timestamps(model):
            model.objects.bulk_create(instances, batch_size=self.BATCH)

    def finish(self) -> None:
        """SQLite moves its counters past explicit ids by itself."""
