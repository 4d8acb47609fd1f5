"""What a screening or an application knows about a person (catalogue, section 2).

``parse_facts`` turns the JSON a client sends into ``Facts``; everything the
rules read has been checked here, so that no input can make the engine fail.
A fact that is absent (or ``null``) is unknown; ``groups=[]`` is known (the
person belongs to no target group).
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Group(models.TextChoices):
    """Target groups a person may belong to (catalogue, section 2, ``groups``)."""

    COLLEGE_GRADUATE = "college_graduate", gettext_lazy("college graduates")
    REGISTERED_UNEMPLOYED = "registered_unemployed", gettext_lazy("registered unemployed persons")
    LAID_OFF = "laid_off", gettext_lazy("laid-off workers")
    EMPLOYMENT_DIFFICULTY = "employment_difficulty", gettext_lazy("certified persons with employment difficulties")
    MIGRANT_WORKER = "migrant_worker", gettext_lazy("migrant workers")
    DISABLED = "disabled", gettext_lazy("persons with disabilities")
    VETERAN = "veteran", gettext_lazy("veterans")
    LOW_INCOME_HOUSEHOLD = "low_income_household", gettext_lazy("members of low-income households")


class EmploymentForm(models.TextChoices):
    """How a person works now (catalogue, section 2, ``employment_form``)."""

    PART_TIME = "part_time", gettext_lazy("part-time work")
    PLATFORM = "platform", gettext_lazy("work through an internet platform")
    SELF_EMPLOYED = "self_employed", gettext_lazy("self-employment")
    EMPLOYEE = "employee", gettext_lazy("employment under a labour contract")
    UNEMPLOYED = "unemployed", gettext_lazy("no work at present")
    OTHER = "other", gettext_lazy("other work")


class FactType(StrEnum):
    DATE = "date"
    REGION = "region"
    GROUPS = "groups"
    EMPLOYMENT_FORM = "employment_form"
    BOOL = "bool"
    INT = "int"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class FactField:
    name: str
    type: FactType
    label: Promise  # what the portal asks for, as in "We need to know: <label>"
    maximum: int | None = None  # the largest sensible whole number; more is a typing error
    # A date that cannot lie after today: a birth, graduation or registration that
    # has not happened yet is a typing error (the engine would only call it "not yet").
    not_after_today: bool = False


def _fields(*fields: FactField) -> dict[str, FactField]:
    return {field.name: field for field in fields}


# In catalogue order; ``missing_facts`` lists facts in this order.
FACT_FIELDS: dict[str, FactField] = _fields(
    FactField("birth_date", FactType.DATE, gettext_lazy("your date of birth"), not_after_today=True),
    FactField("region", FactType.REGION, gettext_lazy("the region you live in")),
    FactField("groups", FactType.GROUPS, gettext_lazy("which target groups you belong to")),
    FactField("graduation_date", FactType.DATE, gettext_lazy("the date you graduated"), not_after_today=True),
    FactField(
        "employed_since_graduation",
        FactType.BOOL,
        gettext_lazy("whether you have held formal employment since graduating"),
    ),
    FactField("employment_form", FactType.EMPLOYMENT_FORM, gettext_lazy("how you work now")),
    FactField("plans_business", FactType.BOOL, gettext_lazy("whether you intend to start a business")),
    FactField(
        "business_registered",
        FactType.BOOL,
        gettext_lazy("whether your business is registered (has a business licence)"),
    ),
    FactField(
        "business_registered_on",
        FactType.DATE,
        gettext_lazy("the date your business was registered"),
        not_after_today=True,
    ),
    FactField(
        "pays_flexible_pension",
        FactType.BOOL,
        gettext_lazy("whether you pay basic pension insurance as a flexibly employed person"),
    ),
    FactField(
        "pays_flexible_medical",
        FactType.BOOL,
        gettext_lazy("whether you pay basic medical insurance as a flexibly employed person"),
    ),
    FactField(
        "public_service_post_months",
        FactType.INT,
        gettext_lazy("how many months you have worked in a short-term public-service post"),
        maximum=120,  # ten years: posts are short-term (000 "Sixth")
    ),
    FactField(
        "training_certificate",
        FactType.BOOL,
        gettext_lazy("whether you have completed subsidised vocational training with a certificate"),
    ),
    FactField(
        "hardship_declared",
        FactType.BOOL,
        gettext_lazy("whether you have real difficulty paying pension premiums"),
    ),
    FactField("requested_loan_amount", FactType.DECIMAL, gettext_lazy("how much you want to borrow")),
    FactField(
        "training_days",
        FactType.INT,
        gettext_lazy("how many days you have attended a subsidised training course"),
        maximum=366,  # a course of more than a year is a typing error
    ),
    FactField(
        "works_in_construction",
        FactType.BOOL,
        gettext_lazy("whether you work on engineering-construction projects (building sites, roads and similar)"),
    ),
    FactField(
        "rents_state_owned_premises",
        FactType.BOOL,
        gettext_lazy("whether your business rents premises owned by the state"),
    ),
)

GROUP_CODES = frozenset(Group.values)
EMPLOYMENT_FORM_CODES = frozenset(EmploymentForm.values)
_CODE_LABELS = {**dict(Group.choices), **dict(EmploymentForm.choices)}


def code_label(code: str) -> str:
    """The label of a group or employment form code in the active language;
    any other text unchanged."""
    label = _CODE_LABELS.get(code)
    return str(label) if label is not None else code


_DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_REGION_PATTERN = re.compile(r"^[0-9]{6}$")
_DECIMAL_STRING_PATTERN = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
# Larger amounts are not a loan request but a typing error; the bound also keeps
# Decimal arithmetic within its default precision.
DECIMAL_LIMIT = Decimal("1000000000000")


class FactsInvalid(ValueError):
    """The facts (or ``as_of``) a client sent cannot be read; ``errors`` maps each
    field to its messages, as in the API's ``{"errors": {...}}`` answer."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class Facts(Mapping[str, object]):
    """An immutable mapping of the facts that are known.

    ``"groups" in facts`` tells whether a fact was given; ``facts.get("groups")``
    is ``None`` when it was not. Values have Python types: ``date``, ``bool``,
    ``int``, ``Decimal``, ``str`` and, for ``groups``, a ``frozenset`` of codes.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object] | None = None, /, **kwargs: object):
        merged = {**(values or {}), **kwargs}
        unknown = sorted(set(merged) - set(FACT_FIELDS))
        if unknown:
            raise ValueError(f"Unknown facts: {', '.join(unknown)}")
        cleaned = {}
        for name in FACT_FIELDS:  # keep catalogue order
            value = merged.get(name)
            if value is None:
                continue
            if name == "groups":
                value = frozenset(value)
            cleaned[name] = value
        # Catalogue, section 2: a given registration date implies a registered business.
        if "business_registered_on" in cleaned and "business_registered" not in cleaned:
            cleaned["business_registered"] = True
            cleaned = {name: cleaned[name] for name in FACT_FIELDS if name in cleaned}
        self._values = MappingProxyType(cleaned)

    def __getitem__(self, name: str) -> object:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Facts):
            return dict(self._values) == dict(other._values)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return f"Facts({dict(self._values)!r})"

    def to_json(self) -> dict[str, object]:
        """The facts in their wire format; ``parse_facts(facts.to_json()) == facts``."""
        data: dict[str, object] = {}
        for name, value in self._values.items():
            if isinstance(value, date):
                data[name] = value.isoformat()
            elif isinstance(value, frozenset):
                data[name] = sorted(value)
            elif isinstance(value, Decimal):
                data[name] = f"{value:.2f}"
            else:
                data[name] = value
        return data


def parse_facts(data: object) -> Facts:
    """Reads facts sent as JSON (catalogue, section 2, "Types on the wire").

    Raises ``FactsInvalid`` listing every field that cannot be read. ``null``
    counts as absent.
    """
    if not isinstance(data, Mapping):
        raise FactsInvalid({"facts": [_("The facts must be a JSON object.")]})
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    for name, raw in data.items():
        field = FACT_FIELDS.get(name) if isinstance(name, str) else None
        if field is None:
            errors[str(name)] = [_("Unknown fact.")]
            continue
        if raw is None:
            continue
        try:
            values[name] = _PARSERS[field.type](raw)
        except FactsInvalid as invalid:
            errors[name] = invalid.errors["value"]
            continue
        if field.maximum is not None and values[name] > field.maximum:
            errors[name] = [_("Enter at most %(maximum)s.") % {"maximum": field.maximum}]
    if values.get("business_registered") is False and "business_registered_on" in values:
        errors["business_registered"] = [
            _("A business with a registration date is registered: leave out the date, or answer true.")
        ]
    if errors:
        raise FactsInvalid(errors)
    return Facts(values)


def future_date_error(name: str, value: object, *, today: date | None = None) -> str | None:
    """The one check that a date fact is not after today (Asia/Shanghai), shared by
    the screener's questions and the API: the message refusing ``value`` (a ``date``
    or its wire form) for fact ``name``, or ``None`` when it is acceptable, is not
    a date (``parse_facts`` says so) or the fact may lie in the future."""
    field = FACT_FIELDS.get(name) if isinstance(name, str) else None
    if field is None or not field.not_after_today:
        return None
    if isinstance(value, str):
        try:
            value = _parse_date(value)
        except FactsInvalid:
            return None
    if isinstance(value, date) and value > (today or timezone.localdate()):
        return _("The date must be today or in the past.")
    return None


def future_date_errors(facts: Mapping[object, object], *, today: date | None = None) -> dict[str, list[str]]:
    """``future_date_error`` for every fact given (parsed or in wire form), keyed by
    fact name as in ``FactsInvalid``."""
    today = today or timezone.localdate()
    errors = {}
    for name, value in facts.items():
        message = future_date_error(name, value, today=today)
        if message:
            errors[name] = [message]
    return errors


def parse_as_of(value: object, *, default: date | None = None) -> date:
    """Reads the ``as_of`` date of a screening; absent (or ``null``) means ``default``,
    or today in the portal's time zone (Asia/Shanghai). An empty string is not a date."""
    if value is None:
        return default or timezone.localdate()
    try:
        return _parse_date(value)
    except FactsInvalid as invalid:
        raise FactsInvalid({"as_of": invalid.errors["value"]}) from None


def _invalid(message: str) -> FactsInvalid:
    return FactsInvalid({"value": [message]})


def _parse_date(raw: object) -> date:
    if not isinstance(raw, str) or not _DATE_PATTERN.fullmatch(raw):
        raise _invalid(_("Enter a date as YYYY-MM-DD, for example 2024-03-01."))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _invalid(_("This date does not exist.")) from None


def _parse_bool(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise _invalid(_("Answer true or false."))
    return raw


def _parse_int(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _invalid(_("Enter a whole number, for example 3."))
    if raw < 0:
        raise _invalid(_("The number must not be negative."))
    return raw


def _parse_decimal(raw: object) -> Decimal:
    if isinstance(raw, str):
        if not _DECIMAL_STRING_PATTERN.fullmatch(raw):
            raise _invalid(_("Enter an amount with at most two decimal places, for example 1500.50."))
        value = Decimal(raw)
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        except InvalidOperation:
            raise _invalid(_("Enter an amount with at most two decimal places, for example 1500.50.")) from None
        if not value.is_finite() or value.as_tuple().exponent < -2:
            raise _invalid(_("Enter an amount with at most two decimal places, for example 1500.50."))
        if value < 0:
            raise _invalid(_("The amount must not be negative."))
    else:
        raise _invalid(_("Enter an amount with at most two decimal places, for example 1500.50."))
    if value >= DECIMAL_LIMIT:
        raise _invalid(_("This amount is too large."))
    return value.quantize(Decimal("0.01"))


def _parse_region(raw: object) -> str:
    if not isinstance(raw, str) or not _REGION_PATTERN.fullmatch(raw):
        raise _invalid(_("A region code has six digits, for example 330800."))
    return raw


def _parse_groups(raw: object) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        raise _invalid(_('Give a list of group codes, for example ["college_graduate"].'))
    unknown = [code for code in raw if code not in GROUP_CODES]
    if unknown:
        raise _invalid(_("Unknown group code: %(codes)s.") % {"codes": ", ".join(unknown)})
    return frozenset(raw)


def _parse_employment_form(raw: object) -> str:
    if not isinstance(raw, str) or raw not in EMPLOYMENT_FORM_CODES:
        raise _invalid(
            _("Unknown form of employment; use one of %(codes)s.") % {"codes": ", ".join(EmploymentForm.values)}
        )
    return raw


_PARSERS = {
    FactType.DATE: _parse_date,
    FactType.BOOL: _parse_bool,
    FactType.INT: _parse_int,
    FactType.DECIMAL: _parse_decimal,
    FactType.REGION: _parse_region,
    FactType.GROUPS: _parse_groups,
    FactType.EMPLOYMENT_FORM: _parse_employment_form,
}
