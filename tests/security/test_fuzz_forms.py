"""Whatever a person types, pastes or uploads into any form, and whatever they put in a
page's query string, the portal answers without a server error.

Every URL of the resolver that takes POST is fuzzed as the role that reaches it,
with real objects in its URL (a draft, a case in each state, a document) and
also ones that do not exist or are someone else's. The fields sent are those of
the forms the pages show, plus random ones; files are random bytes behind PDF,
JPEG and PNG signatures, and real small files. Every page that takes GET gets
random query strings: its own filter fields (``age_min``, ``date_to``, ``page``,
``sort`` …) and the usual suspects.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode, urljoin

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.security import fuzzing
from tests.security.conftest import send

EXAMPLES = int(os.environ.get("LINGHUO_FUZZ_EXAMPLES", "12"))
ADMIN_EXAMPLES = max(2, EXAMPLES // 4)
FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}

ENDPOINTS = fuzzing.all_endpoints()
FORMS = [e for e in ENDPOINTS if "POST" in e.methods and not e.json_api]
PAGES = [e for e in ENDPOINTS if "GET" in e.methods and not e.json_api]


def _admin(endpoints, admin: bool):
    return [e for e in endpoints if (e.namespace == "admin") == admin]


# A health check's 503 says "do not send traffic here": its job, not a failure.
HEALTH_ANSWERS = {503}


def _allowed(endpoint: fuzzing.Endpoint, status: int) -> bool:
    return status < 500 or (endpoint.name.startswith("healthz") and status in HEALTH_ANSWERS)


# --- What the pages show ----------------------------------------------------------------------------

POST_FIELDS: dict[str, dict[str, fuzzing.FieldSpec]] = {}  # view name -> fields its forms send
QUERY_FIELDS: dict[str, dict[str, fuzzing.FieldSpec]] = {}  # view name -> fields of its GET forms
_READ_AS: set[str] = set()  # roles whose pages were read
READ_ERRORS: list[str] = []  # pages that answered a server error when read


def _read_pages(world, role: str) -> None:
    """Opens, once per run, every page ``role`` reaches and keeps the forms on it by their target."""
    if role in _READ_AS:
        return
    _READ_AS.add(role)
    for endpoint in PAGES:
        if role not in fuzzing.roles_for(endpoint):
            continue
        for kwargs in _some_kwargs(world, endpoint):
            path = fuzzing.path_of(endpoint, kwargs)
            if path is None:
                continue
            try:
                response = send(endpoint, role, world.users[role], "get", path, counted=False)
            except Exception as exc:  # said by test_every_page_opens_without_a_server_error
                READ_ERRORS.append(f"GET {path} as {role}: {type(exc).__name__}: {exc}")
                continue
            if response.status_code >= 500 and not endpoint.name.startswith("healthz"):
                READ_ERRORS.append(f"GET {path} as {role}: {response.status_code}")
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in fuzzing.page_forms(response.content.decode("utf-8", "replace")):
                target = fuzzing.view_name_of(urljoin(path, form.action or path))
                if target:
                    into = POST_FIELDS if form.method == "POST" else QUERY_FIELDS
                    fuzzing.merge_fields(into.setdefault(target, {}), form.fields)


def _some_kwargs(world, endpoint: fuzzing.Endpoint) -> list[dict]:
    """Each real value of each URL parameter once (not every combination)."""
    if not endpoint.kwargs:
        return [{}]
    options = {name: world.candidates(endpoint, name)[:7] for name in endpoint.kwargs}
    longest = max(len(values) for values in options.values())
    return [{name: values[i % len(values)] for name, values in options.items()} for i in range(longest)]


@pytest.fixture(scope="module")
def pages_read(world):
    """Every role's pages read before the first example (not inside one: hypothesis replays examples)."""
    for role in fuzzing.ROLES:
        _read_pages(world, role)
    return world


def _fields_for(endpoint: fuzzing.Endpoint) -> dict[str, fuzzing.FieldSpec]:
    return POST_FIELDS.get(endpoint.name) or _fallback_fields()


def _fallback_fields() -> dict[str, fuzzing.FieldSpec]:
    """For a form no page shows in this world (the upload beside an old-style request): the names
    the portal's forms use, files where a file goes."""
    from applications.models import Document

    fields = {name: fuzzing.FieldSpec("text") for name in fuzzing.COMMON_FIELDS}
    fields["file"] = fuzzing.FieldSpec("file")
    fields["files"] = fuzzing.FieldSpec("file", multiple=True)
    fields["kind"] = fuzzing.FieldSpec("select", choices=set(Document.Kind.values))
    return fields


# --- Drawing a request ------------------------------------------------------------------------------


def _draw_target(data, world, endpoint: fuzzing.Endpoint) -> tuple[str, str]:
    role = data.draw(st.sampled_from(fuzzing.roles_for(endpoint)), label="role")
    kwargs = {
        name: data.draw(st.sampled_from(world.candidates(endpoint, name)), label=name) for name in endpoint.kwargs
    }
    path = fuzzing.path_of(endpoint, kwargs)
    assume(path is not None)
    return role, path


def _without_files(body: dict) -> dict:
    def plain(value):
        if isinstance(value, list):
            return [v for v in value if not isinstance(v, SimpleUploadedFile)]
        return value

    return {k: plain(v) for k, v in body.items() if not isinstance(v, SimpleUploadedFile)}


def _post(endpoint, role, user, path, body: dict, encoding: str):
    if encoding == "multipart":
        return send(endpoint, role, user, "post", path, data=body)
    plain = _without_files(body)
    if encoding == "urlencoded":
        return send(
            endpoint,
            role,
            user,
            "post",
            path,
            data=urlencode(plain, doseq=True),
            content_type="application/x-www-form-urlencoded",
        )
    return send(endpoint, role, user, "post", path, data=json.dumps(plain), content_type="application/json")


def _describe(method: str, path: str, role: str, body) -> str:
    shown = {k: (f"<file {v.name!r}>" if isinstance(v, SimpleUploadedFile) else v) for k, v in dict(body).items()}
    return f"{method} {path} as {role}: {str(shown)[:2000]}"


def _fuzz_form(world, endpoint, data):
    fields = _fields_for(endpoint)
    role, path = _draw_target(data, world, endpoint)
    query = data.draw(st.sampled_from(["", "?return=check", "?next=/", "?next=//evil.example", "?change=1"]))
    body = data.draw(fuzzing.form_data(fields), label="form")
    encoding = data.draw(st.sampled_from(["multipart", "multipart", "multipart", "urlencoded", "json"]))
    response = _post(endpoint, role, world.users[role], path + query, body, encoding)
    assert _allowed(endpoint, response.status_code), _describe("POST", path + query, role, body)


@pytest.mark.parametrize("endpoint", _admin(FORMS, False), ids=str)
@settings(max_examples=EXAMPLES, **FUZZ)
@given(data=st.data())
def test_no_form_post_answers_a_server_error(pages_read, endpoint, data):
    _fuzz_form(pages_read, endpoint, data)


@pytest.mark.parametrize("endpoint", _admin(FORMS, True), ids=str)
@settings(max_examples=ADMIN_EXAMPLES, **FUZZ)
@given(data=st.data())
def test_no_admin_form_post_answers_a_server_error(pages_read, endpoint, data):
    _fuzz_form(pages_read, endpoint, data)


def _fuzz_page(world, endpoint, data):
    role, path = _draw_target(data, world, endpoint)
    keys = set(QUERY_FIELDS.get(endpoint.name, {}))
    if data.draw(st.integers(0, 9)) == 0:
        query = data.draw(st.sampled_from(fuzzing.RAW_QUERIES))
        response = send(endpoint, role, world.users[role], "get", f"{path}?{query}")
        assert _allowed(endpoint, response.status_code), f"GET {path}?{query} as {role}"
        return
    specs = QUERY_FIELDS.get(endpoint.name, {})
    params = data.draw(
        st.fixed_dictionaries({}, optional={k: fuzzing.value_strategy(s) for k, s in specs.items()})
        | fuzzing.query_data(keys),
        label="query",
    )
    response = send(endpoint, role, world.users[role], "get", path, data=params)
    assert _allowed(endpoint, response.status_code), _describe(
        "GET", f"{path}?{urlencode(params, doseq=True)}", role, {}
    )


@pytest.mark.parametrize("endpoint", _admin(PAGES, False), ids=str)
@settings(max_examples=EXAMPLES, **FUZZ)
@given(data=st.data())
def test_no_query_string_makes_a_page_answer_a_server_error(pages_read, endpoint, data):
    _fuzz_page(pages_read, endpoint, data)


@pytest.mark.parametrize("endpoint", [e for e in _admin(PAGES, True) if e.name.endswith("changelist")], ids=str)
@settings(max_examples=ADMIN_EXAMPLES, **FUZZ)
@given(data=st.data())
def test_no_query_string_makes_an_admin_list_answer_a_server_error(pages_read, endpoint, data):
    _fuzz_page(pages_read, endpoint, data)


# --- The fuzz reaches what it should ---------------------------------------------------------------


def test_every_form_of_the_portal_is_fuzzed():
    """The resolver walk finds the forms people use; a view that stopped being found would go unfuzzed."""
    names = {e.name for e in FORMS}
    for expected in [
        "accounts:login",
        "accounts:register",
        "accounts:password_reset",
        "language_set",
        "eligibility:screening_step",
        "applications:step",
        "applications:check",
        "applications:upload",
        "applications:respond",
        "applications:reconsider",
        "applications:withdraw",
        "applications:document_remove",
        "staff:claim",
        "staff:approve",
        "staff:reject",
        "staff:request_info",
        "staff:reveal",
        "staff:return",
        "admin:eligibility_parametervalue_add",
    ]:
        assert expected in names, expected
    assert "staff:case" not in names and "staff:queue" not in names  # GET only: fuzzed as pages
    assert {e.name for e in fuzzing.json_endpoints()} >= {"eligibility:api_screenings", "eligibility:api_programs"}


def test_every_page_opens_without_a_server_error(pages_read):
    """Each page every role reaches, with each real object (and a missing one) in its URL."""
    assert not READ_ERRORS, "\n".join(READ_ERRORS)


def test_the_pages_give_the_fields_their_forms_take(pages_read):
    """The fuzz sends the fields of the real forms, read from the pages (not a list kept by hand)."""
    assert {"full_name", "id_number", "birth_date", "mobile", "address"} <= set(POST_FIELDS["applications:step"])
    assert {"grounds", "files"} <= set(POST_FIELDS["applications:reconsider"])
    assert POST_FIELDS["applications:reconsider"]["files"].kind == "file"
    assert POST_FIELDS["applications:respond"]  # the open request's slots and questions
    assert "reasons" in POST_FIELDS["staff:reject"]
    assert POST_FIELDS["staff:reject"]["reasons"].choices
    assert {"age_min", "due_by", "sort"} <= set(QUERY_FIELDS["staff:queue"])
    assert {"date_from", "date_to", "actor"} <= set(QUERY_FIELDS["audit:entries"])
