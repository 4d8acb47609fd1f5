"""The parameter set in force is built once and reused until the policy changes (issue 10, item 4)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from eligibility import parameter_cache
from eligibility.engine import evaluate
from eligibility.facts import parse_facts
from eligibility.history import today
from eligibility.models import Parameter, Programme
from eligibility.parameter_cache import parameters_in_force, policy_version
from eligibility.parameter_set import ParameterSet
from eligibility.policy_file import export_policy, import_policy, read_policy
from eligibility.services import parameter_value_add

from .helpers import GRADUATE

SCREENINGS = "/api/v1/screenings"


def graduate_on(day):
    return {**GRADUATE, "graduation_date": (day - timedelta(days=30)).isoformat()}


def screen(client, as_of):
    body = {"as_of": as_of.isoformat(), "facts": graduate_on(as_of)}
    response = client.post(SCREENINGS, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


@pytest.fixture
def no_rate_limit(settings):
    settings.LINGHUO_SCREENING_RATE = None


@pytest.mark.django_db
def test_a_warm_evaluate_makes_no_query(django_assert_num_queries):
    facts = parse_facts(graduate_on(today()))
    with django_assert_num_queries(2):  # cold: the set is built from the database once
        evaluate(facts, today())
    with django_assert_num_queries(0):
        results = evaluate(facts, today())
    assert results[0].amount.value == Decimal("500.00")


@pytest.mark.django_db
def test_a_warm_screening_request_makes_no_query(client, no_rate_limit, django_assert_num_queries):
    screen(client, today())
    with django_assert_num_queries(0):
        result = screen(client, today())
    assert result["status"] == "eligible" and result["amount"]["value"] == "500.00"


@pytest.mark.django_db
def test_another_process_reuses_the_shared_set(django_assert_num_queries):
    parameters_in_force(today())
    parameter_cache.forget_local()  # a second web process: its memory is empty, the shared cache is not
    with django_assert_num_queries(0):
        assert parameters_in_force(today()).value("si.subsidy_rate") == Decimal("0.50")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_is_seen_by_the_next_request(client, no_rate_limit):
    tomorrow = today() + timedelta(days=1)
    admin = get_user_model().objects.filter(is_superuser=True).first()
    assert screen(client, tomorrow)["amount"]["value"] == "500.00"  # the set for tomorrow is now cached
    before = policy_version()
    parameter_value_add(
        parameter=Parameter.objects.get(key="si.subsidy_rate"), valid_from=tomorrow, value="0.80", acting_user=admin
    )
    assert policy_version() > before  # bumped when the change committed
    assert screen(client, tomorrow)["amount"]["value"] == "800.00"
    assert screen(client, today())["amount"]["value"] == "500.00"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_policy_file_import_and_a_programme_edit_bump_the_version(client, admin_user):
    before = policy_version()
    import_policy(read_policy(export_policy()))
    after_import = policy_version()
    assert after_import > before
    programme = Programme.objects.first()
    url = reverse("admin:eligibility_programme_change", args=[programme.pk])
    client.force_login(admin_user)
    form = {
        "title_zh": programme.title_zh,
        "title_en": "A new title",
        "summary_zh": programme.summary_zh,
        "summary_en": programme.summary_en,
        "sources": json.dumps(programme.sources),
    }
    assert client.post(url, form).status_code == 302
    assert policy_version() > after_import
    assert parameters_in_force(today()).programme(programme.slug).title_en == "A new title"


@pytest.mark.django_db
def test_the_writer_sees_its_own_change_before_commit_and_nothing_uncommitted_is_cached(admin_user):
    tomorrow = today() + timedelta(days=1)
    version = policy_version()
    cached = parameters_in_force(tomorrow)
    parameter_value_add(
        parameter=Parameter.objects.get(key="si.subsidy_rate"),
        valid_from=tomorrow,
        value="0.70",
        acting_user=admin_user,
    )
    # The test runs in one transaction that never commits: the bump waits for the commit,
    # and meanwhile this connection reads the database, not the cache.
    assert policy_version() == version
    assert parameters_in_force(tomorrow).value("si.subsidy_rate") == Decimal("0.70")
    assert parameters_in_force(tomorrow) is not cached
    assert cache.get(parameter_cache.SET_KEY.format(version=version, as_of=tomorrow.isoformat())).value(
        "si.subsidy_rate"
    ) == Decimal("0.50")


def test_a_lost_version_starts_afresh_and_never_repeats():
    cache.delete(parameter_cache.VERSION_KEY)
    first = policy_version()
    cache.delete(parameter_cache.VERSION_KEY)
    parameter_cache._bump()  # what a commit runs, here with the version lost
    assert policy_version() > first


@pytest.mark.django_db
def test_the_uncached_loader_still_reads_the_database(django_assert_num_queries):
    with django_assert_num_queries(2):
        ParameterSet.in_force(today())
