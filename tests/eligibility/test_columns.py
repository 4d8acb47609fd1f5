"""The column evaluator agrees with ``evaluate()`` person by person, for every programme."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eligibility import columns
from eligibility.columns import PersonTable, UncompiledRule, evaluate_columns, explain, results_at
from eligibility.dates import add_months, age_on
from eligibility.engine import evaluate
from eligibility.facts import FACT_FIELDS, EmploymentForm, Facts, FactType, Group
from eligibility.parameter_set import ParameterSet
from eligibility.rules import PROGRAMMES
from eligibility.rules.logic import All, Node

pytestmark = pytest.mark.django_db

_PARAMETERS: dict[date, ParameterSet] = {}


def parameters_on(as_of: date) -> ParameterSet:
    if as_of not in _PARAMETERS:
        _PARAMETERS[as_of] = ParameterSet.in_force(as_of)
    return _PARAMETERS[as_of]


@pytest.fixture(autouse=True)
def _fresh_parameters():
    _PARAMETERS.clear()  # each test has its own database transaction
    yield
    _PARAMETERS.clear()


def near(as_of: date, *, years_back: tuple[int, int] = (0, 12)):
    """Dates around the boundaries that matter on ``as_of``: whole months back, give or take a day."""
    months_back = st.integers(min_value=12 * years_back[0], max_value=12 * years_back[1])
    around_window = st.builds(lambda m, d: add_months(as_of, -m) + timedelta(days=d), months_back, st.integers(-2, 2))
    return st.one_of(
        around_window,
        around_window,
        around_window,
        st.builds(lambda days: as_of + timedelta(days=days), st.integers(-40, 40)),
        st.dates(),  # anywhere, including years near 1 and 9999 (add_months saturates)
    )


# Mostly values that let programmes hold, so that every status and amount is reached often.
VALUES = {
    FactType.REGION: st.sampled_from(["330800", "330802", "330881", "330800", "110000", "000000", "000001"]),
    FactType.GROUPS: st.frozensets(st.sampled_from(Group.values), min_size=1, max_size=3) | st.just(frozenset()),
    FactType.EMPLOYMENT_FORM: st.sampled_from(EmploymentForm.values),
    FactType.BOOL: st.sampled_from([True, True, False]),
    FactType.INT: st.integers(min_value=0, max_value=30)
    | st.integers(min_value=1, max_value=12)
    | st.integers(min_value=0, max_value=10**30),
    FactType.DECIMAL: st.decimals(min_value=0, max_value=2_000_000, places=2)
    | st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
}


@st.composite
def person(draw, as_of: date) -> Facts:
    values = {}
    for name, field in FACT_FIELDS.items():
        if draw(st.integers(0, 5)) == 0:  # one fact in six is unknown
            continue
        if name == "birth_date":
            values[name] = draw(near(as_of, years_back=(14, 62)))
        elif field.type == FactType.DATE:
            values[name] = draw(near(as_of))
        elif field.type in VALUES:
            values[name] = draw(VALUES[field.type])
        else:  # a fact type added to the catalogue: the table builder must say it cannot encode it
            raise AssertionError(f"test_columns has no strategy for facts of type {field.type}")
    if values.get("business_registered") is False:
        values.pop("business_registered_on", None)  # parse_facts refuses a date with "not registered"
    return Facts(values)


def ceiling(facts: Facts) -> Facts:
    """Whole numbers above ``INT_CEILING`` are stored as the ceiling (same results, see columns.py)."""
    numbers = {name: min(value, columns.INT_CEILING) for name, value in facts.items() if type(value) is int}
    return Facts({**facts, **numbers})


@st.composite
def screenings(draw):
    as_of = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2032, 12, 31)))
    people = draw(st.lists(person(as_of), min_size=1, max_size=12))
    return as_of, people


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(screenings())
def test_the_column_evaluator_agrees_with_evaluate_for_every_programme(case):
    as_of, people = case
    parameters = parameters_on(as_of)
    table = PersonTable.from_facts(people)
    found = evaluate_columns(table, as_of, parameters=parameters)
    assert list(found) == [programme.slug for programme in parameters.programmes]
    for slug, result in found.items():
        for status, count in result.counts().items():
            if count:
                event(f"{slug}: {status}")
    for index, facts in enumerate(people):
        assert table.facts_at(index) == ceiling(facts)
        expected = [
            (result.programme_slug, str(result.status), result.amount, list(result.missing_facts))
            for result in evaluate(facts, as_of, parameters=parameters)
        ]
        assert results_at(found, index) == expected


def test_every_programme_is_checked():
    parameters = ParameterSet.in_force(date(2024, 3, 1))
    assert {programme.slug for programme in parameters.programmes} == set(PROGRAMMES)


def test_the_catalogue_example_and_its_explanation():
    as_of = date(2024, 3, 1)
    graduate = Facts(
        birth_date=date(1999, 5, 2),
        groups={Group.COLLEGE_GRADUATE},
        graduation_date=date(2023, 6, 30),
        employed_since_graduation=False,
        employment_form=EmploymentForm.PART_TIME,
        pays_flexible_pension=True,
    )
    table = PersonTable.from_facts([graduate, Facts()])
    found = evaluate_columns(table, as_of, parameters=ParameterSet.in_force(as_of))
    first = next(iter(found.values()))
    assert first.status_at(0) == "eligible"
    assert first.amount_at(0).value == Decimal("500.00") and first.amount_at(0).max_periods == 24
    assert first.status_at(1) == "needs_info"
    assert "birth_date" in first.missing_facts_at(1) and first.amount_at(1) is None
    assert first.counts()["eligible"] == 1
    explained = explain(table, 0, as_of)
    assert explained[0].status == "eligible" and explained[0].criteria[0].explanation("en")


def test_only_selects_programmes():
    as_of = date(2024, 3, 1)
    slug = next(iter(PROGRAMMES))
    found = evaluate_columns(
        PersonTable.from_facts([Facts()]), as_of, parameters=ParameterSet.in_force(as_of), only=[slug]
    )
    assert list(found) == [slug]


@given(st.dates(), st.integers(min_value=-1200, max_value=1200))
def test_add_months_over_a_column_is_add_months(day, months):
    table = PersonTable.from_facts([Facts(birth_date=day)])
    _, index, day_of_month = table.date_parts("birth_date")
    assert columns.add_months_columns(index, day_of_month, months)[0].astype(object) == add_months(day, months)


@given(st.dates(), st.dates(), st.integers(min_value=0, max_value=1200))
def test_a_window_holds_exactly_from_its_first_date(day, as_of, months):
    """The column evaluator compares a date with the first one inside ``as_of <= add_months(D, N)``:
    exact because add_months never decreases as D grows (clamping and saturation included)."""
    first = columns._first_date_within(add_months, months, as_of)
    assert (as_of <= add_months(day, months)) == (first is not None and day >= first)
    if first is not None and first > date.min:
        assert add_months(first - timedelta(days=1), months) < as_of


@given(st.dates(), st.dates())
def test_age_over_a_column_is_age_on(birth, as_of):
    table = PersonTable.from_facts([Facts(birth_date=birth)])
    known, age = columns.age_columns(table, as_of)
    assert known[0] and int(age[0]) == (age_on(birth, as_of) if birth <= as_of else 0)


def test_an_unknown_condition_is_refused_not_skipped(monkeypatch):
    class Novel(Node):
        pass

    rules = next(iter(PROGRAMMES.values()))
    criterion = rules.criteria[0]
    monkeypatch.setattr(criterion, "rule", All(criterion.rule, Novel()))
    as_of = date(2024, 3, 1)
    with pytest.raises(UncompiledRule, match="Novel"):
        evaluate_columns(PersonTable.from_facts([Facts()]), as_of, parameters=ParameterSet.in_force(as_of))


def test_raw_columns_are_checked():
    with pytest.raises(ValueError, match="Unknown fact columns"):
        PersonTable.from_columns(1, shoe_size=[42])
    with pytest.raises(ValueError, match="1, 0 or -1"):
        PersonTable.from_columns(2, plans_business=np.array([2, 0]))
    with pytest.raises(ValueError, match="length 3"):
        PersonTable.from_columns(3, region=np.array([330800]))
    table = PersonTable.from_columns(2, region=np.array([330800, -1]))
    assert table.facts_at(0) == Facts(region="330800") and table.facts_at(1) == Facts()


def test_raw_columns_screen_like_facts():
    as_of = date(2024, 3, 1)
    n = 4
    table = PersonTable.from_columns(
        n,
        birth_date=np.array(["1999-05-02", "1950-01-01", "NaT", "1999-05-02"], dtype="datetime64[D]"),
        groups=np.array([columns.GROUP_BIT[Group.EMPLOYMENT_DIFFICULTY]] * n),
        groups_known=np.array([True, True, True, False]),
        employment_form=np.full(n, columns.CODES[FactType.EMPLOYMENT_FORM].index(EmploymentForm.PART_TIME)),
        pays_flexible_medical=np.ones(n, dtype=np.int8),
    )
    parameters = ParameterSet.in_force(as_of)
    found = evaluate_columns(table, as_of, parameters=parameters)
    for index in range(n):
        expected = [
            (result.programme_slug, str(result.status), result.amount, list(result.missing_facts))
            for result in evaluate(table.facts_at(index), as_of, parameters=parameters)
        ]
        assert results_at(found, index) == expected


# One person eligible for each programme; with each fact left out in turn, the
# statuses move to needs_info or ineligible, and the two evaluators still agree.
ELIGIBLE_PROFILES = [
    {  # flexible-si-subsidy, training-subsidy
        "birth_date": "1999-05-02",
        "groups": ["college_graduate"],
        "graduation_date": "2023-06-30",
        "employed_since_graduation": False,
        "employment_form": "part_time",
        "pays_flexible_pension": True,
        "pays_flexible_medical": False,  # flexible-insurance-enrolment
        "training_certificate": True,
    },
    {  # startup-subsidy, startup-loan, free-business-site, state-premises-rent-relief
        "birth_date": "1990-01-01",
        "region": "330802",
        "groups": ["laid_off"],
        "employment_form": "self_employed",
        "business_registered_on": "2024-01-01",
        "requested_loan_amount": "900000.00",
        "rents_state_owned_premises": True,
    },
    {  # training-living-allowance, startup-tax-relief (registered unemployed)
        "birth_date": "1988-07-31",
        "groups": ["registered_unemployed"],
        "employment_form": "self_employed",
        "business_registered_on": "2021-03-01",
        "training_certificate": True,
        "training_days": 45,
    },
    {  # construction-injury-insurance, startup-tax-relief (a graduate of the year)
        "birth_date": "2001-01-01",
        "region": "330881",
        "groups": ["college_graduate", "migrant_worker"],
        "graduation_date": "2024-01-15",
        "employment_form": "self_employed",
        "business_registered_on": "2024-02-01",
        "works_in_construction": True,
    },
    {  # public-service-job-subsidy
        "birth_date": "1980-02-29",
        "groups": ["employment_difficulty"],
        "employment_form": "unemployed",
        "public_service_post_months": 9,
    },
    {  # occupational-injury-cover, pension-suspension, entrepreneurship-training, subsistence-assistance-referral
        "birth_date": "1985-12-31",
        "employment_form": "platform",
        "pays_flexible_pension": True,
        "hardship_declared": True,
        "plans_business": True,
        "requested_loan_amount": "1234.56",
    },
]


def test_every_programme_agrees_on_eligible_people_and_on_each_fact_left_out():
    from eligibility.facts import parse_facts

    as_of = date(2024, 3, 1)
    people = []
    for profile in ELIGIBLE_PROFILES:
        people.append(parse_facts(profile))
        people += [parse_facts({k: v for k, v in profile.items() if k != name}) for name in profile]
    parameters = ParameterSet.in_force(as_of)
    found = evaluate_columns(PersonTable.from_facts(people), as_of, parameters=parameters)
    for index, facts in enumerate(people):
        expected = [
            (result.programme_slug, str(result.status), result.amount, list(result.missing_facts))
            for result in evaluate(facts, as_of, parameters=parameters)
        ]
        assert results_at(found, index) == expected
    assert all(result.counts()["eligible"] >= 1 for result in found.values()), {
        slug: result.counts() for slug, result in found.items()
    }
    assert all(result.counts()["needs_info"] >= 1 for result in found.values())
