"""The schema says exactly what the screening API does (issue 10, item 8).

Schemathesis reads ``/api/v1/schema`` from the Django WSGI application in
process, sends what the schema allows and what it forbids, and runs every
check it has (the CLI's ``--checks all``): no server error, every answer as
documented, what the schema allows accepted, what it forbids refused. The
budget is bounded (``MAX_EXAMPLES`` per operation and phase). The explicit tests
below pin the three mismatches it once found and the future dates that the
screener and the API both refuse.
"""

import json
import re
from datetime import date, timedelta

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks

from eligibility.api.serializers import not_after_pattern
from eligibility.facts import FACT_FIELDS, future_date_error, future_date_errors
from eligibility.screener.questions import QUESTIONS
from portal.wsgi import application

pytestmark = pytest.mark.django_db

SCREENINGS = "/api/v1/screenings"
PROGRAMS = "/api/v1/programs"
MAX_EXAMPLES = 200  # per operation and phase: about 15 s in all
PAST_ONLY = [name for name, field in FACT_FIELDS.items() if field.not_after_today]
EXAMPLE = {
    "as_of": "2024-03-01",
    "facts": {
        "birth_date": "1999-05-02",
        "groups": ["college_graduate"],
        "graduation_date": "2023-06-30",
        "employed_since_graduation": False,
        "employment_form": "part_time",
        "pays_flexible_pension": True,
    },
}

load_all_checks()
schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", application)


@pytest.fixture(autouse=True)
def _in_process_wsgi(settings):
    # Thousands of requests from one address: the rate limit is not what is tested here.
    settings.LINGHUO_SCREENING_RATE = "1000000/minute"
    cache.clear()
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_schema_says(case):
    case.call_and_validate(checks=CHECKS.get_all())


def test_every_check_of_schemathesis_runs():
    names = set(CHECKS.get_all_names())
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "unsupported_method",
    } <= names


# --- The schema -------------------------------------------------------------------------------


@pytest.fixture
def openapi(client):
    return json.loads(client.get("/api/v1/schema", {"format": "json"}).content)


def component(openapi, name):
    return openapi["components"]["schemas"][name]


def test_the_request_and_its_facts_allow_no_other_fields(openapi, client):
    assert component(openapi, "ScreeningRequest")["additionalProperties"] is False
    assert component(openapi, "Facts")["additionalProperties"] is False
    assert openapi["paths"][SCREENINGS]["post"]["requestBody"]["required"] is True

    response = client.post(SCREENINGS, {**EXAMPLE, "person": {}}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"person"}
    response = client.post(SCREENINGS, {"facts": {**EXAMPLE["facts"], "name": "x"}}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"facts.name"}


@pytest.mark.parametrize("where", ["body", "query"])
def test_an_empty_as_of_is_refused(client, where):
    if where == "body":
        response = client.post(SCREENINGS, {"as_of": ""}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    else:
        response = client.get(f"{PROGRAMS}?as_of=", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {"errors": {"as_of": ["Enter a date as YYYY-MM-DD, for example 2024-03-01."]}}


def test_absent_or_null_as_of_is_today(client):
    today = timezone.localdate().isoformat()
    assert client.get(PROGRAMS).json()["as_of"] == today
    assert client.post(SCREENINGS, {"as_of": None}, content_type="application/json").json()["as_of"] == today


def test_any_accept_language_is_allowed_and_an_unknown_one_answers_in_chinese(openapi, client):
    for operation in (openapi["paths"][SCREENINGS]["post"], openapi["paths"][PROGRAMS]["get"]):
        header = next(parameter for parameter in operation["parameters"] if parameter["name"] == "Accept-Language")
        assert header["schema"] == {"type": "string"}
        assert "enum" not in header["schema"]

    def language_of(value):
        response = client.post(
            SCREENINGS, {"facts": {"birth_date": "2023-02-30"}}, content_type="application/json", **value
        )
        assert response.status_code == 400
        return response.json()["errors"]["facts.birth_date"][0]

    english = language_of({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"})
    assert english == "This date does not exist."
    chinese = language_of({"HTTP_ACCEPT_LANGUAGE": "zh-CN"})
    assert chinese != english
    for unknown in ("AAA", "fr-FR", "", "*", "xx;q=bad"):
        assert language_of({"HTTP_ACCEPT_LANGUAGE": unknown}) == chinese
    assert language_of({}) == chinese


def test_the_date_pattern_is_todays(openapi):
    facts = component(openapi, "Facts")["properties"]
    today = timezone.localdate()
    for name in PAST_ONLY:
        pattern = re.compile(facts[name]["pattern"])
        assert pattern.fullmatch(today.isoformat())
        assert not pattern.fullmatch((today + timedelta(days=1)).isoformat())
    assert facts["region"]["pattern"] == "^[0-9]{6}$"  # ASCII digits, as the API reads them


@given(day=st.dates(), today=st.dates(min_value=date(1000, 1, 1)))
def test_not_after_pattern_matches_exactly_the_days_up_to_today(day, today):
    assert bool(re.fullmatch(not_after_pattern(today), day.isoformat())) == (day <= today)


def test_the_schema_forbids_a_registration_date_for_an_unregistered_business(openapi, client):
    forbidden = component(openapi, "Facts")["not"]
    assert forbidden["required"] == ["business_registered", "business_registered_on"]
    assert forbidden["properties"]["business_registered"]["enum"] == [False]

    response = client.post(
        SCREENINGS,
        {"facts": {"business_registered": False, "business_registered_on": "2024-01-01"}},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_a_null_byte_answers_in_the_api_error_shape(client):
    response = client.get(f"{PROGRAMS}?as_of=%00")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["request"]


# --- Dates after today: both channels refuse them with one message ------------------------------


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def test_the_facts_that_cannot_be_in_the_future():
    assert PAST_ONLY == ["birth_date", "graduation_date", "business_registered_on"]


@pytest.mark.parametrize("name", PAST_ONLY)
@pytest.mark.parametrize(("language", "message"), [("en", "The date must be today or in the past."), ("zh-hans", None)])
def test_the_api_refuses_a_date_after_today(client, name, language, message):
    facts = {name: tomorrow().isoformat()}
    response = client.post(SCREENINGS, {"facts": facts}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [f"facts.{name}"]
    with translation.override(language):
        assert errors[f"facts.{name}"] == [future_date_error(name, tomorrow())]
    if message:
        assert errors[f"facts.{name}"] == [message]
    else:
        assert errors[f"facts.{name}"][0] != "The date must be today or in the past."
        assert re.search(r"[\u4e00-\u9fff]", errors[f"facts.{name}"][0])


@pytest.mark.parametrize("name", PAST_ONLY)
def test_the_api_accepts_today_and_any_as_of(client, name):
    today = timezone.localdate().isoformat()
    for as_of in ("2024-03-01", "9999-12-31", "0001-01-01"):
        response = client.post(SCREENINGS, {"as_of": as_of, "facts": {name: today}}, content_type="application/json")
        assert response.status_code == 200, response.content


def test_every_future_date_is_reported_at_once(client):
    facts = {name: tomorrow().isoformat() for name in PAST_ONLY} | {"region": "1"}
    errors = client.post(SCREENINGS, {"facts": facts}, content_type="application/json").json()["errors"]

    assert set(errors) == {"facts.region", *(f"facts.{name}" for name in PAST_ONLY)}


@pytest.mark.parametrize("name", PAST_ONLY)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_screener_refuses_the_same_dates_with_the_same_message(client, name, language):
    question = QUESTIONS[name]
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            question.to_wire({name: tomorrow().isoformat()})
        api = client.post(
            SCREENINGS,
            {"facts": {name: tomorrow().isoformat()}},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        ).json()["errors"][f"facts.{name}"]
        assert refused.value.message_dict[name] == api
        assert question.to_wire({name: timezone.localdate().isoformat()}) == timezone.localdate().isoformat()


def test_the_screener_page_shows_the_message(english):
    response = english.post("/screening/about-you/", {"region": "330802", "birth_date": tomorrow().isoformat()})

    assert response.status_code == 200
    assert "The date must be today or in the past." in response.content.decode()


def test_future_date_errors_only_for_dates_of_past_only_facts():
    today = date(2024, 3, 1)
    later = date(2024, 3, 2)
    facts = {"birth_date": later, "graduation_date": today, "region": "330800", "business_registered_on": later}

    assert set(future_date_errors(facts, today=today)) == {"birth_date", "business_registered_on"}
    assert future_date_error("birth_date", "2024-03-02", today=today)  # the wire form too
    assert future_date_error("birth_date", "2024-02-30", today=today) is None  # not a date: parse_facts says so
    assert future_date_error("birth_date", 20240302, today=today) is None
    assert future_date_error("unknown", later, today=today) is None
