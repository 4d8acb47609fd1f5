"""Registry matching: the batch gives the screener's answer, whatever the chunks, and says who is newly eligible."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.engine import evaluate
from eligibility.facts import parse_facts
from eligibility.matching.models import MatchResult, MatchRun, PersonState
from eligibility.matching.services import dates_from_text, registry_match
from eligibility.models import Programme
from eligibility.parameter_set import ParameterSet
from tests.eligibility.test_columns import person
from tests.matching.helpers import AS_OF, GRADUATE, forget_matching, registry_person, results_of, storable

pytestmark = pytest.mark.django_db

FIRST_SLUG = "flexible-si-subsidy"


def engine_answer(facts: dict, as_of: date, parameters: ParameterSet) -> dict[str, tuple]:
    answer = {}
    for result in evaluate(parse_facts(facts), as_of, parameters=parameters):
        amount = result.amount
        answer[result.programme_slug] = (
            str(result.status),
            amount.value if amount else None,
            amount.max_periods if amount else None,
        )
    return answer


@st.composite
def registries(draw):
    as_of = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 12, 31)))
    return as_of, [storable(facts) for facts in draw(st.lists(person(as_of), min_size=1, max_size=8))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registries())
def test_the_batch_gives_the_screeners_answer_for_random_persons(case):
    as_of, people = case
    forget_matching()
    persons = [registry_person(facts) for facts in people]
    run = registry_match(as_of=as_of, chunk_size=3)
    parameters = ParameterSet.in_force(as_of)
    found = results_of([p.pk for p in persons])
    for registered in persons:
        expected = engine_answer(registered.facts, as_of, parameters)
        for slug, (status, amount, periods) in expected.items():
            got = found[(registered.pk, slug)]
            assert (got[0], got[1], got[3]) == (status, amount, periods), (registered.facts, slug)
    assert run.state == MatchRun.State.DONE and run.persons == len(persons)
    assert MatchResult.objects.filter(person__in=persons).count() == len(persons) * len(expected)
    for registered in persons:
        registered.delete()


def _small_registry() -> list:
    variants = [
        GRADUATE,
        {**GRADUATE, "pays_flexible_pension": False},
        {**GRADUATE, "birth_date": None},
        {**GRADUATE, "region": "110101"},
        {"birth_date": "1970-01-01"},
        {},
        {**GRADUATE, "groups": ["registered_unemployed", "low_income_household"], "employment_form": "platform"},
        {**GRADUATE, "business_registered_on": "2025-09-01", "requested_loan_amount": "120000.00"},
        {**GRADUATE, "public_service_post_months": 7, "training_certificate": True},
    ]
    return [registry_person({k: v for k, v in facts.items() if v is not None}) for facts in variants * 3]


@pytest.mark.parametrize("chunk_size", [1, 4, 1000])
def test_the_results_do_not_depend_on_the_chunk_size(chunk_size):
    _small_registry()
    registry_match(as_of=AS_OF, chunk_size=2)
    reference = results_of()
    forget_matching()
    run = registry_match(as_of=AS_OF, chunk_size=chunk_size)
    assert results_of() == reference
    assert run.chunks == -(-27 // chunk_size)


def test_a_second_run_writes_only_what_changed_and_finds_the_newly_eligible():
    persons = _small_registry()
    first = registry_match(as_of=AS_OF)
    graduate = persons[0]
    eligible = MatchResult.objects.get(person=graduate, programme__slug=FIRST_SLUG)
    assert eligible.status == "eligible" and eligible.first_eligible_on == AS_OF
    assert eligible.first_eligible_run == first and eligible.amount is not None
    assert first.newly_eligible == MatchResult.objects.filter(first_eligible_run=first).count() > 0
    assert first.results_written == 27 * Programme.objects.count()

    again = registry_match(as_of=AS_OF)
    assert again.results_written == 0 and again.newly_eligible == 0

    # A person who starts paying flexible pension insurance becomes eligible the next day.
    late = persons[1]
    assert MatchResult.objects.get(person=late, programme__slug=FIRST_SLUG).status != "eligible"
    late.facts = {**late.facts, "pays_flexible_pension": True}
    late.save()
    next_day = AS_OF + timedelta(days=1)
    later = registry_match(as_of=next_day)
    became = MatchResult.objects.get(person=late, programme__slug=FIRST_SLUG)
    assert became.status == "eligible" and became.first_eligible_on == next_day
    assert became.first_eligible_run == later
    assert later.newly_eligible == MatchResult.objects.filter(first_eligible_run=later).count() >= 1
    # The graduate's first date stays the first.
    eligible.refresh_from_db()
    assert eligible.first_eligible_on == AS_OF and eligible.first_eligible_run == first


def test_results_follow_a_person_who_stops_being_eligible():
    graduate = registry_person(GRADUATE)
    registry_match(as_of=AS_OF)
    graduate.facts = {**GRADUATE, "region": "110101"}
    graduate.save()
    run = registry_match(as_of=AS_OF)
    result = MatchResult.objects.get(person=graduate, programme__slug=FIRST_SLUG)
    assert result.status == "ineligible" and result.amount is None and result.run == run
    assert result.first_eligible_on == AS_OF  # when they were first found eligible, kept


def test_a_deleted_person_takes_the_results_with_them():
    graduate = registry_person(GRADUATE)
    registry_match(as_of=AS_OF)
    graduate.delete()
    assert not MatchResult.objects.exists() and not PersonState.objects.exists()
    assert registry_match(as_of=AS_OF).persons == 0


def test_dates_are_read_from_their_text():
    import numpy as np

    text = np.array([b"2024-02-29", b"0000-00-00", b"0001-01-01", b"9999-12-31", b"1969-12-31"], dtype="S10")
    days = dates_from_text(text)
    assert [str(d) for d in days] == ["2024-02-29", "NaT", "0001-01-01", "9999-12-31", "1969-12-31"]
    with pytest.raises(ValueError):
        dates_from_text(np.array([b"2024-13-01"], dtype="S10"))


def test_the_command_prints_counts_and_time():
    _small_registry()
    out = StringIO()
    call_command("match_registry", "--as-of", AS_OF.isoformat(), "--chunk-size", "5", stdout=out)
    text = out.getvalue()
    assert "27 persons in 6 chunks" in text and "persons/s" in text
    assert MatchRun.objects.get().state == MatchRun.State.DONE


def test_the_command_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("match_registry", "--as-of", "1 March")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the chord is sent on commit
def test_the_command_runs_the_chord_in_process_without_a_broker(settings):
    if settings.REDIS_URL:
        pytest.skip("with Redis the chord goes to workers (tests/matching/test_paths_and_chord.py)")
    _small_registry()
    out = StringIO()
    call_command(
        "match_registry", "--as-of", AS_OF.isoformat(), "--distributed", "--chunk-size", "4", "--wait", "30", stdout=out
    )
    run = MatchRun.objects.get()
    assert run.distributed and run.state == MatchRun.State.DONE and run.persons == 27 and run.chunks == 7


def test_the_nightly_job_is_scheduled():
    from django.conf import settings as django_settings

    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "matching.registry_match")
    assert entry["schedule"].hour == {2}
