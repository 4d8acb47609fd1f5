"""The eligibility engine: facts and a date in, one result per programme out.

``evaluate`` screens one person; ``evaluate_many`` screens many on one date with
the parameters loaded once. Results are in catalogue order, one per programme,
including those not in force on the date (catalogue, sections 4 and 5).
"""

import dataclasses
import weakref
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from eligibility.facts import FACT_FIELDS, Facts
from eligibility.parameter_cache import parameters_in_force
from eligibility.parameter_set import ParameterInForce, ParameterNotInForce, ParameterSet, ProgrammeInfo
from eligibility.relevance import ask_in_order, relevant_facts, relevant_facts_for
from eligibility.results import Amount, CriterionResult, ProgrammeResult, Status, results_to_dict
from eligibility.rules import PROGRAMMES
from eligibility.rules.logic import Context
from eligibility.wording import Listing, Paragraph, Sentence, is_chinese

__all__ = [
    "Amount",
    "CriterionResult",
    "ParameterInForce",
    "ParameterNotInForce",
    "ParameterSet",
    "ProgrammeInfo",
    "ProgrammeResult",
    "Status",
    "ask_in_order",
    "evaluate",
    "evaluate_many",
    "proving_documents",
    "relevant_facts",
    "relevant_facts_for",
    "results_to_dict",
]


def evaluate(facts: Facts, as_of: date, *, parameters: ParameterSet | None = None) -> list[ProgrammeResult]:
    """Screens one person on ``as_of``.

    ``parameters`` defaults to the values in force on ``as_of``, from the
    parameter cache (no SQL once warm, ``eligibility.parameter_cache``); pass a
    set to reuse it, or to see what other values would decide (a what-if preview).
    """
    if parameters is None:
        parameters = parameters_in_force(as_of)
    context = Context(facts=facts, as_of=as_of, parameters=parameters, region_served=settings.LINGHUO_REGION_CODE)
    # A criterion shared by several programmes (the region and working age of every
    # one, a target group or a business condition of two) depends only on the
    # person, the date and the parameters: it is decided, and explained, once.
    decided: dict[type, CriterionResult] = {}
    results = [_evaluate_programme(programme, context, decided) for programme in parameters.programmes]
    return _linked(results)


# A link points only to a programme the person can still have (issue 13, item 2).
_LINKABLE = (Status.ELIGIBLE, Status.NEEDS_INFO)


def _linked(results: list[ProgrammeResult]) -> list[ProgrammeResult]:
    """Keeps, of each result's links (``ProgrammeRules.links``), those to a programme
    the person may still qualify for, once per programme pointed to."""
    if not any(result.see_also for result in results):
        return results
    open_to = {result.programme_slug for result in results if result.status in _LINKABLE}
    linked = []
    for result in results:
        if result.see_also:
            kept_links = {link.program: link for link in result.see_also if link.program in open_to}
            result = dataclasses.replace(result, see_also=tuple(kept_links.values()))
        linked.append(result)
    return linked


def evaluate_many(list_of_facts: Iterable[Facts], as_of: date) -> list[list[ProgrammeResult]]:
    """Screens many people on one date; parameters and programmes are loaded once (two queries)."""
    parameters = ParameterSet.in_force(as_of)
    return [evaluate(facts, as_of, parameters=parameters) for facts in list_of_facts]


def proving_documents(slug: str, facts: Facts, as_of: date, *, parameters: ParameterSet | None = None) -> list[str]:
    """The kinds of document (``applications.models.Document.Kind`` values) that prove
    the conditions deciding programme ``slug`` for this person: the identity card,
    every part of an AND, the parts of an OR that hold (``Node.proof``)."""
    if parameters is None:
        parameters = parameters_in_force(as_of)
    context = Context(facts=facts, as_of=as_of, parameters=parameters, region_served=settings.LINGHUO_REGION_CODE)
    return list(PROGRAMMES[slug].documents(context))


def _parameters_used(rules, parameters: ParameterSet) -> dict[str, ParameterInForce]:
    """The parameters a programme's rules read, with their values in ``parameters``:
    worked out once per parameter set and programme (and shared: not to be changed)."""
    per_set = _PARAMETERS_USED.get(parameters)
    if per_set is None:
        per_set = _PARAMETERS_USED[parameters] = {}
    found = per_set.get(rules)
    if found is None:
        found = per_set[rules] = {key: parameters.get(key) for key in rules.parameter_keys()}
    return found


_PARAMETERS_USED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _decide(criterion, context: Context, decided: dict[type, CriterionResult]) -> CriterionResult:
    found = decided.get(criterion)
    if found is None:
        found = decided[criterion] = _remembered(criterion, facts_read(criterion), context, criterion.evaluate)
    return found


# A criterion's result depends only on the facts its rule's leaves read (each leaf
# reads one fact, ``Node.fact``), the date, the region served and the parameters:
# one decided for an earlier person with the same values of those facts is this
# person's result too, explanation included (rendered once per language). Kept per
# parameter set (a policy change brings a new set, and the old results go with it),
# per date and region; emptied when it holds ``MEMO_LIMIT``.
# ``tests/eligibility/test_criterion_memo.py`` proves that criteria read no other fact.
MEMO_LIMIT = 50_000
_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FACTS_READ: dict[object, tuple[str, ...]] = {}


def _in_catalogue_order(names: set[str]) -> tuple[str, ...]:
    return tuple(name for name in FACT_FIELDS if name in names)


def facts_read(criterion) -> tuple[str, ...]:
    """The facts a criterion's rule reads, in catalogue order."""
    found = _FACTS_READ.get(criterion)
    if found is None:
        names = {leaf.fact for leaf in criterion.rule.leaves() if leaf.fact}
        found = _FACTS_READ[criterion] = _in_catalogue_order(names)
    return found


def _remembered(subject, names: tuple[str, ...], context: Context, make):
    per_date = _MEMOS.get(context.parameters)
    if per_date is None:
        per_date = _MEMOS[context.parameters] = {}
    memo = per_date.get((context.as_of, context.region_served))
    if memo is None:
        memo = per_date[(context.as_of, context.region_served)] = {}
    facts = context.facts
    key = (subject, *[facts.get(name) for name in names])
    found = memo.get(key)
    if found is None:
        found = make(context)
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = found
    return found


def _evaluate_programme(
    programme: ProgrammeInfo, context: Context, decided: dict[type, CriterionResult]
) -> ProgrammeResult:
    rules = PROGRAMMES.get(programme.slug)
    if rules is None:
        raise LookupError(f"The programme {programme.slug} has no rules in eligibility.rules.programmes.")
    if not programme.in_force_on(context.as_of):
        return _not_in_force_result(programme, _not_in_force(programme, rules.in_force_source, context.as_of))
    try:
        used = _parameters_used(rules, context.parameters)
    except ParameterNotInForce:
        # A value the rules read has run out (or not begun) on this date: the programme cannot be
        # decided then, and says so; a screening never fails for it (issue 14, item 4).
        missing_values = context.parameters.missing(rules.parameter_keys())
        return _not_in_force_result(programme, _no_value(missing_values, rules.in_force_source, context.as_of))
    criteria = [_decide(criterion, context, decided) for criterion in rules.criteria]
    missing: set[str] = set()
    if any(criterion.passed is False for criterion in criteria):
        status = Status.INELIGIBLE
    elif any(criterion.passed is None for criterion in criteria):
        status = Status.NEEDS_INFO
        missing = {name for criterion in criteria for name in criterion.missing_facts}
    else:
        status = Status.ELIGIBLE
    amount = rules.amount.compute(context) if status == Status.ELIGIBLE and rules.amount else None
    see_also = rules.links(context, criteria) if status == Status.INELIGIBLE else ()
    return ProgrammeResult(
        programme_slug=programme.slug,
        status=status,
        amount=amount,
        amount_text=rules.amount.explain(context, amount) if amount else None,
        criteria=criteria,
        missing_facts=[name for name in FACT_FIELDS if name in missing],
        parameters_used=used,
        programme=programme,
        see_also=see_also,
        decided_by=rules.decided_by,
    )


def _not_in_force_result(programme: ProgrammeInfo, criterion: CriterionResult) -> ProgrammeResult:
    return ProgrammeResult(
        programme_slug=programme.slug,
        status=Status.NOT_IN_FORCE,
        amount=None,
        criteria=[criterion],
        missing_facts=[],
        programme=programme,
    )


def _not_in_force(programme: ProgrammeInfo, source: str, as_of: date) -> CriterionResult:
    """The programme is not in force on ``as_of``; ``source`` is the text that sets
    its in-force date (``ProgrammeRules.in_force_source``), not its first source."""
    if as_of < programme.in_force_from:
        sentence = Sentence(
            _("This programme is in force from %(start)s; on %(as_of)s it was not yet."),
            start=programme.in_force_from,
            as_of=as_of,
        )
    else:
        sentence = Sentence(
            _("This programme was in force until %(end)s; on %(as_of)s it no longer is."),
            end=programme.in_force_until,
            as_of=as_of,
        )
    return CriterionResult(id="in-force", passed=False, text=Paragraph((_("Not met."), sentence)), source=source)


class _ParameterLabel:
    """A parameter's description in the language an explanation is rendered in."""

    __slots__ = ("texts",)

    def __init__(self, zh: str, en: str):
        self.texts = (zh, en)

    def render(self, language: str) -> str:
        return self.texts[0] if is_chinese(language) else self.texts[1]


def _no_value(keys: tuple[str, ...], source: str, as_of: date) -> CriterionResult:
    """No value of ``keys`` is in force on ``as_of`` (a rare path: one query for their names)."""
    from eligibility.models import Parameter

    rows = Parameter.objects.filter(key__in=keys).values_list("key", "description_zh", "description_en")
    names = {key: _ParameterLabel(zh, en) for key, zh, en in rows}
    sentence = Sentence(
        _("On %(as_of)s no value is in force for %(settings)s, so this programme cannot be decided on that date."),
        as_of=as_of,
        settings=Listing(names.get(key, key) for key in keys),
    )
    return CriterionResult(id="in-force", passed=False, text=Paragraph((_("Not met."), sentence)), source=source)
