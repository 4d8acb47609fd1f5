"""Reads of the policy console: a fixed number of queries per page, whatever the history's length.

Ends announced (issue 14, item 4): a parameter value has no end date of its own, it holds
until a later value takes over; so a value *ends* the day before its successor starts,
and a programme ends on the last day its policy declares (``Programme.in_force_until``).
The console announces each end that falls within ``ANNOUNCE_DAYS`` days from today.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q

from eligibility.console.sources import CitedSource, parameter_sources
from eligibility.history import today as policy_today
from eligibility.models import Parameter, ParameterProposal, ParameterValue, Programme, ReferenceCase
from eligibility.parameter_set import ParameterInForce
from eligibility.parameter_types import to_python
from eligibility.rules import PROGRAMMES
from eligibility.wording import ParameterText, language_of

ANNOUNCE_DAYS = 60


def may_use_console(user) -> bool:
    """The policy administrator's permission (``policy_admin`` role, migration 0007)."""
    return bool(user.is_authenticated and user.has_perm("eligibility.view_parameterproposal"))


def may_propose(user) -> bool:
    return bool(user.is_authenticated and user.has_perm("eligibility.add_parameterproposal"))


def may_approve(user) -> bool:
    return bool(user.is_authenticated and user.has_perm("eligibility.approve_parameterproposal"))


def value_text(parameter, stored: object) -> str:
    """A stored value as a person reads it: with its unit and labels ("24 个月", "兼职、平台")."""
    shown = ParameterInForce(
        parameter.key,
        parameter.type,
        parameter.unit,
        parameter.local_default,
        to_python(parameter.type, stored),
        date.min,
        stored,
    )
    return ParameterText(shown).render(language_of())


@dataclass
class ValueRow:
    value: ParameterValue
    text: str
    status: str  # "in_force", "superseded", "future"
    valid_until: date | None  # the day before the next value starts


@dataclass
class ParameterRow:
    parameter: Parameter
    label: str
    current: ValueRow | None
    next: ValueRow | None  # the next value scheduled after today
    history: list[ValueRow]
    sources: list[CitedSource]
    pending: int = 0  # proposals awaiting approval
    programmes: list[str] = field(default_factory=list)  # slugs of the programmes whose rules read it


def _rows(parameter: Parameter, values: list[ParameterValue], today: date) -> list[ValueRow]:
    rows = []
    ordered = sorted(values, key=lambda row: row.valid_from)
    current_index = max((i for i, row in enumerate(ordered) if row.valid_from <= today), default=None)
    for index, row in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if row.valid_from > today:
            status = "future"
        elif index == current_index:
            status = "in_force"
        else:
            status = "superseded"
        until = following.valid_from - timedelta(days=1) if following else None
        rows.append(ValueRow(row, value_text(parameter, row.value), status, until))
    return rows


def _readers() -> dict[str, list[str]]:
    readers: dict[str, list[str]] = defaultdict(list)
    for slug, rules in PROGRAMMES.items():
        for key in rules.parameter_keys():
            readers[key].append(slug)
    return readers


def parameter_rows(*, on: date | None = None) -> dict[str, ParameterRow]:
    """Every parameter with its history, value in force on ``on`` (today) and next value; three queries."""
    today = on or policy_today()
    values: dict[int, list[ParameterValue]] = defaultdict(list)
    for row in ParameterValue.objects.select_related("created_by").order_by("valid_from"):
        values[row.parameter_id].append(row)
    pending = dict(
        ParameterProposal.objects.filter(state=ParameterProposal.State.PROPOSED)
        .values_list("parameter_id")
        .annotate(count=Count("id"))
        .values_list("parameter_id", "count")
    )
    readers = _readers()
    found = {}
    for parameter in Parameter.objects.order_by("key"):
        history = _rows(parameter, values[parameter.pk], today)
        current = next((row for row in history if row.status == "in_force"), None)
        upcoming = next((row for row in history if row.status == "future"), None)
        found[parameter.key] = ParameterRow(
            parameter=parameter,
            label=parameter.description or parameter.key,
            current=current,
            next=upcoming,
            history=list(reversed(history)),
            sources=parameter_sources(parameter),
            pending=pending.get(parameter.pk, 0),
            programmes=readers.get(parameter.key, []),
        )
    return found


@dataclass
class ProgrammeSection:
    programme: Programme
    parameters: list[ParameterRow]


@dataclass
class ConsoleOverview:
    every_programme: list[ParameterRow]  # read by every programme's rules (region, working age)
    programmes: list[ProgrammeSection]
    case_handling: list[ParameterRow]  # read by no programme's rules (deadlines of case handling)


def console_overview(*, on: date | None = None) -> ConsoleOverview:
    """The parameters grouped by programme: those every programme reads first, then each programme's own,
    then those no programme's rules read (case handling)."""
    rows = parameter_rows(on=on)
    programmes = list(Programme.objects.order_by("position", "slug"))
    slugs = [programme.slug for programme in programmes if programme.slug in PROGRAMMES]
    shared = [key for key, row in rows.items() if slugs and set(slugs) <= set(row.programmes)]
    sections = [
        ProgrammeSection(
            programme,
            [rows[key] for key in PROGRAMMES[programme.slug].parameter_keys() if key in rows and key not in shared]
            if programme.slug in PROGRAMMES
            else [],
        )
        for programme in programmes
    ]
    return ConsoleOverview(
        every_programme=[rows[key] for key in shared],
        programmes=sections,
        case_handling=[row for row in rows.values() if not row.programmes],
    )


@dataclass
class Announcement:
    on: date  # the last day of the value or programme
    days_left: int
    kind: str  # "value" or "programme"
    programme: Programme | None = None
    parameter: ParameterRow | None = None
    ending: ValueRow | None = None
    successor: ValueRow | None = None


def announcements(*, on: date | None = None, days: int = ANNOUNCE_DAYS) -> list[Announcement]:
    """The ends within ``days`` days from ``on`` (today): a value whose successor starts by then, a programme
    whose declared end comes by then; soonest first."""
    today = on or policy_today()
    horizon = today + timedelta(days=days)
    found = []
    for programme in Programme.objects.filter(in_force_until__gte=today, in_force_until__lte=horizon):
        found.append(
            Announcement(
                programme.in_force_until, (programme.in_force_until - today).days, "programme", programme=programme
            )
        )
    for row in parameter_rows(on=today).values():
        if row.current is not None and row.current.valid_until is not None and row.current.valid_until <= horizon:
            successor = row.next
            found.append(
                Announcement(
                    row.current.valid_until,
                    (row.current.valid_until - today).days,
                    "value",
                    parameter=row,
                    ending=row.current,
                    successor=successor,
                )
            )
    return sorted(found, key=lambda item: (item.on, item.kind))


def proposals(*, state: str | None = None):
    """Proposals, newest first, with what a list shows."""
    found = ParameterProposal.objects.select_related("parameter", "proposed_by", "decided_by")
    return found.filter(state=state) if state else found


def proposals_awaiting(user):
    """Proposals that await approval and that ``user`` may approve: those of others."""
    return proposals(state=ParameterProposal.State.PROPOSED).filter(~Q(proposed_by=user) | Q(proposed_by=None))


def own_proposals_waiting(user):
    return proposals(state=ParameterProposal.State.PROPOSED).filter(proposed_by=user)


def reference_cases():
    return ReferenceCase.objects.select_related("updated_by").prefetch_related("expectations").order_by("pk")


def reference_expectations(case: ReferenceCase):
    """The dated expected results of ``case``, earliest first, with the proposal and the person that set each."""
    return case.expectations.select_related("proposal", "set_by").order_by("valid_from", "programme", "pk")
