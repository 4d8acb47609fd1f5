"""The screening made faster answers exactly as before (issue 10, items 4 and 5).

Speed itself is measured by ``make bench``, never by a timed test; here the
results, and the work done (queries, evaluations), are held.

``relevance_recorded.json`` holds what ``ask_in_order`` and ``relevant_facts``
answered for 500 random answer sets on 2024-03-01 before relevance was made
faster (enumeration over every programme's whole product of unknown facts), so
that the screener and the application form ask exactly the same questions.
Re-recorded for the seven programmes of release 2 (issue 13): for the 500 answer
sets, every fact relevant before is still relevant, and what the application
form asks for each of the first eight programmes is unchanged (the three new
facts are not asked for them); 160 answer sets with the new facts were added,
80 of them for a new programme.
"""

import json
from datetime import date
from pathlib import Path

import pytest

from eligibility import relevance
from eligibility.engine import ask_in_order, relevant_facts
from eligibility.facts import FACT_FIELDS, Facts, parse_facts
from eligibility.parameter_set import ParameterSet
from eligibility.screener.flow import STEPS
from eligibility.wording import ZH

pytestmark = pytest.mark.django_db

RECORDED = json.loads((Path(__file__).parent / "relevance_recorded.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(RECORDED["as_of"])
CASES = RECORDED["cases"]


def parsed(wire: dict) -> dict:
    # As the screener reads stored answers: one fact at a time.
    return {name: parse_facts({name: value}).get(name) for name, value in wire.items()}


@pytest.fixture(scope="module")
def parameters(django_db_blocker):
    with django_db_blocker.unblock():
        return ParameterSet.in_force(AS_OF)


def test_the_recording_covers_many_kinds_of_answer_sets():
    assert len(CASES) >= 300
    assert len({len(case["relevant"]) for case in CASES}) > 10
    assert sum(1 for case in CASES if "slug" in case) >= 100


def test_the_screener_asks_exactly_what_it_asked_before(parameters):
    groups = [step.facts for step in STEPS]
    memo = relevance.RelevanceMemo()
    for case in CASES:
        values = parsed(case["answers"])
        asked = ask_in_order(groups, values, AS_OF, parameters=parameters, memo=memo)
        assert [list(group) for group in asked] == case["asked"], case["answers"]
        # Without a shared memo too: the memo changes nothing.
        assert [list(group) for group in ask_in_order(groups, values, AS_OF, parameters=parameters)] == case["asked"]


def test_relevant_facts_are_exactly_those_found_before(parameters):
    for case in CASES:
        known = Facts({k: v for k, v in parsed(case["answers"]).items() if v is not None})
        assert relevant_facts(known, AS_OF, parameters=parameters) == case["relevant"], case["answers"]


def test_the_application_form_asks_exactly_what_it_asked_before(parameters):
    rest = [(name,) for name in FACT_FIELDS]
    for case in (case for case in CASES if "slug" in case):
        values = parsed(case["answers"])
        given = {name: value for name, value in values.items() if name in ("region", "birth_date")}
        asked = ask_in_order(rest, values, AS_OF, slug=case["slug"], given=given, parameters=parameters)
        assert [list(group) for group in asked] == case["asked_for_slug"], (case["slug"], case["answers"])


# --- The work done per request -------------------------------------------------------------


def test_a_flow_sharing_a_memo_finds_nothing_twice(monkeypatch):
    from eligibility.screener.flow import ScreeningFlow

    answers = {"region": "330802", "birth_date": "1990-01-01", "groups": ["college_graduate"]}
    first = ScreeningFlow(answers)
    calls = []
    original = relevance._relevant_for_programme
    monkeypatch.setattr(relevance, "_relevant_for_programme", lambda *args: calls.append(args) or original(*args))
    again = ScreeningFlow(answers, today=first.today, memo=first.memo)
    assert calls == []
    assert [planned.step.slug for planned in again.plan] == [planned.step.slug for planned in first.plan]
    fresh = ScreeningFlow(answers, today=first.today)
    assert calls  # without the memo the work is done again, with the same answer
    assert [planned.questions for planned in fresh.plan] == [planned.questions for planned in first.plan]


def test_a_memo_never_answers_for_other_parameters(parameters):
    memo = relevance.RelevanceMemo()
    known = Facts({"region": "330802", "birth_date": date(1990, 1, 1)})
    found = relevant_facts(known, AS_OF, parameters=parameters, memo=memo)
    other = ParameterSet.in_force(AS_OF)
    assert memo.found(other, AS_OF) == {}  # a new set starts afresh
    assert relevant_facts(known, AS_OF, parameters=other, memo=memo) == found


def test_the_policy_version_is_read_once_per_request_and_afresh_on_the_next(monkeypatch):
    from eligibility import parameter_cache

    reads = []
    original = parameter_cache._read_version
    monkeypatch.setattr(parameter_cache, "_read_version", lambda: reads.append(1) or original())

    @parameter_cache.policy_version_per_request
    def request():
        first = parameter_cache.policy_version()
        parameter_cache._bump()  # another process changes the policy meanwhile
        return first, parameter_cache.policy_version()

    first, later_in_request = request()
    assert first == later_in_request and len(reads) == 1
    assert parameter_cache.policy_version() == first + 1  # the next request sees the change


def test_a_warm_results_page_makes_no_query_and_reads_the_version_once(client, monkeypatch, django_assert_num_queries):
    from django.core import signing

    from eligibility import parameter_cache
    from eligibility.screener.storage import COOKIE_NAME, SALT

    answers = {"region": "330802", "birth_date": "1990-01-01", "groups": ["employment_difficulty"]}
    client.cookies[COOKIE_NAME] = signing.dumps(answers, salt=SALT, compress=True)
    assert client.get("/screening/results/").status_code == 200
    reads = []
    original = parameter_cache._read_version
    monkeypatch.setattr(parameter_cache, "_read_version", lambda: reads.append(1) or original())
    with django_assert_num_queries(0):
        assert client.get("/screening/results/").status_code == 200
    assert len(reads) == 1


def test_the_results_page_says_how_each_amount_is_worked_out(client):
    from django.core import signing
    from django.utils import timezone

    from eligibility.screener.storage import COOKIE_NAME, SALT
    from eligibility.services import screening_run

    answers = {
        "region": "330802",
        "birth_date": "1985-03-10",
        "groups": ["employment_difficulty"],
        "employment_form": "part_time",
        "pays_flexible_pension": True,
        "pays_flexible_medical": False,
        "hardship_declared": False,
        "public_service_post_months": 8,
        "training_certificate": True,
        "plans_business": False,
    }
    client.cookies[COOKIE_NAME] = signing.dumps(answers, salt=SALT, compress=True)
    html = client.get("/screening/results/").content.decode()  # in Chinese, the default
    results = screening_run(facts=answers, as_of=timezone.localdate())
    explained = [result.amount_explanation(ZH) for result in results if result.amount]
    assert len(explained) >= 2
    from django.utils.html import escape

    for explanation in explained:
        assert escape(explanation) in html
    assert html.count("amount-explanation") == len(explained)


def test_the_api_schema_is_unchanged(client):
    recorded = json.loads((Path(__file__).parent / "api_schema_recorded.json").read_text(encoding="utf-8"))
    response = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert json.loads(response.content) == recorded
