"""Registry matching: the batch gives the screener's answer, whatever the chunks, and says who is newly eligible;
result rows are kept for what says something about a person, and follow the person once kept."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.engine import evaluate
from eligibility.facts import parse_facts
from eligibility.matching.models import MatchResult, MatchRun, PersonState
from eligibility.matching.services import registry_match
from eligibility.models import Programme
from eligibility.parameter_set import ParameterSet
from tests.eligibility.test_columns import person
from tests.matching.helpers import (
    AS_OF,
    GRADUATE,
    NOT_ELIGIBLE,
    answer_as_rows_say,
    forget_matching,
    registry_person,
    result_of,
    results_of,
    storable,
)

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
    kept = 0
    for registered in persons:
        expected = engine_answer(registered.facts, as_of, parameters)
        for slug, answer in expected.items():
            assert result_of(found, registered.pk, slug) == answer_as_rows_say(*answer), (registered.facts, slug)
            kept += answer[0] not in NOT_ELIGIBLE
    assert run.state == MatchRun.State.DONE and run.persons == len(persons)
    # A row for every result that says something, none for "not eligible".
    assert len(found) == kept == run.results_written
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
    assert first.results_written == MatchResult.objects.count()
    assert 0 < first.results_written < 27 * Programme.objects.count()  # "not eligible" is not written
    assert set(MatchResult.objects.values_list("status", flat=True)) <= {"eligible", "needs_info"}

    again = registry_match(as_of=AS_OF)
    assert again.results_written == 0 and again.newly_eligible == 0

    # A person who starts paying flexible pension insurance becomes eligible the next day.
    late = persons[1]
    assert not MatchResult.objects.filter(person=late, programme__slug=FIRST_SLUG, status="eligible").exists()
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


def test_a_kept_row_follows_the_result_and_no_row_is_made_for_not_eligible():
    needs = {k: v for k, v in GRADUATE.items() if k != "pays_flexible_pension"}  # the insurance is not known
    person_needing = registry_person(needs)
    never = registry_person({**GRADUATE, "region": "110101", "groups": [], "graduation_date": "2010-06-30"})
    registry_match(as_of=AS_OF)
    kept = MatchResult.objects.get(person=person_needing, programme__slug=FIRST_SLUG)
    assert kept.status == "needs_info" and kept.first_eligible_on is None
    assert not MatchResult.objects.filter(person=never, programme__slug=FIRST_SLUG).exists()
    # Known now, and "no": the row says so (it is not left saying that information is needed).
    person_needing.facts = {**needs, "pays_flexible_pension": False, "pays_flexible_medical": False}
    person_needing.save()
    run = registry_match(as_of=AS_OF)
    kept.refresh_from_db()
    assert (kept.status, kept.amount, kept.run) == ("ineligible", None, run)


def test_rows_are_corrected_even_when_the_kept_digests_are_lost():
    """Without its digest a person counts as new: the rows that exist are still found and rewritten."""
    graduate = registry_person(GRADUATE)
    registry_match(as_of=AS_OF)
    assert MatchResult.objects.get(person=graduate, programme__slug=FIRST_SLUG).status == "eligible"
    PersonState.objects.all().delete()
    graduate.facts = {**GRADUATE, "region": "110101"}
    graduate.save()
    registry_match(as_of=AS_OF)
    assert MatchResult.objects.get(person=graduate, programme__slug=FIRST_SLUG).status == "ineligible"
    assert PersonState.objects.filter(person=graduate).exists()


def test_a_chunk_size_below_one_is_refused():
    with pytest.raises(ValueError, match="chunk_size"):
        registry_match(as_of=AS_OF, chunk_size=0)


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


def test_the_digest_is_each_persons_own_and_shows_any_change_of_a_stored_result():
    import dataclasses

    import numpy as np

    from eligibility.columns import PersonTable, evaluate_columns
    from eligibility.matching.services import results_digest

    people = [parse_facts(facts) for facts in (GRADUATE, {**GRADUATE, "pays_flexible_pension": False}, {}, GRADUATE)]
    parameters = ParameterSet.in_force(AS_OF)
    ids = dict(Programme.objects.values_list("slug", "pk"))
    results = evaluate_columns(PersonTable.from_facts(people), AS_OF, parameters=parameters)
    together = results_digest(results, ids, len(people))
    alone = [
        results_digest(evaluate_columns(PersonTable.from_facts([p]), AS_OF, parameters=parameters), ids, 1)[0]
        for p in people
    ]
    assert list(together) == alone and together[0] == together[3] and len(set(together[:3])) == 3
    assert 0 not in together
    eligible = results[FIRST_SLUG]
    assert eligible.status[0] == 2 and eligible.has_amount[0]
    for change in (
        {"amount_cents": eligible.amount_cents + np.array([1, 0, 0, 0])},
        {"max_periods": eligible.max_periods - np.array([1, 0, 0, 0])},
        {"status": np.array([1, *eligible.status[1:]], dtype=np.uint8)},
    ):
        other = {**results, FIRST_SLUG: dataclasses.replace(eligible, **change)}
        changed = results_digest(other, ids, len(people))
        assert changed[0] != together[0] and list(changed[1:]) == list(together[1:]), change
