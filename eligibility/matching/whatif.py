"""What a new parameter value would change, before it is saved (issue 12, item 5).

``whatif_preview(parameter_key=..., value=..., valid_from=...)`` evaluates with
the column evaluator, under the parameters in force and under the same with
the proposed value:

- the whole registry (in chunks, as matching reads it, without its digests), on the later of
  ``valid_from`` and today: the date from which the value would decide;
- every pending application (``OPEN_STATUSES`` but drafts), for its own
  programme, with its own facts, on its submission date (as the catalogue
  decides an application); the new value counts only for those submitted on or
  after ``valid_from`` (before, the old value decides them, so they cannot change).

Only the programmes whose rules read the parameter are evaluated: no other can change.

Cost per year of one eligible result (``annual_cents``): a monthly amount ×
min(12, the months it is paid at most); a yearly amount once; a one-off amount
once (counted in the year it is paid); a loan and a programme without cash
count nothing (a loan is lent, not spent). The change in total cost is the sum
over registry persons and programmes of the cost after minus the cost before;
pending applications are counted, not costed (an applicant is usually in the
registry as well, and would be counted twice).
"""

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import numpy as np
from django.utils import timezone

from applications.models import OPEN_STATUSES, Application, Status
from eligibility.columns import STATUSES, TRUE, PersonTable, ProgrammeColumns, age_columns, evaluate_columns
from eligibility.facts import FactsInvalid, parse_facts
from eligibility.matching import services
from eligibility.models import Parameter
from eligibility.parameter_cache import parameters_in_force
from eligibility.parameter_set import ParameterInForce, ParameterSet
from eligibility.parameter_types import clean_value, to_python
from eligibility.regions import region_name
from eligibility.rules import PROGRAMMES

EXAMPLES = 10
PENDING_STATUSES = tuple(status for status in OPEN_STATUSES if status != Status.DRAFT)


@dataclass
class ExamplePerson:
    """One registry person whose result would change, as a policy admin may see it."""

    id_number_end: str  # the last three characters, "***123"
    age: int | None
    region: str
    programme: str  # slug
    status_before: str
    amount_before: Decimal | None
    status_after: str
    amount_after: Decimal | None


@dataclass
class WhatIf:
    parameter_key: str
    value: object  # the stored (canonical) form
    valid_from: date
    as_of: date  # the date the registry was evaluated on
    persons: int = 0
    persons_changed: int = 0
    applications: int = 0
    applications_changed: int = 0
    cost_before_per_year: Decimal = Decimal("0.00")
    cost_after_per_year: Decimal = Decimal("0.00")
    programmes: tuple[str, ...] = ()
    changed_by_programme: dict[str, int] = field(default_factory=dict)
    examples: list[ExamplePerson] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def cost_change_per_year(self) -> Decimal:
        return self.cost_after_per_year - self.cost_before_per_year


def annual_cents(columns: ProgrammeColumns) -> np.ndarray:
    """Each person's cost per year of this programme's result, in cents (see the module's rule)."""
    eligible = columns.has_amount & (columns.status == TRUE)
    if columns.per == "month":
        months = np.clip(columns.max_periods, 0, 12)
        return np.where(eligible, columns.amount_cents * months, 0)
    if columns.per in ("year", "once"):
        return np.where(eligible, columns.amount_cents, 0)
    return np.zeros(len(columns.status), dtype=np.int64)


def proposed_parameters(parameters: ParameterSet, key: str, value: object, valid_from: date) -> ParameterSet:
    """``parameters`` with ``key`` set to ``value`` (typed) from ``valid_from``."""
    if key in parameters:
        current = parameters.get(key)
    else:  # no value in force yet: the proposal is the first
        row = Parameter.objects.get(key=key)
        current = ParameterInForce(key, row.type, row.unit, row.local_default, None, valid_from, None)
    changed = replace(current, value=to_python(current.type, value), stored=value, valid_from=valid_from)
    return ParameterSet(parameters.as_of, {**{p.key: p for p in parameters}, key: changed}, parameters.programmes)


def _programmes_reading(key: str) -> tuple[str, ...]:
    return tuple(slug for slug, rules in PROGRAMMES.items() if key in rules.parameter_keys())


def _amount(columns: ProgrammeColumns, index: int) -> Decimal | None:
    amount = columns.amount_at(index)
    return amount.value if amount else None


def _changed(before: ProgrammeColumns, after: ProgrammeColumns) -> np.ndarray:
    amount_before = np.where(before.has_amount, before.amount_cents, -1)
    amount_after = np.where(after.has_amount, after.amount_cents, -1)
    periods_before = np.where(before.has_amount, before.max_periods, -1)
    periods_after = np.where(after.has_amount, after.max_periods, -1)
    return (before.status != after.status) | (amount_before != amount_after) | (periods_before != periods_after)


def whatif_preview(*, parameter_key: str, value: object, valid_from: date) -> WhatIf:
    """What saving ``value`` for ``parameter_key`` from ``valid_from`` would change (see the module)."""
    import time

    started = time.perf_counter()
    parameter = Parameter.objects.get(key=parameter_key)
    stored = clean_value(parameter.type, value, code_set=parameter.code_set)  # ValidationError for a bad value
    as_of = max(valid_from, timezone.localdate())
    current = parameters_in_force(as_of)
    proposed = proposed_parameters(current, parameter_key, stored, valid_from)
    slugs = _programmes_reading(parameter_key)
    found = WhatIf(parameter_key=parameter_key, value=stored, valid_from=valid_from, as_of=as_of, programmes=slugs)
    found.changed_by_programme = dict.fromkeys(slugs, 0)
    if slugs:
        _registry(found, current, proposed, slugs)
        _applications(found, parameter_key, stored, valid_from, slugs)
    found.seconds = time.perf_counter() - started
    return found


def _registry(found: WhatIf, current: ParameterSet, proposed: ParameterSet, slugs: tuple[str, ...]) -> None:
    cents = [0, 0]  # before, after
    wanted: list[tuple[int, int, str, str, Decimal | None, str, Decimal | None]] = []
    # closing(): should a chunk fail, the reading thread stops with the reads.
    with contextlib.closing(services.registry_reads(services.DEFAULT_CHUNK_SIZE, digests=False)) as reads:
        for read in reads:
            _registry_chunk(found, read, current, proposed, slugs, cents, wanted)
    found.cost_before_per_year = Decimal(cents[0]).scaleb(-2)
    found.cost_after_per_year = Decimal(cents[1]).scaleb(-2)
    found.examples = _examples(wanted)


def _registry_chunk(
    found: WhatIf, read, current: ParameterSet, proposed: ParameterSet, slugs: tuple[str, ...], cents, wanted
) -> None:
    """Adds one chunk of the registry to ``found``; ``cents`` the costs before and after, ``wanted`` the examples."""
    table = read.table
    found.persons += table.n
    before = evaluate_columns(table, found.as_of, parameters=current, only=slugs)
    after = evaluate_columns(table, found.as_of, parameters=proposed, only=slugs)
    person_changed = np.zeros(table.n, dtype=bool)
    first_programme = np.full(table.n, -1, dtype=np.int64)
    for position, slug in enumerate(before):
        changed = _changed(before[slug], after[slug])
        found.changed_by_programme[slug] += int(changed.sum())
        first_programme = np.where(changed & (first_programme < 0), position, first_programme)
        person_changed |= changed
        cents[0] += int(annual_cents(before[slug]).sum())
        cents[1] += int(annual_cents(after[slug]).sum())
    found.persons_changed += int(person_changed.sum())
    if len(wanted) < EXAMPLES:
        known, ages = age_columns(table, found.as_of)
        for index in np.flatnonzero(person_changed)[: EXAMPLES - len(wanted)]:
            slug = list(before)[int(first_programme[index])]
            wanted.append(
                (
                    int(read.ids[index]),
                    int(ages[index]) if known[index] else -1,
                    _region_of(table, int(index)),
                    slug,
                    before[slug].status_at(int(index)),
                    _amount(before[slug], int(index)),
                    after[slug].status_at(int(index)),
                    _amount(after[slug], int(index)),
                )
            )


def _region_of(table: PersonTable, index: int) -> str:
    code = int(table.columns["region"][index])
    return "" if code < 0 else f"{code:06d}"


def _examples(wanted) -> list[ExamplePerson]:
    from django.apps import apps

    person_model = apps.get_model("registry", "RegistryPerson")
    numbers = dict(person_model.objects.filter(pk__in=[w[0] for w in wanted]).values_list("pk", "id_number"))
    return [
        ExamplePerson(
            id_number_end=f"***{(numbers.get(pk) or '')[-3:]}",
            age=None if age < 0 else age,
            region=region_name(region) if region else "",
            programme=slug,
            status_before=status_before,
            amount_before=amount_before,
            status_after=status_after,
            amount_after=amount_after,
        )
        for pk, age, region, slug, status_before, amount_before, status_after, amount_after in wanted
    ]


def _applications(found: WhatIf, key: str, stored: object, valid_from: date, slugs: tuple[str, ...]) -> None:
    """Pending applications of the programmes concerned, by submission date; each for its own programme."""
    pending = (
        Application.objects.filter(status__in=PENDING_STATUSES, programme__slug__in=slugs)
        .values_list("programme__slug", "submitted_on", "created_at", "facts")
        .order_by()
    )
    by_day: dict[tuple[date, str], list] = defaultdict(list)
    for slug, submitted_on, created_at, facts in pending.iterator(chunk_size=5000):
        found.applications += 1
        as_of = submitted_on or timezone.localtime(created_at).date()
        if as_of < valid_from:
            continue  # decided by the value in force on its submission date: the new one does not reach it
        try:
            by_day[(as_of, slug)].append(parse_facts(facts or {}))
        except FactsInvalid:
            continue  # such an application cannot be decided by either value; nothing changes
    for (as_of, slug), people in by_day.items():
        current = parameters_in_force(as_of)
        proposed = proposed_parameters(current, key, stored, valid_from)
        table = PersonTable.from_facts(people)
        before = evaluate_columns(table, as_of, parameters=current, only=[slug])[slug]
        after = evaluate_columns(table, as_of, parameters=proposed, only=[slug])[slug]
        found.applications_changed += int(_changed(before, after).sum())


__all__ = ["STATUSES", "ExamplePerson", "WhatIf", "annual_cents", "whatif_preview"]
