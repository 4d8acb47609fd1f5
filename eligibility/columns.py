"""The column evaluator: the same rule trees, run over a table of many persons at once.

``evaluate_columns(table, as_of)`` gives, per programme, each person's status,
amount, ``max_periods`` and missing facts, as numpy arrays. It is compiled from
the trees of ``eligibility.rules`` (``PROGRAMMES``: each criterion's ``rule``,
a ``Node`` tree of ``eligibility.rules.logic``, and the ``AmountRule`` of
``eligibility.rules.amounts``), so a rule is written once and serves one person
(``engine.evaluate``, with explanations) and a registry of a million alike.
Explanations are not produced in bulk: ``explain(table, i, as_of)`` runs
``engine.evaluate`` for person ``i`` from the same trees.

Three-valued logic is one ``uint8`` code per person, ordered
``FALSE < UNKNOWN < TRUE``: then ``All`` is the minimum of its parts, ``Any``
the maximum and ``Not`` is ``TRUE - code``, exactly the tables of
``logic.All``/``Any``/``Not`` (catalogue, section 4). Next to each code travels
a bitmask of the facts still needed (bit ``i`` is the ``i``-th fact of
``FACT_FIELDS``); it is zero wherever the code is known, as ``Outcome.missing``.

Each ``Node`` class compiles through one small function registered with
``@compiles(NodeClass)``; lookup is by exact class, so a new kind of condition
that has no compiler raises ``UncompiledRule`` instead of being skipped. Money
is exact: integer cents (``int64``), turned into ``Decimal`` on demand.

The table (``PersonTable``) holds one column per fact; see ``PersonTable.from_columns``
for the encodings, and ``PersonTable.from_facts`` to build one from ``Facts``.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.conf import settings

from eligibility.facts import FACT_FIELDS, EmploymentForm, Facts, FactType, Group
from eligibility.parameter_set import ParameterSet
from eligibility.regions import CITY_CODE_DIGITS
from eligibility.results import PERIODIC, Amount, ProgrammeResult, Status
from eligibility.rules import PROGRAMMES, logic
from eligibility.rules import amounts as amount_rules
from eligibility.rules.logic import Node

FALSE, UNKNOWN, TRUE = np.uint8(0), np.uint8(1), np.uint8(2)

# Status codes: the first three are the Kleene codes of "every criterion holds".
STATUSES: tuple[str, ...] = (Status.INELIGIBLE, Status.NEEDS_INFO, Status.ELIGIBLE, Status.NOT_IN_FORCE)
NOT_IN_FORCE_CODE = np.uint8(3)

FACT_NAMES: tuple[str, ...] = tuple(FACT_FIELDS)
FACT_BIT: dict[str, int] = {name: 1 << index for index, name in enumerate(FACT_NAMES)}
MISSING_DTYPE = np.uint32 if len(FACT_NAMES) <= 32 else np.uint64
if len(FACT_NAMES) > 64:  # pragma: no cover - a catalogue change that needs a wider mask
    raise ImportError("The column evaluator's missing-facts bitmask holds at most 64 facts.")

# Codes of the code facts, in the order of their integer encoding.
CODES: dict[FactType, tuple[str, ...]] = {FactType.EMPLOYMENT_FORM: tuple(EmploymentForm.values)}
GROUP_CODES: tuple[str, ...] = tuple(Group.values)
GROUP_BIT: dict[str, int] = {code: 1 << index for index, code in enumerate(GROUP_CODES)}
GROUP_DTYPE = np.uint16 if len(GROUP_CODES) <= 16 else np.uint64

# Whole numbers are stored as int64: a larger number is stored as INT_CEILING.
# Rules compare whole numbers with parameters and take minima, which this keeps
# exact; a product that would overflow raises ``OverflowError``.
INT_CEILING = 2**62
REGION_DIGITS = 6
UNKNOWN_NUMBER = -1  # int, decimal (cents), region and code columns: -1 is unknown
_DATE_MAX = np.datetime64(date.max.isoformat(), "D")
_DATE_MIN = np.datetime64(date.min.isoformat(), "D")


class UncompiledRule(TypeError):
    """A rule tree contains a condition or expression the column evaluator cannot compile."""


# --- The table of persons -----------------------------------------------------------------------


@dataclass
class PersonTable:
    """One column per fact, for ``n`` persons. See ``from_columns`` for the encodings."""

    n: int
    columns: dict[str, np.ndarray]
    groups_known: np.ndarray
    _derived: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_columns(cls, n: int, *, groups_known: np.ndarray | None = None, **columns: Sequence) -> "PersonTable":
        """A table from raw arrays, each of length ``n``; a fact without a column is unknown for everyone.

        - dates: ``datetime64[D]``, ``NaT`` where unknown;
        - yes/no facts: ``int8``, 1 yes, 0 no, -1 unknown;
        - ``groups``: a bitmask (bit ``i`` is ``GROUP_CODES[i]``) with ``groups_known``
          (bool) saying where it is known (an empty known mask is "no group");
        - code facts (``employment_form``): ``int8`` index into ``CODES``, -1 unknown;
        - ``region``: the six-digit code as an integer, -1 unknown;
        - whole numbers: ``int64`` (at least 0), -1 unknown;
        - amounts: ``int64`` cents (at least 0), -1 unknown.
        """
        unknown_names = sorted(set(columns) - set(FACT_FIELDS))
        if unknown_names:
            raise ValueError(f"Unknown fact columns: {', '.join(unknown_names)}")
        cleaned: dict[str, np.ndarray] = {}
        for name, fact in FACT_FIELDS.items():
            raw = columns.get(name)
            cleaned[name] = _column(name, fact.type, n, raw)
        # Facts(): a given registration date implies a registered business (catalogue, section 2).
        if "business_registered" in cleaned:
            registered = cleaned["business_registered"]
            implied = (registered < 0) & ~np.isnat(cleaned["business_registered_on"])
            if np.any(implied):
                cleaned["business_registered"] = np.where(implied, np.int8(1), registered).astype(np.int8)
        if groups_known is None:
            groups_known = np.zeros(n, dtype=bool) if columns.get("groups") is None else np.ones(n, dtype=bool)
        groups_known = np.asarray(groups_known, dtype=bool)
        if groups_known.shape != (n,):
            raise ValueError(f"groups_known must have length {n}")
        return cls(n=n, columns=cleaned, groups_known=groups_known)

    @classmethod
    def from_facts(cls, people: Sequence[Facts]) -> "PersonTable":
        """A table of ``Facts`` (``parse_facts`` output), one row per person, in order."""
        n = len(people)
        arrays: dict[str, np.ndarray] = {}
        groups_known = np.zeros(n, dtype=bool)
        for name, fact in FACT_FIELDS.items():
            values = [person.get(name) for person in people]
            if fact.type == FactType.GROUPS:
                groups_known = np.array([value is not None for value in values], dtype=bool)
                arrays[name] = np.array(
                    [sum(GROUP_BIT[code] for code in value) if value else 0 for value in values], dtype=GROUP_DTYPE
                )
            else:
                arrays[name] = _ENCODERS[fact.type](name, values)
        return cls.from_columns(n, groups_known=groups_known, **arrays)

    def facts_at(self, index: int) -> Facts:
        """The ``Facts`` of person ``index``, as ``parse_facts`` would give them."""
        values: dict[str, object] = {}
        for name, fact in FACT_FIELDS.items():
            column = self.columns[name]
            if fact.type == FactType.GROUPS:
                if self.groups_known[index]:
                    bits = int(column[index])
                    values[name] = frozenset(code for code, bit in GROUP_BIT.items() if bits & bit)
                continue
            value = _DECODERS[fact.type](name, column[index])
            if value is not None:
                values[name] = value
        return Facts(values)

    # Parts of date columns, computed once per table.
    def date_parts(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(known, months since 1970-01, day of month) of the date column ``name``."""
        key = ("date", name)
        if key not in self._derived:
            days = self.columns[name]
            known = ~np.isnat(days)
            safe = np.where(known, days, np.datetime64("2000-01-01", "D"))
            months = safe.astype("datetime64[M]")
            day_of_month = (safe - months.astype("datetime64[D]")).astype(np.int64) + 1
            self._derived[key] = (known, months.astype(np.int64), day_of_month)
        return self._derived[key]


def _column(name: str, type_: FactType, n: int, raw) -> np.ndarray:
    if type_ == FactType.DATE:
        column = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]") if raw is None else np.asarray(raw)
        if column.dtype != np.dtype("datetime64[D]"):
            column = column.astype("datetime64[D]")
        low, high = _DATE_MIN, _DATE_MAX
        known = ~np.isnat(column)
        if np.any(known & ((column < low) | (column > high))):
            raise ValueError(f"{name}: dates must be within {date.min} and {date.max}")
    elif type_ == FactType.BOOL:
        column = np.full(n, -1, dtype=np.int8) if raw is None else np.asarray(raw, dtype=np.int8)
        if np.any((column < -1) | (column > 1)):
            raise ValueError(f"{name}: a yes/no column holds 1, 0 or -1 (unknown)")
    elif type_ == FactType.GROUPS:
        column = np.zeros(n, dtype=GROUP_DTYPE) if raw is None else np.asarray(raw).astype(GROUP_DTYPE)
    elif type_ in CODES:
        column = np.full(n, -1, dtype=np.int8) if raw is None else np.asarray(raw, dtype=np.int8)
        if np.any((column < -1) | (column >= len(CODES[type_]))):
            raise ValueError(f"{name}: codes are indexes into {CODES[type_]} or -1 (unknown)")
    elif type_ == FactType.REGION:
        column = np.full(n, -1, dtype=np.int32) if raw is None else np.asarray(raw, dtype=np.int32)
        if np.any((column < -1) | (column > 999999)):
            raise ValueError(f"{name}: a region is a six-digit code as an integer, or -1 (unknown)")
    elif type_ in (FactType.INT, FactType.DECIMAL):
        column = np.full(n, -1, dtype=np.int64) if raw is None else np.asarray(raw, dtype=np.int64)
        if np.any(column < -1):
            raise ValueError(f"{name}: numbers are at least 0, or -1 (unknown)")
        column = np.minimum(column, INT_CEILING)
    else:
        raise UncompiledRule(f"The column evaluator has no column encoding for facts of type {type_} ({name}).")
    if column.shape != (n,):
        raise ValueError(f"{name}: the column must have length {n}, not {column.shape}")
    return column


def _encode_dates(name, values):
    return np.array([np.datetime64("NaT") if v is None else v.isoformat() for v in values], dtype="datetime64[D]")


def _encode_bools(name, values):
    return np.array([-1 if v is None else int(v) for v in values], dtype=np.int8)


def _encode_codes(name, values):
    codes = CODES[FACT_FIELDS[name].type]
    return np.array([-1 if v is None else codes.index(v) for v in values], dtype=np.int8)


def _encode_region(name, values):
    return np.array([-1 if v is None else int(v) for v in values], dtype=np.int32)


def _encode_int(name, values):
    return np.array([-1 if v is None else min(v, INT_CEILING) for v in values], dtype=np.int64)


def _encode_cents(name, values):
    return np.array([-1 if v is None else int(v * 100) for v in values], dtype=np.int64)


_ENCODERS: dict[FactType, Callable] = {
    FactType.DATE: _encode_dates,
    FactType.BOOL: _encode_bools,
    FactType.EMPLOYMENT_FORM: _encode_codes,
    FactType.REGION: _encode_region,
    FactType.INT: _encode_int,
    FactType.DECIMAL: _encode_cents,
}
_DECODERS: dict[FactType, Callable] = {
    FactType.DATE: lambda name, v: None if np.isnat(v) else v.astype(object),
    FactType.BOOL: lambda name, v: None if v < 0 else bool(v),
    FactType.EMPLOYMENT_FORM: lambda name, v: None if v < 0 else CODES[FACT_FIELDS[name].type][int(v)],
    FactType.REGION: lambda name, v: None if v < 0 else f"{int(v):06d}",
    FactType.INT: lambda name, v: None if v < 0 else int(v),
    FactType.DECIMAL: lambda name, v: None if v < 0 else Decimal(int(v)).scaleb(-2),
}


# --- Vectorised dates (catalogue, section 1) ---------------------------------------------------------


def add_months_columns(months_index: np.ndarray, day_of_month: np.ndarray, months: int) -> np.ndarray:
    """``dates.add_months`` over a column: (months since 1970-01, day of month) plus
    ``months``, the day clamped to the target month's last day, saturating at
    ``date.max``/``date.min`` as ``add_months`` does."""
    target = months_index + int(months)
    start = target.astype("datetime64[M]").astype("datetime64[D]")
    days_in_month = ((target + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(np.int64)
    result = start + (np.minimum(day_of_month, days_in_month) - 1).astype("timedelta64[D]")
    year = target // 12 + 1970
    result = np.where(year > date.max.year, _DATE_MAX, result)
    return np.where(year < date.min.year, _DATE_MIN, result)


def age_columns(table: PersonTable, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """(known, age in whole years on ``as_of``) of ``birth_date``, 0 for a birth after ``as_of``
    (``dates.age_on`` and ``logic.AgeWithin``)."""
    known, months_index, day_of_month = table.date_parts("birth_date")
    year = months_index // 12 + 1970
    month = months_index % 12 + 1
    not_had_birthday = (month * 100 + day_of_month) > (as_of.month * 100 + as_of.day)
    age = as_of.year - year - not_had_birthday
    born_later = table.columns["birth_date"] > np.datetime64(as_of.isoformat(), "D")
    return known, np.where(born_later, 0, age)


# --- Three-valued columns ------------------------------------------------------------------------------


@dataclass
class Tri:
    """A three-valued column: ``code`` (FALSE/UNKNOWN/TRUE) and the missing facts where unknown."""

    code: np.ndarray
    missing: np.ndarray


class ColumnRun:
    """What one compilation reads: the table, the date, the parameters, the region served."""

    def __init__(self, table: PersonTable, as_of: date, parameters: ParameterSet, region_served: str):
        self.table = table
        self.as_of = as_of
        self.as_of_day = np.datetime64(as_of.isoformat(), "D")
        self.parameters = parameters
        self.region_served = region_served
        self._memo: dict[object, Tri] = {}
        # How often each subtree (by structural key) occurs in the trees to run: one that
        # occurs once is not kept after its parent has read it (memory for a million persons).
        self.uses: dict[object, int] | None = None

    def value(self, key: str):
        return self.parameters.value(key)

    def node(self, node: Node) -> Tri:
        """The column of ``node``; equal subtrees (the same class and arguments) are computed once."""
        key = _structural_key(node)
        found = self._memo.get(key)
        if found is None:
            compiler = NODE_COMPILERS.get(type(node))
            if compiler is None:
                raise UncompiledRule(
                    f"The column evaluator cannot compile {type(node).__module__}.{type(node).__qualname__}: "
                    "register a compiler with @compiles in eligibility/columns.py."
                )
            found = compiler(node, self)
            if self.uses is None or self.uses.get(key, 2) > 1:
                self._memo[key] = found
        return found

    def count_uses(self, trees: Iterable[Node]) -> None:
        """Counts the subtrees of ``trees`` (``uses``), so that only shared ones are kept."""
        uses: dict[object, int] = {}

        def visit(node: Node) -> None:
            key = _structural_key(node)
            uses[key] = uses.get(key, 0) + 1
            for value in vars(node).values():
                for part in value if isinstance(value, tuple | list) else (value,):
                    if isinstance(part, Node):
                        visit(part)

        for tree in trees:
            visit(tree)
        self.uses = uses

    # Leaves
    def known_fact(self, known: np.ndarray, passed: np.ndarray, fact: str) -> Tri:
        # TRUE (2) where known and passed, UNKNOWN (1) where not known, FALSE (0) otherwise,
        # from the booleans' bytes: no wider temporaries for a million persons.
        unknown = ~known
        code = unknown.view(np.uint8) + ((known & passed).view(np.uint8) << 1)
        missing = unknown.astype(MISSING_DTYPE) * MISSING_DTYPE(FACT_BIT[fact])
        return Tri(code, missing)

    def constant(self, code: np.uint8) -> Tri:
        return Tri(np.full(self.table.n, code, dtype=np.uint8), np.zeros(self.table.n, dtype=MISSING_DTYPE))


def _structural_key(obj):
    if isinstance(obj, Node):
        return (type(obj), tuple((name, _structural_key(value)) for name, value in sorted(vars(obj).items())))
    if isinstance(obj, tuple | list):
        return tuple(_structural_key(part) for part in obj)
    if isinstance(obj, dict):
        return ("dict", tuple((_structural_key(k), _structural_key(v)) for k, v in obj.items()))
    try:
        hash(obj)
    except TypeError:
        return ("id", id(obj))
    return obj


NODE_COMPILERS: dict[type, Callable[[Node, ColumnRun], Tri]] = {}
EXPRESSION_COMPILERS: dict[type, Callable] = {}
AMOUNT_COMPILERS: dict[type, Callable] = {}


def compiles(*classes: type, registry: dict | None = None):
    """Registers the decorated function as the column compiler of ``classes`` (exact classes)."""

    def register(function):
        for cls in classes:
            (NODE_COMPILERS if registry is None else registry)[cls] = function
        return function

    return register


def _unknown_missing(code: np.ndarray, parts: list[Tri]) -> np.ndarray:
    missing = parts[0].missing.copy()
    for part in parts[1:]:
        missing |= part.missing
    missing *= code == UNKNOWN  # zero wherever the code is known
    return missing


def _combined(ufunc, parts: list[Tri]) -> np.ndarray:
    """``ufunc`` (minimum for AND, maximum for OR) of the parts' codes, pairwise in place."""
    if len(parts) == 1:
        return parts[0].code
    code = ufunc(parts[0].code, parts[1].code)
    for part in parts[2:]:
        ufunc(code, part.code, out=code)
    return code


@compiles(logic.All)
def _all(node: logic.All, run: ColumnRun) -> Tri:
    parts = [run.node(part) for part in node.parts]
    code = _combined(np.minimum, parts)
    return Tri(code, _unknown_missing(code, parts))


@compiles(logic.Any)
def _any(node: logic.Any, run: ColumnRun) -> Tri:
    parts = [run.node(part) for part in node.parts]
    code = _combined(np.maximum, parts)
    return Tri(code, _unknown_missing(code, parts))


@compiles(logic.Not)
def _not(node: logic.Not, run: ColumnRun) -> Tri:
    part = run.node(node.part)
    return Tri(TRUE - part.code, part.missing)


def _groups(run: ColumnRun, codes: Iterable[str]) -> Tri:
    mask = sum(GROUP_BIT[code] for code in codes if code in GROUP_BIT)
    passed = (run.table.columns["groups"] & GROUP_DTYPE(mask)) != 0
    return run.known_fact(run.table.groups_known, passed, "groups")


@compiles(logic.HasGroup)
def _has_group(node: logic.HasGroup, run: ColumnRun) -> Tri:
    return _groups(run, (node.code,))


@compiles(logic.AnyGroup)
def _any_group(node: logic.AnyGroup, run: ColumnRun) -> Tri:
    return _groups(run, run.value(node.parameter_key))


@compiles(logic.WithinMonthsAfter, logic.WithinYearsAfter, logic.HappenedWithinMonths, logic.HappenedWithinYears)
def _window(node, run: ColumnRun) -> Tri:
    """``as_of <= add(D, N)`` holds exactly for the dates ``D`` from the first one for
    which it holds: ``add_months`` (and ``add_years``) never decrease as ``D`` grows,
    clamping and saturating included. That first date is found once, with the
    engine's own ``node.add``, and the column is compared with it."""
    if node.add not in (logic.add_months, logic.add_years):
        raise UncompiledRule(f"{type(node).__qualname__}: unknown date arithmetic {node.add}")
    column = run.table.columns[node.fact]
    known = ~np.isnat(column)
    first = _first_date_within(node.add, run.value(node.parameter_key), run.as_of)
    # No date at all is within the window when ``first`` is None (a date far beyond the calendar).
    first_day = np.datetime64(first.isoformat(), "D") if first is not None else None
    passed = column >= first_day if first_day is not None else np.zeros(run.table.n, dtype=bool)
    if node.not_before:
        passed &= column <= run.as_of_day
    return run.known_fact(known, passed, node.fact)


def _first_date_within(add, window: int, as_of: date) -> date | None:
    """The earliest date ``D`` with ``as_of <= add(D, window)``; ``None`` if there is none."""
    low, high = date.min.toordinal(), date.max.toordinal()
    if add(date.fromordinal(high), window) < as_of:
        return None
    while low < high:  # the predicate is monotone in D: bisect
        middle = (low + high) // 2
        if add(date.fromordinal(middle), window) >= as_of:
            high = middle
        else:
            low = middle + 1
    return date.fromordinal(low)


@compiles(logic.IsTrue)
def _is_true(node: logic.IsTrue, run: ColumnRun) -> Tri:
    column = run.table.columns[node.fact]
    return run.known_fact(column >= 0, column == 1, node.fact)


def _code_in(run: ColumnRun, fact: str, codes: Iterable[str]) -> Tri:
    fact_type = FACT_FIELDS[fact].type
    if fact_type not in CODES:
        raise UncompiledRule(f"{fact} is not a code fact the column evaluator knows ({fact_type}).")
    listed = set(codes)
    table = np.array([code in listed for code in CODES[fact_type]] + [False], dtype=bool)
    column = run.table.columns[fact]
    return run.known_fact(column >= 0, table[column], fact)  # -1 (unknown) reads the last entry


@compiles(logic.FactEquals)
def _fact_equals(node: logic.FactEquals, run: ColumnRun) -> Tri:
    return _code_in(run, node.fact, (node.code,))


@compiles(logic.FactIn)
def _fact_in(node: logic.FactIn, run: ColumnRun) -> Tri:
    return _code_in(run, node.fact, run.value(node.parameter_key))


@compiles(logic.WorkedInPost, logic.AtLeastOne)
def _at_least_one(node, run: ColumnRun) -> Tri:
    column = run.table.columns[node.fact]
    return run.known_fact(column >= 0, column >= 1, node.fact)


@compiles(logic.InYearOf)
def _in_year_of(node: logic.InYearOf, run: ColumnRun) -> Tri:
    known, months_index, _day = run.table.date_parts(node.fact)
    return run.known_fact(known, months_index // 12 + 1970 == run.as_of.year, node.fact)


@compiles(logic.RegionServed)
def _region_served(node: logic.RegionServed, run: ColumnRun) -> Tri:
    """Served when unknown, or when the first ``CITY_CODE_DIGITS`` digits are those of the region served."""
    column = run.table.columns["region"]
    city = 10 ** (REGION_DIGITS - CITY_CODE_DIGITS)
    served = int(run.region_served) // city
    code = np.where((column < 0) | (column // city == served), TRUE, FALSE).astype(np.uint8)
    return Tri(code, np.zeros(run.table.n, dtype=MISSING_DTYPE))


@compiles(logic.BusinessRegistered)
def _business_registered(node: logic.BusinessRegistered, run: ColumnRun) -> Tri:
    run.value(node.window_key)  # read by the explanation: a missing parameter is a configuration error
    column = run.table.columns[node.fact]
    return run.known_fact(column >= 0, column == 1, node.fact)


@compiles(logic.AgeWithin)
def _age_within(node: logic.AgeWithin, run: ColumnRun) -> Tri:
    known, age = age_columns(run.table, run.as_of)
    passed = (age >= run.value(node.minimum_key)) & (age < run.value(node.limit_key))
    return run.known_fact(known, passed, "birth_date")


@compiles(logic.LoanWithinCap)
def _loan_within_cap(node: logic.LoanWithinCap, run: ColumnRun) -> Tri:
    run.value(node.cap_key)  # as evaluate(): a missing parameter is a configuration error
    return run.constant(TRUE)


# --- Amounts: exact, in scaled integers ------------------------------------------------------------


@dataclass
class Scaled:
    """A numeric column ``values / 10**scale`` (exact), known where ``known``."""

    values: np.ndarray
    scale: int
    known: np.ndarray


def _scaled_scalar(value) -> tuple[int, int]:
    decimal = Decimal(value)
    sign, digits, exponent = decimal.as_tuple()
    mantissa = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent >= 0:
        return mantissa * 10**exponent, 0
    return mantissa, -exponent


def _as_scaled(value, n: int) -> Scaled:
    if isinstance(value, Scaled):
        return value
    mantissa, scale = _scaled_scalar(value)
    if abs(mantissa) > INT_CEILING:
        raise OverflowError(f"{value} is too large for the column evaluator")
    return Scaled(np.full(n, mantissa, dtype=np.int64), scale, np.ones(n, dtype=bool))


def _rescale(value: Scaled, scale: int) -> np.ndarray:
    factor = 10 ** (scale - value.scale)
    _check_product(value.values, factor)
    return value.values * factor


def _check_product(values: np.ndarray, factor) -> None:
    largest = int(np.abs(values).max(initial=0))
    if largest * abs(int(factor)) > INT_CEILING:
        raise OverflowError("An amount is too large for the column evaluator's 64-bit integers.")


def expression(node, run: ColumnRun):
    """A Python number (parameters only) or a ``Scaled`` column."""
    compiler = EXPRESSION_COMPILERS.get(type(node))
    if compiler is None:
        raise UncompiledRule(
            f"The column evaluator cannot compile the amount expression {type(node).__qualname__}: "
            "register one with @compiles(..., registry=EXPRESSION_COMPILERS)."
        )
    return compiler(node, run)


@compiles(amount_rules.Param, registry=EXPRESSION_COMPILERS)
def _param(node, run: ColumnRun):
    return run.value(node.key)


@compiles(amount_rules.FactValue, registry=EXPRESSION_COMPILERS)
def _fact_value(node, run: ColumnRun) -> Scaled:
    fact_type = FACT_FIELDS[node.name].type
    if fact_type not in (FactType.INT, FactType.DECIMAL):
        raise UncompiledRule(f"The column evaluator computes amounts only from numbers, not {node.name}.")
    column = run.table.columns[node.name]
    return Scaled(np.maximum(column, 0), 2 if fact_type == FactType.DECIMAL else 0, column >= 0)


@compiles(amount_rules.Product, registry=EXPRESSION_COMPILERS)
def _product(node, run: ColumnRun):
    left, right = expression(node.left, run), expression(node.right, run)
    if not isinstance(left, Scaled) and not isinstance(right, Scaled):
        return left * right
    left, right = _as_scaled(left, run.table.n), _as_scaled(right, run.table.n)
    _check_product(left.values, int(np.abs(right.values).max(initial=0)))
    return Scaled(left.values * right.values, left.scale + right.scale, left.known & right.known)


@compiles(amount_rules.Smaller, registry=EXPRESSION_COMPILERS)
def _smaller(node, run: ColumnRun):
    left, right = expression(node.left, run), expression(node.right, run)
    if not isinstance(left, Scaled) and not isinstance(right, Scaled):
        return min(left, right)
    left, right = _as_scaled(left, run.table.n), _as_scaled(right, run.table.n)
    scale = max(left.scale, right.scale)
    return Scaled(np.minimum(_rescale(left, scale), _rescale(right, scale)), scale, left.known & right.known)


def _cents(value, n: int) -> np.ndarray:
    """``amounts.money`` in cents: two places, rounded half-up (away from zero at .5)."""
    if not isinstance(value, Scaled):
        cents = int(Decimal(value).quantize(amount_rules.CENT, rounding=ROUND_HALF_UP) * 100)
        return np.full(n, cents, dtype=np.int64)
    if value.scale <= 2:
        return _rescale(value, 2)
    step = 10 ** (value.scale - 2)
    magnitude = np.abs(value.values)
    quotient, remainder = np.divmod(magnitude, step)
    rounded = quotient + (2 * remainder >= step)
    return np.where(value.values < 0, -rounded, rounded)


def _whole(value, n: int) -> np.ndarray:
    """``int(value)``: truncated toward zero."""
    if not isinstance(value, Scaled):
        return np.full(n, int(value), dtype=np.int64)
    step = 10**value.scale
    magnitude = np.abs(value.values) // step
    return np.where(value.values < 0, -magnitude, magnitude)


@compiles(amount_rules.PerMonth, registry=AMOUNT_COMPILERS)
def _per_month(rule, run: ColumnRun) -> tuple[np.ndarray, np.ndarray]:
    n = run.table.n
    return _cents(expression(rule.value, run), n), _whole(expression(rule.periods, run), n)


@compiles(amount_rules.PerYear, registry=AMOUNT_COMPILERS)
def _per_year(rule, run: ColumnRun) -> tuple[np.ndarray, np.ndarray]:
    n = run.table.n
    return _cents(expression(rule.value, run), n), _whole(expression(rule.periods, run), n)


@compiles(amount_rules.Once, registry=AMOUNT_COMPILERS)
def _once(rule, run: ColumnRun) -> tuple[np.ndarray, None]:
    return _cents(expression(rule.value, run), run.table.n), None


@compiles(amount_rules.LoanUpTo, registry=AMOUNT_COMPILERS)
def _loan_up_to(rule, run: ColumnRun) -> tuple[np.ndarray, None]:
    n = run.table.n
    cap = _as_scaled(expression(rule.cap, run), n)
    requested = _as_scaled(expression(rule.requested, run), n)
    scale = max(cap.scale, requested.scale)
    capped, asked = _rescale(cap, scale), _rescale(requested, scale)
    chosen = np.where(requested.known, np.minimum(asked, capped), capped)
    return _cents(Scaled(chosen, scale, cap.known), n), None


# --- Results -----------------------------------------------------------------------------------------------


@dataclass
class ProgrammeColumns:
    """One programme's results for every person of the table."""

    slug: str
    per: str
    status: np.ndarray  # uint8 index into STATUSES
    amount_cents: np.ndarray  # int64, meaningful where has_amount
    has_amount: np.ndarray  # bool: eligible and the programme pays
    max_periods: np.ndarray  # int64, -1 unless per is "month" or "year" and has_amount
    missing: np.ndarray  # bitmask of FACT_NAMES, non-zero only with needs_info

    def status_at(self, index: int) -> str:
        return STATUSES[int(self.status[index])]

    def amount_at(self, index: int) -> Amount | None:
        if not self.has_amount[index]:
            return None
        value = Decimal(int(self.amount_cents[index])).scaleb(-2).quantize(amount_rules.CENT)
        periods = int(self.max_periods[index]) if self.per in PERIODIC else None
        return Amount(value, per=self.per, max_periods=periods)

    def missing_facts_at(self, index: int) -> list[str]:
        bits = int(self.missing[index])
        return [name for name in FACT_NAMES if bits & FACT_BIT[name]]

    def counts(self) -> dict[str, int]:
        found = np.bincount(self.status, minlength=len(STATUSES))
        return {status: int(count) for status, count in zip(STATUSES, found, strict=True)}


def evaluate_columns(
    table: PersonTable,
    as_of: date,
    *,
    parameters: ParameterSet | None = None,
    region_served: str | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, ProgrammeColumns]:
    """Every programme (or those in ``only``) for every person of ``table`` on ``as_of``,
    in catalogue order, as ``engine.evaluate`` would answer them one by one."""
    if parameters is None:
        from eligibility.parameter_cache import parameters_in_force

        parameters = parameters_in_force(as_of)
    run = ColumnRun(table, as_of, parameters, region_served or settings.LINGHUO_REGION_CODE)
    wanted = None if only is None else set(only)
    run.count_uses(
        criterion.rule
        for programme in parameters.programmes
        if (wanted is None or programme.slug in wanted) and programme.slug in PROGRAMMES
        for criterion in PROGRAMMES[programme.slug].criteria
    )
    return {
        programme.slug: _programme(run, programme)
        for programme in parameters.programmes
        if wanted is None or programme.slug in wanted
    }


def _programme(run: ColumnRun, programme) -> ProgrammeColumns:
    rules = PROGRAMMES.get(programme.slug)
    if rules is None:
        raise LookupError(f"The programme {programme.slug} has no rules in eligibility.rules.programmes.")
    n = run.table.n
    per = rules.per
    if not programme.in_force_on(run.as_of) or run.parameters.missing(rules.parameter_keys()):
        return ProgrammeColumns(
            slug=programme.slug,
            per=per,
            status=np.full(n, NOT_IN_FORCE_CODE, dtype=np.uint8),
            amount_cents=np.zeros(n, dtype=np.int64),
            has_amount=np.zeros(n, dtype=bool),
            max_periods=np.full(n, -1, dtype=np.int64),
            missing=np.zeros(n, dtype=MISSING_DTYPE),
        )
    criteria = [run.node(criterion.rule) for criterion in rules.criteria]
    status = _combined(np.minimum, criteria)
    if len(criteria) == 1:
        status = status.copy()
    missing = _unknown_missing(status, criteria)
    eligible = status == TRUE
    # Without an amount (or without periods), read-only constant views: no memory per person.
    amount_cents = _constant(n, 0, np.int64)
    max_periods = _constant(n, -1, np.int64)
    has_amount = _constant(n, False, bool)
    if rules.amount is not None:
        compiler = AMOUNT_COMPILERS.get(type(rules.amount))
        if compiler is None:
            raise UncompiledRule(
                f"The column evaluator cannot compile the amount rule {type(rules.amount).__qualname__}."
            )
        cents, periods = compiler(rules.amount, run)
        has_amount = eligible
        amount_cents = np.where(eligible, cents, 0)
        if periods is not None:
            max_periods = np.where(eligible, periods, -1)
    return ProgrammeColumns(
        slug=programme.slug,
        per=per,
        status=status,
        amount_cents=amount_cents,
        has_amount=has_amount,
        max_periods=max_periods,
        missing=missing,
    )


def _constant(n: int, value, dtype) -> np.ndarray:
    """A read-only column of ``n`` times ``value`` that takes no memory per person."""
    return np.broadcast_to(np.array(value, dtype=dtype), (n,))


def explain(
    table: PersonTable, index: int, as_of: date, *, parameters: ParameterSet | None = None
) -> list[ProgrammeResult]:
    """The full results of person ``index``, with explanations: ``engine.evaluate`` on the same trees."""
    from eligibility.engine import evaluate

    return evaluate(table.facts_at(index), as_of, parameters=parameters)


def results_at(columns: Mapping[str, ProgrammeColumns], index: int) -> list[tuple[str, str, Amount | None, list[str]]]:
    """(slug, status, amount, missing facts) of person ``index``, per programme: for comparisons and tests."""
    return [
        (slug, result.status_at(index), result.amount_at(index), result.missing_facts_at(index))
        for slug, result in columns.items()
    ]
