"""A criterion decided for one person is reused for the next with the same values of the
facts it reads (``eligibility.engine._decided_before``): that is right only if criteria
read no other fact, and a reused result must be the result a fresh evaluation gives."""

import dataclasses
from datetime import date

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility import engine
from eligibility.engine import evaluate, facts_read
from eligibility.facts import Facts, Group
from eligibility.parameter_set import ParameterSet
from eligibility.rules import PROGRAMMES
from eligibility.rules.logic import Context
from eligibility.wording import EN, ZH
from tests.eligibility.test_columns import parameters_on, person

pytestmark = pytest.mark.django_db


class RecordingFacts(Facts):
    """Facts that note every fact read."""

    def __init__(self, facts: Facts):
        super().__init__(dict(facts.items()))
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> object:
        self.read.add(name)
        return super().__getitem__(name)


@st.composite
def cases(draw):
    as_of = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2032, 12, 31)))
    return as_of, draw(person(as_of))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases())
def test_every_criterion_reads_only_the_facts_of_its_leaves(case):
    as_of, facts = case
    parameters = parameters_on(as_of)
    for programme in parameters.programmes:
        if as_of < programme.in_force_from:
            continue  # not evaluated: the engine answers not_in_force
        for criterion in PROGRAMMES[programme.slug].criteria:
            recording = RecordingFacts(facts)
            context = Context(
                facts=recording, as_of=as_of, parameters=parameters, region_served=django_settings.LINGHUO_REGION_CODE
            )
            result = criterion.evaluate(context)
            result.explanation(ZH), result.explanation(EN)  # rendering reads nothing more either
            assert recording.read <= set(facts_read(criterion)), (criterion.__name__, recording.read)


def _answer(results) -> list:
    return [
        (
            result.programme_slug,
            str(result.status),
            result.amount,
            list(result.missing_facts),
            [(c.id, c.passed, c.explanation(ZH), c.explanation(EN), c.source) for c in result.criteria],
            result.amount_explanation(ZH),
            result.amount_explanation(EN),
        )
        for result in results
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(cases(), min_size=2, max_size=6))
def test_a_remembered_result_is_the_result_of_a_fresh_evaluation(people):
    for as_of, facts in people:
        parameters = parameters_on(as_of)
        remembered = _answer(evaluate(facts, as_of, parameters=parameters))
        engine._MEMOS.clear()
        assert _answer(evaluate(facts, as_of, parameters=parameters)) == remembered


def test_a_new_parameter_set_does_not_reuse_what_the_old_one_decided():
    as_of = date(2024, 3, 1)
    facts = Facts(
        birth_date=date(1999, 5, 2),
        groups={Group.COLLEGE_GRADUATE},
        graduation_date=date(2023, 6, 30),
        employed_since_graduation=False,
    )
    before = ParameterSet.in_force(as_of)
    evaluate(facts, as_of, parameters=before)
    key = "si.graduate_window_months"
    changed = ParameterSet(
        as_of, {**before._parameters, key: dataclasses.replace(before.get(key), value=1)}, before.programmes
    )  # a window of one month: the graduate of June 2023 is out of it in March 2024
    subsidy = {r.programme_slug: r for r in evaluate(facts, as_of, parameters=changed)}["flexible-si-subsidy"]
    assert [c.passed for c in subsidy.criteria if c.id == "target-group"] == [False]
    first = {r.programme_slug: r for r in evaluate(facts, as_of, parameters=before)}["flexible-si-subsidy"]
    assert [c.passed for c in first.criteria if c.id == "target-group"] == [True]


def test_the_memo_is_emptied_when_full(monkeypatch):
    monkeypatch.setattr(engine, "MEMO_LIMIT", 5)
    engine._MEMOS.clear()
    parameters = ParameterSet.in_force(date(2024, 3, 1))
    for year in range(1970, 1990):
        evaluate(Facts(birth_date=date(year, 1, 1)), date(2024, 3, 1), parameters=parameters)
    memo = engine._MEMOS[parameters][(date(2024, 3, 1), django_settings.LINGHUO_REGION_CODE)]
    assert 0 < len(memo) <= 5
