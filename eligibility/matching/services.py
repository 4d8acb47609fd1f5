"""Matching the registry against every programme (免申即享, issue 12).

``registry_match`` evaluates every registry person on ``as_of`` with the column
evaluator (``eligibility.columns``: the same rule trees as the screener) and
keeps, per person and programme, the latest status and amount
(``MatchResult``). It reads the registry in chunks of persons, so memory does
not grow with the registry; each chunk is evaluated and written in one
transaction (``match_chunk``), and a chunk run twice writes nothing the second time.

What is kept, and what is written:

- ``MatchResult`` rows exist for the results that say something about a person:
  a row is created when a person is found eligible or when information is
  needed; once created, it follows the person's result (also back to not
  eligible). No row means not eligible (``ineligible`` or ``not_in_force``):
  the readers (invitations, the budgets forecast, the funnel) read eligible rows
  only. Of a million persons and fifteen programmes, some 85 % of the results
  are "not eligible": they are not written.
- ``PersonState.digest`` sums up each person's results for every programme in
  64 bits; a person whose digest is unchanged is not written at all. Of a
  changed person, the rows that exist or are now to be created are sent, and a
  row is rewritten only when its status, amount or periods differ.

Two paths with one answer:

- PostgreSQL: the registry keeps each person's facts encoded for the column
  evaluator, in the generated column ``facts_vector``
  (``eligibility.registry.fact_vector``, computed by PostgreSQL on every write
  of the row). A chunk is one binary ``COPY ... TO STDOUT`` of the persons' ids,
  vectors and kept digests (a merge join on the two primary keys), which numpy
  reads in place: no jsonb is decoded. Outside a transaction the next chunk is
  read by a thread on its own connection while this one is evaluated and
  written. Results go back by binary ``COPY`` into a temporary table and one
  ``INSERT ... ON CONFLICT DO UPDATE``.
- Any other database (SQLite in tests and ``make demo``): the ORM, with
  ``parse_facts`` and ``PersonTable.from_facts``.

When the run is done, ``applications.outreach.services.invitations_create``
makes the invitations of the persons newly eligible (``MatchResult.first_eligible_run``).
"""

import contextlib
import logging
import queue
import select
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import psycopg
from django.db import connection, transaction
from django.utils import timezone

from eligibility.columns import STATUSES, TRUE, PersonTable, ProgrammeColumns, evaluate_columns
from eligibility.facts import FactsInvalid, parse_facts
from eligibility.matching.models import MatchResult, MatchRun, PersonState
from eligibility.models import Programme
from eligibility.parameter_cache import parameters_in_force
from eligibility.parameter_set import ParameterSet
from eligibility.registry import fact_vector
from eligibility.results import PERIODIC
from eligibility.rules import PROGRAMMES

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 100_000
PERS: tuple[str, ...] = tuple(Programme.Per.values)
ELIGIBLE_CODE = int(TRUE)
# A result row is created only for these statuses; see the module.
CREATED_FOR = np.array(
    [STATUSES.index(MatchResult.Status.ELIGIBLE), STATUSES.index(MatchResult.Status.NEEDS_INFO)], dtype=np.uint8
)


def _registry_person_model():
    from django.apps import apps

    return apps.get_model("registry", "RegistryPerson")


# --- What one chunk gives ----------------------------------------------------------------------------


@dataclass
class ChunkRead:
    """The persons of one chunk: their ids (ascending), their facts as a ``PersonTable`` and the digest last
    written (0 where the person has none yet)."""

    ids: np.ndarray  # int64
    table: PersonTable
    digest: np.ndarray  # int64


@dataclass
class ChunkCounts:
    persons: int = 0
    eligible: int = 0
    results_written: int = 0

    def add(self, other: "ChunkCounts") -> None:
        self.persons += other.persons
        self.eligible += other.eligible
        self.results_written += other.results_written

    def as_dict(self) -> dict[str, int]:
        return {"persons": self.persons, "eligible": self.eligible, "results_written": self.results_written}


_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = 0x9E3779B97F4A7C15


def _absorb(digest: np.ndarray, part: np.ndarray, spare: np.ndarray) -> None:
    """``digest = g(digest ^ part)`` in place, ``g`` a bijection (an odd multiplier, then an xor-shift): for
    a given digest, different parts give different digests, so a change in one part always shows."""
    np.bitwise_xor(digest, part, out=digest)
    np.multiply(digest, _MIX_1, out=digest)
    np.right_shift(digest, np.uint64(31), out=spare)
    np.bitwise_xor(digest, spare, out=digest)


def _finish(digest: np.ndarray, spare: np.ndarray) -> None:
    """splitmix64's finaliser, in place: every bit of the state reaches every bit of the digest."""
    for shift, factor in ((30, _MIX_1), (27, _MIX_2), (31, None)):
        np.right_shift(digest, np.uint64(shift), out=spare)
        np.bitwise_xor(digest, spare, out=digest)
        if factor is not None:
            np.multiply(digest, factor, out=digest)


def stored_form(columns: ProgrammeColumns) -> tuple[np.ndarray, np.ndarray]:
    """(cents, periods) of each person as a result row keeps them: -1 where there is no amount, or no periods."""
    cents = np.where(columns.has_amount, columns.amount_cents, -1)
    periods = np.where(columns.has_amount & (columns.max_periods >= 0), columns.max_periods, -1)
    return cents, periods


def results_digest(results: dict[str, ProgrammeColumns], programme_ids: dict[str, int], n: int) -> np.ndarray:
    """A 64-bit digest of each person's status, amount and periods for every programme, as the result rows
    keep them (never 0: 0 is "no digest yet").

    Of a programme without amounts only the status is taken (its cents and periods are -1 for everyone),
    of one paid once or as a loan the status and cents (its periods are -1)."""
    digest = np.full(n, _GOLDEN, dtype=np.uint64)
    spare = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for slug, columns in results.items():
            tag = np.uint64(((programme_ids[slug] * 8 + PERS.index(columns.per)) * _GOLDEN) % 2**64)
            word = columns.status.astype(np.uint64)  # the status in the low 2 bits, the periods above them
            rules = PROGRAMMES.get(slug)
            if rules is None or rules.amount is not None:
                cents, periods = stored_form(columns)
                _absorb(digest, cents.view(np.uint64), spare)
                if columns.per in PERIODIC:
                    word |= periods.view(np.uint64) << np.uint64(2)
            word ^= tag
            _absorb(digest, word, spare)
        _finish(digest, spare)
    signed = digest.view(np.int64)
    signed[signed == 0] = 1
    return signed


def _evaluate(read: ChunkRead, as_of: date, parameters: ParameterSet, programme_ids: dict[str, int]):
    results = evaluate_columns(read.table, as_of, parameters=parameters)
    digest = results_digest(results, programme_ids, read.table.n)
    changed = np.flatnonzero(digest != read.digest)
    eligible = np.zeros(read.table.n, dtype=bool)
    for columns in results.values():
        eligible |= columns.status == TRUE
    return results, digest, changed, int(eligible.sum())


@dataclass
class ResultRows:
    """Result rows of the changed persons, one per person and programme, as columns."""

    person_id: np.ndarray
    programme_id: np.ndarray
    status: np.ndarray  # index into STATUSES
    cents: np.ndarray  # -1: no amount
    per: np.ndarray  # index into PERS
    periods: np.ndarray  # -1: none

    def __len__(self) -> int:
        return len(self.person_id)


def _result_rows(ids, results, changed, programme_ids, existing: np.ndarray) -> ResultRows:
    """The rows to write of the persons ``changed`` (positions): for each programme, those whose result is
    one a row is created for, and those whose row exists (``existing``: changed × programmes, bool)."""
    parts = {key: [] for key in ("person_id", "programme_id", "status", "cents", "per", "periods")}
    for position, (slug, columns) in enumerate(results.items()):
        status = columns.status[changed]
        wanted = np.isin(status, CREATED_FOR) | existing[:, position]
        taken = changed[wanted]
        count = len(taken)
        cents, periods = stored_form(columns)
        parts["person_id"].append(ids[taken])
        parts["programme_id"].append(np.full(count, programme_ids[slug], dtype=np.int64))
        parts["status"].append(status[wanted].astype(np.int16))
        parts["cents"].append(cents[taken])
        parts["per"].append(np.full(count, PERS.index(columns.per), dtype=np.int16))
        parts["periods"].append(periods[taken].astype(np.int32))
    dtypes = {"person_id": np.int64, "programme_id": np.int64, "status": np.int16, "cents": np.int64}
    dtypes.update({"per": np.int16, "periods": np.int32})
    return ResultRows(
        **{key: np.concatenate(values) if values else np.zeros(0, dtype=dtypes[key]) for key, values in parts.items()}
    )


def _existing_matrix(ids: np.ndarray, keys: tuple[np.ndarray, np.ndarray], positions: dict[int, int], width: int):
    """changed persons × programmes: True where a result row exists (``keys``: person and programme ids)."""
    matrix = np.zeros((len(ids), width), dtype=bool)
    people, programmes = keys
    if len(people):
        rows = np.searchsorted(ids, people)
        inside = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == people)
        columns = np.array([positions.get(int(p), -1) for p in programmes], dtype=np.int64)
        inside &= columns >= 0
        matrix[rows[inside], columns[inside]] = True
    return matrix


# --- Chunks of ids (the chord's) -------------------------------------------------------------------------


def chunk_ranges(chunk_size: int) -> list[tuple[int, int]]:
    """(first id, last id) of consecutive chunks of at most ``chunk_size`` registry persons."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    table = connection.ops.quote_name(_registry_person_model()._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS position FROM {table}) AS numbered "  # noqa: S608
            "WHERE position %% %s = 0 ORDER BY id",
            [chunk_size],
        )
        starts = [row[0] for row in cursor.fetchall()]
        if not starts:
            return []
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
        last = cursor.fetchone()[0]
    ends = [start - 1 for start in starts[1:]] + [last]
    return list(zip(starts, ends, strict=True))


def _uses_copy(fast: bool | None = None) -> bool:
    return connection.vendor == "postgresql" and fast is not False


# --- PostgreSQL: read by binary COPY ---------------------------------------------------------------------


def _with_lengths(fields: list[tuple[str, str]]) -> np.dtype:
    """The dtype of a binary COPY row of these fixed-width fields (a field count, then length and value of each)."""
    described: list[tuple[str, str]] = [("field_count", ">i2")]
    for name, kind in fields:
        described += [(f"{name}_len", ">i4"), (name, kind)]
    return np.dtype(described)


_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00"


def _binary_rows(data: bytes, dtype: np.dtype) -> np.ndarray:
    """The rows of a binary COPY whose fields all have a fixed width, as a structured array (no copy)."""
    if not data.startswith(_BINARY_HEADER):
        raise ValueError("Not a binary COPY stream")
    extension = int.from_bytes(data[15:19], "big")
    start = 19 + extension
    body = len(data) - start - 2  # the trailer is a field count of -1
    if body % dtype.itemsize:
        raise ValueError("A binary COPY row has an unexpected width (a NULL where none was expected?)")
    rows = np.frombuffer(data, dtype=dtype, count=body // dtype.itemsize, offset=start)
    for name in dtype.names:
        if name.endswith("_len") and len(rows):
            width = dtype[name[: -len("_len")]].itemsize
            if np.any(rows[name] != width):
                raise ValueError(f"{name[: -len('_len')]}: a field of the COPY has not the expected width {width}")
    return rows


def _copy_out(statement: str, dtype: np.dtype) -> np.ndarray:
    """The rows of a binary COPY ... TO STDOUT, read message by message from libpq itself.

    The server sends one message per row; psycopg's ``Copy`` iterator spends some
    13 µs of Python on each, more than all the rest of a chunk. ``get_copy_data``
    of psycopg's libpq wrapper (its C implementation) takes well under one.
    """
    with connection.cursor() as cursor:
        pgconn = cursor.connection.pgconn
        started = pgconn.exec_(statement.encode())
        if started.status != psycopg.pq.ExecStatus.COPY_OUT:
            raise psycopg.DatabaseError((started.error_message or b"COPY did not start").decode(errors="replace"))
        blocks = []
        while True:
            # Without blocking, and waiting in select() (which lets other threads run) when nothing has come:
            # the next chunk is read by a thread while this one is evaluated.
            size, data = pgconn.get_copy_data(1)
            if size > 0:
                blocks.append(bytes(data))
            elif size == 0:
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            else:
                break
        finished = pgconn.get_result()
        while pgconn.get_result() is not None:
            pass
        if size == -2 or finished is None or finished.status != psycopg.pq.ExecStatus.COMMAND_OK:
            message = (finished.error_message if finished is not None else pgconn.error_message) or b"COPY failed"
            raise psycopg.DatabaseError(message.decode(errors="replace"))
    return _binary_rows(b"".join(blocks), dtype)


def _vector_source() -> str:
    """What a read takes the fact vector from: the registry's column when it holds this catalogue's layout,
    else the same encoding computed from the jsonb (slower, the same answer) until a migration rebuilds it."""
    table = _registry_person_model()._meta.db_table
    if fact_vector.column_layout(connection, table) == fact_vector.LAYOUT:
        return f"p.{connection.ops.quote_name(fact_vector.COLUMN)}"
    logger.warning(
        "The registry's %s is missing or of another catalogue's layout: matching encodes the facts itself "
        "(slower). Run the migrations (eligibility.registry.fact_vector.facts_vector_refresh).",
        fact_vector.COLUMN,
    )
    return fact_vector.vector_sql("p.facts")


_READ_FIELDS = [("id", ">i8"), ("vector", f"V{fact_vector.VECTOR_DTYPE.itemsize}")]
READ_DTYPE = _with_lengths(_READ_FIELDS)
READ_WITH_DIGEST_DTYPE = _with_lengths([*_READ_FIELDS, ("digest", ">i8")])


def _read_sql(source: str, *, digests: bool, first: int, last: int | None = None, limit: int | None = None) -> str:
    """COPY of the persons with ids from ``first`` to ``last`` (or the first ``limit`` with an id above
    ``first``): id, fact vector (from ``source``) and, with ``digests``, the digest kept (0: none).

    Both sides are read in id order over their primary keys (a merge join): the range is given to both."""
    person_table = connection.ops.quote_name(_registry_person_model()._meta.db_table)
    state_table = connection.ops.quote_name(PersonState._meta.db_table)
    if last is not None:
        range_p, range_s, tail = (
            f"p.id BETWEEN {int(first)} AND {int(last)}",
            f"BETWEEN {int(first)} AND {int(last)}",
            "",
        )
    else:
        range_p, range_s, tail = f"p.id > {int(first)}", f"> {int(first)}", f" LIMIT {int(limit)}"
    columns = f"p.id, {source}"
    join = ""
    if digests:
        columns += ", COALESCE(s.digest, 0)"
        join = f" LEFT JOIN {state_table} AS s ON s.person_id = p.id AND s.person_id {range_s}"
    return (
        f"COPY (SELECT {columns} FROM {person_table} AS p{join} WHERE {range_p} ORDER BY p.id{tail}) "  # noqa: S608
        "TO STDOUT (FORMAT binary)"
    )


def _read_copy(statement: str, *, digests: bool) -> ChunkRead:
    rows = _copy_out(statement, READ_WITH_DIGEST_DTYPE if digests else READ_DTYPE)
    ids = rows["id"].astype(np.int64)
    vectors = np.frombuffer(rows["vector"].tobytes(), dtype=fact_vector.VECTOR_DTYPE)
    digest = rows["digest"].astype(np.int64) if digests else np.zeros(len(ids), dtype=np.int64)
    return ChunkRead(ids=ids, table=fact_vector.table_from_vectors(vectors, ids), digest=digest)


# --- PostgreSQL: write by binary COPY and one upsert ---------------------------------------------------------


def _binary_copy_data(columns: list[tuple[np.ndarray, str]]) -> bytes:
    """A binary COPY stream of fixed-width, non-null columns ((values, '>i2'|'>i4'|'>i8'|'V<n>'), ...)."""
    n = len(columns[0][0]) if columns else 0
    rows = np.empty(n, dtype=_with_lengths([(f"value{index}", kind) for index, (_, kind) in enumerate(columns)]))
    rows["field_count"] = len(columns)
    for index, (values, kind) in enumerate(columns):
        rows[f"value{index}_len"] = np.dtype(kind).itemsize
        rows[f"value{index}"] = values
    return _BINARY_HEADER + b"\x00" * 8 + rows.tobytes() + b"\xff\xff"


_STAGE_RESULTS = "matching_stage_results"
_STAGE_STATES = "matching_stage_states"
_KEYS_DTYPE = _with_lengths([("person_id", ">i8"), ("programme_id", ">i8")])


def _existing_keys_copy(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(person ids, programme ids) of the result rows of the persons ``ids`` (ascending)."""
    table = connection.ops.quote_name(MatchResult._meta.db_table)
    if len(ids) > 1000 and len(ids) * 4 > ids[-1] - ids[0]:
        # Most persons of a range (a first run): the range, read in order, is cheaper than a list of ids.
        where = f"person_id BETWEEN {int(ids[0])} AND {int(ids[-1])}"
    else:
        where = f"person_id = ANY('{{{','.join(str(int(pk)) for pk in ids)}}}'::int8[])"
    rows = _copy_out(
        f"COPY (SELECT person_id, programme_id FROM {table} WHERE {where}) TO STDOUT (FORMAT binary)",  # noqa: S608
        _KEYS_DTYPE,
    )
    return rows["person_id"].astype(np.int64), rows["programme_id"].astype(np.int64)


def _stage(raw, name: str, columns_sql: str, data: bytes) -> None:
    raw.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns_sql}) ON COMMIT DELETE ROWS")
    raw.execute(f"TRUNCATE {name}")  # a chunk inside a caller's transaction: empty it here
    with raw.copy(f"COPY {name} FROM STDIN (FORMAT binary)") as copy:
        copy.write(data)


def _write_copy(run: MatchRun, as_of: date, rows: ResultRows, ids: np.ndarray, digest: np.ndarray) -> int:
    """Upserts ``rows`` and the digests of the persons ``ids``; the number of result rows written."""
    result_table = connection.ops.quote_name(MatchResult._meta.db_table)
    state_table = connection.ops.quote_name(PersonState._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("SET LOCAL jit = off")  # compiling these statements would cost more than running them
        if len(rows):
            data = _binary_copy_data(
                [
                    (rows.person_id, ">i8"),
                    (rows.programme_id, ">i8"),
                    (rows.status, ">i2"),
                    (rows.cents, ">i8"),
                    (rows.per, ">i2"),
                    (rows.periods, ">i4"),
                ]
            )
            _stage(
                raw,
                _STAGE_RESULTS,
                "person_id int8, programme_id int8, status int2, cents int8, per int2, periods int4",
                data,
            )
            raw.execute(
                f"INSERT INTO {result_table} AS m (person_id, programme_id, status, amount, per, max_periods, run_id, "  # noqa: S608
                "first_eligible_on, first_eligible_run_id, updated_at) "
                "SELECT s.person_id, s.programme_id, (%(statuses)s::text[])[s.status + 1], "
                "CASE WHEN s.cents >= 0 THEN s.cents::numeric / 100 END, (%(pers)s::text[])[s.per + 1], "
                "NULLIF(s.periods, -1), %(run)s, CASE WHEN s.status = %(eligible)s THEN %(as_of)s::date END, "
                "CASE WHEN s.status = %(eligible)s THEN %(run)s END, now() "
                f"FROM {_STAGE_RESULTS} AS s ORDER BY s.person_id, s.programme_id "
                "ON CONFLICT (person_id, programme_id) DO UPDATE SET status = EXCLUDED.status, "
                "amount = EXCLUDED.amount, per = EXCLUDED.per, max_periods = EXCLUDED.max_periods, "
                "run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at, "
                "first_eligible_on = COALESCE(m.first_eligible_on, EXCLUDED.first_eligible_on), "
                "first_eligible_run_id = CASE WHEN m.first_eligible_on IS NULL THEN EXCLUDED.first_eligible_run_id "
                "ELSE m.first_eligible_run_id END "
                "WHERE (m.status, m.amount, m.per, m.max_periods) IS DISTINCT FROM "
                "(EXCLUDED.status, EXCLUDED.amount, EXCLUDED.per, EXCLUDED.max_periods)",
                {
                    "statuses": list(STATUSES),
                    "pers": list(PERS),
                    "run": run.pk,
                    "eligible": ELIGIBLE_CODE,
                    "as_of": as_of,
                },
            )
            written = raw.rowcount
        if len(ids):
            _stage(
                raw, _STAGE_STATES, "person_id int8, digest int8", _binary_copy_data([(ids, ">i8"), (digest, ">i8")])
            )
            raw.execute(
                f"INSERT INTO {state_table} (person_id, digest) SELECT person_id, digest FROM {_STAGE_STATES} "  # noqa: S608
                "ORDER BY person_id ON CONFLICT (person_id) DO UPDATE SET digest = EXCLUDED.digest"
            )
    return written


# --- Any database: the ORM ------------------------------------------------------------------------------------


def _read_orm(persons: list[tuple[int, dict]]) -> ChunkRead:
    """The chunk of ``persons`` ((id, facts) in id order)."""
    ids = np.array([pk for pk, _ in persons], dtype=np.int64)
    digests = dict(_in_range(PersonState.objects, ids).values_list("person_id", "digest")) if len(ids) else {}
    facts = []
    for pk, raw in persons:
        try:
            facts.append(parse_facts(raw or {}))
        except FactsInvalid as invalid:  # the registry stores parsed facts: this is a damaged row
            raise ValueError(f"Registry person {pk} has facts that cannot be read: {invalid.errors}") from None
    digest = np.array([digests.get(pk, 0) for pk, _ in persons], dtype=np.int64)
    return ChunkRead(ids=ids, table=PersonTable.from_facts(facts), digest=digest)


def _in_range(manager, ids: np.ndarray):
    """The rows of the persons from the first of ``ids`` (ascending) to the last: by range, not by a list of
    ids, which SQLite refuses above 32,766 (the caller leaves out the persons of the range not in ``ids``)."""
    return manager.filter(person_id__gte=int(ids[0]), person_id__lte=int(ids[-1]))


def _existing_keys_orm(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = list(_in_range(MatchResult.objects, ids).values_list("person_id", "programme_id"))
    return (np.array([k[0] for k in keys], dtype=np.int64), np.array([k[1] for k in keys], dtype=np.int64))


def _write_orm(run: MatchRun, as_of: date, rows: ResultRows, ids: np.ndarray, digest: np.ndarray) -> int:
    from decimal import Decimal

    if not len(ids):
        return 0
    people = set(ids.tolist())
    existing = {
        (result.person_id, result.programme_id): result
        for result in _in_range(MatchResult.objects, ids).only(
            "id", "person_id", "programme_id", "status", "amount", "per", "max_periods", "first_eligible_on"
        )
        if result.person_id in people
    }
    now = timezone.now()
    created, updated = [], []
    for index in range(len(rows)):
        status = STATUSES[int(rows.status[index])]
        cents = int(rows.cents[index])
        amount = Decimal(cents).scaleb(-2) if cents >= 0 else None
        per = PERS[int(rows.per[index])]
        periods = int(rows.periods[index]) if rows.periods[index] >= 0 else None
        key = (int(rows.person_id[index]), int(rows.programme_id[index]))
        eligible = status == STATUSES[ELIGIBLE_CODE]
        result = existing.get(key)
        if result is None:
            created.append(
                MatchResult(
                    person_id=key[0],
                    programme_id=key[1],
                    status=status,
                    amount=amount,
                    per=per,
                    max_periods=periods,
                    run=run,
                    first_eligible_on=as_of if eligible else None,
                    first_eligible_run=run if eligible else None,
                    updated_at=now,
                )
            )
            continue
        if (result.status, result.amount, result.per, result.max_periods) == (status, amount, per, periods):
            continue
        result.status, result.amount, result.per, result.max_periods = status, amount, per, periods
        result.run, result.updated_at = run, now
        if eligible and result.first_eligible_on is None:
            result.first_eligible_on, result.first_eligible_run = as_of, run
        updated.append(result)
    MatchResult.objects.bulk_create(created, batch_size=2000)
    MatchResult.objects.bulk_update(
        updated,
        ["status", "amount", "per", "max_periods", "run", "updated_at", "first_eligible_on", "first_eligible_run"],
        batch_size=2000,
    )
    PersonState.objects.bulk_create(
        [PersonState(person_id=int(pk), digest=int(value)) for pk, value in zip(ids, digest, strict=True)],
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=["digest"],
        batch_size=2000,
    )
    return len(created) + len(updated)


# --- Reading the registry --------------------------------------------------------------------------------------


def read_chunk(first: int, last: int, *, fast: bool | None = None, digests: bool = True) -> ChunkRead:
    """The registry persons with ids ``first``..``last``: by COPY on PostgreSQL unless ``fast=False``, else the ORM."""
    if _uses_copy(fast):
        statement = _read_sql(_vector_source(), digests=digests, first=first, last=last)
        return _read_copy(statement, digests=digests)
    persons = _registry_person_model().objects.filter(pk__gte=first, pk__lte=last).order_by("pk")
    return _read_orm(list(persons.values_list("pk", "facts")))


def _read_after(after: int, limit: int, source: str | None, *, digests: bool) -> ChunkRead:
    """The first ``limit`` persons with an id above ``after``; ``source`` None reads by the ORM."""
    if source is not None:
        statement = _read_sql(source, digests=digests, first=after, limit=limit)
        return _read_copy(statement, digests=digests)
    persons = _registry_person_model().objects.filter(pk__gt=after).order_by("pk").values_list("pk", "facts")
    return _read_orm(list(persons[:limit]))


def _chunks_in_order(chunk_size: int, source: str | None, digests: bool) -> Iterator[ChunkRead]:
    after = 0
    while True:
        read = _read_after(after, chunk_size, source, digests=digests)
        if read.table.n == 0:
            return
        yield read
        if read.table.n < chunk_size:
            return
        after = int(read.ids[-1])


_END = object()


def _read_ahead(chunk_size: int, source: str, digests: bool, ready: queue.Queue, stop: threading.Event) -> None:
    """The reading thread: puts each chunk (then ``_END``, or the error) into ``ready``, one ahead of its reader."""
    try:
        for read in _chunks_in_order(chunk_size, source, digests):
            while not stop.is_set():
                try:
                    ready.put(read, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        ready.put(_END)
    except BaseException as error:  # handed to the reader, who raises it
        ready.put(error)
    finally:
        connection.close()  # the thread's own connection


def registry_reads(
    chunk_size: int = DEFAULT_CHUNK_SIZE, *, digests: bool = True, fast: bool | None = None
) -> Iterator[ChunkRead]:
    """Every registry person, in chunks of ``chunk_size`` in id order (keyset: no ranges counted first).

    On PostgreSQL outside a transaction, a thread on its own connection reads the next chunk while the
    caller works on this one, so that the server reads while Python evaluates, on two cores. Inside a
    transaction (tests), the chunks are read on the caller's connection, which sees its own writes."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    source = _vector_source() if _uses_copy(fast) else None
    if source is None or connection.in_atomic_block:
        yield from _chunks_in_order(chunk_size, source, digests)
        return
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_ahead, args=(chunk_size, source, digests, ready, stop), name="matching-read", daemon=True
    )
    reader.start()
    try:
        while True:
            found = ready.get()
            if found is _END:
                return
            if isinstance(found, BaseException):
                raise found
            yield found
    finally:
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.2)
        reader.join()


# --- The run ----------------------------------------------------------------------------------------------------


def _programme_ids() -> dict[str, int]:
    return dict(Programme.objects.values_list("slug", "pk"))


def _match_read(
    run: MatchRun, read: ChunkRead, parameters: ParameterSet, programme_ids: dict[str, int], copy: bool
) -> ChunkCounts:
    """Evaluates and writes one chunk already read, in one transaction."""
    if read.table.n == 0:
        return ChunkCounts()
    results, digest, changed, eligible = _evaluate(read, run.as_of, parameters, programme_ids)
    written = 0
    if len(changed):
        positions = {programme_ids[slug]: index for index, slug in enumerate(results)}
        changed_ids = read.ids[changed]
        with transaction.atomic():
            keys = (_existing_keys_copy if copy else _existing_keys_orm)(changed_ids)
            existing = _existing_matrix(changed_ids, keys, positions, len(results))
            rows = _result_rows(read.ids, results, changed, programme_ids, existing)
            written = (_write_copy if copy else _write_orm)(run, run.as_of, rows, changed_ids, digest[changed])
    return ChunkCounts(persons=read.table.n, eligible=eligible, results_written=written)


def match_chunk(
    *,
    run: MatchRun,
    first: int,
    last: int,
    parameters: ParameterSet | None = None,
    fast: bool | None = None,
    prefetched: ChunkRead | None = None,
) -> ChunkCounts:
    """Reads, evaluates and writes the registry persons with ids from ``first`` to ``last``, in one transaction.

    ``fast`` chooses the path: None is COPY on PostgreSQL and the ORM elsewhere; False is the ORM everywhere.
    ``prefetched`` is the chunk already read.
    """
    parameters = parameters or parameters_in_force(run.as_of)
    with transaction.atomic():
        read = read_chunk(first, last, fast=fast) if prefetched is None else prefetched
        return _match_read(run, read, parameters, _programme_ids(), _uses_copy(fast))


def match_run_start(*, as_of: date | None = None, distributed: bool = False) -> MatchRun:
    return MatchRun.objects.create(as_of=as_of or timezone.localdate(), distributed=distributed)


def _statistics_refresh(counts: ChunkCounts) -> None:
    """After a run that wrote much (the first), PostgreSQL's planner learns the tables' new sizes now rather
    than when autovacuum comes by: the next run then merges the kept state in order instead of sorting it."""
    if connection.vendor != "postgresql" or counts.results_written < max(10_000, counts.persons // 10):
        return
    with connection.cursor() as cursor:
        for model in (PersonState, MatchResult):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def match_run_finish(*, run: MatchRun, counts: ChunkCounts, chunks: int) -> MatchRun:
    """Records the totals, marks the run done and has outreach invite the persons newly eligible."""
    _statistics_refresh(counts)
    run.persons, run.eligible, run.results_written = counts.persons, counts.eligible, counts.results_written
    run.chunks = run.chunks_done = chunks
    run.newly_eligible = MatchResult.objects.filter(first_eligible_run=run).count()
    run.invitations = _invitations_create(run)
    run.state = MatchRun.State.DONE
    run.finished_at = timezone.now()
    run.save()
    return run


def match_run_failed(*, run: MatchRun, error: str) -> MatchRun:
    run.state = MatchRun.State.FAILED
    run.failure = error[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "failure", "finished_at"])
    return run


def _invitations_create(run: MatchRun) -> int:
    try:
        from applications.outreach.services import invitations_create
    except ImportError:
        logger.info("Matching run %s: outreach has no invitations_create yet; no invitations made", run.pk)
        return 0
    return int(invitations_create(run=run) or 0)


def registry_match(
    *,
    as_of: date | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    distributed: bool = False,
    fast: bool | None = None,
) -> MatchRun:
    """Evaluates every registry person against every programme on ``as_of`` (default today).

    With ``distributed``, the chunks are Celery tasks run as a chord
    (``eligibility.matching.tasks``): the run is returned while they work, and
    its callback finishes it. Otherwise the chunks run here, one after another.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    run = match_run_start(as_of=as_of, distributed=distributed)
    if distributed:
        from eligibility.matching.tasks import match_run_dispatch

        ranges = chunk_ranges(chunk_size)
        run.chunks = len(ranges)
        run.save(update_fields=["chunks"])
        transaction.on_commit(lambda: match_run_dispatch(run_id=run.pk, ranges=ranges))
        return run
    started = time.perf_counter()
    counts = ChunkCounts()
    chunks = 0
    parameters = parameters_in_force(run.as_of)
    programme_ids = _programme_ids()
    copy = _uses_copy(fast)
    try:
        with contextlib.closing(registry_reads(chunk_size, fast=fast)) as reads:  # the reading thread ends with it
            for read in reads:
                counts.add(_match_read(run, read, parameters, programme_ids, copy))
                chunks += 1
    except Exception as error:
        match_run_failed(run=run, error=f"{type(error).__name__}: {error}")
        raise
    run = match_run_finish(run=run, counts=counts, chunks=chunks)
    logger.info(
        "Matching run %s: %s persons in %.2f s, %s results written, %s newly eligible",
        run.pk,
        run.persons,
        time.perf_counter() - started,
        run.results_written,
        run.newly_eligible,
    )
    return run
