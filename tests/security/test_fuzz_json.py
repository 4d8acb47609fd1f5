"""Whatever a client sends to the JSON API (bodies nested past any parser's limit, NaN,
numbers of thousands of digits, wrong types, bytes that are not UTF-8, odd content
types and query strings), it answers JSON and never a server error.

The endpoints are the REST framework views of the resolver, so a new API view is
fuzzed too. The rate limit is off (the fixture ``world`` sets
``LINGHUO_SCREENING_RATE = None``): hypothesis sends far more than 300 a minute.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security import fuzzing
from tests.security.conftest import send

EXAMPLES = int(os.environ.get("LINGHUO_FUZZ_JSON_EXAMPLES", "60"))
FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}

API = fuzzing.json_endpoints()
POSTS = [e for e in API if "POST" in e.methods]
GETS = [e for e in API if "GET" in e.methods]

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/problem+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "",
]
LANGUAGES = ["en", "zh-hans", "", "fr, en;q=0.5", "*", "zh-Hant-TW", "x" * 300]
# Bodies shaped like a screening request: known top-level fields with anything in them.
shaped = st.fixed_dictionaries(
    {}, optional={"as_of": fuzzing.json_values, "facts": fuzzing.json_values, "extra": fuzzing.json_values}
).map(fuzzing._dumps)


def _json_answer(response) -> bool:
    return response["Content-Type"].startswith("application/json") or response["Content-Type"].startswith(
        "application/vnd.oai.openapi"
    )


@pytest.mark.parametrize("endpoint", POSTS, ids=str)
@settings(max_examples=EXAMPLES, **FUZZ)
@given(
    data=st.data(),
    body=fuzzing.json_texts | shaped,
    content_type=st.sampled_from(CONTENT_TYPES),
    language=st.sampled_from(LANGUAGES),
)
def test_no_json_body_gets_a_server_error(world, endpoint, data, body, content_type, language):
    role = data.draw(st.sampled_from(["anonymous", "citizen"]), label="role")
    path = fuzzing.path_of(endpoint, {})
    if "latin-1" in content_type:
        # Django's test client re-encodes the body in the declared charset: keep it encodable.
        body = body.encode("latin-1", "replace").decode("latin-1")
    response = send(
        endpoint,
        role,
        world.users[role],
        "post",
        path,
        data=body.encode("utf-8", "surrogatepass"),
        content_type=content_type,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code < 500, f"POST {path} {content_type!r}: {body[:2000]!r}"
    assert response.status_code != 429  # the limit is off: every example reaches the parser
    assert _json_answer(response)


@pytest.mark.parametrize("endpoint", GETS, ids=str)
@settings(max_examples=EXAMPLES // 2, **FUZZ)
@given(
    query=st.dictionaries(
        st.sampled_from(["as_of", "format", "lang", "page", "facts"]) | st.text(max_size=8),
        fuzzing.text_values | st.lists(fuzzing.text_values, max_size=3),
        max_size=4,
    )
    | st.sampled_from(fuzzing.RAW_QUERIES),
    language=st.sampled_from(LANGUAGES),
)
def test_no_api_query_string_gets_a_server_error(world, endpoint, query, language):
    path = fuzzing.path_of(endpoint, {})
    if isinstance(query, str):
        response = send(endpoint, "anonymous", None, "get", f"{path}?{query}", HTTP_ACCEPT_LANGUAGE=language)
    else:
        response = send(endpoint, "anonymous", None, "get", path, data=query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code < 500, f"GET {path} {query!r}"


def test_the_screening_api_is_among_the_fuzzed_endpoints():
    assert "eligibility:api_screenings" in {e.name for e in POSTS}
    assert "eligibility:api_programs" in {e.name for e in GETS}
