"""Matching as Celery tasks: the nightly run, and a province-sized run split over workers.

``registry_match(distributed=True)`` cuts the registry into id ranges and sends
them as a chord: a group of ``match_chunk`` tasks (each one range, one
transaction, idempotent: run twice it writes nothing new) whose callback
``match_finish`` adds up the counts, finishes the run and has outreach create
the invitations. Adding workers makes it faster. A chord needs a result
backend: the settings use Redis for it when ``REDIS_URL`` is set.

Each run ends with one entry in the audit trail (``eligibility.matching.audit``), written
here once the service has returned the finished run.
"""

from celery import chord, group, shared_task

from eligibility.matching import services
from eligibility.matching.audit import match_run_audit
from eligibility.matching.models import MatchRun

# The whole registry on one worker: longer than the default limit of a task.
NIGHTLY_TIME_LIMIT = 3 * 3600


@shared_task(name="matching.registry_match", time_limit=NIGHTLY_TIME_LIMIT, soft_time_limit=NIGHTLY_TIME_LIMIT - 60)
def registry_match_nightly(distributed: bool = False) -> dict:
    run = services.registry_match(distributed=distributed)
    match_run_audit(run=run)  # distributed: still running, audited by match_finish
    return {"run": run.pk, "state": run.state}


@shared_task(name="matching.match_chunk", bind=True, max_retries=3, acks_late=True)
def match_chunk(self, run_id: int, first: int, last: int) -> dict:
    run = MatchRun.objects.get(pk=run_id)
    try:
        return services.match_chunk(run=run, first=first, last=last).as_dict()
    except Exception as error:
        if self.request.called_directly or self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="matching.match_finish")
def match_finish(chunk_counts: list[dict], run_id: int) -> dict:
    run = MatchRun.objects.get(pk=run_id)
    counts = services.ChunkCounts()
    for found in chunk_counts:
        counts.add(services.ChunkCounts(**found))
    run = services.match_run_finish(run=run, counts=counts, chunks=len(chunk_counts))
    match_run_audit(run=run)
    return {"run": run.pk, "persons": run.persons, "invitations": run.invitations}


@shared_task(name="matching.match_failed")
def match_failed(request, exc, traceback, run_id: int) -> None:
    run = services.match_run_failed(run=MatchRun.objects.get(pk=run_id), error=f"{type(exc).__name__}: {exc}")
    match_run_audit(run=run)


def match_run_dispatch(*, run_id: int, ranges: list[tuple[int, int]]) -> None:
    """Sends the chunks of run ``run_id`` as a chord (called on commit by ``registry_match``)."""
    if not ranges:
        match_finish.delay([], run_id)
        return
    chunks = group(match_chunk.s(run_id, int(first), int(last)) for first, last in ranges)
    chord(chunks)(match_finish.s(run_id).on_error(match_failed.s(run_id=run_id)))
