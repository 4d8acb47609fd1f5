"""Ends announced (issue 14, item 4): 60 days ahead in the console; a screening never fails for an end.

A parameter value holds until the next one starts: it ends the day before its successor. A
programme ends on the last day its policy declares (``Programme.in_force_until``).
"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from eligibility.columns import PersonTable, evaluate_columns
from eligibility.console.selectors import announcements
from eligibility.engine import evaluate
from eligibility.facts import parse_facts
from eligibility.models import Parameter, ParameterValue, Programme
from eligibility.parameter_cache import policy_version_bump
from eligibility.parameter_set import ParameterSet
from tests.factories import GRADUATE_FACTS, PolicyAdminFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def graduate(as_of):
    return parse_facts({**GRADUATE_FACTS, "graduation_date": (as_of - timedelta(days=400)).isoformat()})


def schedule(key: str, value: str, days: int) -> ParameterValue:
    """A value from ``days`` days ahead, written as a superuser's direct path does (history checks included)."""
    from eligibility.services import parameter_value_add

    return parameter_value_add(
        parameter=Parameter.objects.get(key=key),
        valid_from=today() + timedelta(days=days),
        value=value,
        acting_user=PolicyAdminFactory(is_superuser=True),
    )


@pytest.mark.parametrize(("starts_in", "announced"), [(1, True), (61, True), (62, False)])
def test_a_value_is_announced_60_days_before_it_ends(starts_in, announced):
    schedule("si.subsidy_rate", "0.60", starts_in)  # the value in force ends the day before
    found = [item for item in announcements() if item.kind == "value"]
    assert bool(found) is announced
    if announced:
        (item,) = found
        assert item.on == today() + timedelta(days=starts_in - 1) and item.days_left == starts_in - 1
        assert item.ending.value.value == "0.50" and item.successor.value.value == "0.60"


@pytest.mark.parametrize(("ends_in", "announced"), [(0, True), (60, True), (61, False), (-1, False)])
def test_a_programme_is_announced_60_days_before_its_declared_end(ends_in, announced):
    Programme.objects.filter(slug="startup-subsidy").update(in_force_until=today() + timedelta(days=ends_in))
    found = [item for item in announcements() if item.kind == "programme"]
    assert [item.programme.slug for item in found] == (["startup-subsidy"] if announced else [])


def test_the_console_shows_the_ends_in_the_readers_language(client):
    schedule("si.subsidy_rate", "0.60", 10)
    Programme.objects.filter(slug="startup-subsidy").update(in_force_until=today() + timedelta(days=30))
    client.force_login(PolicyAdminFactory())
    with translation.override("zh-hans"):
        html = client.get(reverse("policy:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert html.count("data-announcement=") == 2
    assert "“一次性创业补贴”将于" in html and "还有 30 天" in html
    assert "“社会保险补贴占个人最低缴费额的比例”的现行取值 50% 将于" in html and "此后为 60%" in html


def test_after_a_programmes_end_a_screening_answers_not_in_force_with_the_date(client):
    end = today() - timedelta(days=1)
    Programme.objects.filter(slug="flexible-si-subsidy").update(in_force_until=end)
    policy_version_bump()
    results = evaluate(graduate(today()), today(), parameters=ParameterSet.in_force(today()))
    result = results[0]
    assert result.programme_slug == "flexible-si-subsidy" and result.status == "not_in_force"
    assert result.amount is None
    with translation.override("en"):
        assert result.criteria[0].explanation() == (
            f"Not met. This programme was in force until {end.day} {end.strftime('%b')} {end.year}; "
            f"on {today().day} {today().strftime('%b')} {today().year} it no longer is."
        )
    # On its last day it still answers.
    assert evaluate(graduate(end), end, parameters=ParameterSet.in_force(end))[0].status == "eligible"
    response = client.post(
        "/api/v1/screenings",
        {"as_of": today().isoformat(), "facts": graduate(today()).to_json()},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    answer = {item["program"]: item for item in response.json()["results"]}
    assert answer["flexible-si-subsidy"]["status"] == "not_in_force"
    assert f"{end.year}年{end.month}月{end.day}日" in answer["flexible-si-subsidy"]["criteria"][0]["explanation"]
    catalogue = client.get(f"/api/v1/programs?as_of={today().isoformat()}").json()
    assert {item["program"]: item["in_force"] for item in catalogue["programs"]}["flexible-si-subsidy"] is False


def test_a_value_that_has_run_out_makes_the_programme_not_in_force_instead_of_failing(client):
    # No value of the rate is in force on the day (it ran out, or was never loaded): screening goes on.
    ParameterValue.objects.filter(parameter__key="si.subsidy_rate").delete()
    policy_version_bump()
    parameters = ParameterSet.in_force(today())
    results = evaluate(graduate(today()), today(), parameters=parameters)
    by_slug = {result.programme_slug: result for result in results}
    assert by_slug["flexible-si-subsidy"].status == "not_in_force"
    assert by_slug["startup-loan"].status in ("eligible", "ineligible", "needs_info")
    with translation.override("en"):
        text = by_slug["flexible-si-subsidy"].criteria[0].explanation()
    assert (
        "no value is in force for Share of the minimum individual contribution paid as social insurance subsidy" in text
    )
    columns = evaluate_columns(PersonTable.from_facts([graduate(today())]), today(), parameters=parameters)
    assert columns["flexible-si-subsidy"].status_at(0) == "not_in_force"
    response = client.post(
        "/api/v1/screenings",
        {"as_of": today().isoformat(), "facts": graduate(today()).to_json()},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "not_in_force"


def test_a_superuser_declares_a_programmes_end_in_the_admin_but_never_in_the_past(client):
    client.force_login(PolicyAdminFactory(is_superuser=True))
    programme = Programme.objects.get(slug="training-subsidy")
    url = reverse("admin:eligibility_programme_change", args=[programme.pk])
    form = {
        "title_zh": programme.title_zh,
        "title_en": programme.title_en,
        "summary_zh": programme.summary_zh,
        "summary_en": programme.summary_en,
        "sources": json.dumps(programme.sources),
    }
    refused = client.post(url, {**form, "in_force_until": (today() - timedelta(days=1)).isoformat()})
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    assert client.post(url, {**form, "in_force_until": (today() + timedelta(days=45)).isoformat()}).status_code == 302
    programme.refresh_from_db()
    assert programme.in_force_until == today() + timedelta(days=45)
    assert [item.programme.slug for item in announcements() if item.kind == "programme"] == ["training-subsidy"]
