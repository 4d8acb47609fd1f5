"""Cross-checks of a new parameter value: what would contradict itself (issue 14, item 2).

A value is checked against the values that would be in force on its start date
(and on each later date a related parameter changes, while the value would still
hold), never alone:

- an age limit pair read by the rules (``AgeWithin`` in ``eligibility.rules``: the
  minimum working age and the retirement age) keeps the minimum below the limit;
- a window or a period (months, years, days, working days) is at least 1;
- an age is from 16 (the minimum working age under labour law) to 100;
- a rate is from 0 to 1; an amount of money is not negative, and an amount a
  programme pays (read by a programme's amount rule) is more than 0;
- a list of codes has at least one code;
- the value differs from the one in force on its start date (else it changes nothing).

The relations are read from the rule trees, so that a new programme with its own age
limits is checked too. ``value_problems`` returns the messages, in the active language;
an empty list means the value may be proposed.
"""

from datetime import date
from decimal import Decimal

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
    related = [pair for pair in age_limit_pairs() if parameter.key in pair]
    if not related:
        return problems
    # The days on which the pair is checked: the start date, and each later day a related
    # parameter takes a new value while this one would still hold.
    own_next = (
        ParameterValue.objects.filter(parameter__key=parameter.key, valid_from__gt=valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    others = {key for pair in related for key in pair} - {parameter.key}
    later = ParameterValue.objects.filter(parameter__key__in=others, valid_from__gt=valid_from)
    if own_next is not None:
        later = later.filter(valid_from__lt=own_next)
    days = [valid_from, *sorted(set(later.values_list("valid_from", flat=True)))]
    described = {row.key: row for row in Parameter.objects.filter(key__in=others | {parameter.key})}
    for day in days:
        found = in_force if day == valid_from else ParameterSet.in_force(day)
        parameters = proposed_parameters(found, parameter.key, stored, valid_from)
        for minimum_key, limit_key in related:
            if minimum_key not in parameters or limit_key not in parameters:
                continue
            minimum, limit = parameters.get(minimum_key), parameters.get(limit_key)
            if minimum.value < limit.value:
                continue
            problems.append(
                _(
                    "“%(minimum_label)s” (%(minimum)s) must be below “%(limit_label)s” (%(limit)s), as in force "
                    "on %(date)s: otherwise nobody is of working age and every programme answers “not eligible”."
                )
                % {
                    "minimum_label": _label(described.get(minimum_key, parameter)),
                    "minimum": _text(described.get(minimum_key, parameter), minimum.value),
                    "limit_label": _label(described.get(limit_key, parameter)),
                    "limit": _text(described.get(limit_key, parameter), limit.value),
                    "date": date_format(day, "DATE_FORMAT"),
                }
            )
        if problems:
            break
    return problems
