"""Sentences of explanations, rendered in the language asked for.

A rule builds ``Sentence`` objects; nothing is translated until the sentence
is rendered, and then only in the one language asked for: ``render(text,
language)``, or ``str(text)`` in the active language. One evaluation can still
give both the Chinese and the English explanation.

Rendering is cheap, so that an answer with some forty explanations costs a
fraction of a millisecond (issue 10, item 5): every translation is looked up in
the language's catalogue directly (no activating and deactivating a language per
sentence) and kept per process by (message, language); the text of a parameter
value, a code's label and a region's name are kept alike. Catalogues do not
change while a process runs; tests that change the languages or the locale
paths empty these copies (``setting_changed``).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, gettext_noop, trans_real

from eligibility.facts import EmploymentForm, Group
from eligibility.parameter_types import ParameterType, ParameterUnit

ZH = "zh-hans"
EN = "en"

# The class of every ``gettext_lazy`` string: its message id is its first argument.
_GETTEXT_LAZY = type(gettext_lazy("x"))
_CODE_LABELS = {**dict(Group.choices), **dict(EmploymentForm.choices)}

# A lazy string's own attributes, read past the proxy's ``__getattribute__`` (which
# looks every name up on the string type first, in Python, and is the slowest step
# of rendering an explanation).
_proxy_attribute = object.__getattribute__


def _message_id(lazy) -> str:
    return _proxy_attribute(lazy, "_args")[0]


_translated: dict[tuple[str, str], str] = {}  # (message id, language) -> translation
_kept: dict[tuple, str] = {}  # (kind, ..., language) -> rendered text of a value


@receiver(setting_changed)
def _forget_translations(*, setting, **kwargs):
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS", "LINGHUO_REGION_CODE"}:
        _translated.clear()
        _kept.clear()


def is_chinese(language: str | None = None) -> bool:
    return (language or translation.get_language() or "").lower().startswith("zh")


def language_of(language: str | None = None) -> str:
    """``ZH`` or ``EN``: the language an explanation is rendered in (the active one by default)."""
    return ZH if is_chinese(language) else EN


def gettext_in(message: str, language: str) -> str:
    """``gettext(message)`` in ``language``, whatever language is active."""
    key = (message, language)
    found = _translated.get(key)
    if found is None:
        found = trans_real.translation(language).gettext(message) if message else ""
        _translated[key] = found
    return found


def ngettext_in(singular: str, plural: str, number: int, language: str) -> str:
    return trans_real.translation(language).ngettext(singular, plural, number)


def render(text: object, language: str) -> str:
    """``text`` (a wording object, a lazy translation or plain text) in ``language``."""
    return _render(text, language_of(language))


def _render(text: object, language: str) -> str:  # language is ZH or EN
    kind = type(text)
    if kind is _GETTEXT_LAZY:
        return gettext_in(_message_id(text), language)
    if kind is str:
        return text
    if kind in _WORDINGS:
        return text.render(language)
    renderer = getattr(text, "render", None)
    if renderer is not None:
        return renderer(language)
    if isinstance(text, str):
        return text
    if isinstance(text, Promise):  # another kind of lazy text: translated the slow way
        with translation.override(language):
            return str(text)
    return str(text)


class _Wording:
    """A text that renders itself in a language; ``str()`` gives the active language."""

    __slots__ = ()

    def render(self, language: str) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render(language_of())


class Sentence(_Wording):
    """A translatable template (``gettext_lazy`` or ``ngettext_lazy`` with a
    named number) with its arguments; each argument is rendered in the same
    language as the sentence."""

    __slots__ = ("args", "template")

    def __init__(self, template: object, **args: object):
        self.template = template
        self.args = args

    def render(self, language: str) -> str:
        if not self.args:
            return _render(self.template, language)
        args = {name: _arg(value, language) for name, value in self.args.items()}
        if type(self.template) is _GETTEXT_LAZY or isinstance(self.template, str):
            return _render(self.template, language) % args
        # A plural template chooses its form from a number: translated the slow way.
        with translation.override(language):
            return str(self.template % args)


class Paragraph(_Wording):
    """Sentences one after another: separated by a space in English, directly in Chinese."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[object]):
        self.parts = tuple(parts)

    def render(self, language: str) -> str:
        return ("" if language == ZH else " ").join(_render(part, language) for part in self.parts)


class Listing(_Wording):
    """Items of a list in a sentence: "a, b, c" or "甲、乙、丙"."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[object]):
        self.items = tuple(items)

    def render(self, language: str) -> str:
        return ("、" if language == ZH else ", ").join(_text(item, language) for item in self.items)


class Money(_Wording):
    __slots__ = ("amount",)

    def __init__(self, amount: Decimal):
        self.amount = amount

    def render(self, language: str) -> str:
        return gettext_in("%(amount)s yuan", language) % {"amount": f"{self.amount:,.2f}"}


class Age(_Wording):
    __slots__ = ("years",)

    def __init__(self, years: int):
        self.years = years

    def render(self, language: str) -> str:
        return ngettext_in("%(years)s year old", "%(years)s years old", self.years, language) % {"years": self.years}


class Months(_Wording):
    __slots__ = ("months",)

    def __init__(self, months: int):
        self.months = months

    def render(self, language: str) -> str:
        return ngettext_in("%(n)s month", "%(n)s months", self.months, language) % {"n": self.months}


_LOCAL_SETTING = gettext_noop(" (local setting)")


_NAMED = gettext_noop("%(value)s %(name)s")  # "1,000.00 yuan minimum contribution base"


class ParameterText(_Wording):
    """A parameter value with its unit and, if given, what it is (``name``, a
    ``gettext_lazy`` text), labelled when it is a local setting rather than
    national policy (catalogue, section 3)."""

    __slots__ = ("name", "parameter")

    def __init__(self, parameter, *, name: object = None):  # eligibility.parameter_set.ParameterInForce
        self.parameter = parameter
        self.name = name

    def render(self, language: str) -> str:
        parameter = self.parameter
        name = _message_id(self.name) if type(self.name) is _GETTEXT_LAZY else self.name
        key = ("parameter", parameter.type, parameter.unit, parameter.value, parameter.local_default, name, language)
        found = _kept.get(key)
        if found is None:
            found = _quantity(parameter.type, parameter.unit, parameter.value, language)
            if name:
                found = gettext_in(_NAMED, language) % {"value": found, "name": _render(self.name, language)}
            if parameter.local_default:
                found += gettext_in(_LOCAL_SETTING, language)
            _kept[key] = found
        return found


class Formula(_Wording):
    """A calculation, operands and operators (``"×"``, ``"="``) in turn:
    "50% × 1,000.00 yuan = 500.00 yuan a month". Separated by spaces, except
    next to Chinese full-width brackets, which bring their own space."""

    __slots__ = ("terms",)

    def __init__(self, *terms: object):
        self.terms = terms

    def render(self, language: str) -> str:
        text = ""
        for term in self.terms:
            part = _text(term, language) if not isinstance(term, str) else term
            if text and not (language == ZH and (text.endswith("）") or part.startswith("（"))):
                text += " "
            text += part
        return text


def _quantity(type_: str, unit: str, value: object, language: str) -> str:
    if type_ == ParameterType.RATE:
        return f"{(value * 100).normalize():f}%"
    if type_ == ParameterType.CODE_LIST:
        return Listing(value).render(language)
    if unit == ParameterUnit.CNY:
        return Money(value).render(language)
    if unit == ParameterUnit.MONTHS:
        return ngettext_in("%(n)s month", "%(n)s months", value, language) % {"n": value}
    if unit == ParameterUnit.YEARS:
        return ngettext_in("%(n)s year", "%(n)s years", value, language) % {"n": value}
    if unit == ParameterUnit.AGE:
        return gettext_in("age %(n)s", language) % {"n": value}
    if unit == ParameterUnit.DAYS:
        return ngettext_in("%(n)s day", "%(n)s days", value, language) % {"n": value}
    if unit == ParameterUnit.WORKING_DAYS:
        return ngettext_in("%(n)s working day", "%(n)s working days", value, language) % {"n": value}
    return str(value)


def code_text(code: str, language: str) -> str:
    """The label of a group or employment form code in ``language``; any other text unchanged."""
    label = _CODE_LABELS.get(code)
    return code if label is None else _render(label, language)


def kept(key: tuple, language: str, make) -> str:
    """``make()`` rendered with ``language`` active, kept per process by ``key``
    (for texts built by code outside this module, such as region names)."""
    found = _kept.get((*key, language))
    if found is None:
        with translation.override(language):
            found = str(make())
        _kept[(*key, language)] = found
    return found


def _text(value: object, language: str) -> str:
    if isinstance(value, date):
        # Written as every page writes dates in that language (2026年12月1日, 1 Dec 2026).
        return kept(("date", value), language, lambda: date_format(value, "DATE_FORMAT"))
    if isinstance(value, str):
        return code_text(value, language)
    return _render(value, language)


def _arg(value: object, language: str) -> object:
    # Numbers stay numbers so that ngettext_lazy can choose the plural form.
    return value if isinstance(value, int) and not isinstance(value, bool) else _text(value, language)


# The wording classes of this module: ``_render`` calls their ``render`` without
# looking it up by name (others, defined elsewhere, are found by ``getattr``).
_WORDINGS = frozenset(_Wording.__subclasses__())
