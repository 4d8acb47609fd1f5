"""Claiming under real concurrency on PostgreSQL: threads with their own connections, never one case twice."""

import threading
from collections import Counter

import pytest
from django.db import connections

from applications.models import Application, CaseEvent, Status
from applications.services import review
from tests.applications.test_review_services import submitted
from tests.factories import CaseworkerFactory, CitizenFactory

CASES = 20
WORKERS = 5


def run_together(workers, work) -> list[Exception]:
    """Runs ``work(worker)`` in one thread per worker, all released at once; returns what they raised."""
    barrier = threading.Barrier(len(workers))
    errors: list[Exception] = []

    def thread_main(worker):
        try:
            barrier.wait(timeout=30)
            work(worker)
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=thread_main, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a claiming thread hung"
    return errors


def _cases(count: int) -> list[Application]:
    return [submitted(applicant=CitizenFactory(), id_number=f"3308021999{n:08d}") for n in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claim_next_gives_every_case_to_exactly_one_caseworker():
    cases = _cases(CASES)
    workers = [CaseworkerFactory() for _ in range(WORKERS)]
    for worker in workers:
        assert worker.is_caseworker  # roles read before the threads start
    claimed: list[tuple[int, int]] = []
    lock = threading.Lock()

    def claim_until_empty(worker):
        while (application := review.application_claim_next(caseworker=worker)) is not None:
            with lock:
                claimed.append((worker.pk, application.pk))

    errors = run_together(workers, claim_until_empty)

    assert errors == []
    counts = Counter(pk for _worker, pk in claimed)
    assert set(counts) == {application.pk for application in cases}
    assert max(counts.values()) == 1, "a case was given to two caseworkers"
    for worker_pk, application_pk in claimed:
        row = Application.objects.get(pk=application_pk)
        assert (row.status, row.assigned_to_id) == (Status.IN_REVIEW, worker_pk)
    assert CaseEvent.objects.filter(to_status=Status.IN_REVIEW).count() == CASES
    assert len({worker_pk for worker_pk, _pk in claimed}) > 1, "the workers did not run side by side"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_case_claimed_by_five_at_once_goes_to_one():
    (application,) = _cases(1)
    workers = [CaseworkerFactory() for _ in range(WORKERS)]
    for worker in workers:
        assert worker.is_caseworker
    winners: list[int] = []

    def claim(worker):
        try:
            review.application_claim(application=Application.objects.get(pk=application.pk), caseworker=worker)
        except review.CaseUnavailable:
            return
        winners.append(worker.pk)

    assert run_together(workers, claim) == []
    application.refresh_from_db()
    assert len(winners) == 1
    assert application.assigned_to_id == winners[0]
    assert CaseEvent.objects.filter(application=application, to_status=Status.IN_REVIEW).count() == 1
