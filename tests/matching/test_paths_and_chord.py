"""On PostgreSQL the COPY path and the ORM path agree; on two Celery workers the chord gives the same results."""

import time
from datetime import timedelta

import pytest

from eligibility.matching.models import MatchRun, PersonState
from eligibility.matching.services import registry_match
from eligibility.models import Programme
from tests.matching.helpers import AS_OF, GRADUATE, forget_matching, registry_person, results_of
from tests.own_redis import own_redis  # noqa: F401 (fixture)


def _registry(count: int) -> list:
    variants = [
        GRADUATE,
        {**GRADUATE, "pays_flexible_pension": False},
        {**GRADUATE, "region": "110101", "groups": ["laid_off", "veteran"]},
        {"birth_date": "1970-01-01", "employment_form": "platform"},
        {},
        {**GRADUATE, "business_registered_on": "2025-09-01", "requested_loan_amount": "120000.50"},
        {**GRADUATE, "public_service_post_months": 7, "training_certificate": True, "hardship_declared": True},
        {**GRADUATE, "birth_date": "0001-01-01", "graduation_date": "2026-02-28", "groups": []},
    ]
    return [registry_person(variants[index % len(variants)]) for index in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_copy_path_and_the_orm_path_give_the_same_results():
    persons = _registry(40)
    orm_run = registry_match(as_of=AS_OF, chunk_size=7, fast=False)
    by_orm = results_of()
    forget_matching()
    copy_run = registry_match(as_of=AS_OF, chunk_size=9)
    assert results_of() == by_orm
    assert (copy_run.persons, copy_run.eligible, copy_run.results_written) == (
        orm_run.persons,
        orm_run.eligible,
        orm_run.results_written,
    )
    # A digest is kept for every person, and a change of the registry row is read afresh.
    assert PersonState.objects.count() == len(persons)
    assert registry_match(as_of=AS_OF).results_written == 0
    changed = persons[1]
    changed.facts = {**changed.facts, "pays_flexible_pension": True}
    changed.save()
    next_day = AS_OF + timedelta(days=1)
    run = registry_match(as_of=next_day)
    assert run.results_written >= 1
    after_copy = results_of()
    forget_matching()
    registry_match(as_of=AS_OF, fast=False)
    registry_match(as_of=next_day, fast=False)
    assert {key: value[:4] for key, value in results_of().items()} == {
        key: value[:4] for key, value in after_copy.items()
    }


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the workers see only what is committed
def test_the_chord_on_two_workers_gives_the_results_of_one_process(own_redis):  # noqa: F811
    from portal.celery import app

    _registry(60)
    registry_match(as_of=AS_OF, chunk_size=60)
    in_one_process = results_of()
    forget_matching()

    previous_backend = app.conf.result_backend
    app.conf.result_backend = own_redis.url  # the chord's counter lives where the workers report
    app._local.__dict__.pop("backend", None)
    try:
        own_redis.start_worker()
        own_redis.start_worker()
        run = registry_match(as_of=AS_OF, chunk_size=7, distributed=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.state != MatchRun.State.RUNNING:
                break
            time.sleep(0.3)
    finally:
        app.conf.result_backend = previous_backend
        app._local.__dict__.pop("backend", None)
    assert run.state == MatchRun.State.DONE, run.failure
    assert (run.persons, run.chunks, run.distributed) == (60, 9, True)
    assert results_of() == in_one_process


@pytest.mark.postgres
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # outside a transaction the next chunk is read by a thread
def test_reading_ahead_in_a_thread_gives_the_same_results():
    if not Programme.objects.exists():  # an earlier test that committed has emptied the database
        from django.apps import apps

        from eligibility.policy_file import load_shipped_catalogue

        load_shipped_catalogue(apps, None)
    _registry(30)
    registry_match(as_of=AS_OF, chunk_size=4, fast=False)
    by_orm = results_of()
    forget_matching()
    run = registry_match(as_of=AS_OF, chunk_size=4)
    assert run.chunks == 8 and results_of() == by_orm and len(by_orm) == run.results_written > 0
    from eligibility.matching.whatif import whatif_preview

    assert whatif_preview(parameter_key="si.subsidy_rate", value="0.60", valid_from=AS_OF).persons == 30
