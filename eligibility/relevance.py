"""Which facts can still change an outcome, computed from the rule trees themselves.

A fact that is not known yet is *relevant* when some answer to it can still
change a programme's status or amount, given what is known: with the other
unknown facts free to take any value, two values of this fact give the
programme different results. The screener asks only relevant facts, the
application form too, and "what proves it" follows the same trees, so that
no hand-kept table says what matters.

Each leaf of a rule reads one fact. The values a fact can take are reduced to
the few that matter (``Node.candidates``), and a fact's leaves are decided
together for each value, so that tests on the same fact stay consistent
(``employment_form`` cannot be both ``self_employed`` and not flexible). The
facts an amount reads (the loan asked for, the months worked in a post) are
relevant while the programme can still be eligible.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import chain, combinations, product

from django.conf import settings

from eligibility.facts import FACT_FIELDS, Facts, FactType
from eligibility.parameter_cache import parameters_in_force
from eligibility.parameter_set import ParameterSet, ProgrammeInfo
from eligibility.rules import PROGRAMMES, ProgrammeRules
from eligibility.rules.logic import Context, Node

# More combinations than this and the programme's facts are all taken as relevant:
# asking one question too many is better than screening slowly.
MAX_COMBINATIONS = 20_000


def relevant_facts(known: Facts, as_of: date, *, parameters: ParameterSet | None = None) -> list[str]:
    """The facts not yet known whose answer can still change some programme's
    status or amount, in catalogue order."""
    parameters = parameters or parameters_in_force(as_of)
    context = _context(known, as_of, parameters)
    found: set[str] = set()
    for programme in parameters.programmes:
        found |= _relevant_for_programme(programme, context)
    return [name for name in FACT_FIELDS if name in found]


def relevant_facts_for(slug: str, known: Facts, as_of: date, *, parameters: ParameterSet | None = None) -> list[str]:
    """The same, for one programme (the application form of that programme)."""
    parameters = parameters or parameters_in_force(as_of)
    context = _context(known, as_of, parameters)
    programme = next((info for info in parameters.programmes if info.slug == slug), None)
    if programme is None:
        raise LookupError(f"No programme {slug} on {as_of}.")
    found = _relevant_for_programme(programme, context)
    return [name for name in FACT_FIELDS if name in found]


def ask_in_order(
    groups: Sequence[Sequence[str]],
    answers: Mapping[str, object],
    as_of: date,
    *,
    slug: str | None = None,
    given: Mapping[str, object] | None = None,
    parameters: ParameterSet | None = None,
) -> list[tuple[str, ...]]:
    """For each group of questions in turn (a screener step, a question of a
    form), the facts in it that are relevant given ``given`` and the answers to
    the questions asked before it. ``answers`` are fact values (``None``: not
    answered); answers to questions not asked are not used."""
    parameters = parameters or parameters_in_force(as_of)
    known = {name: value for name, value in (given or {}).items() if value is not None}
    asked_groups: list[tuple[str, ...]] = []
    for group in groups:
        facts = Facts(known)
        if slug is None:
            relevant = set(relevant_facts(facts, as_of, parameters=parameters))
        else:
            relevant = set(relevant_facts_for(slug, facts, as_of, parameters=parameters))
        asked = tuple(name for name in group if name in relevant)
        asked_groups.append(asked)
        for name in asked:
            if answers.get(name) is not None:
                known[name] = answers[name]
    return asked_groups


def _context(known: Facts, as_of: date, parameters: ParameterSet) -> Context:
    return Context(facts=known, as_of=as_of, parameters=parameters, region_served=settings.LINGHUO_REGION_CODE)


def _relevant_for_programme(programme: ProgrammeInfo, context: Context) -> set[str]:
    rules = PROGRAMMES.get(programme.slug)
    if rules is None or context.as_of < programme.in_force_from:
        return set()
    if any(criterion.rule.evaluate(context).passed is False for criterion in rules.criteria):
        return set()  # ineligible whatever else is answered
    free, fixed = _leaves(rules, context)
    names = list(free)
    options = [_leaf_vectors(name, free[name], context) for name in names]
    amount_facts = {name for name in (rules.amount.facts() if rules.amount else ()) if name not in context.facts}
    combinations_count = 1
    for vectors in options:
        combinations_count *= len(vectors)
    if combinations_count > MAX_COMBINATIONS:
        return set(names) | amount_facts

    results: dict[tuple[int, ...], bool] = {}
    for choice in product(*(range(len(vectors)) for vectors in options)):
        values = dict(fixed)
        for name, vectors, index in zip(names, options, choice, strict=True):
            for leaf, passed in zip(free[name], vectors[index], strict=True):
                values[id(leaf)] = passed
        results[choice] = all(criterion.rule.decide(values) for criterion in rules.criteria)

    relevant = {name for position, name in enumerate(names) if _pivotal(results, position)}
    if any(results.values()):
        relevant |= amount_facts
    return relevant


def _leaves(rules: ProgrammeRules, context: Context) -> tuple[dict[str, list[Node]], dict[int, bool]]:
    """The leaves over unknown facts, by fact, and the values of the others."""
    free: dict[str, list[Node]] = {}
    fixed: dict[int, bool] = {}
    seen: set[int] = set()
    for criterion in rules.criteria:
        for leaf in criterion.rule.leaves():
            if id(leaf) in seen:
                continue
            seen.add(id(leaf))
            value = context.facts.get(leaf.fact)
            if value is None:
                free.setdefault(leaf.fact, []).append(leaf)
            else:
                fixed[id(leaf)] = leaf.test(value, context)
    return free, fixed


def _leaf_vectors(name: str, leaves: list[Node], context: Context) -> list[tuple[bool, ...]]:
    """The combinations of leaf values that some value of the fact gives."""
    vectors = dict.fromkeys(
        tuple(leaf.test(value, context) for leaf in leaves) for value in _candidate_values(name, leaves, context)
    )
    return list(vectors)


def _candidate_values(name: str, leaves: list[Node], context: Context) -> Iterable[object]:
    candidates = dict.fromkeys(chain.from_iterable(leaf.candidates(context) for leaf in leaves))
    if FACT_FIELDS[name].type != FactType.GROUPS:
        return candidates
    codes = list(candidates)
    return (frozenset(subset) for size in range(len(codes) + 1) for subset in combinations(codes, size))


def _pivotal(results: dict[tuple[int, ...], bool], position: int) -> bool:
    """Whether changing only the fact at ``position`` changes the result for some choice of the others."""
    seen: dict[tuple[int, ...], bool] = {}
    for choice, result in results.items():
        rest = choice[:position] + choice[position + 1 :]
        if seen.setdefault(rest, result) != result:
            return True
    return False
