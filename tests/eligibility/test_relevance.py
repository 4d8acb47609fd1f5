"""Which facts can still change an outcome, from the rule trees (eligibility.relevance)."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.engine import Status, evaluate, relevant_facts, relevant_facts_for
from eligibility.facts import FACT_FIELDS, EmploymentForm, Facts, FactType, Group
from eligibility.parameter_set import ParameterSet
from eligibility.rules import PROGRAMMES

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 3, 1)

# A few values of each fact, enough to reach every outcome of every programme on AS_OF.
VALUES = {
    "birth_date": [date(1990, 1, 1), date(2015, 1, 1), date(1950, 1, 1)],
    "region": ["330802", "000000"],
    "groups": [
        frozenset(),
        frozenset({Group.COLLEGE_GRADUATE}),
        frozenset({Group.EMPLOYMENT_DIFFICULTY}),
        frozenset({Group.REGISTERED_UNEMPLOYED}),
        frozenset({Group.MIGRANT_WORKER}),
        frozenset({Group.LOW_INCOME_HOUSEHOLD}),
    ],
    "graduation_date": [AS_OF - timedelta(days=200), date(2000, 6, 30), date(AS_OF.year, 1, 1)],
    "employed_since_graduation": [True, False],
    "employment_form": [
        EmploymentForm.PART_TIME,
        EmploymentForm.SELF_EMPLOYED,
        EmploymentForm.EMPLOYEE,
        EmploymentForm.PLATFORM,
        EmploymentForm.UNEMPLOYED,
    ],
    "plans_business": [True, False],
    "business_registered": [True, False],
    "business_registered_on": [AS_OF - timedelta(days=30), date(2010, 1, 1)],
    "pays_flexible_pension": [True, False],
    "pays_flexible_medical": [True, False],
    "public_service_post_months": [0, 3, 8],
    "training_certificate": [True, False],
    "hardship_declared": [True, False],
    "requested_loan_amount": [Decimal("1000.00"), Decimal("900000.00")],
    "training_days": [0, 5, 40],
    "works_in_construction": [True, False],
    "rents_state_owned_premises": [True, False],
}
assert set(VALUES) == set(FACT_FIELDS)

known_facts = st.fixed_dictionaries({}, optional={name: st.sampled_from(values) for name, values in VALUES.items()})


@pytest.fixture
def parameters():
    return ParameterSet.in_force(AS_OF)


def outcome(facts: Facts, slug: str, parameters) -> tuple:
    result = next(r for r in evaluate(facts, AS_OF, parameters=parameters) if r.programme_slug == slug)
    return result.status, result.amount


def programme_facts(slug: str) -> set[str]:
    rules = PROGRAMMES[slug]
    names = {leaf.fact for criterion in rules.criteria for leaf in criterion.rule.leaves()}
    return names | set(rules.amount.facts() if rules.amount else ())


def can_change(name: str, known: dict, slug: str, parameters) -> bool:
    """Brute force: some completion of the programme's other unknown facts where two
    values of ``name`` give different statuses or amounts."""
    others = sorted(programme_facts(slug) - set(known) - {name})
    for completion in product(*(VALUES[other] for other in others)):
        base = {**known, **dict(zip(others, completion, strict=True))}
        outcomes = {outcome(Facts({**base, name: value}), slug, parameters) for value in VALUES[name]}
        if len(outcomes) > 1:
            return True
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(known=known_facts)
def test_every_relevant_fact_can_change_some_programme(parameters, known):
    relevant = relevant_facts(Facts(known), AS_OF, parameters=parameters)
    assert not set(relevant) & set(Facts(known))
    for name in relevant:
        assert any(
            name in programme_facts(slug) and can_change(name, dict(Facts(known)), slug, parameters)
            for slug in PROGRAMMES
        ), name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(known=known_facts, data=st.data())
def test_answering_the_relevant_facts_leaves_no_programme_needing_information(parameters, known, data):
    facts = dict(known)
    for _round in range(len(FACT_FIELDS)):
        relevant = relevant_facts(Facts(facts), AS_OF, parameters=parameters)
        if not relevant:
            break
        for name in relevant:
            facts[name] = data.draw(st.sampled_from(VALUES[name]), label=name)
    assert not relevant_facts(Facts(facts), AS_OF, parameters=parameters)
    results = evaluate(Facts(facts), AS_OF, parameters=parameters)
    assert all(result.status != Status.NEEDS_INFO for result in results)


def test_nothing_known_makes_every_fact_relevant(parameters):
    assert relevant_facts(Facts(), AS_OF, parameters=parameters) == list(FACT_FIELDS)


def test_graduation_only_for_graduates(parameters):
    known = {"region": "330802", "birth_date": date(1990, 1, 1)}
    graduate = relevant_facts(Facts(known, groups={Group.COLLEGE_GRADUATE}), AS_OF, parameters=parameters)
    other = relevant_facts(Facts(known, groups={Group.LAID_OFF}), AS_OF, parameters=parameters)
    assert "graduation_date" in graduate and "employed_since_graduation" in graduate
    assert "graduation_date" not in other and "employed_since_graduation" not in other


def test_outside_the_region_or_working_age_nothing_is_relevant(parameters):
    assert relevant_facts(Facts(region="000000"), AS_OF, parameters=parameters) == []
    assert relevant_facts(Facts(birth_date=date(1950, 1, 1)), AS_OF, parameters=parameters) == []
    assert "groups" in relevant_facts(Facts(region="330881"), AS_OF, parameters=parameters)


def test_tests_on_the_same_form_of_work_are_weighed_together(parameters):
    # Self-employed already is "self-employed or plans a business": the plan cannot matter.
    known = Facts(
        region="330802",
        birth_date=date(1990, 1, 1),
        groups={Group.MIGRANT_WORKER},
        employment_form=EmploymentForm.SELF_EMPLOYED,
    )
    relevant = relevant_facts(known, AS_OF, parameters=parameters)
    assert "plans_business" not in relevant
    assert {"business_registered", "business_registered_on", "requested_loan_amount"} <= set(relevant)


def test_not_registered_yet_needs_no_registration_date(parameters):
    known = Facts(
        region="330802",
        birth_date=date(1990, 1, 1),
        groups={Group.MIGRANT_WORKER},
        employment_form=EmploymentForm.SELF_EMPLOYED,
        business_registered=False,
    )
    assert "business_registered_on" not in relevant_facts_for("startup-subsidy", known, AS_OF, parameters=parameters)


def test_amount_facts_count_while_the_programme_can_be_eligible(parameters):
    difficulty = Facts(region="330802", birth_date=date(1990, 1, 1), groups={Group.EMPLOYMENT_DIFFICULTY})
    assert "public_service_post_months" in relevant_facts_for(
        "public-service-job-subsidy", difficulty, AS_OF, parameters=parameters
    )
    entrepreneur = Facts(region="330802", birth_date=date(1990, 1, 1), groups={Group.LAID_OFF}, plans_business=True)
    assert relevant_facts_for("startup-loan", entrepreneur, AS_OF, parameters=parameters) == ["requested_loan_amount"]
    nobody = Facts(region="330802", birth_date=date(1990, 1, 1), groups=set())
    assert relevant_facts_for("startup-loan", nobody, AS_OF, parameters=parameters) == []


def test_every_fact_has_a_type_the_test_values_cover():
    for name, field in FACT_FIELDS.items():
        assert field.type in set(FactType)
        assert VALUES[name]
