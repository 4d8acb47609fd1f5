"""Invitations made at the end of a matching run: one per person and programme found eligible,
for those who have not opted out and have not applied.

This runs inside the nightly run over the whole registry (1,000,000 persons), so it is one
set-based statement on PostgreSQL (INSERT … SELECT … ON CONFLICT DO NOTHING) and batched
``bulk_create`` elsewhere; never a query per person.
"""

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from applications.models import Application
from applications.outreach.models import Invitation
from eligibility.results import Status

BATCH_SIZE = 5000


def invitation_candidates(*, run=None) -> QuerySet:
    """(person id, programme id) of every eligible result without an invitation, of a person who
    has not opted out and has no application for that programme (same keyed identity hash)."""
    from eligibility.matching.models import MatchResult

    applied = Application.objects.filter(
        programme_id=OuterRef("programme_id"), id_number_hash=OuterRef("person__id_number_hash")
    ).exclude(id_number_hash="")
    invited = Invitation.objects.filter(person_id=OuterRef("person_id"), programme_id=OuterRef("programme_id"))
    results = MatchResult.objects.filter(status=Status.ELIGIBLE, person__opted_out_at__isnull=True)
    if run is not None:
        # The results this run wrote: a person eligible before and still eligible is invited already.
        results = results.filter(run=run)
    return results.exclude(Exists(applied)).exclude(Exists(invited)).values_list("person_id", "programme_id")


def invitations_create(*, run) -> int:
    """Creates the invitations of a matching run; returns how many were created."""
    candidates = invitation_candidates(run=run)
    now = timezone.now()
    run_id = getattr(run, "pk", None)
    if connection.vendor == "postgresql":
        return _insert_select(candidates, run_id=run_id, now=now)
    created = 0
    batch: list[Invitation] = []
    with transaction.atomic():
        for person_id, programme_id in candidates.order_by().iterator(chunk_size=BATCH_SIZE):
            batch.append(Invitation(person_id=person_id, programme_id=programme_id, run_id=run_id, created_at=now))
            if len(batch) >= BATCH_SIZE:
                created += len(Invitation.objects.bulk_create(batch, ignore_conflicts=True))
                batch = []
        if batch:
            created += len(Invitation.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def _insert_select(candidates: QuerySet, *, run_id: int | None, now) -> int:
    select_sql, params = candidates.order_by().query.sql_with_params()
    meta = Invitation._meta
    columns = ", ".join(
        connection.ops.quote_name(meta.get_field(name).column)
        for name in ("person", "programme", "run", "token", "created_at")
    )
    # gen_random_uuid() is built into PostgreSQL 13 and later.
    # Table and column names come from the model, every value is a parameter.
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT c.person_id, c.programme_id, %s, gen_random_uuid(), %s "
        f"FROM ({select_sql}) AS c (person_id, programme_id) "
        f"ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id, now, *params])
        return cursor.rowcount
