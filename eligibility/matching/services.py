"""Matching the registry against every programme (免申即享, issue 12).

``registry_match`` evaluates every registry person on ``as_of`` with the column
evaluator (``eligibility.columns``: the same rule trees as the screener) and
keeps, per person and programme, the latest status and amount
(``MatchResult``). It streams the registry in chunks of ids, so memory does not
grow with the registry; each chunk is read, evaluated and written in one
transaction (``match_chunk``), and a chunk run twice writes nothing the second time.

Writes are set-based and only of what changed: the results of each person are
summed up in a 64-bit digest (``PersonState``) read with the facts; a person
whose digest is unchanged is not written. Of a changed person, a row is
rewritten only when its status, amount or periods differ.

Two paths with one answer:

- PostgreSQL: the facts are decoded server-side from the jsonb into integer
  columns (``_fact_sql``: dates as days since 1970-01-01, yes/no as 1/0/-1,
  codes as their index, groups as a bitmask) and read with one binary
  ``COPY ... TO STDOUT`` per chunk, which numpy reads in place (every field has
  a fixed width); results go back by binary ``COPY`` into a temporary table and
  one ``INSERT ... ON CONFLICT DO UPDATE``.
- Any other database (SQLite in tests and ``make demo``): the ORM, with
  ``parse_facts`` and ``PersonTable.from_facts``.

When the run is done, ``applications.outreach.services.invitations_create``
makes the invitations of the persons newly eligible (``MatchResult.first_eligible_run``).
"""

import logging
import re
import select
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import psycopg
from django.db import connection, transaction
from django.utils import timezone

from eligibility.columns import (
    CODES,
    GROUP_CODES,
    INT_CEILING,
    STATUSES,
    TRUE,
    PersonTable,
    ProgrammeColumns,
    evaluate_columns,
)
from eligibility.facts import FACT_FIELDS, FactsInvalid, FactType, parse_facts
from eligibility.matching.models import MatchResult, MatchRun, PersonState
from eligibility.models import Programme
from eligibility.parameter_cache import parameters_in_force
from eligibility.parameter_set import ParameterSet

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 100_000
PERS: tuple[str, ...] = tuple(Programme.Per.values)
ELIGIBLE_CODE = int(TRUE)
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _registry_person_model():
    from django.apps import apps

    return apps.get_model("registry", "RegistryPerson")


# --- What one chunk gives ----------------------------------------------------------------------------


@dataclass
class ChunkRead:
    """The persons of one chunk: their ids, their facts as a ``PersonTable`` and the digest last written."""

    ids: np.ndarray  # int64
    table: PersonTable
    digest: np.ndarray  # int64, 0 where the person has none yet


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


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def results_digest(results: dict[str, ProgrammeColumns], programme_ids: dict[str, int], n: int) -> np.ndarray:
    """A 64-bit digest of each person's status, amount and periods for every programme (never 0)."""
    digest = np.full(n, 0x9E3779B97F4A7C15, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for slug, columns in results.items():
            tag = np.uint64(programme_ids[slug] * 64 + PERS.index(columns.per))
            cents = np.where(columns.has_amount, columns.amount_cents, -1).astype(np.int64).view(np.uint64)
            for part in (columns.status.astype(np.uint64) + (tag << np.uint64(3)), cents, columns.max_periods):
                digest = _mix(digest ^ np.asarray(part).astype(np.int64).view(np.uint64))
    signed = digest.view(np.int64)
    return np.where(signed == 0, 1, signed)


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


def _result_rows(ids, results, changed, programme_ids) -> ResultRows:
    parts = {key: [] for key in ("person_id", "programme_id", "status", "cents", "per", "periods")}
    for slug, columns in results.items():
        count = len(changed)
        parts["person_id"].append(ids[changed])
        parts["programme_id"].append(np.full(count, programme_ids[slug], dtype=np.int64))
        parts["status"].append(columns.status[changed].astype(np.int16))
        parts["cents"].append(np.where(columns.has_amount[changed], columns.amount_cents[changed], -1))
        parts["per"].append(np.full(count, PERS.index(columns.per), dtype=np.int16))
        periods = np.where(columns.has_amount & (columns.max_periods >= 0), columns.max_periods, -1)
        parts["periods"].append(periods[changed].astype(np.int32))
    return ResultRows(**{key: np.concatenate(values) if values else np.zeros(0) for key, values in parts.items()})


# --- Chunks of ids -------------------------------------------------------------------------------------


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


def _literal(text: str) -> str:
    if not _SAFE_NAME.fullmatch(text):  # names and codes are the catalogue's own: lower-case words
        raise ValueError(f"Not a catalogue name: {text!r}")
    return f"'{text}'"


_DATE_WIDTH = len("YYYY-MM-DD")
_NO_DATE = "0000-00-00"


def _fact_sql(name: str, fact_type: FactType) -> tuple[str, str]:
    """(SQL of the fixed-width encoding of fact ``name`` from its text ``f_<name>``, numpy type of the field).

    What costs the server little: the text of a date as its ten characters (numpy
    turns them into days), a yes/no or a code as its index, groups as a bitmask
    found with ``strpos`` in the list's text, numbers as integers (amounts in cents).
    """
    text = f"f_{name}"
    if fact_type == FactType.DATE:
        return f"rpad(COALESCE({text}, '{_NO_DATE}'), {_DATE_WIDTH})", f"S{_DATE_WIDTH}"
    if fact_type == FactType.BOOL:
        return f"(CASE {text} WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE -1 END)::int4", ">i4"
    if fact_type == FactType.REGION:
        return f"COALESCE({text}::int4, -1)", ">i4"
    if fact_type == FactType.GROUPS:
        bits = " | ".join(
            f"(CASE WHEN strpos({text}, '\"' || {_literal(code)} || '\"') > 0 THEN {1 << index} ELSE 0 END)"
            for index, code in enumerate(GROUP_CODES)
        )
        return f"(CASE WHEN {text} LIKE '[%' THEN {bits} ELSE -1 END)::int4", ">i4"
    if fact_type in CODES:
        cases = " ".join(f"WHEN {_literal(code)} THEN {index}" for index, code in enumerate(CODES[fact_type]))
        return f"(CASE {text} {cases} ELSE -1 END)::int4", ">i4"
    if fact_type == FactType.INT:
        # LEAST would pass over a NULL (unknown) and give the ceiling: unknown is tested first.
        return f"(CASE WHEN {text} IS NULL THEN -1 ELSE LEAST({text}::numeric, {INT_CEILING})::int8 END)", ">i8"
    if fact_type == FactType.DECIMAL:
        return f"COALESCE(ROUND({text}::numeric * 100)::int8, -1)", ">i8"
    raise ValueError(f"No SQL encoding for facts of type {fact_type} ({name})")


def _facts_dtype() -> np.dtype:
    """The fixed-width record of one person's facts, as the server sends it and ``PersonState.facts`` keeps it."""
    return np.dtype([(name, _fact_sql(name, fact.type)[1]) for name, fact in FACT_FIELDS.items()])


FACTS_DTYPE = _facts_dtype()
# Tells the encoding of this catalogue's facts from another's (a new fact, a new code).
LAYOUT = zlib.crc32(repr((FACTS_DTYPE.descr, GROUP_CODES, sorted(CODES.items()))).encode())


# A row version's place (ctid) in binary: the block (4 bytes) and the item in it (2 bytes).
TID = "V6"


def tuple_ids(raw: np.ndarray) -> np.ndarray:
    """ctid values (binary, ``V6``) as one number each: block × 65536 + item."""
    parts = np.frombuffer(raw.tobytes(), dtype=np.dtype([("block", ">u4"), ("item", ">u2")]))
    return parts["block"].astype(np.int64) * 65536 + parts["item"].astype(np.int64)


def _with_lengths(fields: list[tuple[str, str]]) -> np.dtype:
    """The dtype of a binary COPY row of these fixed-width fields (a field count, then length and value of each)."""
    described: list[tuple[str, str]] = [("field_count", ">i2")]
    for name, kind in fields:
        described += [(f"{name}_len", ">i4"), (name, kind)]
    return np.dtype(described)


def _range_join(person_table: str, state_table: str) -> str:
    return (
        f"FROM {person_table} AS p LEFT JOIN {state_table} AS s "
        "ON s.person_id = p.id AND s.person_id BETWEEN {first} AND {last} WHERE p.id BETWEEN {first} AND {last}"
    )


def _decode_sql() -> tuple[str, np.dtype]:
    """COPY of the persons ``IDS`` decoded from the jsonb (those whose kept facts are stale)."""
    person_table = connection.ops.quote_name(_registry_person_model()._meta.db_table)
    texts = ", ".join(f"p.facts ->> {_literal(name)} AS f_{name}" for name in FACT_FIELDS)
    selected = ["id", "version", "tuple"] + [_fact_sql(name, fact.type)[0] for name, fact in FACT_FIELDS.items()]
    # OFFSET 0 keeps the inner query apart, so that each fact's text is looked up once.
    query = (
        f"COPY (SELECT {', '.join(selected)} FROM (SELECT p.id::int8 AS id, p.xmin AS version, p.ctid AS tuple, "  # noqa: S608
        f"{texts} "
        f"FROM {person_table} AS p WHERE p.id = ANY('{{IDS}}'::int8[]) ORDER BY p.id OFFSET 0) AS facts) "
        "TO STDOUT (FORMAT binary)"
    )
    return query, _with_lengths([("id", ">i8"), ("version", ">u4"), ("tuple", TID), *FACTS_DTYPE.descr])


def _kept_sql() -> tuple[str, np.dtype]:
    """COPY of every person of a range with what matching kept of them (the staleness is told by numpy)."""
    person_table = connection.ops.quote_name(_registry_person_model()._meta.db_table)
    state_table = connection.ops.quote_name(PersonState._meta.db_table)
    width = FACTS_DTYPE.itemsize
    query = (
        f"COPY (SELECT p.id::int8, p.xmin, p.ctid, COALESCE(s.source_version, -1), COALESCE(s.source_tuple, -1), "
        "COALESCE(s.layout, 0), "
        f"COALESCE(s.digest, 0), (CASE WHEN length(s.facts) = {width} THEN s.facts "
        f"ELSE decode(repeat('00', {width}), 'hex') END) {_range_join(person_table, state_table)} ORDER BY p.id) "
        "TO STDOUT (FORMAT binary)"
    )
    # xmin is sent as it is (4 bytes): turned into text and a number it would cost the server more than the rest.
    fields = [("id", ">i8"), ("version", ">u4"), ("tuple", TID), ("source_version", ">i8"), ("source_tuple", ">i8")]
    fields += [("layout", ">i8"), ("digest", ">i8")]
    return query, _with_lengths([*fields, ("facts", f"V{width}")])


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
    lengths = [name for name in dtype.names if name.endswith("_len")]
    for name in lengths:
        width = dtype[name[: -len("_len")]].itemsize
        if len(rows) and np.any(rows[name] != width):
            raise ValueError(f"{name[: -len('_len')]}: a field of the COPY has not the expected width {width}")
    return rows


def dates_from_text(text: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` of fixed-width ``YYYY-MM-DD`` texts (``S10``), NaT for ``0000-00-00``.

    The digits are read as numbers and the days counted by the civil calendar
    (Howard Hinnant's ``days_from_civil``), without parsing a string at a time.
    """
    raw = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(-1, _DATE_WIDTH).astype(np.int64) - ord("0")
    digits = raw[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    dashes = raw[:, [4, 7]] == ord("-") - ord("0")
    if len(raw) and (np.any((digits < 0) | (digits > 9)) or not np.all(dashes)):
        raise ValueError("A registry date is not written YYYY-MM-DD")
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 4] * 10 + digits[:, 5]
    day = digits[:, 6] * 10 + digits[:, 7]
    unknown = (year == 0) & (month == 0) & (day == 0)
    year_m = np.where(month <= 2, year - 1, year)
    era = np.floor_divide(year_m, 400)
    year_of_era = year_m - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    known = ~unknown
    if np.any(known & ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (year < 1))):
        raise ValueError("A registry date does not exist")
    column = days.astype("datetime64[D]")
    column[unknown] = np.datetime64("NaT")
    return column


def _table_from_rows(rows: np.ndarray) -> PersonTable:
    n = len(rows)
    columns: dict[str, np.ndarray] = {}
    groups_known = np.zeros(n, dtype=bool)
    for name, fact in FACT_FIELDS.items():
        raw = rows[name]
        if fact.type == FactType.DATE:
            columns[name] = dates_from_text(raw)
        elif fact.type == FactType.GROUPS:
            groups_known = raw >= 0
            columns[name] = np.where(groups_known, raw, 0)
        elif fact.type in (FactType.BOOL, *CODES):
            columns[name] = raw.astype(np.int8)
        elif fact.type == FactType.REGION:
            columns[name] = raw.astype(np.int32)
        else:
            columns[name] = raw.astype(np.int64)
    return PersonTable.from_columns(n, groups_known=groups_known, **columns)


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
            # the next chunk is read by a thread while this one is evaluated (``registry_match``).
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


@dataclass
class CopyRead(ChunkRead):
    version: np.ndarray = None  # the registry rows' xmin
    tuple_id: np.ndarray = None  # and where the row version lies (ctid): one transaction may change a row
    facts: np.ndarray = None  # FACTS_DTYPE records
    stale: np.ndarray = None  # bool: decoded afresh in this read


def _read_copy(first: int, last: int) -> CopyRead:
    """The persons of ids ``first``..``last``: kept facts where the registry row has not changed since, the
    others decoded from the jsonb (two COPYs; the second only when some changed)."""
    kept_query, kept_dtype = _kept_sql()
    kept = _copy_out(kept_query.format(first=int(first), last=int(last)), kept_dtype)
    ids = kept["id"].astype(np.int64)
    facts = np.frombuffer(kept["facts"].tobytes(), dtype=FACTS_DTYPE).copy()
    version = kept["version"].astype(np.int64)
    tuple_id = tuple_ids(kept["tuple"])
    stale = (kept["source_version"] != version) | (kept["source_tuple"] != tuple_id) | (kept["layout"] != LAYOUT)
    digest = kept["digest"].astype(np.int64)
    if stale.any():
        decode_query, decode_dtype = _decode_sql()
        wanted = ",".join(str(int(pk)) for pk in ids[stale])
        decoded = _copy_out(decode_query.replace("IDS", wanted), decode_dtype)
        positions = np.searchsorted(ids, decoded["id"].astype(np.int64))
        for name in FACTS_DTYPE.names:
            facts[name][positions] = decoded[name]
        version[positions] = decoded["version"]
        tuple_id[positions] = tuple_ids(decoded["tuple"])
        found = np.zeros(len(ids), dtype=bool)
        found[positions] = True
        present = ~stale | found  # a person deleted between the two reads is left out
        if not present.all():
            kept_arrays = (ids, facts, version, tuple_id, stale, digest)
            ids, facts, version, tuple_id, stale, digest = (a[present] for a in kept_arrays)
    return CopyRead(
        ids=ids,
        table=_table_from_rows(facts),
        digest=digest,
        version=version,
        tuple_id=tuple_id,
        facts=facts,
        stale=stale,
    )


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


def _write_copy(run: MatchRun, as_of: date, rows: ResultRows, read: CopyRead, digest: np.ndarray) -> int:
    result_table = connection.ops.quote_name(MatchResult._meta.db_table)
    state_table = connection.ops.quote_name(PersonState._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if len(rows):
            raw.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE_RESULTS} (person_id int8, programme_id int8, "
                "status int2, cents int8, per int2, periods int4) ON COMMIT DELETE ROWS"
            )
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
            raw.execute(f"TRUNCATE {_STAGE_RESULTS}")  # a chunk inside a caller's transaction: empty it here
            with raw.copy(f"COPY {_STAGE_RESULTS} FROM STDIN (FORMAT binary)") as copy:
                copy.write(data)
            raw.execute(
                f"INSERT INTO {result_table} AS m (person_id, programme_id, status, amount, per, max_periods, run_id, "  # noqa: S608
                "first_eligible_on, first_eligible_run_id, updated_at) "
                "SELECT s.person_id, s.programme_id, (%(statuses)s::text[])[s.status + 1], "
                "CASE WHEN s.cents >= 0 THEN s.cents::numeric / 100 END, (%(pers)s::text[])[s.per + 1], "
                "NULLIF(s.periods, -1), %(run)s, CASE WHEN s.status = %(eligible)s THEN %(as_of)s::date END, "
                "CASE WHEN s.status = %(eligible)s THEN %(run)s END, now() "
                f"FROM {_STAGE_RESULTS} AS s "
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
        # The kept state of every person decoded afresh or with other results.
        keep = np.flatnonzero(read.stale | (digest != read.digest))
        if len(keep):
            raw.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE_STATES} (person_id int8, digest int8, "
                "source_version int8, source_tuple int8, facts bytea) ON COMMIT DELETE ROWS"
            )
            facts = np.frombuffer(read.facts[keep].tobytes(), dtype=f"V{FACTS_DTYPE.itemsize}")
            data = _binary_copy_data(
                [
                    (read.ids[keep], ">i8"),
                    (digest[keep], ">i8"),
                    (read.version[keep], ">i8"),
                    (read.tuple_id[keep], ">i8"),
                    (facts, f"V{FACTS_DTYPE.itemsize}"),
                ]
            )
            raw.execute(f"TRUNCATE {_STAGE_STATES}")
            with raw.copy(f"COPY {_STAGE_STATES} FROM STDIN (FORMAT binary)") as copy:
                copy.write(data)
            raw.execute(
                f"INSERT INTO {state_table} (person_id, digest, source_version, source_tuple, layout, facts) "  # noqa: S608
                f"SELECT person_id, digest, source_version, source_tuple, {LAYOUT}, facts FROM {_STAGE_STATES} "
                "ON CONFLICT (person_id) DO UPDATE SET digest = EXCLUDED.digest, "
                "source_version = EXCLUDED.source_version, source_tuple = EXCLUDED.source_tuple, "
                "layout = EXCLUDED.layout, facts = EXCLUDED.facts"
            )
    return written


# --- Any database: the ORM ------------------------------------------------------------------------------------


def _read_orm(first: int, last: int) -> ChunkRead:
    persons = list(
        _registry_person_model().objects.filter(pk__gte=first, pk__lte=last).order_by("pk").values_list("pk", "facts")
    )
    digests = dict(
        PersonState.objects.filter(person_id__gte=first, person_id__lte=last).values_list("person_id", "digest")
    )
    facts = []
    for pk, raw in persons:
        try:
            facts.append(parse_facts(raw or {}))
        except FactsInvalid as invalid:  # the registry stores parsed facts: this is a damaged row
            raise ValueError(f"Registry person {pk} has facts that cannot be read: {invalid.errors}") from None
    ids = np.array([pk for pk, _ in persons], dtype=np.int64)
    digest = np.array([digests.get(pk, 0) for pk, _ in persons], dtype=np.int64)
    return ChunkRead(ids=ids, table=PersonTable.from_facts(facts), digest=digest)


def _write_orm(run: MatchRun, as_of: date, rows: ResultRows, read: ChunkRead, digest: np.ndarray) -> int:
    from decimal import Decimal

    changed = np.flatnonzero(digest != read.digest)
    if not len(changed):
        return 0
    ids, digest = read.ids[changed], digest[changed]
    people = [int(pk) for pk in ids]
    existing = {
        (result.person_id, result.programme_id): result
        for result in MatchResult.objects.filter(person_id__in=people).only(
            "id", "person_id", "programme_id", "status", "amount", "per", "max_periods", "first_eligible_on"
        )
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
    # The facts kept for the PostgreSQL path are marked stale (version -1): it decodes them afresh.
    PersonState.objects.bulk_create(
        [
            PersonState(person_id=int(pk), digest=int(value), source_version=-1, source_tuple=-1, layout=0, facts=b"")
            for pk, value in zip(ids, digest, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=["digest", "source_version", "source_tuple", "layout", "facts"],
        batch_size=2000,
    )
    return len(created) + len(updated)


# --- The run ----------------------------------------------------------------------------------------------------


def _programme_ids() -> dict[str, int]:
    return dict(Programme.objects.values_list("slug", "pk"))


def read_chunk(first: int, last: int, *, fast: bool | None = None) -> ChunkRead:
    """The registry persons with ids ``first``..``last``: by COPY on PostgreSQL unless ``fast=False``, else the ORM."""
    return _read_copy(first, last) if _uses_copy(fast) else _read_orm(first, last)


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
    ``prefetched`` is the chunk already read (by ``registry_match``'s reading thread).
    """
    as_of = run.as_of
    parameters = parameters or parameters_in_force(as_of)
    programme_ids = _programme_ids()
    copy = _uses_copy(fast)
    with transaction.atomic():
        read = read_chunk(first, last, fast=fast) if prefetched is None else prefetched
        if read.table.n == 0:
            return ChunkCounts()
        results, digest, changed, eligible = _evaluate(read, as_of, parameters, programme_ids)
        rows = _result_rows(read.ids, results, changed, programme_ids)
        written = (_write_copy if copy else _write_orm)(run, as_of, rows, read, digest)
    return ChunkCounts(persons=read.table.n, eligible=eligible, results_written=written)


def match_run_start(*, as_of: date | None = None, distributed: bool = False) -> MatchRun:
    return MatchRun.objects.create(as_of=as_of or timezone.localdate(), distributed=distributed)


def _statistics_refresh(counts: ChunkCounts) -> None:
    """After a run that wrote much (the first), PostgreSQL's planner learns the tables' new sizes now rather
    than when autovacuum comes by: the next run then merges the kept state in order instead of sorting it."""
    if connection.vendor != "postgresql" or counts.results_written < max(10_000, counts.persons):
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


def _read_in_thread(first: int, last: int) -> ChunkRead:
    try:
        return read_chunk(first, last)
    finally:
        connection.close()  # the thread's own connection; the next read opens another


def chunk_reads(ranges: list[tuple[int, int]]) -> Iterator[tuple[int, int, ChunkRead]]:
    """(first, last, read) of each range in turn; on PostgreSQL outside a transaction the next range is read by
    a thread (its own connection) while the caller works on this one, so that the server decodes and sends
    while Python evaluates, on the machine's two cores. Ranges are disjoint: reading one early reads the same."""
    if not (_uses_copy() and not connection.in_atomic_block and len(ranges) > 1):
        for first, last in ranges:
            yield first, last, read_chunk(first, last)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching-read") as reader:
        coming = reader.submit(_read_in_thread, *ranges[0])
        for index, (first, last) in enumerate(ranges):
            read = coming.result()
            if index + 1 < len(ranges):
                coming = reader.submit(_read_in_thread, *ranges[index + 1])
            yield first, last, read


def _match_prefetching(run: MatchRun, ranges: list[tuple[int, int]], parameters: ParameterSet, counts) -> None:
    for first, last, read in chunk_reads(ranges):
        counts.add(match_chunk(run=run, first=first, last=last, parameters=parameters, prefetched=read))


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
    run = match_run_start(as_of=as_of, distributed=distributed)
    ranges = chunk_ranges(chunk_size)
    if distributed:
        from eligibility.matching.tasks import match_run_dispatch

        run.chunks = len(ranges)
        run.save(update_fields=["chunks"])
        transaction.on_commit(lambda: match_run_dispatch(run_id=run.pk, ranges=ranges))
        return run
    started = time.perf_counter()
    counts = ChunkCounts()
    parameters = parameters_in_force(run.as_of)
    try:
        if _uses_copy(fast) and not connection.in_atomic_block and len(ranges) > 1:
            _match_prefetching(run, ranges, parameters, counts)
        else:
            for first, last in ranges:
                counts.add(match_chunk(run=run, first=first, last=last, parameters=parameters, fast=fast))
    except Exception as error:
        match_run_failed(run=run, error=f"{type(error).__name__}: {error}")
        raise
    run = match_run_finish(run=run, counts=counts, chunks=len(ranges))
    logger.info(
        "Matching run %s: %s persons in %.2f s, %s results written, %s newly eligible",
        run.pk,
        run.persons,
        time.perf_counter() - started,
        run.results_written,
        run.newly_eligible,
    )
    return run
