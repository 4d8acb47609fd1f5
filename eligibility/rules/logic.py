"""The building blocks of eligibility rules: three-valued conditions that explain themselves.

A condition (``Node``) evaluates to an ``Outcome``: passed ``True``, ``False``
or ``None`` (unknown, because a fact is missing), the sentences that say why,
and the facts it still needs. ``All``, ``Any`` and ``Not`` follow three-valued
logic (catalogue, section 4): AND is false when any part is false, true when
every part is true, otherwise unknown; OR is true when any part is true, false
when every part is false, otherwise unknown.

Conditions are data, not code paths: a rule is written once and serves one
person (with explanations, ``evaluate``) and many (the same tree is run for
each person with parameters loaded once). Numbers always come from parameters
by key, never from literals.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from eligibility.dates import add_months, add_years, age_on
from eligibility.facts import FACT_FIELDS, Facts
from eligibility.parameter_set import ParameterInForce, ParameterSet
from eligibility.wording import Age, Listing, Money, ParameterText, Sentence


@dataclass(frozen=True)
class Context:
    facts: Facts
    as_of: date
    parameters: ParameterSet
    region_served: str

    def parameter(self, key: str) -> ParameterInForce:
        return self.parameters.get(key)

    def value(self, key: str):
        return self.parameters.value(key)


@dataclass(frozen=True)
class Outcome:
    passed: bool | None
    reasons: tuple[object, ...] = ()
    missing: tuple[str, ...] = ()


def _unknown(*facts: str) -> Outcome:
    return Outcome(None, missing=facts)


def _in_fact_order(names: set[str]) -> tuple[str, ...]:
    return tuple(name for name in FACT_FIELDS if name in names)


class Node:
    """A condition on the facts of one person on one date."""

    def evaluate(self, context: Context) -> Outcome:
        raise NotImplementedError

    def parameter_keys(self) -> tuple[str, ...]:
        """The parameters this condition reads, so that results can say which were used."""
        return ()


class _Composite(Node):
    def __init__(self, *parts: Node):
        if not parts:
            raise ValueError(f"{type(self).__name__} needs at least one part")
        self.parts = parts

    def parameter_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key for part in self.parts for key in part.parameter_keys()))

    def _unknown_of(self, outcomes: list[Outcome]) -> Outcome:
        missing = {name for outcome in outcomes if outcome.passed is None for name in outcome.missing}
        return Outcome(None, missing=_in_fact_order(missing))


class All(_Composite):
    """Every part holds. False as soon as one part is false, even if others are unknown."""

    def evaluate(self, context: Context) -> Outcome:
        outcomes = [part.evaluate(context) for part in self.parts]
        for outcome in outcomes:
            if outcome.passed is False:
                return Outcome(False, outcome.reasons)
        if all(outcome.passed for outcome in outcomes):
            return Outcome(True, tuple(reason for outcome in outcomes for reason in outcome.reasons))
        return self._unknown_of(outcomes)


class Any(_Composite):
    """At least one part holds. True as soon as one part is true, even if others are unknown."""

    def evaluate(self, context: Context) -> Outcome:
        outcomes = [part.evaluate(context) for part in self.parts]
        for outcome in outcomes:
            if outcome.passed is True:
                return Outcome(True, outcome.reasons)
        if all(outcome.passed is False for outcome in outcomes):
            return Outcome(False, tuple(reason for outcome in outcomes for reason in outcome.reasons))
        return self._unknown_of(outcomes)


class Not(Node):
    """The part does not hold; unknown stays unknown. The reasons describe the
    facts, so they read the same either way."""

    def __init__(self, part: Node):
        self.part = part

    def parameter_keys(self) -> tuple[str, ...]:
        return self.part.parameter_keys()

    def evaluate(self, context: Context) -> Outcome:
        outcome = self.part.evaluate(context)
        if outcome.passed is None:
            return outcome
        return Outcome(not outcome.passed, outcome.reasons)


# --- Target groups ----------------------------------------------------------------


class HasGroup(Node):
    """``code`` is in ``groups``."""

    def __init__(self, code: str):
        self.code = code

    def evaluate(self, context: Context) -> Outcome:
        groups = context.facts.get("groups")
        if groups is None:
            return _unknown("groups")
        if self.code in groups:
            return Outcome(True, (Sentence(_("You are in the group “%(group)s”."), group=self.code),))
        return Outcome(False, (Sentence(_("You are not in the group “%(group)s”."), group=self.code),))


class AnyGroup(Node):
    """Any of the groups listed by the code-list parameter ``parameter_key`` is in ``groups``."""

    def __init__(self, parameter_key: str):
        self.parameter_key = parameter_key

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.parameter_key,)

    def evaluate(self, context: Context) -> Outcome:
        groups = context.facts.get("groups")
        if groups is None:
            return _unknown("groups")
        listed = context.parameter(self.parameter_key)
        matched = [code for code in listed.value if code in groups]
        if matched:
            sentence = Sentence(
                _("You are in the group “%(group)s”, one of %(groups)s."),
                group=matched[0],
                groups=ParameterText(listed),
            )
            return Outcome(True, (sentence,))
        return Outcome(
            False, (Sentence(_("You are in none of these groups: %(groups)s."), groups=ParameterText(listed)),)
        )


# --- Dates and windows ---------------------------------------------------------------

# What a date fact means, in the words of an explanation: (within the window, after it).
_WINDOW_WORDING = {
    "graduation_date": (
        _("You graduated on %(date)s; this is for graduates within %(window)s of graduating, until %(deadline)s."),
        _(
            "You graduated on %(date)s; this is for graduates within %(window)s of graduating, "
            "which ended on %(deadline)s."
        ),
    ),
    "business_registered_on": (
        _(
            "Your business was registered on %(date)s; this can be claimed within %(window)s of registration, "
            "until %(deadline)s."
        ),
        _(
            "Your business was registered on %(date)s; this can be claimed within %(window)s of registration, "
            "which ended on %(deadline)s."
        ),
    ),
}
_NOT_YET_WORDING = {
    "business_registered_on": _("Your business is to be registered on %(date)s, after %(as_of)s."),
}


class _Window(Node):
    add = staticmethod(add_months)
    not_before = False  # whether the event must have happened on or before as_of

    def __init__(self, fact: str, parameter_key: str):
        if fact not in _WINDOW_WORDING or (self.not_before and fact not in _NOT_YET_WORDING):
            raise ValueError(f"No wording for the date fact {fact}")
        self.fact = fact
        self.parameter_key = parameter_key

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.parameter_key,)

    def evaluate(self, context: Context) -> Outcome:
        day = context.facts.get(self.fact)
        if day is None:
            return _unknown(self.fact)
        if self.not_before and day > context.as_of:
            return Outcome(False, (Sentence(_NOT_YET_WORDING[self.fact], date=day, as_of=context.as_of),))
        window = context.parameter(self.parameter_key)
        deadline = self.add(day, window.value)
        passed = context.as_of <= deadline
        wording = _WINDOW_WORDING[self.fact][0 if passed else 1]
        return Outcome(passed, (Sentence(wording, date=day, window=ParameterText(window), deadline=deadline),))


class WithinMonthsAfter(_Window):
    """``as_of`` is within N months after the date ``fact``: ``as_of <= add_months(D, N)``,
    inclusive, N being the parameter ``parameter_key`` (catalogue, section 1)."""


class WithinYearsAfter(_Window):
    """``as_of`` is within N years after the date ``fact``: ``as_of <= add_months(D, 12 * N)``."""

    add = staticmethod(add_years)


class HappenedWithinMonths(_Window):
    """The date ``fact`` is on or before ``as_of`` and ``as_of`` is within N months after it."""

    not_before = True


# --- Facts with a value ---------------------------------------------------------------

_BOOLEAN_WORDING = {
    "employed_since_graduation": (
        _("You have held formal employment under a labour contract since graduating."),
        _("You have not held formal employment under a labour contract since graduating."),
    ),
    "plans_business": (
        _("You intend to start a business."),
        _("You do not intend to start a business."),
    ),
    "pays_flexible_pension": (
        _("You pay basic pension insurance as a flexibly employed person."),
        _("You do not pay basic pension insurance as a flexibly employed person."),
    ),
    "pays_flexible_medical": (
        _("You pay basic medical insurance as a flexibly employed person."),
        _("You do not pay basic medical insurance as a flexibly employed person."),
    ),
    "training_certificate": (
        _("You have completed subsidised vocational training with a certificate."),
        _("You have not completed subsidised vocational training with a certificate."),
    ),
    "hardship_declared": (
        _("You have declared real difficulty paying pension premiums."),
        _("You have not declared difficulty paying pension premiums."),
    ),
}


class IsTrue(Node):
    """The yes/no fact ``fact`` is true."""

    def __init__(self, fact: str):
        if fact not in _BOOLEAN_WORDING:
            raise ValueError(f"No wording for the yes/no fact {fact}")
        self.fact = fact

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        return Outcome(value, (_BOOLEAN_WORDING[self.fact][0 if value else 1],))


class FactEquals(Node):
    """``employment_form`` (or another code fact) is ``code``."""

    def __init__(self, fact: str, code: str):
        self.fact = fact
        self.code = code

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        if value == self.code:
            return Outcome(True, (Sentence(_("Your form of work is %(form)s."), form=value),))
        return Outcome(
            False, (Sentence(_("Your form of work is %(form)s, not %(expected)s."), form=value, expected=self.code),)
        )


class FactIn(Node):
    """The code fact ``fact`` is one of the codes of the code-list parameter ``parameter_key``."""

    def __init__(self, fact: str, parameter_key: str):
        self.fact = fact
        self.parameter_key = parameter_key

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.parameter_key,)

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        listed = context.parameter(self.parameter_key)
        if value in listed.value:
            sentence = Sentence(
                _("Your form of work is %(form)s, which counts as flexible employment (%(forms)s)."),
                form=value,
                forms=ParameterText(listed),
            )
            return Outcome(True, (sentence,))
        sentence = Sentence(
            _("Your form of work is %(form)s; flexible employment means %(forms)s."),
            form=value,
            forms=ParameterText(listed),
        )
        return Outcome(False, (sentence,))


class WorkedInPost(Node):
    """``public_service_post_months`` is at least one: the person has worked in a post at all."""

    fact = "public_service_post_months"

    def evaluate(self, context: Context) -> Outcome:
        months = context.facts.get(self.fact)
        if months is None:
            return _unknown(self.fact)
        if months >= 1:
            sentence = Sentence(
                ngettext_lazy(
                    "You have worked %(months)s month in a short-term public-service post.",
                    "You have worked %(months)s months in a short-term public-service post.",
                    "months",
                ),
                months=months,
            )
            return Outcome(True, (sentence,))
        return Outcome(False, (Sentence(_("You have not worked in a short-term public-service post.")),))


# --- Conditions of every programme ------------------------------------------------------


class RegionServed(Node):
    """``region`` is the region this portal serves (setting ``LINGHUO_REGION_CODE``);
    an absent region counts as that region (catalogue, section 2: "default 330800")."""

    def evaluate(self, context: Context) -> Outcome:
        region = context.facts.get("region")
        if region is None:
            sentence = Sentence(
                _("This portal serves region %(served)s; we assume you live there."), served=context.region_served
            )
            return Outcome(True, (sentence,))
        if region == context.region_served:
            return Outcome(
                True, (Sentence(_("You live in region %(region)s, which this portal serves."), region=region),)
            )
        sentence = Sentence(
            _("You live in region %(region)s; this portal serves region %(served)s."),
            region=region,
            served=context.region_served,
        )
        return Outcome(False, (sentence,))


class AgeWithin(Node):
    """Age on ``as_of`` is at least the parameter ``minimum_key`` and below ``limit_key``."""

    def __init__(self, minimum_key: str, limit_key: str):
        self.minimum_key = minimum_key
        self.limit_key = limit_key

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.minimum_key, self.limit_key)

    def evaluate(self, context: Context) -> Outcome:
        birth_date = context.facts.get("birth_date")
        if birth_date is None:
            return _unknown("birth_date")
        minimum = context.parameter(self.minimum_key)
        limit = context.parameter(self.limit_key)
        age = age_on(birth_date, context.as_of) if birth_date <= context.as_of else 0
        texts = {"age": Age(age), "as_of": context.as_of, "minimum": ParameterText(minimum)}
        texts["limit"] = ParameterText(limit)
        if age < minimum.value:
            return Outcome(False, (Sentence(_("On %(as_of)s you are %(age)s; the minimum is %(minimum)s."), **texts),))
        if age >= limit.value:
            return Outcome(
                False, (Sentence(_("On %(as_of)s you are %(age)s; this is for people below %(limit)s."), **texts),)
            )
        sentence = Sentence(
            _("On %(as_of)s you are %(age)s; this is for people from %(minimum)s and below %(limit)s."), **texts
        )
        return Outcome(True, (sentence,))


# --- Loans ---------------------------------------------------------------------------------


class LoanWithinCap(Node):
    """Always holds: a request above the cap is offered the cap (catalogue, ``startup-loan``).
    It explains what can be lent."""

    fact = "requested_loan_amount"

    def __init__(self, cap_key: str):
        self.cap_key = cap_key

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.cap_key,)

    def evaluate(self, context: Context) -> Outcome:
        cap = context.parameter(self.cap_key)
        requested: Decimal | None = context.facts.get(self.fact)
        if requested is None:
            sentence = Sentence(
                _("You have not said how much you want to borrow; the most is %(cap)s."), cap=ParameterText(cap)
            )
        elif requested > cap.value:
            sentence = Sentence(
                _(
                    "You asked for %(requested)s, more than the most that can be lent, %(cap)s; "
                    "you can be offered %(cap)s."
                ),
                requested=Money(requested),
                cap=ParameterText(cap),
            )
        else:
            sentence = Sentence(
                _("You asked for %(requested)s; up to %(cap)s can be lent."),
                requested=Money(requested),
                cap=ParameterText(cap),
            )
        return Outcome(True, (sentence,))


def missing_sentence(missing: tuple[str, ...]) -> Sentence:
    return Sentence(_("We need to know %(facts)s."), facts=Listing(FACT_FIELDS[name].label for name in missing))
