"""The registry's facts in the column evaluator's encoding, kept by PostgreSQL beside the jsonb (issue 12).

On PostgreSQL, ``RegistryPerson`` has a stored generated column ``facts_vector``:
the person's facts (``facts``, the catalogue's wire form) encoded as one
fixed-width ``bytea`` (``VECTOR_DTYPE``: one big-endian integer per fact, in
``FACT_FIELDS`` order, after the encoding's ``LAYOUT``). PostgreSQL computes it
from ``facts`` on every write of the row, whoever writes it (the import, a
department's deletion, the admin), so it can never be stale, and matching reads
a million persons' facts as fixed-width records that numpy takes in place,
without decoding any jsonb (``eligibility.matching.services``). The column is
not a model field: Django never writes it, and SQLite has none (matching there
parses the jsonb with ``parse_facts``).

The encoding of each fact is that of ``eligibility.columns.PersonTable``:

- a date: days since 1970-01-01 (``UNKNOWN_DAY`` when unknown);
- ``region``: the six digits as an integer; ``groups``: a bitmask of
  ``GROUP_CODES``; a code (``employment_form``): its index in ``CODES``;
- yes/no: 1 or 0; a whole number: itself (at most ``INT_CEILING``); an amount: cents;
- -1 for unknown (absent or ``null``).

A value that ``parse_facts`` would refuse (the registry stores only what it
accepts, so a damaged row) is encoded as ``UNREADABLE`` (``UNREADABLE_DAY`` for
dates) rather than failing the write; ``table_from_vectors`` refuses it as the
ORM path refuses such a row.

A catalogue that changes the facts or their codes changes ``LAYOUT``: a
migration then runs ``facts_vector_refresh`` again, which rebuilds the column
(and matching decodes the jsonb, more slowly but with the same answer, for as
long as the column holds another layout; ``tests/matching`` fails until the
migration exists).
"""

import zlib

import numpy as np

from eligibility.columns import CODES, GROUP_CODES, GROUP_DTYPE, INT_CEILING, PersonTable
from eligibility.facts import DECIMAL_LIMIT, FACT_FIELDS, FactType

COLUMN = "facts_vector"
UNKNOWN = -1
UNREADABLE = -2
UNKNOWN_DAY = -(2**31)
UNREADABLE_DAY = -(2**31) + 1
_DECIMAL_DIGITS = len(str(int(DECIMAL_LIMIT))) - 1  # the integer digits of the largest amount accepted

_WIDTH = {FactType.DATE: ">i4", FactType.REGION: ">i4", FactType.GROUPS: ">i4", FactType.BOOL: ">i2"}
_WIDTH.update({FactType.INT: ">i8", FactType.DECIMAL: ">i8"})
_WIDTH.update(dict.fromkeys(CODES, ">i2"))
_SEND = {">i2": "int2send", ">i4": "int4send", ">i8": "int8send"}
_CAST = {">i2": "int2", ">i4": "int4", ">i8": "int8"}


def _fields() -> list[tuple[str, str]]:
    missing = [name for name, fact in FACT_FIELDS.items() if fact.type not in _WIDTH]
    if missing:  # pragma: no cover - a new type of fact needs an encoding here and in columns.py
        raise ImportError(f"No fact vector encoding for {', '.join(missing)}")
    return [("layout", ">i4")] + [(name, _WIDTH[fact.type]) for name, fact in FACT_FIELDS.items()]


VECTOR_DTYPE = np.dtype(_fields())
# Tells this encoding from that of another catalogue (a new fact, a new code, another order).
LAYOUT = (
    zlib.crc32(
        repr(
            (
                "facts_vector 1",
                [(name, str(fact.type), fact.maximum) for name, fact in FACT_FIELDS.items()],
                GROUP_CODES,
                sorted((str(kind), codes) for kind, codes in CODES.items()),
                INT_CEILING,
                _DECIMAL_DIGITS,
            )
        ).encode()
    )
    & 0x7FFFFFFF
)


def _literal(text: str) -> str:
    if not text.replace("_", "").isalnum() or not text.isascii():  # the catalogue's own names and codes
        raise ValueError(f"Not a catalogue name: {text!r}")
    return f"'{text}'"


def _fact_sql(name: str, fact_type: FactType, maximum: int | None, source: str) -> str:
    """The SQL (an integer) of fact ``name`` from the jsonb ``source``; never raises, whatever the jsonb holds."""
    value = f"({source} -> {_literal(name)})"
    text = f"({source} ->> {_literal(name)})"
    kind = f"jsonb_typeof({value})"
    unknown = f"COALESCE({kind}, 'null') = 'null'"
    if fact_type == FactType.DATE:
        year, month, day = (f"substr({text}, {start}, {length})::int4" for start, length in ((1, 4), (6, 2), (9, 2)))
        leap = f"({year} % 4 = 0 AND ({year} % 100 <> 0 OR {year} % 400 = 0))"
        last_day = f"(CASE {month} WHEN 2 THEN (CASE WHEN {leap} THEN 29 ELSE 28 END) WHEN 4 THEN 30 WHEN 6 THEN 30 "
        last_day += "WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END)"
        # CASE, not AND: PostgreSQL does not promise to test the pattern before it casts the digits.
        days = (
            f"(CASE WHEN {year} >= 1 AND {month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND {last_day} "
            f"THEN make_date({year}, {month}, {day}) - DATE '1970-01-01' ELSE {UNREADABLE_DAY} END)"
        )
        return (
            f"(CASE WHEN {unknown} THEN {UNKNOWN_DAY} WHEN {kind} <> 'string' THEN {UNREADABLE_DAY} "
            f"WHEN {text} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN {days} ELSE {UNREADABLE_DAY} END)"
        )
    if fact_type == FactType.REGION:
        return (
            f"(CASE WHEN {unknown} THEN {UNKNOWN} WHEN {kind} <> 'string' THEN {UNREADABLE} "
            f"WHEN {text} ~ '^[0-9]{{6}}$' THEN {text}::int4 ELSE {UNREADABLE} END)"
        )
    if fact_type == FactType.GROUPS:
        bits = " + ".join(
            f"(CASE WHEN {value} ? {_literal(code)} THEN {1 << index} ELSE 0 END)"
            for index, code in enumerate(GROUP_CODES)
        )
        return f"(CASE WHEN {unknown} THEN {UNKNOWN} WHEN {kind} = 'array' THEN {bits} ELSE {UNREADABLE} END)"
    if fact_type == FactType.BOOL:
        return (
            f"(CASE WHEN {unknown} THEN {UNKNOWN} WHEN {kind} = 'boolean' THEN (CASE {text} WHEN 'true' THEN 1 "
            f"ELSE 0 END) ELSE {UNREADABLE} END)"
        )
    if fact_type in CODES:
        cases = " ".join(f"WHEN {_literal(code)} THEN {index}" for index, code in enumerate(CODES[fact_type]))
        return (
            f"(CASE WHEN {unknown} THEN {UNKNOWN} WHEN {kind} <> 'string' THEN {UNREADABLE} "
            f"ELSE (CASE {text} {cases} ELSE {UNREADABLE} END) END)"
        )
    if fact_type == FactType.INT:
        number = f"LEAST({text}::numeric, {INT_CEILING})::int8"
        if maximum is not None:
            number = f"(CASE WHEN {text}::numeric > {int(maximum)} THEN {UNREADABLE} ELSE {number} END)"
        return (
            f"(CASE WHEN {unknown} THEN {UNKNOWN} WHEN {kind} <> 'number' THEN {UNREADABLE} "
            f"WHEN {text} ~ '^[0-9]+$' THEN {number} ELSE {UNREADABLE} END)"
        )
    if fact_type == FactType.DECIMAL:
        pattern = f"^0*[0-9]{{1,{_DECIMAL_DIGITS}}}([.][0-9]{{1,2}})?$"
        return (
            f"(CASE WHEN {unknown} THEN {UNKNOWN} WHEN {kind} NOT IN ('string', 'number') THEN {UNREADABLE} "
            f"WHEN {text} ~ '{pattern}' THEN ROUND({text}::numeric * 100)::int8 ELSE {UNREADABLE} END)"
        )
    raise ValueError(f"No fact vector encoding for facts of type {fact_type} ({name})")  # pragma: no cover


def vector_sql(source: str = "facts") -> str:
    """The SQL of the fact vector (``bytea``) of the jsonb ``source``: the generated column's expression,
    and what matching computes inline while the column holds another layout. Immutable, never raises."""
    parts = [f"int4send({LAYOUT})"]
    for name, kind in VECTOR_DTYPE.descr[1:]:
        fact = FACT_FIELDS[name]
        parts.append(f"{_SEND[kind]}(({_fact_sql(name, fact.type, fact.maximum, source)})::{_CAST[kind]})")
    return "(" + " || ".join(parts) + ")"


def column_layout(connection, table: str) -> int | None:
    """The layout of the column ``facts_vector`` of ``table`` (None: no such column; 0: not one of ours)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute AS a "
            "WHERE a.attrelid = %s::regclass AND a.attname = %s AND NOT a.attisdropped",
            [table, COLUMN],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    note = found[0] or ""
    return int(note.split()[3]) if note.startswith(_NOTE_START) else 0


_NOTE_START = "fact vector layout "


def facts_vector_refresh(connection, table: str) -> bool:
    """Adds the generated column to ``table`` (the registry's), or rebuilds it when it holds another
    layout; PostgreSQL only (from a migration). Returns whether it changed anything.

    Adding a stored generated column rewrites the table once (some 20 s for a million persons)."""
    if connection.vendor != "postgresql":
        return False
    layout = column_layout(connection, table)
    if layout == LAYOUT:
        return False
    quoted, column = connection.ops.quote_name(table), connection.ops.quote_name(COLUMN)
    with connection.cursor() as cursor:
        if layout is not None:
            cursor.execute(f"ALTER TABLE {quoted} DROP COLUMN {column}")
        cursor.execute(f"ALTER TABLE {quoted} ADD COLUMN {column} bytea GENERATED ALWAYS AS {vector_sql()} STORED")
        cursor.execute(
            f"COMMENT ON COLUMN {quoted}.{column} IS %s", [f"{_NOTE_START}{LAYOUT} (eligibility.registry.fact_vector)"]
        )
    return True


def facts_vector_drop(connection, table: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {connection.ops.quote_name(table)} DROP COLUMN IF EXISTS {connection.ops.quote_name(COLUMN)}"
        )


class VectorUnreadable(ValueError):
    """A registry row's facts are not what ``parse_facts`` accepts."""


def table_from_vectors(vectors: np.ndarray, ids: np.ndarray) -> PersonTable:
    """The ``PersonTable`` of fact vectors (``VECTOR_DTYPE`` records) of the persons ``ids``."""
    n = len(vectors)
    if n and np.any(vectors["layout"] != LAYOUT):
        raise ValueError("The fact vectors are of another layout")
    columns: dict[str, np.ndarray] = {}
    groups_known = np.zeros(n, dtype=bool)
    unreadable = np.zeros(n, dtype=bool)
    for name, fact in FACT_FIELDS.items():
        raw = vectors[name]
        if fact.type == FactType.DATE:
            unreadable |= raw == UNREADABLE_DAY
            days = raw.astype(np.int64)
            days[raw == UNKNOWN_DAY] = np.iinfo(np.int64).min  # NaT
            columns[name] = days.view("datetime64[D]")
            continue
        unreadable |= raw == UNREADABLE
        if fact.type == FactType.GROUPS:
            groups_known = raw >= 0
            columns[name] = np.where(groups_known, raw, 0).astype(GROUP_DTYPE)
        elif fact.type == FactType.BOOL or fact.type in CODES:
            columns[name] = raw.astype(np.int8)
        elif fact.type == FactType.REGION:
            columns[name] = raw.astype(np.int32)
        else:
            columns[name] = raw.astype(np.int64)
    if unreadable.any():
        first = int(ids[np.flatnonzero(unreadable)[0]])
        raise VectorUnreadable(f"Registry person {first} has facts that cannot be read")
    return PersonTable.from_columns(n, groups_known=groups_known, **columns)
