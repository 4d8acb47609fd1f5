"""Types of policy parameters: how a value is checked, stored and read back.

A value is stored as JSON in a canonical form: every scalar as a string
(``"24"``, ``"0.50"``, ``"1000.00"``, ``"2021-12-01"``) and a code list as a
list of strings. The canonical form makes "the same value" a plain equality,
which the policy file import relies on.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.facts import EMPLOYMENT_FORM_CODES, GROUP_CODES, EmploymentForm, Group

MONEY_LIMIT = Decimal("1000000000000")
CENT = Decimal("0.01")


class ParameterType(models.TextChoices):
    INT = "int", gettext_lazy("whole number")
    DECIMAL = "decimal", gettext_lazy("decimal number")
    MONEY = "money", gettext_lazy("amount of money (CNY)")
    RATE = "rate", gettext_lazy("rate from 0 to 1")
    DATE = "date", gettext_lazy("date")
    CODE_LIST = "code_list", gettext_lazy("list of codes")


class ParameterUnit(models.TextChoices):
    NONE = "", gettext_lazy("none")
    MONTHS = "months", gettext_lazy("months")
    YEARS = "years", gettext_lazy("years")
    AGE = "age", gettext_lazy("years of age")
    DAYS = "days", gettext_lazy("days")
    WORKING_DAYS = "working_days", gettext_lazy("working days")
    CNY = "CNY", gettext_lazy("yuan (CNY)")


class CodeSet(models.TextChoices):
    """Which codes a ``code_list`` parameter may hold."""

    NONE = "", gettext_lazy("none")
    GROUPS = "groups", gettext_lazy("target groups")
    EMPLOYMENT_FORMS = "employment_forms", gettext_lazy("forms of employment")


CODE_SETS = {
    CodeSet.GROUPS: (GROUP_CODES, Group.values),
    CodeSet.EMPLOYMENT_FORMS: (EMPLOYMENT_FORM_CODES, EmploymentForm.values),
}


def clean_value(type_: str, raw: object, *, code_set: str = "") -> object:
    """Checks ``raw`` (as typed in a form or read from a policy file) against the
    parameter type and returns the canonical stored form.

    Raises ``ValidationError`` with a message in the active language.
    """
    cleaner = _CLEANERS.get(type_)
    if cleaner is None:
        raise ValidationError(_("Unknown parameter type: %(type)s.") % {"type": type_}, code="type")
    if type_ == ParameterType.CODE_LIST:
        return _clean_code_list(raw, code_set)
    return cleaner(raw)


def to_python(type_: str, stored: object) -> object:
    """The stored canonical form as the value the rules compute with."""
    if type_ == ParameterType.INT:
        return int(stored)
    if type_ in (ParameterType.DECIMAL, ParameterType.MONEY, ParameterType.RATE):
        return Decimal(stored)
    if type_ == ParameterType.DATE:
        return date.fromisoformat(stored)
    return tuple(stored)


def display_value(stored: object) -> str:
    """The stored value as one line of text (code lists comma-separated)."""
    if isinstance(stored, list):
        return ", ".join(stored)
    return str(stored)


def _scalar_text(raw: object) -> str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal):
        return str(raw)
    if isinstance(raw, float):
        return repr(raw)
    if isinstance(raw, str):
        return raw.strip()
    return None


def _clean_int(raw: object) -> str:
    text = _scalar_text(raw)
    value = int(text) if text is not None and text.lstrip("-").isdigit() and text.isascii() else None
    if value is None:
        raise ValidationError(_("Enter a whole number, for example 24."), code="int")
    if value < 0:
        raise ValidationError(_("The value must not be negative."), code="negative")
    return str(value)


def _decimal(raw: object, message: str) -> Decimal:
    text = _scalar_text(raw)
    try:
        value = Decimal(text) if text else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(message, code="decimal")
    if abs(value) >= MONEY_LIMIT:
        raise ValidationError(_("This number is too large."), code="too_large")
    return value


def _canonical_decimal(value: Decimal) -> str:
    # At least two decimal places, more only where they are given: 0.5 -> "0.50", 0.125 -> "0.125".
    if value.as_tuple().exponent > -2:
        value = value.quantize(CENT)
    return str(value)


def _clean_decimal(raw: object) -> str:
    return _canonical_decimal(_decimal(raw, _("Enter a number, for example 1.50.")))


def _clean_money(raw: object) -> str:
    value = _decimal(raw, _("Enter an amount of money, for example 1000.00."))
    if value < 0:
        raise ValidationError(_("An amount of money must not be negative."), code="negative")
    if value.as_tuple().exponent < -2:
        raise ValidationError(_("An amount of money has at most two decimal places."), code="places")
    return str(value.quantize(CENT))


def _clean_rate(raw: object) -> str:
    value = _decimal(raw, _("A rate is a number from 0 to 1, for example 0.50."))
    if not Decimal(0) <= value <= Decimal(1):
        raise ValidationError(_("A rate is a number from 0 to 1, for example 0.50."), code="range")
    return _canonical_decimal(value)


def _clean_date(raw: object) -> str:
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            pass
    raise ValidationError(_("Enter a date as YYYY-MM-DD, for example 2024-03-01."), code="date")


def _clean_code_list(raw: object, code_set: str) -> list[str]:
    if isinstance(raw, str):
        codes = [code for code in raw.replace(",", " ").replace("，", " ").split() if code]
    elif isinstance(raw, list | tuple) and all(isinstance(code, str) for code in raw):
        codes = [code.strip() for code in raw]
    else:
        raise ValidationError(_("Enter a list of codes separated by commas."), code="code_list")
    known, allowed = CODE_SETS.get(code_set, (frozenset(), ()))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            _("Unknown code: %(codes)s. Allowed codes: %(allowed)s.")
            % {"codes": ", ".join(unknown), "allowed": ", ".join(allowed)},
            code="unknown_code",
        )
    if not codes:
        raise ValidationError(_("Enter at least one code."), code="empty")
    return list(dict.fromkeys(codes))  # without repeats, in the order given


_CLEANERS = {
    ParameterType.INT: _clean_int,
    ParameterType.DECIMAL: _clean_decimal,
    ParameterType.MONEY: _clean_money,
    ParameterType.RATE: _clean_rate,
    ParameterType.DATE: _clean_date,
    ParameterType.CODE_LIST: _clean_code_list,
}
