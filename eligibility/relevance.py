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

Speed (the screener runs this for every step of every request): a programme's
answer depends only on the known values of the facts it reads, so it is kept
per programme for those values (``RelevanceMemo``, one per request), and the
combinations are enumerated per group of criteria that share unknown facts
rather than across the whole programme: the programme holds when every group
holds, so a fact can change it exactly when it can change its own group while
every other group can hold.
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


class RelevanceMemo:
    """The relevant facts found per programme, for the known values of the facts
    that programme reads, on one date with one parameter set.

    Meant for one request (a screener step makes two flows, and each flow asks
    for every step): a memo used with another parameter set or date starts
    afresh, so that it never answers for a policy it was not built with.
    """

    __slots__ = ("_as_of", "_found", "_parameters", "options")

    def __init__(self) -> None:
        self._parameters: ParameterSet | None = None
        self._as_of: date | None = None
        self._found: dict[tuple, frozenset[str]] = {}
        # The leaf vectors of an unknown fact, by (programme, fact): they depend
        # on the date and the parameters only.
        self.options: dict[tuple[str, str], list[tuple[bool, ...]]] = {}

    def found(self, parameters: ParameterSet, as_of: date) -> dict[tuple, frozenset[str]]:
        if parameters is not self._parameters or as_of != self._as_of:
            self._parameters, self._as_of, self._found, self.options = parameters, as_of, {}, {}
        return self._found


def relevant_facts(
    known: Facts, as_of: date, *, parameters: ParameterSet | None = None, memo: RelevanceMemo | None = None
) -> list[str]:
    """The facts not yet known whose answer can still change some programme's
    status or amount, in catalogue order."""
    parameters = parameters or parameters_in_force(as_of)
    memo = memo or RelevanceMemo()
    found_by_key = memo.found(parameters, as_of)
    context = _context(known, as_of, parameters)
    found: set[str] = set()
    for programme in parameters.programmes:
        found |= _relevant_memoised(programme, context, found_by_key, memo.options)
    return [name for name in FACT_FIELDS if name in found]


def relevant_facts_for(
    slug: str,
    known: Facts,
    as_of: date,
    *,
    parameters: ParameterSet | None = None,
    memo: RelevanceMemo | None = None,
) -> list[str]:
    """The same, for one programme (the application form of that programme)."""
    parameters = parameters or parameters_in_force(as_of)
    memo = memo or RelevanceMemo()
    found_by_key = memo.found(parameters, as_of)
    context = _context(known, as_of, parameters)
    programme = next((info for info in parameters.programmes if info.slug == slug), None)
    if programme is None:
        raise LookupError(f"No programme {slug} on {as_of}.")
    found = _relevant_memoised(programme, context, found_by_key, memo.options)
    return [name for name in FACT_FIELDS if name in found]


def ask_in_order(
    groups: Sequence[Sequence[str]],
    answers: Mapping[str, object],
    as_of: date,
    *,
    slug: str | None = None,
    given: Mapping[str, object] | None = None,
    parameters: ParameterSet | None = None,
    memo: RelevanceMemo | None = None,
) -> list[tuple[str, ...]]:
    """For each group of questions in turn (a screener step, a question of a
    form), the facts in it that are relevant given ``given`` and the answers to
    the questions asked before it. ``answers`` are fact values (``None``: not
    answered); answers to questions not asked are not used. ``memo`` may be
    shared by the calls of one request."""
    parameters = parameters or parameters_in_force(as_of)
    memo = memo or RelevanceMemo()
    known = {name: value for name, value in (given or {}).items() if value is not None}
    asked_groups: list[tuple[str, ...]] = []
    relevant: set[str] = set()
    changed = True
    for group in groups:
        if changed:  # the same facts known as for the group before: the same answer
            facts = Facts(known)
            if slug is None:
                relevant = set(relevant_facts(facts, as_of, parameters=parameters, memo=memo))
            else:
                relevant = set(relevant_facts_for(slug, facts, as_of, parameters=parameters, memo=memo))
            changed = False
        asked = tuple(name for name in group if name in relevant)
        asked_groups.append(asked)
        for name in asked:
            if answers.get(name) is not None:
                known[name] = answers[name]
                changed = True
    return asked_groups


def _context(known: Facts, as_of: date, parameters: ParameterSet) -> Context:
    return Context(facts=known, as_of=as_of, parameters=parameters, region_served=settings.LINGHUO_REGION_CODE)


# The facts each programme's rules read (its leaves and its amount), by programme.
_FACTS_READ: dict[ProgrammeRules, tuple[str, ...]] = {}


def _facts_read(rules: ProgrammeRules) -> tuple[str, ...]:
    found = _FACTS_READ.get(rules)
    if found is None:
        names = {leaf.fact for criterion in rules.criteria for leaf in criterion.rule.leaves()}
        names |= set(rules.amount.facts() if rules.amount else ())
        found = _FACTS_READ[rules] = tuple(name for name in FACT_FIELDS if name in names)
    return found


def _relevant_memoised(programme: ProgrammeInfo, context: Context, found_by_key: dict, options: dict) -> frozenset[str]:
    rules = PROGRAMMES.get(programme.slug)
    if rules is None or not programme.in_force_on(context.as_of) or context.parameters.missing(rules.parameter_keys()):
        return frozenset()
    # Only the facts this programme reads decide its answer.
    key = (programme.slug, *(context.facts.get(name) for name in _facts_read(rules)))
    found = found_by_key.get(key)
    if found is None:
        found = found_by_key[key] = frozenset(_relevant_for_programme(programme.slug, rules, context, options))
    return found


def _relevant_for_programme(slug: str, rules: ProgrammeRules, context: Context, known_options: dict) -> set[str]:
    if any(criterion.rule.evaluate(context).passed is False for criterion in rules.criteria):
        return set()  # ineligible whatever else is answered
    free, fixed = _leaves(rules, context)
    names = list(free)
    options = {}
    for name in names:
        vectors = known_options.get((slug, name))
        if vectors is None:
            vectors = known_options[slug, name] = _leaf_vectors(name, free[name], context)
        options[name] = vectors
    amount_facts = {name for name in (rules.amount.facts() if rules.amount else ()) if name not in context.facts}
    combinations_count = 1
    for vectors in options.values():
        combinations_count *= len(vectors)
    if combinations_count > MAX_COMBINATIONS:
        return set(names) | amount_facts

    relevant: set[str] = set()
    pivotal_by_group: list[set[str]] = []
    for group_facts, criteria in _groups(slug, rules, free):
        if not group_facts:  # decided by known facts alone
            if not all(criterion.rule.decide(fixed) for criterion in criteria):
                return set()  # false whatever the unknown facts: nothing can change it
            continue
        results: dict[tuple[int, ...], bool] = {}
        group_options = [options[name] for name in group_facts]
        values = dict(fixed)
        for choice in product(*(range(len(vectors)) for vectors in group_options)):
            for name, vectors, index in zip(group_facts, group_options, choice, strict=True):
                for leaf, passed in zip(free[name], vectors[index], strict=True):
                    values[id(leaf)] = passed
            results[choice] = all(criterion.rule.decide(values) for criterion in criteria)
        if not any(results.values()):
            return set()  # this group never holds, so the programme never does
        pivotal_by_group.append({name for position, name in enumerate(group_facts) if _pivotal(results, position)})
    # Every group can hold: a fact that changes its group changes the programme.
    for pivotal in pivotal_by_group:
        relevant |= pivotal
    return relevant | amount_facts


# The criteria of a programme grouped by shared unknown facts, by (programme, unknown facts).
_GROUPS: dict[tuple[ProgrammeRules, tuple[str, ...]], list[tuple[list[str], list]]] = {}


def _groups(slug: str, rules: ProgrammeRules, free: dict[str, list[Node]]) -> list[tuple[list[str], list]]:
    """The criteria in groups that share no unknown fact, each with its unknown facts
    (in the order of ``free``); the criteria decided by known facts make one group
    without facts. It depends only on which facts are unknown."""
    key = (rules, tuple(free))
    found = _GROUPS.get(key)
    if found is None:
        found = _GROUPS[key] = _grouped(rules, free)
    return found


def _grouped(rules: ProgrammeRules, free: dict[str, list[Node]]) -> list[tuple[list[str], list]]:
    owner = {id(leaf): name for name, leaves in free.items() for leaf in leaves}
    parent = {name: name for name in free}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    facts_of = []
    for criterion in rules.criteria:
        names = list(dict.fromkeys(owner[id(leaf)] for leaf in criterion.rule.leaves() if id(leaf) in owner))
        facts_of.append(names)
        for other in names[1:]:
            parent[root(other)] = root(names[0])
    by_root: dict[str | None, list] = {}
    for criterion, names in zip(rules.criteria, facts_of, strict=True):
        by_root.setdefault(root(names[0]) if names else None, []).append(criterion)
    groups = []
    for group_root, criteria in by_root.items():
        group_facts = [] if group_root is None else [name for name in free if root(name) == group_root]
        groups.append((group_facts, criteria))
    return groups


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
