"""Cross-checks of a new parameter value: what would contradict itself (issue 14, item 2).

A value is checked against the values that would be in force on its start date
(and on each later date a related parameter changes, while the value would still
hold), never alone:

- two parameters in an order keep it (``ordered_pairs``): an age limit pair read by the
  rules (``AgeWithin`` in ``eligibility.rules``: the minimum working age and the retirement
  age) keeps the minimum below the limit; the notice that an unsent draft will be removed
  comes before its removal (``retention.draft_notice_days`` below ``retention.draft_days``,
  read by ``applications.retention``); and a minimum is not above its maximum (two
  parameters of one group and type named ``min_…``/``max_…`` or ``…_min``/``…_max``);
- a window or a period (months, years, days, working days) is at least 1;
- an age is from 16 (the minimum working age under labour law) to 100;
- a rate is from 0 to 1; an amount of money is not negative, and an amount a
  programme pays (read by a programme's amount rule) is more than 0;
- a list of codes has at least one code;
- the value differs from the one in force on its start date (else it changes nothing).

The age relations are read from the rule trees, so that a new programme with its own age
limits is checked too, and the minimum and maximum ones from the parameters' names.
``value_problems`` returns the messages, in the active language; an empty list means the
value may be proposed.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eligibility.parameter_set import ParameterInForce, ParameterSet
from eligibility.parameter_types import ParameterType, ParameterUnit, to_python
from eligibility.rules import PROGRAMMES
from eligibility.rules.logic import AgeWithin
from eligibility.wording import ParameterText, language_of

LOWEST_AGE = 16  # the minimum working age under the labour law (catalogue, section 3)
HIGHEST_AGE = 100
PERIOD_UNITS = (ParameterUnit.MONTHS, ParameterUnit.YEARS, ParameterUnit.DAYS, ParameterUnit.WORKING_DAYS)


def age_limit_pairs() -> tuple[tuple[str, str], ...]:
    """(minimum key, limit key) of every age condition the programmes' rules hold."""
    pairs = {
        (leaf.minimum_key, leaf.limit_key)
        for rules in PROGRAMMES.values()
        for criterion in rules.criteria
        for leaf in criterion.rule.leaves()
        if isinstance(leaf, AgeWithin)
    }
    return tuple(sorted(pairs))


class Order(Enum):
    """Why two parameters keep an order, and so how a value that breaks it is explained."""

    AGE = "age"  # the youngest working age and the age at which support ends
    NOTICE = "notice"  # a notice that something will happen, and the time it happens
    RANGE = "range"  # a minimum and its maximum (equal is allowed)


@dataclass(frozen=True)
class OrderedPair:
    """``lower`` must stay below ``upper`` (or not above it, when ``strict`` is false)."""

    lower: str
    upper: str
    order: Order

    @property
    def strict(self) -> bool:
        return self.order != Order.RANGE

    def holds(self, lower: object, upper: object) -> bool:
        return lower < upper if self.strict else lower <= upper


# Orders that no rule tree shows: what reads the two values depends on it.
DECLARED_PAIRS = (
    # applications.retention: an untouched draft gets its notice at draft_notice_days and is
    # removed at draft_days; a notice on or after the removal day would never be read.
    OrderedPair("retention.draft_notice_days", "retention.draft_days", Order.NOTICE),
)
_MINIMUM = re.compile(r"^(?P<group>[a-z0-9_]+)\.(?:min_(?P<head>[a-z0-9_]+)|(?P<tail>[a-z0-9_]+)_min)$")


def range_pairs(parameters) -> tuple[OrderedPair, ...]:
    """The minimum and maximum pairs among ``parameters`` (rows with ``key`` and ``type``): in one
    group and of one type, ``g.min_x`` and ``g.max_x``, or ``g.x_min`` and ``g.x_max``."""
    types = {parameter.key: parameter.type for parameter in parameters}
    pairs = []
    for key, kind in types.items():
        match = _MINIMUM.match(key)
        if match is None:
            continue
        group = match["group"]
        maximum = f"{group}.max_{match['head']}" if match["head"] else f"{group}.{match['tail']}_max"
        if types.get(maximum) == kind:
            pairs.append(OrderedPair(key, maximum, Order.RANGE))
    return tuple(sorted(pairs, key=lambda pair: (pair.lower, pair.upper)))


def ordered_pairs(parameters=None) -> tuple[OrderedPair, ...]:
    """Every order two parameters must keep: the age limits of the rules, the declared ones, and the
    minimum and maximum pairs among ``parameters`` (default: every parameter of the catalogue)."""
    from eligibility.models import Parameter

    if parameters is None:
        parameters = Parameter.objects.only("key", "type")
    ages = tuple(OrderedPair(minimum, limit, Order.AGE) for minimum, limit in age_limit_pairs())
    return ages + DECLARED_PAIRS + range_pairs(parameters)


def paid_amount_keys() -> frozenset[str]:
    """Parameters that a programme's amount rule reads as money it pays."""
    return frozenset(key for rules in PROGRAMMES.values() if rules.amount for key in rules.amount.parameter_keys())


def _label(parameter) -> str:
    return parameter.description or parameter.key


def _text(parameter, value) -> str:
    shown = ParameterInForce(parameter.key, parameter.type, parameter.unit, False, value, date.min, None)
    return ParameterText(shown).render(language_of())


def single_value_problems(parameter, stored: object) -> list[str]:
    """What is wrong with the value itself, whatever else is in force."""
    value = to_python(parameter.type, stored)
    label = _label(parameter)
    problems = []
    if parameter.type == ParameterType.INT and parameter.unit in PERIOD_UNITS and value < 1:
        problems.append(
            _("“%(label)s” is a window or a period: %(value)s would leave no time at all. Enter at least 1.")
            % {"label": label, "value": _text(parameter, value)}
        )
    is_age = parameter.type == ParameterType.INT and parameter.unit == ParameterUnit.AGE
    if is_age and not LOWEST_AGE <= value <= HIGHEST_AGE:
        problems.append(
            _(
                "“%(label)s” is an age: enter one from %(lowest)s (the minimum working age under "
                "labour law) to %(highest)s."
            )
            % {"label": label, "lowest": LOWEST_AGE, "highest": HIGHEST_AGE}
        )
    if parameter.type == ParameterType.RATE and not Decimal(0) <= value <= Decimal(1):
        problems.append(_("“%(label)s” is a rate: enter a number from 0 to 1, for example 0.50.") % {"label": label})
    if parameter.type == ParameterType.MONEY:
        if value < 0:
            problems.append(_("“%(label)s” is an amount of money: it cannot be negative.") % {"label": label})
        elif value == 0 and parameter.key in paid_amount_keys():
            problems.append(
                _(
                    "“%(label)s” is an amount a programme pays: 0 yuan would pay nothing. To stop a "
                    "programme, declare its end instead."
                )
                % {"label": label}
            )
    if parameter.type == ParameterType.CODE_LIST and not value:
        problems.append(_("“%(label)s” needs at least one choice.") % {"label": label})
    return problems


def value_problems(*, parameter, stored: object, valid_from: date) -> list[str]:
    """Every reason to refuse ``stored`` (canonical form) as the value of ``parameter`` from
    ``valid_from``, checked against what would be in force then; [] when there is none."""
    from eligibility.matching.whatif import proposed_parameters  # how the what-if applies a value
    from eligibility.models import Parameter, ParameterValue

    problems = single_value_problems(parameter, stored)
    if problems:
        return problems
    in_force = ParameterSet.in_force(valid_from)
    if parameter.key in in_force and in_force.get(parameter.key).stored == stored:
        problems.append(
            _("From %(date)s “%(label)s” is %(value)s already: the proposal would change nothing.")
            % {
                "date": date_format(valid_from, "DATE_FORMAT"),
                "label": _label(parameter),
                "value": _text(parameter, to_python(parameter.type, stored)),
            }
        )
        return problems
    related = [pair for pair in ordered_pairs() if parameter.key in (pair.lower, pair.upper)]
    if not related:
        return problems
    # The days on which the pairs are checked: the start date, and each later day a related
    # parameter takes a new value while this one would still hold.
    own_next = (
        ParameterValue.objects.filter(parameter__key=parameter.key, valid_from__gt=valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    others = {key for pair in related for key in (pair.lower, pair.upper)} - {parameter.key}
    later = ParameterValue.objects.filter(parameter__key__in=others, valid_from__gt=valid_from)
    if own_next is not None:
        later = later.filter(valid_from__lt=own_next)
    days = [valid_from, *sorted(set(later.values_list("valid_from", flat=True)))]
    described = {row.key: row for row in Parameter.objects.filter(key__in=others | {parameter.key})}
    for day in days:
        found = in_force if day == valid_from else ParameterSet.in_force(day)
        parameters = proposed_parameters(found, parameter.key, stored, valid_from)
        for pair in related:
            if pair.lower not in parameters or pair.upper not in parameters:
                continue
            lower, upper = parameters.get(pair.lower), parameters.get(pair.upper)
            if pair.holds(lower.value, upper.value):
                continue
            lower_row, upper_row = described.get(pair.lower, parameter), described.get(pair.upper, parameter)
            words = {
                "lower_label": _label(lower_row),
                "lower": _text(lower_row, lower.value),
                "upper_label": _label(upper_row),
                "upper": _text(upper_row, upper.value),
                "date": date_format(day, "DATE_FORMAT"),
            }
            # The age limits' message names them as the minimum and the limit.
            words |= {
                "minimum_label": words["lower_label"],
                "minimum": words["lower"],
                "limit_label": words["upper_label"],
                "limit": words["upper"],
            }
            problems.append(ORDER_MESSAGES[pair.order]() % words)
        if problems:
            break
    return problems


# What a broken order means, in the active language (called at the time of the check).
ORDER_MESSAGES = {
    Order.AGE: lambda: _(
        "“%(minimum_label)s” (%(minimum)s) must be below “%(limit_label)s” (%(limit)s), as in force "
        "on %(date)s: otherwise nobody is of working age and every programme answers “not eligible”."
    ),
    Order.NOTICE: lambda: _(
        "“%(lower_label)s” (%(lower)s) must be shorter than “%(upper_label)s” (%(upper)s), as in force "
        "on %(date)s: otherwise the notice would come when it is too late to act on it."
    ),
    Order.RANGE: lambda: _(
        "“%(lower_label)s” (%(lower)s) must not be more than “%(upper_label)s” (%(upper)s), as in force "
        "on %(date)s: a minimum above the maximum leaves no value between them."
    ),
}
