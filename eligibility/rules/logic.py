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

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from eligibility.dates import add_months, add_years, age_on
from eligibility.facts import EMPLOYMENT_FORM_CODES, FACT_FIELDS, Facts
from eligibility.parameter_set import ParameterInForce, ParameterSet
from eligibility.regions import OUTSIDE_SERVED_REGION, REGION_NAMES, region_name, same_city
from eligibility.wording import Age, Listing, Money, ParameterText, Sentence, kept


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
    """A condition on the facts of one person on one date.

    A leaf condition reads one fact (``fact``): ``test`` decides it for a value
    of that fact, ``candidates`` gives values that between them make it true
    and false, and ``documents`` names the kinds of document
    (``applications.models.Document.Kind`` values) that prove it when it holds.
    Composite conditions combine leaves; ``leaves`` and ``decide`` let
    ``eligibility.relevance`` ask which facts can still change an outcome.
    """

    fact: str | None = None
    documents: tuple[str, ...] = ()

    def evaluate(self, context: Context) -> Outcome:
        raise NotImplementedError

    def parameter_keys(self) -> tuple[str, ...]:
        """The parameters this condition reads, so that results can say which were used."""
        return ()

    def leaves(self) -> Iterator["Node"]:
        yield self

    def decide(self, leaf_values: Mapping[int, bool]) -> bool:
        """The condition's value when each leaf (by ``id``) has the value given."""
        return leaf_values[id(self)]

    def test(self, value: object, context: Context) -> bool:
        """Whether the leaf holds when its fact has ``value`` (never ``None``)."""
        raise NotImplementedError

    def candidates(self, context: Context) -> Iterable[object]:
        """Values of ``fact`` that make the leaf true and false; for ``groups``, the codes it looks at."""
        raise NotImplementedError

    def proof(self, context: Context) -> tuple[str, ...]:
        """The documents that prove this condition holds for this person (it must hold)."""
        return self.documents


class _Composite(Node):
    def __init__(self, *parts: Node):
        if not parts:
            raise ValueError(f"{type(self).__name__} needs at least one part")
        self.parts = parts

    def parameter_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key for part in self.parts for key in part.parameter_keys()))

    def leaves(self) -> Iterator[Node]:
        for part in self.parts:
            yield from part.leaves()

    def _unknown_of(self, outcomes: list[Outcome]) -> Outcome:
        missing = {name for outcome in outcomes if outcome.passed is None for name in outcome.missing}
        return Outcome(None, missing=_in_fact_order(missing))


class All(_Composite):
    """Every part holds. False as soon as one part is false, even if others are
    unknown; the reasons are those of every part that is false, so that a person
    learns every condition that stands in the way, not only the first."""

    def evaluate(self, context: Context) -> Outcome:
        outcomes = [part.evaluate(context) for part in self.parts]
        failed = [outcome for outcome in outcomes if outcome.passed is False]
        if failed:
            return Outcome(False, tuple(reason for outcome in failed for reason in outcome.reasons))
        if all(outcome.passed for outcome in outcomes):
            return Outcome(True, tuple(reason for outcome in outcomes for reason in outcome.reasons))
        return self._unknown_of(outcomes)

    def decide(self, leaf_values: Mapping[int, bool]) -> bool:
        return all(part.decide(leaf_values) for part in self.parts)

    def proof(self, context: Context) -> tuple[str, ...]:
        # Every part decides an AND that holds.
        return tuple(dict.fromkeys(kind for part in self.parts for kind in part.proof(context)))


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

    def decide(self, leaf_values: Mapping[int, bool]) -> bool:
        return any(part.decide(leaf_values) for part in self.parts)

    def proof(self, context: Context) -> tuple[str, ...]:
        # The parts that hold made an OR hold; parts that fail or are unknown prove nothing.
        kinds = [kind for part in self.parts if part.evaluate(context).passed for kind in part.proof(context)]
        return tuple(dict.fromkeys(kinds))


class Not(Node):
    """The part does not hold; unknown stays unknown. The reasons describe the
    facts, so they read the same either way."""

    def __init__(self, part: Node):
        self.part = part

    def parameter_keys(self) -> tuple[str, ...]:
        return self.part.parameter_keys()

    def leaves(self) -> Iterator[Node]:
        return self.part.leaves()

    def decide(self, leaf_values: Mapping[int, bool]) -> bool:
        return not self.part.decide(leaf_values)

    def proof(self, context: Context) -> tuple[str, ...]:
        return self.documents  # a fact that does not hold is declared, not proved by a document

    def evaluate(self, context: Context) -> Outcome:
        outcome = self.part.evaluate(context)
        if outcome.passed is None:
            return outcome
        return Outcome(not outcome.passed, outcome.reasons)


# --- Target groups ----------------------------------------------------------------


class HasGroup(Node):
    """``code`` is in ``groups``."""

    fact = "groups"

    def __init__(self, code: str, *, documents: tuple[str, ...] = ()):
        self.code = code
        self.documents = documents

    def test(self, value, context: Context) -> bool:
        return self.code in value

    def candidates(self, context: Context) -> Iterable[object]:
        return (self.code,)

    def evaluate(self, context: Context) -> Outcome:
        groups = context.facts.get("groups")
        if groups is None:
            return _unknown("groups")
        if self.test(groups, context):
            return Outcome(True, (Sentence(_("You are in the group “%(group)s”."), group=self.code),))
        return Outcome(False, (Sentence(_("You are not in the group “%(group)s”."), group=self.code),))


class AnyGroup(Node):
    """Any of the groups listed by the code-list parameter ``parameter_key`` is in ``groups``."""

    fact = "groups"

    def __init__(self, parameter_key: str, *, documents: Mapping[str, tuple[str, ...]] | None = None):
        self.parameter_key = parameter_key
        self.documents_by_group = dict(documents or {})

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.parameter_key,)

    def test(self, value, context: Context) -> bool:
        return any(code in value for code in context.value(self.parameter_key))

    def candidates(self, context: Context) -> Iterable[object]:
        return tuple(context.value(self.parameter_key))

    def proof(self, context: Context) -> tuple[str, ...]:
        # Each listed group the person is in is proved by its own certificate.
        groups = context.facts.get("groups") or ()
        listed = [code for code in context.value(self.parameter_key) if code in groups]
        return tuple(dict.fromkeys(kind for code in listed for kind in self.documents_by_group.get(code, ())))

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

    def __init__(self, fact: str, parameter_key: str, *, documents: tuple[str, ...] = ()):
        if fact not in _WINDOW_WORDING or (self.not_before and fact not in _NOT_YET_WORDING):
            raise ValueError(f"No wording for the date fact {fact}")
        self.fact = fact
        self.parameter_key = parameter_key
        self.documents = documents

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.parameter_key,)

    def test(self, value, context: Context) -> bool:
        if self.not_before and value > context.as_of:
            return False
        return context.as_of <= self.add(value, context.value(self.parameter_key))

    def candidates(self, context: Context) -> Iterable[object]:
        start = self.add(context.as_of, -context.value(self.parameter_key))
        day = timedelta(days=1)
        return (context.as_of, context.as_of + day, start, start - day, start + day, date(1900, 1, 1))

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


class HappenedWithinYears(_Window):
    """The date ``fact`` is on or before ``as_of`` and ``as_of`` is within N years after it:
    ``fact <= as_of <= add_months(fact, 12 * N)``."""

    add = staticmethod(add_years)
    not_before = True


# What a date in the calendar year of ``as_of`` means: (that year, another year).
_SAME_YEAR_WORDING = {
    "graduation_date": (
        _("You graduated on %(date)s, in %(year)s, the year of %(as_of)s."),
        _("You graduated on %(date)s; this is for those who graduate in %(year)s, the year of %(as_of)s."),
    ),
}


class InYearOf(Node):
    """The date ``fact`` lies in the calendar year of ``as_of`` (1 January to 31
    December of that year, both inclusive)."""

    def __init__(self, fact: str, *, documents: tuple[str, ...] = ()):
        if fact not in _SAME_YEAR_WORDING:
            raise ValueError(f"No wording for the date fact {fact}")
        self.fact = fact
        self.documents = documents

    def test(self, value, context: Context) -> bool:
        return value.year == context.as_of.year

    def candidates(self, context: Context) -> Iterable[object]:
        year = context.as_of.year
        return (context.as_of, date(year, 1, 1), date(year, 12, 31), date(year - 1, 12, 31), date(year + 1, 1, 1))

    def evaluate(self, context: Context) -> Outcome:
        day = context.facts.get(self.fact)
        if day is None:
            return _unknown(self.fact)
        passed = self.test(day, context)
        wording = _SAME_YEAR_WORDING[self.fact][0 if passed else 1]
        # The year as a plain number: no thousands separator.
        return Outcome(passed, (Sentence(wording, date=day, year=str(context.as_of.year), as_of=context.as_of),))


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
    "works_in_construction": (
        _("You work on engineering-construction projects."),
        _("You do not work on engineering-construction projects."),
    ),
    "rents_state_owned_premises": (
        _("Your business rents premises owned by the state."),
        _("Your business does not rent premises owned by the state."),
    ),
}


class _YesNoFact:
    """A condition on a yes/no fact: it holds when the answer is yes."""

    def test(self, value, context: Context) -> bool:
        return value is True

    def candidates(self, context: Context) -> Iterable[object]:
        return (True, False)


class IsTrue(_YesNoFact, Node):
    """The yes/no fact ``fact`` is true."""

    def __init__(self, fact: str, *, documents: tuple[str, ...] = ()):
        if fact not in _BOOLEAN_WORDING:
            raise ValueError(f"No wording for the yes/no fact {fact}")
        self.fact = fact
        self.documents = documents

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        return Outcome(value, (_BOOLEAN_WORDING[self.fact][0 if value else 1],))


class BusinessRegistered(_YesNoFact, Node):
    """The person's business is registered (``business_registered``). "Not yet"
    is an answer, not a gap: the criterion fails and the explanation says when
    the programme can be claimed, and what helps before (catalogue,
    ``startup-subsidy`` 2)."""

    fact = "business_registered"

    def __init__(self, window_key: str, *, documents: tuple[str, ...] = ()):
        self.window_key = window_key
        self.documents = documents

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.window_key,)

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        if value:
            return Outcome(True, (_("Your business is registered."),))
        sentence = Sentence(
            _(
                "Your business is not registered yet. Once it is registered, you can claim this within "
                "%(window)s of registration. Before that, a guaranteed start-up loan and free business "
                "premises can help you start."
            ),
            window=ParameterText(context.parameter(self.window_key)),
        )
        return Outcome(False, (sentence,))


class FactEquals(Node):
    """``employment_form`` (or another code fact) is ``code``."""

    def __init__(self, fact: str, code: str, *, documents: tuple[str, ...] = ()):
        self.fact = fact
        self.code = code
        self.documents = documents

    def test(self, value, context: Context) -> bool:
        return value == self.code

    def candidates(self, context: Context) -> Iterable[object]:
        return _codes_of(self.fact, (self.code,))

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        if self.test(value, context):
            return Outcome(True, (Sentence(_("Your form of work is %(form)s."), form=value),))
        return Outcome(
            False, (Sentence(_("Your form of work is %(form)s, not %(expected)s."), form=value, expected=self.code),)
        )


class FactIn(Node):
    """The code fact ``fact`` is one of the codes of the code-list parameter ``parameter_key``."""

    def __init__(self, fact: str, parameter_key: str, *, documents: tuple[str, ...] = ()):
        self.fact = fact
        self.parameter_key = parameter_key
        self.documents = documents

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.parameter_key,)

    def test(self, value, context: Context) -> bool:
        return value in context.value(self.parameter_key)

    def candidates(self, context: Context) -> Iterable[object]:
        return _codes_of(self.fact, tuple(context.value(self.parameter_key)))

    def evaluate(self, context: Context) -> Outcome:
        value = context.facts.get(self.fact)
        if value is None:
            return _unknown(self.fact)
        listed = context.parameter(self.parameter_key)
        if self.test(value, context):
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

    def __init__(self, *, documents: tuple[str, ...] = ()):
        self.documents = documents

    def test(self, value, context: Context) -> bool:
        return value >= 1

    def candidates(self, context: Context) -> Iterable[object]:
        return (0, 1)

    def evaluate(self, context: Context) -> Outcome:
        months = context.facts.get(self.fact)
        if months is None:
            return _unknown(self.fact)
        if self.test(months, context):
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


# What a whole number of at least one means: (singular, plural) when it holds, and when it is zero.
_AT_LEAST_ONE_WORDING = {
    "training_days": (
        ngettext_lazy(
            "You have attended %(count)s day of a subsidised training course.",
            "You have attended %(count)s days of a subsidised training course.",
            "count",
        ),
        _("You have not attended a subsidised training course for a day yet."),
    ),
}


class AtLeastOne(Node):
    """The whole-number fact ``fact`` is at least one (``training_days`` ≥ 1, for example)."""

    def __init__(self, fact: str, *, documents: tuple[str, ...] = ()):
        if fact not in _AT_LEAST_ONE_WORDING:
            raise ValueError(f"No wording for the whole-number fact {fact}")
        self.fact = fact
        self.documents = documents

    def test(self, value, context: Context) -> bool:
        return value >= 1

    def candidates(self, context: Context) -> Iterable[object]:
        return (0, 1)

    def evaluate(self, context: Context) -> Outcome:
        count = context.facts.get(self.fact)
        if count is None:
            return _unknown(self.fact)
        held, zero = _AT_LEAST_ONE_WORDING[self.fact]
        if self.test(count, context):
            return Outcome(True, (Sentence(held, count=count),))
        return Outcome(False, (Sentence(zero),))


# --- Conditions of every programme ------------------------------------------------------


class _RegionName:
    """A region's name, in the language the explanation is rendered in."""

    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def render(self, language: str) -> str:
        if self.code in REGION_NAMES or self.code == OUTSIDE_SERVED_REGION:  # kept: a few names in all
            return kept(("region", self.code, settings.LINGHUO_REGION_CODE), language, lambda: region_name(self.code))
        with translation.override(language):
            return region_name(self.code)

    def __str__(self) -> str:
        return region_name(self.code)


class RegionServed(Node):
    """``region`` is served: its first four digits are those of the region this
    portal serves (setting ``LINGHUO_REGION_CODE``), so that a city serves its
    districts and counties (catalogue, section 4). An absent region counts as
    served (catalogue, section 2: "default 330800")."""

    fact = "region"

    def test(self, value, context: Context) -> bool:
        return same_city(value, context.region_served)

    def candidates(self, context: Context) -> Iterable[object]:
        return (context.region_served, OUTSIDE_SERVED_REGION)

    def evaluate(self, context: Context) -> Outcome:
        region = context.facts.get("region")
        served = _RegionName(context.region_served)
        if region is None:
            sentence = Sentence(_("This portal serves %(served)s; we assume you live there."), served=served)
            return Outcome(True, (sentence,))
        if self.test(region, context):
            return Outcome(
                True,
                (Sentence(_("You live in %(region)s, which this portal serves."), region=_RegionName(region)),),
            )
        if region == OUTSIDE_SERVED_REGION:
            sentence = Sentence(_("You live outside %(served)s; this portal serves only %(served)s."), served=served)
        else:
            sentence = Sentence(
                _("You live in %(region)s; this portal serves %(served)s."), region=_RegionName(region), served=served
            )
        return Outcome(False, (sentence,))


class AgeWithin(Node):
    """Age on ``as_of`` is at least the parameter ``minimum_key`` and below ``limit_key``."""

    fact = "birth_date"

    def __init__(self, minimum_key: str, limit_key: str, *, documents: tuple[str, ...] = ()):
        self.minimum_key = minimum_key
        self.limit_key = limit_key
        self.documents = documents

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.minimum_key, self.limit_key)

    def test(self, value, context: Context) -> bool:
        age = age_on(value, context.as_of) if value <= context.as_of else 0
        return context.value(self.minimum_key) <= age < context.value(self.limit_key)

    def candidates(self, context: Context) -> Iterable[object]:
        day = timedelta(days=1)
        youngest = add_years(context.as_of, -context.value(self.minimum_key))
        oldest = add_years(context.as_of, -context.value(self.limit_key))
        return (youngest, youngest + day, oldest, oldest + day, context.as_of + day)

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

    def test(self, value, context: Context) -> bool:
        return True

    def candidates(self, context: Context) -> Iterable[object]:
        return (context.value(self.cap_key),)

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


def _codes_of(fact: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    """Every code a code fact can take, so that tests on the same fact are weighed together."""
    if fact == "employment_form":
        return tuple(sorted(EMPLOYMENT_FORM_CODES))
    return codes


def missing_sentence(missing: tuple[str, ...]) -> Sentence:
    return Sentence(_("We need to know %(facts)s."), facts=Listing(FACT_FIELDS[name].label for name in missing))
