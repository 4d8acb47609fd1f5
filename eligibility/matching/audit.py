"""A matching run in the audit trail: one entry a run, with its counts.

A run reads every registry person's facts, so each one is recorded. The entry is written by
whoever sees the run end (``eligibility.matching.tasks`` and ``manage.py match_registry``),
after ``eligibility.matching.services`` returns the run; a run seen ending twice (the chord's
callback and the command waiting for it) is still recorded once.
"""

from django.db import transaction

from applications.models import AuditEntry
from applications.services.audit import audit_record
from eligibility.matching.models import MatchRun


def match_run_audit(*, run: MatchRun, actor=None) -> AuditEntry | None:
    """Records the finished (done or failed) run ``run`` once; returns its entry, or None for a
    run still running."""
    with transaction.atomic():
        # The run's row, locked: two processes that see the run end write one entry between them.
        run = MatchRun.objects.select_for_update().get(pk=run.pk)
        if run.state == MatchRun.State.RUNNING:
            return None
        existing = AuditEntry.objects.filter(action=AuditEntry.Action.REGISTRY_MATCHED, details__run=run.pk).first()
        if existing is not None:
            return existing
        return audit_record(
            actor=actor,
            action=AuditEntry.Action.REGISTRY_MATCHED,
            details={
                "run": run.pk,
                "as_of": run.as_of.isoformat(),
                "state": run.state,
                "distributed": run.distributed,
                "chunks": run.chunks,
                "persons": run.persons,
                "eligible": run.eligible,
                "newly_eligible": run.newly_eligible,
                "results_written": run.results_written,
                "invitations": run.invitations,
            },
        )
