"""Reference cases: persons with the results the policy expects, re-run before a change (issue 14, item 3).

A case's facts are those of the screening API (catalogue, section 2), except that a
date may be written relative to the day the case is screened on, so that a case on
a boundary stays on it whatever the day: ``"-24m"`` is 24 months before that day,
``"-16y+1d"`` 16 years before and then one day later, ``"0d"`` the day itself.
Years and months are added with ``add_months`` (catalogue, section 1), days one by one.

``expected`` names the programmes a case guards, each with a status and, for an
eligible result with money, the amount (``"500.00"``). A proposal *alters* a case
when, on the proposal's start date, one of those programmes answers differently
(status or amount) with the proposed value than without it.

What a case expects may change from a date (``ReferenceExpectation``): when a proposal
that alters it is approved, with the change acknowledged, the new result is what the
case expects from the proposal's start date, and before that date the earlier
expectation stays (``expected_on``). The next proposal's diff, and the reference cases
page, compare against what was acknowledged.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from eligibility.dates import add_months
from eligibility.engine import evaluate
from eligibility.facts import FACT_FIELDS, Facts, FactsInvalid, FactType, parse_facts
from eligibility.parameter_set import ParameterSet
from eligibility.results import Status
from eligibility.rules import PROGRAMMES
from eligibility.wording import Money, language_of

_OFFSET = re.compile(r"^(?:[+-]\d{1,4}[ymd])+$")
_TERM = re.compile(r"([+-])(\d{1,4})([ymd])")
DATE_FACTS = tuple(name for name, fact in FACT_FIELDS.items() if fact.type == FactType.DATE)


def is_relative(text: object) -> bool:
    return isinstance(text, str) and bool(_OFFSET.fullmatch(text.strip().replace(" ", "")))


def resolve_date(text: str, on: date) -> date:
    """``text`` (an offset such as ``"-24m-1d"``) counted from ``on``."""
    day = on
    for sign, number, unit in _TERM.findall(text.replace(" ", "")):
        amount = int(number) * (1 if sign == "+" else -1)
        if unit == "y":
            day = add_months(day, 12 * amount)
        elif unit == "m":
            day = add_months(day, amount)
        else:
            day = day + timedelta(days=amount)
    return day


def facts_on(raw: dict, on: date) -> Facts:
    """The case's facts on the day ``on``: relative dates resolved, then read as the API reads them.
    Raises ``FactsInvalid``."""
    resolved = {
        name: (resolve_date(value, on).isoformat() if name in DATE_FACTS and is_relative(value) else value)
        for name, value in (raw or {}).items()
    }
    return parse_facts(resolved)


def facts_errors(raw: object) -> dict[str, list[str]]:
    """What is wrong with facts a policy administrator entered (empty when they can be read)."""
    if not isinstance(raw, dict):
        return {"facts": [_("The facts must be a JSON object.")]}
    try:
        facts_on(raw, timezone.localdate())
    except FactsInvalid as invalid:
        return invalid.errors
    return {}


def expected_errors(raw: object) -> list[str]:
    """What is wrong with expected results (empty when they can be used)."""
    if not isinstance(raw, dict) or not raw:
        return [_("Give the expected result of at least one programme.")]
    problems = []
    statuses = set(Status.values)
    for slug, entry in raw.items():
        if slug not in PROGRAMMES:
            problems.append(_("%(programme)s is not a programme of this portal.") % {"programme": slug})
            continue
        if not isinstance(entry, dict) or entry.get("status") not in statuses:
            problems.append(_("%(programme)s: give a status.") % {"programme": slug})
            continue
        amount = entry.get("amount")
        if amount is not None and parse_amount(amount) is None:
            problems.append(_("%(programme)s: the amount is a number such as 500.00.") % {"programme": slug})
    return problems


def parse_amount(value: object) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() and amount >= 0 else None


@dataclass(frozen=True)
class Outcome:
    """A programme's answer for a case: the status and, when it pays, the amount."""

    status: str
    amount: Decimal | None = None

    @classmethod
    def expected(cls, entry: dict) -> "Outcome":
        amount = entry.get("amount")
        return cls(str(entry["status"]), None if amount is None else parse_amount(amount))

    def __str__(self) -> str:
        label = str(dict(Status.choices).get(self.status, self.status))
        if self.amount is None:
            return label
        return _("%(status)s, %(amount)s") % {"status": label, "amount": Money(self.amount).render(language_of())}


def expected_on(case, on: date) -> dict[str, Outcome]:
    """What ``case`` expects on the day ``on`` of each programme it guards: its ``expected``,
    replaced by the latest of its dated expectations on or before ``on`` (``case.expectations``,
    prefetched by the callers that read many cases)."""
    found = {slug: Outcome.expected(entry) for slug, entry in (case.expected or {}).items()}
    latest = {}
    for row in case.expectations.all():
        if row.programme not in found or row.valid_from > on:
            continue
        if row.programme not in latest or latest[row.programme].valid_from < row.valid_from:
            latest[row.programme] = row
    for slug, row in latest.items():
        found[slug] = Outcome(row.status, row.amount)
    return found


def outcomes(case, on: date, parameters: ParameterSet) -> dict[str, Outcome]:
    """Every programme's answer for ``case`` on ``on`` under ``parameters`` (a case whose facts
    cannot be read gives none)."""
    try:
        facts = facts_on(case.facts, on)
    except FactsInvalid:
        return {}
    return {
        result.programme_slug: Outcome(str(result.status), result.amount.value if result.amount else None)
        for result in evaluate(facts, on, parameters=parameters)
    }


@dataclass
class CaseCheck:
    """A reference case screened on one day: each programme it guards, expected and found."""

    case: object  # eligibility.models.ReferenceCase
    on: date
    rows: list[tuple[str, Outcome, Outcome | None]] = field(default_factory=list)  # slug, expected, found

    @property
    def as_expected(self) -> bool:
        return all(found == expected for _slug, expected, found in self.rows)


def reference_case_checks(cases, on: date, parameters: ParameterSet | None = None) -> list[CaseCheck]:
    """Each case screened on ``on`` (with the parameters in force then), against what it expects."""
    parameters = parameters or ParameterSet.in_force(on)
    checks = []
    for case in cases:
        found = outcomes(case, on, parameters)
        check = CaseCheck(case=case, on=on)
        for slug, expected in expected_on(case, on).items():
            check.rows.append((slug, expected, found.get(slug)))
        checks.append(check)
    return checks


@dataclass(frozen=True)
class ReferenceChange:
    """A programme a reference case guards that answers differently with a proposed value."""

    case: object
    programme: str
    expected: Outcome
    before: Outcome | None
    after: Outcome | None

    @property
    def was_as_expected(self) -> bool:
        return self.before == self.expected


def proposal_reference_changes(cases, *, parameter_key: str, stored: object, valid_from: date) -> list[ReferenceChange]:
    """What the value ``stored`` of ``parameter_key`` from ``valid_from`` changes in the reference
    cases, screened on ``valid_from``: with the values in force then, and with the proposed one."""
    from eligibility.matching.whatif import proposed_parameters  # the what-if's own way to apply a value

    current = ParameterSet.in_force(valid_from)
    proposed = proposed_parameters(current, parameter_key, stored, valid_from)
    changes = []
    for case in cases:
        before = outcomes(case, valid_from, current)
        after = outcomes(case, valid_from, proposed)
        for slug, expected in expected_on(case, valid_from).items():
            if before.get(slug) != after.get(slug):
                changes.append(ReferenceChange(case, slug, expected, before.get(slug), after.get(slug)))
    return changes


def later_expectation_changes(
    cases, *, parameter_key: str, stored: object, valid_from: date, until: date | None = None
) -> list[tuple[object, Outcome]]:
    """The dated expectations after ``valid_from`` (and before ``until``, the parameter's next
    value: the proposed one holds until then) whose programme answers differently on their own
    date with the proposed value than without it; each with the result it gives then. An
    approval carries its change into them, so that a later expectation acknowledged before
    stays true."""
    from eligibility.matching.whatif import proposed_parameters

    found = []
    in_force: dict[date, tuple[ParameterSet, ParameterSet]] = {}
    for case in cases:
        for row in case.expectations.all():
            if row.valid_from <= valid_from or (until is not None and row.valid_from >= until):
                continue
            if row.valid_from not in in_force:
                current = ParameterSet.in_force(row.valid_from)
                in_force[row.valid_from] = (current, proposed_parameters(current, parameter_key, stored, valid_from))
            current, proposed = in_force[row.valid_from]
            before = outcomes(case, row.valid_from, current).get(row.programme)
            after = outcomes(case, row.valid_from, proposed).get(row.programme)
            if after is not None and before != after:
                found.append((row, after))
    return found
