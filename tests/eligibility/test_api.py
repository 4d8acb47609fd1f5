"""The screening API's contract (catalogue, section 5)."""

import json

import pytest
import yaml
from django.core.cache import cache

from eligibility.models import Parameter, Programme

pytestmark = pytest.mark.django_db

SCREENINGS = "/api/v1/screenings"
PROGRAMS = "/api/v1/programs"

CATALOGUE_EXAMPLE = {
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
CATALOGUE_ORDER = [
    "flexible-si-subsidy",
    "startup-subsidy",
    "startup-loan",
    "public-service-job-subsidy",
    "occupational-injury-cover",
    "pension-suspension",
    "training-subsidy",
    "free-business-site",
    "flexible-insurance-enrolment",
    "entrepreneurship-training",
    "training-living-allowance",
    "subsistence-assistance-referral",
    "construction-injury-insurance",
    "state-premises-rent-relief",
    "startup-tax-relief",
]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def screen(client, body, *, language=None, content_type="application/json"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(SCREENINGS, data, content_type=content_type, **headers)


def by_programme(answer):
    return {result["program"]: result for result in answer["results"]}


# --- The answer ----------------------------------------------------------------------------


def test_catalogue_example_gives_the_social_insurance_subsidy(client):
    response = screen(client, CATALOGUE_EXAMPLE)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["as_of"] == "2024-03-01"
    subsidy = by_programme(answer)["flexible-si-subsidy"]
    assert subsidy["status"] == "eligible"
    amount = subsidy["amount"]
    assert {key: amount[key] for key in amount if key != "explanation"} == {
        "value": "500.00",
        "currency": "CNY",
        "per": "month",
        "max_periods": 24,
    }
    assert "500.00" in amount["explanation"]
    assert "si.min_monthly_contribution" in subsidy["local_settings"]
    assert subsidy["missing_facts"] == []
    assert {criterion["id"] for criterion in subsidy["criteria"]} >= {"target-group"}
    for criterion in subsidy["criteria"]:
        assert set(criterion) == {"id", "passed", "explanation", "source"}
        assert criterion["passed"] is True
        assert criterion["explanation"]
        assert criterion["source"]


def test_one_result_per_programme_in_catalogue_order(client):
    answer = screen(client, CATALOGUE_EXAMPLE).json()

    assert [result["program"] for result in answer["results"]] == CATALOGUE_ORDER
    assert len(answer["results"]) == Programme.objects.count()
    assert {tuple(result) for result in answer["results"]} == {
        ("program", "status", "amount", "criteria", "missing_facts", "local_settings", "see_also", "decided_by")
    }


def test_amount_is_null_without_cash_and_unless_eligible(client):
    answer = screen(client, CATALOGUE_EXAMPLE | {"facts": CATALOGUE_EXAMPLE["facts"] | {"employment_form": "platform"}})
    results = by_programme(answer.json())

    assert results["occupational-injury-cover"]["status"] == "eligible"
    assert results["occupational-injury-cover"]["amount"] is None
    assert results["startup-subsidy"]["status"] == "ineligible"
    assert results["startup-subsidy"]["amount"] is None


def test_one_off_and_loan_amounts_have_no_max_periods(client):
    facts = {
        "birth_date": "1990-01-01",
        "groups": ["laid_off"],
        "employment_form": "self_employed",
        "business_registered_on": "2024-01-15",
        "requested_loan_amount": "900000",
    }
    results = by_programme(screen(client, {"as_of": "2024-03-01", "facts": facts}).json())

    for slug, value, per in [("startup-subsidy", "10000.00", "once"), ("startup-loan", "800000.00", "loan")]:
        amount = results[slug]["amount"]
        assert set(amount) == {"value", "currency", "per", "explanation"}
        assert (amount["value"], amount["currency"], amount["per"]) == (value, "CNY", per)


def test_needs_info_lists_missing_facts(client):
    results = by_programme(screen(client, {"as_of": "2024-03-01", "facts": {}}).json())

    assert results["flexible-si-subsidy"]["status"] == "needs_info"
    assert results["flexible-si-subsidy"]["amount"] is None
    assert "birth_date" in results["flexible-si-subsidy"]["missing_facts"]
    assert "groups" in results["flexible-si-subsidy"]["missing_facts"]


def test_everything_is_optional(client):
    response = screen(client, {})

    assert response.status_code == 200
    assert len(response.json()["results"]) == len(CATALOGUE_ORDER)


def test_null_facts_are_unknown(client):
    response = screen(client, {"as_of": None, "facts": {"groups": None, "birth_date": None}})

    assert response.status_code == 200
    assert "groups" in by_programme(response.json())["flexible-si-subsidy"]["missing_facts"]


def test_every_programme_is_not_in_force_before_the_measures(client):
    answer = screen(client, CATALOGUE_EXAMPLE | {"as_of": "2021-11-30"}).json()

    assert answer["as_of"] == "2021-11-30"
    assert {result["status"] for result in answer["results"]} == {"not_in_force"}
    assert all(result["amount"] is None for result in answer["results"])
    assert len(answer["results"]) == len(CATALOGUE_ORDER)


def test_in_force_from_the_first_day(client):
    answer = screen(client, CATALOGUE_EXAMPLE | {"as_of": "2021-12-01"}).json()

    assert "not_in_force" not in {result["status"] for result in answer["results"]}


def test_explanations_follow_accept_language(client):
    english = screen(client, CATALOGUE_EXAMPLE, language="en").json()
    chinese = screen(client, CATALOGUE_EXAMPLE, language="zh-hans").json()
    default = screen(client, CATALOGUE_EXAMPLE).json()

    first_english = english["results"][0]["criteria"][0]["explanation"]
    first_chinese = chinese["results"][0]["criteria"][0]["explanation"]
    assert "college graduates" in first_english
    assert not first_chinese.isascii()
    assert first_chinese != first_english
    assert default["results"][0]["criteria"][0]["explanation"] == first_chinese

    # Only the words change, never the decision.
    def decisions(answer):
        return [
            {
                **result,
                "criteria": [c["passed"] for c in result["criteria"]],
                "amount": result["amount"] and {**result["amount"], "explanation": None},
                "see_also": [link["program"] for link in result["see_also"]],
                "decided_by": result["decided_by"] is not None,
            }
            for result in answer["results"]
        ]

    assert decisions(english) == decisions(chinese)
    amount_en = by_programme(english)["flexible-si-subsidy"]["amount"]["explanation"]
    assert "local setting" in amount_en
    assert by_programme(chinese)["flexible-si-subsidy"]["amount"]["explanation"] != amount_en


def test_local_settings_used_are_labelled(client):
    answer = screen(client, CATALOGUE_EXAMPLE).json()

    local = set(Parameter.objects.filter(local_default=True).values_list("key", flat=True))
    assert "si.min_monthly_contribution" in answer["local_settings"]
    assert set(answer["local_settings"]) <= local


def test_without_as_of_screens_for_today_in_shanghai(client):
    from django.utils import timezone

    answer = screen(client, {"facts": CATALOGUE_EXAMPLE["facts"]}).json()

    assert answer["as_of"] == timezone.localdate().isoformat()


def test_no_csrf_token_or_login_needed(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(SCREENINGS, json.dumps(CATALOGUE_EXAMPLE), content_type="application/json")

    assert response.status_code == 200


def test_screening_stores_nothing(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        screen(client, CATALOGUE_EXAMPLE)
    assert "sessionid" not in client.cookies


# --- Malformed input -----------------------------------------------------------------------


def assert_errors(response, *keys):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"errors"}
    assert set(body["errors"]) == set(keys)
    for messages in body["errors"].values():
        assert messages
        assert all(isinstance(message, str) and message for message in messages)
    return body["errors"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        '{"facts": ',
        "[1, 2]",
        '"a string"',
        "null",
        "42",
        '{"facts": NaN}',
        '{"facts": {"requested_loan_amount": Infinity}}',
        '{"facts": {"requested_loan_amount": -Infinity}}',
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"facts": {"public_service_post_months": ' + "9" * 5000 + "}}",
        b"\xff\xfe{}",
        b'{"facts": {"region": "\xe4\xb8"}}',
    ],
)
def test_a_body_that_is_not_a_json_object_is_malformed(client, body):
    assert_errors(screen(client, body), "request")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_other_content_types_answer_400_not_415(client, content_type):
    assert_errors(screen(client, json.dumps(CATALOGUE_EXAMPLE), content_type=content_type), "request")


def test_multipart_form_is_refused_in_the_error_shape(client):
    response = client.post(SCREENINGS, {"facts": "x"})

    assert_errors(response, "request")


def test_json_with_charset_is_accepted(client):
    response = screen(client, json.dumps(CATALOGUE_EXAMPLE), content_type="application/json; charset=utf-8")

    assert response.status_code == 200


@pytest.mark.parametrize("facts", [[], "birth_date", 3, True])
def test_facts_must_be_an_object(client, facts):
    assert_errors(screen(client, {"facts": facts}), "facts")


@pytest.mark.parametrize(
    ("facts", "key"),
    [
        ({"shoe_size": 42}, "facts.shoe_size"),
        ({"birth_date": "2023-02-30"}, "facts.birth_date"),
        ({"birth_date": "1999-13-01"}, "facts.birth_date"),
        ({"birth_date": "02/05/1999"}, "facts.birth_date"),
        ({"birth_date": 19990502}, "facts.birth_date"),
        ({"groups": ["student"]}, "facts.groups"),
        ({"groups": "college_graduate"}, "facts.groups"),
        ({"groups": [1]}, "facts.groups"),
        ({"employment_form": "astronaut"}, "facts.employment_form"),
        ({"pays_flexible_pension": "yes"}, "facts.pays_flexible_pension"),
        ({"pays_flexible_pension": 1}, "facts.pays_flexible_pension"),
        ({"public_service_post_months": -1}, "facts.public_service_post_months"),
        ({"public_service_post_months": 2.5}, "facts.public_service_post_months"),
        ({"public_service_post_months": "3"}, "facts.public_service_post_months"),
        ({"requested_loan_amount": "12.345"}, "facts.requested_loan_amount"),
        ({"requested_loan_amount": -5}, "facts.requested_loan_amount"),
        ({"requested_loan_amount": "lots"}, "facts.requested_loan_amount"),
        ({"requested_loan_amount": 1e300}, "facts.requested_loan_amount"),
        ({"region": "33080"}, "facts.region"),
    ],
)
def test_bad_facts_are_named_in_the_errors(client, facts, key):
    assert_errors(screen(client, {"as_of": "2024-03-01", "facts": facts}), key)


def test_every_bad_field_is_reported_at_once(client):
    errors = assert_errors(
        screen(client, {"as_of": "2024-02-30", "facts": {"groups": ["x"], "nope": 1}, "extra": 1}),
        "as_of",
        "facts.groups",
        "facts.nope",
        "extra",
    )
    assert "x" in errors["facts.groups"][0]


@pytest.mark.parametrize("as_of", ["2024-02-30", "yesterday", 20240301, "", "2024-3-1"])
def test_bad_as_of(client, as_of):
    assert_errors(screen(client, {"as_of": as_of}), "as_of")  # empty is not absent (the schema says a date)


def test_error_messages_follow_accept_language(client):
    english = screen(client, {"facts": {"birth_date": "2023-02-30"}}, language="en").json()
    chinese = screen(client, {"facts": {"birth_date": "2023-02-30"}}, language="zh-hans").json()

    assert english["errors"]["facts.birth_date"] == ["This date does not exist."]
    assert chinese["errors"]["facts.birth_date"] != english["errors"]["facts.birth_date"]


def test_an_unpaired_surrogate_in_a_name_is_echoed_safely(client):
    response = screen(client, '{"facts": {"\\ud800x": 1, "groups": ["\\udfff"]}}')

    errors = assert_errors(response, "facts.\\ud800x", "facts.groups")
    assert "\\udfff" in errors["facts.groups"][0]


def test_extreme_dates_answer(client):
    from django.utils import timezone

    today = timezone.localdate().isoformat()  # birth and graduation after today are refused
    for as_of, birth in [("0001-01-01", today), ("9999-12-31", "0001-01-01"), ("0001-01-01", "0001-01-01")]:
        facts = CATALOGUE_EXAMPLE["facts"] | {"birth_date": birth, "graduation_date": birth}
        assert screen(client, {"as_of": as_of, "facts": facts}).status_code == 200


def test_get_is_not_allowed_in_the_error_shape(client):
    response = client.get(SCREENINGS)

    assert response.status_code == 405
    assert set(response.json()["errors"]) == {"request"}


def test_any_accept_header_gets_json(client):
    response = client.post(
        SCREENINGS, json.dumps(CATALOGUE_EXAMPLE), content_type="application/json", HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


# --- Rate limit ----------------------------------------------------------------------------


def test_above_the_rate_limit_answers_429_with_retry_after(client, settings):
    settings.LINGHUO_SCREENING_RATE = "3/min"
    for _ in range(3):
        assert screen(client, CATALOGUE_EXAMPLE).status_code == 200

    response = screen(client, CATALOGUE_EXAMPLE)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert set(response.json()["errors"]) == {"request"}


def test_the_rate_limit_is_per_address(client, settings):
    settings.LINGHUO_SCREENING_RATE = "1/min"
    assert screen(client, CATALOGUE_EXAMPLE).status_code == 200
    assert screen(client, CATALOGUE_EXAMPLE).status_code == 429

    other = client.post(
        SCREENINGS, json.dumps(CATALOGUE_EXAMPLE), content_type="application/json", REMOTE_ADDR="10.0.0.9"
    )

    assert other.status_code == 200


def test_the_default_rate_allows_300_a_minute(settings):
    from portal.settings import base

    assert base.LINGHUO_SCREENING_RATE == "300/min"


# --- Programmes and parameters ---------------------------------------------------------------


def test_programs_lists_programmes_and_parameters_in_force(client):
    response = client.get(PROGRAMS, {"as_of": "2024-03-01"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    answer = response.json()
    assert answer["as_of"] == "2024-03-01"
    assert [programme["program"] for programme in answer["programs"]] == CATALOGUE_ORDER
    si = answer["programs"][0]
    assert si["in_force"] is True
    assert si["per"] == "month"
    assert "si.subsidy_rate" in si["parameters"]
    parameters = {parameter["key"]: parameter for parameter in answer["parameters"]}
    assert parameters["si.subsidy_rate"]["value"] == "0.50"
    assert parameters["si.subsidy_rate"]["local_setting"] is False
    assert parameters["si.subsidy_rate"]["programs"] == ["flexible-si-subsidy"]
    assert parameters["si.min_monthly_contribution"]["local_setting"] is True
    assert set(parameters["common.retirement_age"]["programs"]) == set(CATALOGUE_ORDER)
    assert parameters["startup.graduate_window_years"]["value"] == "10"
    assert parameters["startup.graduate_window_years"]["valid_from"] == "2021-12-01"


def test_programs_shows_the_value_in_force_on_the_date(client):
    answer = client.get(PROGRAMS, {"as_of": "2021-01-01"}).json()

    parameters = {parameter["key"]: parameter for parameter in answer["parameters"]}
    assert parameters["startup.graduate_window_years"]["value"] == "5"
    assert parameters["startup.graduate_window_years"]["valid_from"] == "2020-07-28"
    assert "si.subsidy_rate" not in parameters
    assert {programme["in_force"] for programme in answer["programs"]} == {False}


def test_programs_titles_follow_accept_language(client):
    english = client.get(PROGRAMS, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get(PROGRAMS, HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert english["programs"][0]["title"] != chinese["programs"][0]["title"]
    assert not chinese["programs"][0]["title"].isascii()


@pytest.mark.parametrize("as_of", ["2024-02-30", "soon", "2024-03-01T00:00"])
def test_programs_with_a_bad_date(client, as_of):
    assert_errors(client.get(PROGRAMS, {"as_of": as_of}), "as_of")


def test_programs_query_count_is_fixed(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert client.get(PROGRAMS).status_code == 200


# --- Schema ----------------------------------------------------------------------------------


def test_schema_describes_both_endpoints(client):
    response = client.get("/api/v1/schema")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/screenings", "/api/v1/programs"} <= set(schema["paths"])
    screening = schema["paths"]["/api/v1/screenings"]["post"]
    assert {"200", "400", "429"} <= set(screening["responses"])
    assert "facts.<name>" in screening["description"]
    request_schema = screening["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    facts_ref = schema["components"]["schemas"][request_schema]["properties"]["facts"]
    assert facts_ref


def test_schema_as_json(client):
    response = client.get("/api/v1/schema", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/programs" in schema["paths"]
    assert "as_of" in {parameter["name"] for parameter in schema["paths"]["/api/v1/programs"]["get"]["parameters"]}


def test_schema_is_valid_openapi(client):
    from drf_spectacular.validation import validate_schema

    validate_schema(yaml.safe_load(client.get("/api/v1/schema").content))


def test_more_than_120_public_service_months_answer_400(client):
    response = screen(client, {"facts": {"public_service_post_months": 121}}, language="en")
    assert response.status_code == 400
    assert response.json() == {"errors": {"facts.public_service_post_months": ["Enter at most 120."]}}


def test_the_bench_trivial_view_is_not_routed_by_the_portal(client):
    # bench/urls.py adds it for `make bench` only (settings bench.settings).
    assert client.get("/bench/trivial").status_code == 404
