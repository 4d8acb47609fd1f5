"""Whatever a client sends, the screening API answers without a server error,
and the same request always gets the same answer."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eligibility.facts import FACT_FIELDS, EmploymentForm, Group
from eligibility.rules import PROGRAMMES

SCREENINGS = "/api/v1/screenings"

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
dates = st.dates().map(lambda day: day.isoformat())
date_like = dates | st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z", fullmatch=True)

# Values of the right type (mostly valid facts) and anything at all (mostly invalid).
PLAUSIBLE = {
    "birth_date": date_like,
    "region": st.sampled_from(["330800", "110000"]) | st.from_regex(r"\A\d{5,7}\Z", fullmatch=True),
    "groups": st.lists(st.sampled_from([*Group.values, "student"]), max_size=4),
    "graduation_date": date_like,
    "employed_since_graduation": st.booleans(),
    "employment_form": st.sampled_from([*EmploymentForm.values, "astronaut"]),
    "plans_business": st.booleans(),
    "business_registered": st.booleans(),
    "business_registered_on": date_like,
    "pays_flexible_pension": st.booleans(),
    "pays_flexible_medical": st.booleans(),
    "public_service_post_months": st.integers(min_value=-3, max_value=10**6),
    "training_certificate": st.booleans(),
    "hardship_declared": st.booleans(),
    "requested_loan_amount": st.decimals(min_value=-1, max_value=10**13, places=2).map(str)
    | st.floats(allow_nan=False, allow_infinity=True)
    | st.integers(min_value=0, max_value=10**20),
    "training_days": st.integers(min_value=-3, max_value=1000),
    "works_in_construction": st.booleans(),
    "rents_state_owned_premises": st.booleans(),
}
assert set(PLAUSIBLE) == set(FACT_FIELDS)

facts = (
    st.fixed_dictionaries({}, optional=PLAUSIBLE)
    | st.fixed_dictionaries({}, optional={name: strategy | json_values for name, strategy in PLAUSIBLE.items()})
    | st.dictionaries(st.sampled_from([*FACT_FIELDS, "unknown", ""]) | st.text(max_size=8), json_values, max_size=6)
)

plausible_bodies = st.fixed_dictionaries(
    {},
    optional={
        "as_of": dates | st.sampled_from(["2021-11-30", "2021-12-01", "2024-03-01"]),
        "facts": st.fixed_dictionaries({}, optional=PLAUSIBLE),
    },
)
bodies = plausible_bodies | st.fixed_dictionaries(
    {},
    optional={"as_of": date_like | json_values, "facts": facts | json_values, "other": json_values},
)


@pytest.fixture
def api(db, settings):
    settings.LINGHUO_SCREENING_RATE = None  # no limit: hypothesis sends many requests
    cache.clear()
    return Client()


def post(api, text: str, language: str):
    return api.post(SCREENINGS, text, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, language=st.sampled_from(["en", "zh-hans", "", "fr, en;q=0.5"]))
def test_any_json_body_gets_a_contract_answer_and_the_same_one_twice(api, body, language):
    text = json.dumps(body)

    first = post(api, text, language)
    event(f"status {first.status_code}")
    second = post(api, text, language)

    assert first.status_code in (200, 400), first.content
    assert (second.status_code, second.content) == (first.status_code, first.content)
    answer = first.json()
    if first.status_code == 400:
        assert set(answer) == {"errors"}
        assert answer["errors"]
        assert all(isinstance(messages, list) and messages for messages in answer["errors"].values())
    else:
        assert len(answer["results"]) == len(PROGRAMMES) == 15
        for result in answer["results"]:
            assert result["status"] in {"eligible", "ineligible", "needs_info", "not_in_force"}
            if result["status"] != "eligible":
                assert result["amount"] is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_any_bytes_get_an_answer_not_a_server_error(api, raw):
    response = api.post(SCREENINGS, raw, content_type="application/json")

    assert response.status_code in (200, 400)
    assert set(response.json()) in ({"errors"}, {"as_of", "results", "local_settings"})
