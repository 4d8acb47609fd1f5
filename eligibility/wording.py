"""Sentences of explanations, rendered in whichever language is active.

A rule builds ``Sentence`` objects; nothing is translated until ``str()`` is
called, so one evaluation yields both the Chinese and the English explanation
(``render(sentence, "zh-hans")``).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eligibility.facts import code_label
from eligibility.parameter_types import ParameterType, ParameterUnit

ZH = "zh-hans"
EN = "en"


def is_chinese(language: str | None = None) -> bool:
    return (language or translation.get_language() or "").lower().startswith("zh")


def render(text: object, language: str) -> str:
    with translation.override(language):
        return str(text)


# The same, rendered only when read: screening a whole registry builds no text nobody reads.
render_lazy = lazy(render, str)


class Sentence:
    """A translatable template (``gettext_lazy`` or ``ngettext_lazy`` with a
    named number) with its arguments; each argument is rendered in the active
    language when the sentence is."""

    __slots__ = ("args", "template")

    def __init__(self, template: object, **args: object):
        self.template = template
        self.args = args

    def __str__(self) -> str:
        if not self.args:
            return str(self.template)
        return str(self.template % {name: _arg(value) for name, value in self.args.items()})


class Paragraph:
    """Sentences one after another: separated by a space in English, directly in Chinese."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[object]):
        self.parts = tuple(parts)

    def __str__(self) -> str:
        return ("" if is_chinese() else " ").join(str(part) for part in self.parts)


class Listing:
    """Items of a list in a sentence: "a, b, c" or "甲、乙、丙"."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[object]):
        self.items = tuple(items)

    def __str__(self) -> str:
        return ("、" if is_chinese() else ", ").join(_text(item) for item in self.items)


class Money:
    __slots__ = ("amount",)

    def __init__(self, amount: Decimal):
        self.amount = amount

    def __str__(self) -> str:
        return _("%(amount)s yuan") % {"amount": f"{self.amount:,.2f}"}


class Age:
    __slots__ = ("years",)

    def __init__(self, years: int):
        self.years = years

    def __str__(self) -> str:
        return ngettext("%(years)s year old", "%(years)s years old", self.years) % {"years": self.years}


class ParameterText:
    """A parameter value with its unit, labelled when it is a local setting
    rather than national policy (catalogue, section 3)."""

    __slots__ = ("parameter",)

    def __init__(self, parameter):  # eligibility.parameter_set.ParameterInForce
        self.parameter = parameter

    def __str__(self) -> str:
        text = _quantity(self.parameter.type, self.parameter.unit, self.parameter.value)
        if self.parameter.local_default:
            text += _(" (local setting)")
        return text


def _quantity(type_: str, unit: str, value: object) -> str:
    if type_ == ParameterType.RATE:
        return f"{(value * 100).normalize():f}%"
    if type_ == ParameterType.CODE_LIST:
        return str(Listing(code_label(code) for code in value))
    if unit == ParameterUnit.CNY:
        return str(Money(value))
    if unit == ParameterUnit.MONTHS:
        return ngettext("%(n)s month", "%(n)s months", value) % {"n": value}
    if unit == ParameterUnit.YEARS:
        return ngettext("%(n)s year", "%(n)s years", value) % {"n": value}
    if unit == ParameterUnit.AGE:
        return _("age %(n)s") % {"n": value}
    if unit == ParameterUnit.DAYS:
        return ngettext("%(n)s day", "%(n)s days", value) % {"n": value}
    if unit == ParameterUnit.WORKING_DAYS:
        return ngettext("%(n)s working day", "%(n)s working days", value) % {"n": value}
    return str(value)


def _text(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return code_label(value)
    return str(value)


def _arg(value: object) -> object:
    # Numbers stay numbers so that ngettext_lazy can choose the plural form.
    return value if isinstance(value, int) and not isinstance(value, bool) else _text(value)
