"""Writes of the eligibility app: parameter values, and screenings.

Each service validates, changes and records the change in one transaction
(STYLE.md, "Writes go in services").
"""

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eligibility import history
from eligibility.engine import evaluate
from eligibility.facts import Facts, parse_facts
from eligibility.models import Parameter, ParameterChange, ParameterValue
from eligibility.parameter_types import clean_value
from eligibility.results import ProgrammeResult


def _clean(parameter: Parameter, value: object) -> object:
    try:
        return clean_value(parameter.type, value, code_set=parameter.code_set)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from None


def parameter_value_add(
    *, parameter: Parameter, valid_from: date, value: object, acting_user, note: str = ""
) -> ParameterValue:
    """Adds a value of ``parameter`` in force from ``valid_from``.

    ``value`` is checked against the parameter's type and range. The date must
    be after today (Asia/Shanghai) unless the parameter has no value yet: what
    is in force is never rewritten. Raises ``ValidationError`` keyed by
    ``value`` or ``valid_from``.
    """
    stored = _clean(parameter, value)
    with transaction.atomic():
        return history.value_add(
            history.PolicyModels.current(),
            parameter=parameter,
            valid_from=valid_from,
            value=stored,
            acting_user=acting_user,
            note=note,
            origin=ParameterChange.Origin.ADMIN,
        )


def parameter_value_update(
    *, parameter_value: ParameterValue, value: object, acting_user, note: str = ""
) -> ParameterValue:
    """Changes a value that has not taken effect yet."""
    stored = _clean(parameter_value.parameter, value)
    with transaction.atomic():
        return history.value_change(
            history.PolicyModels.current(),
            row=parameter_value,
            value=stored,
            acting_user=acting_user,
            note=note,
            origin=ParameterChange.Origin.ADMIN,
        )


def parameter_value_delete(*, parameter_value: ParameterValue, acting_user, note: str = "") -> None:
    """Deletes a value that has not taken effect yet; a value in force cannot be deleted."""
    with transaction.atomic():
        history.value_delete(
            history.PolicyModels.current(),
            row=parameter_value,
            acting_user=acting_user,
            note=note,
            origin=ParameterChange.Origin.ADMIN,
        )


def screening_run(*, facts: Facts | Mapping[str, object], as_of: date | None = None) -> list[ProgrammeResult]:
    """Screens a person for every programme on ``as_of`` (default: today in
    Asia/Shanghai). ``facts`` may be raw JSON facts; they are parsed first
    (``FactsInvalid`` when they cannot be read). Stores nothing."""
    if not isinstance(facts, Facts):
        facts = parse_facts(facts)
    return evaluate(facts, as_of or timezone.localdate())
