"""The rules of a programme as sentences, generated from the rule trees the engine runs.

``describe(node, context)`` walks a condition (``eligibility.rules.logic``): ``All``,
``Any`` and ``Not`` become "all of these", "at least one of these", "none of these"
with their parts, and each leaf a sentence (``eligibility.wording.Sentence``) with the
parameter values in force, their units and local settings labelled. Nothing here
restates a rule: a new criterion, or a new value of a parameter, reads differently
at once. A leaf class without a description raises ``UndescribedRule`` (a test walks
every programme).

``describe_amount`` says how an amount is computed, from the amount rule's own
expressions (``eligibility.rules.amounts``).
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from eligibility.fact_labels import STAFF_FACT_LABELS
from eligibility.facts import Facts
from eligibility.parameter_set import ParameterNotInForce, ParameterSet
from eligibility.regions import region_name
from eligibility.rules import ProgrammeRules, logic
from eligibility.rules import amounts as amount_rules
from eligibility.wording import ParameterText, Sentence, language_of, render


class UndescribedRule(LookupError):
    """A condition of a kind this module cannot put into words yet."""


@dataclass
class RuleText:
    """One line of a described rule, with the lines it is made of (for "all of these" and the like)."""

    text: str
    parts: list["RuleText"] = field(default_factory=list)


class _FactLabel:
    """The staff's label of a fact ("Pays basic pension insurance as a flexibly employed person")."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def render(self, language: str) -> str:
        label = STAFF_FACT_LABELS.get(self.name)
        return self.name if label is None else render(label, language)


class _Region:
    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def render(self, language: str) -> str:
        with translation.override(language):
            return str(region_name(self.code))


_ALL = _("All of these:")
_ANY = _("At least one of these:")
_NONE = _("None of these:")
_NOT_ALL = _("Not all of these:")

_YES = _("“%(fact)s”: yes.")
_NO = _("“%(fact)s”: no.")


def context_for(parameters: ParameterSet, as_of: date) -> logic.Context:
    """A context without facts: what the rules read on ``as_of``, for the person described."""
    return logic.Context(facts=Facts(), as_of=as_of, parameters=parameters, region_served=settings.LINGHUO_REGION_CODE)


def _value(context: logic.Context, key: str) -> object:
    try:
        return ParameterText(context.parameter(key))
    except ParameterNotInForce:
        return _("(no value in force)")


def _window(node, context, negated: bool) -> Sentence:
    fact, window = _FactLabel(node.fact), _value(context, node.parameter_key)
    if node.not_before:
        template = (
            _("“%(fact)s” is on or before the screening day, and the screening day is at most %(window)s after it.")
            if not negated
            else _("“%(fact)s” is after the screening day, or the screening day is more than %(window)s after it.")
        )
    else:
        template = (
            _("The screening day is at most %(window)s after “%(fact)s” (that day included).")
            if not negated
            else _("The screening day is more than %(window)s after “%(fact)s”.")
        )
    return Sentence(template, fact=fact, window=window)


def _leaf(node: logic.Node, context: logic.Context, negated: bool) -> Sentence:
    """The sentence of one leaf; ``negated`` when it stands under a ``Not``."""
    if isinstance(node, logic.HasGroup):
        template = _("The person is not in the group “%(group)s”.") if negated else None
        return Sentence(template or _("The person is in the group “%(group)s”."), group=node.code)
    if isinstance(node, logic.AnyGroup):
        template = (
            _("The person is in none of these groups: %(groups)s.")
            if negated
            else _("The person is in one of these groups: %(groups)s.")
        )
        return Sentence(template, groups=_value(context, node.parameter_key))
    if isinstance(node, logic.FactIn):
        template = _("“%(fact)s” is none of %(codes)s.") if negated else _("“%(fact)s” is one of %(codes)s.")
        return Sentence(template, fact=_FactLabel(node.fact), codes=_value(context, node.parameter_key))
    if isinstance(node, logic.FactEquals):
        template = _("“%(fact)s” is not %(code)s.") if negated else _("“%(fact)s” is %(code)s.")
        return Sentence(template, fact=_FactLabel(node.fact), code=node.code)
    if isinstance(node, logic.BusinessRegistered | logic.IsTrue):
        return Sentence(_NO if negated else _YES, fact=_FactLabel(node.fact))
    if isinstance(node, logic.WorkedInPost | logic.AtLeastOne):
        template = _("“%(fact)s” is 0.") if negated else _("“%(fact)s” is at least 1.")
        return Sentence(template, fact=_FactLabel(node.fact))
    if isinstance(node, logic._Window):
        return _window(node, context, negated)
    if isinstance(node, logic.InYearOf):
        template = (
            _("“%(fact)s” is not in the calendar year of the screening day.")
            if negated
            else _("“%(fact)s” is in the calendar year of the screening day.")
        )
        return Sentence(template, fact=_FactLabel(node.fact))
    if isinstance(node, logic.RegionServed) and not negated:
        return Sentence(
            _(
                "The person lives in %(served)s, the region this portal serves (a region counts when its first "
                "four digits are the same), or has not said where."
            ),
            served=_Region(context.region_served),
        )
    if isinstance(node, logic.AgeWithin) and not negated:
        return Sentence(
            _("On the screening day the person is at least %(minimum)s and younger than %(limit)s."),
            minimum=_value(context, node.minimum_key),
            limit=_value(context, node.limit_key),
        )
    if isinstance(node, logic.LoanWithinCap) and not negated:
        return Sentence(
            _("Always met: at most %(cap)s can be lent, and a request above it is offered %(cap)s."),
            cap=_value(context, node.cap_key),
        )
    raise UndescribedRule(f"No wording for {type(node).__qualname__}{' under Not' if negated else ''}")


def describe(node: logic.Node, context: logic.Context, *, language: str | None = None, negated: bool = False):
    """``node`` as a ``RuleText`` in ``language`` (by default the active one)."""
    language = language_of(language)
    if isinstance(node, logic.Not):
        return describe(node.part, context, language=language, negated=not negated)
    if isinstance(node, logic.All | logic.Any):
        if len(node.parts) == 1:
            return describe(node.parts[0], context, language=language, negated=negated)
        heading = {
            (logic.All, False): _ALL,
            (logic.Any, False): _ANY,
            (logic.All, True): _NOT_ALL,
            (logic.Any, True): _NONE,
        }[(type(node), negated)]
        parts = [describe(part, context, language=language) for part in node.parts]
        return RuleText(render(heading, language), parts)
    return RuleText(render(_leaf(node, context, negated), language))


@dataclass
class CriterionText:
    id: str
    rule: RuleText
    source: str  # the source file (or "local setting"): eligibility.console.sources.document_title


def describe_programme(rules: ProgrammeRules, context: logic.Context, *, language: str | None = None):
    """Each criterion of a programme as a ``CriterionText``, in the order the engine decides them."""
    return [
        CriterionText(criterion.id, describe(criterion.rule, context, language=language), criterion.source)
        for criterion in rules.criteria
    ]


def describe_amount(rules: ProgrammeRules, context: logic.Context, *, language: str | None = None) -> str:
    """How the programme's amount is computed, with the values in force."""
    language = language_of(language)
    amount = rules.amount
    try:
        if amount is None:
            sentence = Sentence(_("No money is paid by this portal: the programme is a service or a referral."))
        elif isinstance(amount, amount_rules.PerMonth):
            sentence = Sentence(
                _("%(calculation)s a month, for up to %(months)s."),
                calculation=amount.value.describe(context),
                months=amount.periods.describe(context),
            )
        elif isinstance(amount, amount_rules.PerYear):
            sentence = Sentence(
                _("%(amount)s a year, for up to %(years)s."),
                amount=amount.value.describe(context),
                years=amount.periods.describe(context),
            )
        elif isinstance(amount, amount_rules.Once):
            sentence = Sentence(_("%(amount)s, paid once."), amount=amount.value.describe(context))
        elif isinstance(amount, amount_rules.LoanUpTo):
            sentence = Sentence(
                _("The amount asked for, up to %(cap)s; without a request, %(cap)s."),
                cap=amount.cap.describe(context),
            )
        else:
            raise UndescribedRule(f"No wording for the amount rule {type(amount).__qualname__}")
    except ParameterNotInForce:
        sentence = Sentence(_("(no value in force)"))
    return render(sentence, language)
