"""The application state machine.

draft → submitted → in_review → info_requested → submitted … → approved | rejected;
an approved case of a programme without cash → served, or for the loan → referred →
served | partner_declined;
above the four-eyes threshold in_review → pending_approval → approved (a
supervisor's second approval); a caseworker may release a claimed case back to
submitted; withdrawn from any state before a decision. Once the reply to a
request for information is overdue, info_requested → in_review lets staff
decide on what the case holds. Within ``review.appeal_window_days`` of a refusal
the applicant may ask for reconsideration: rejected → reconsideration (in the
queue again) → in_review → approved | rejected, once.

Every status change goes through ``application_transition``: it refuses an
illegal move, does nothing when the state already holds, keeps the
service-level clock (``applications.services.sla``), closes what the move ends
(an unanswered request for information, an open reconsideration) and records
the move twice, in the transaction of the change: a ``CaseEvent`` for the
case's timeline and an ``AuditEntry`` for the audit trail.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import (
    WAITING_STATUSES,
    Application,
    AuditEntry,
    CaseEvent,
    InformationRequest,
    Reconsideration,
    Status,
)
from applications.services.audit import audit_record
from applications.services.sla import sla_on_transition

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    Status.SUBMITTED: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.IN_REVIEW: frozenset(
        {
            Status.SUBMITTED,
            Status.INFO_REQUESTED,
            Status.PENDING_APPROVAL,
            Status.APPROVED,
            Status.REJECTED,
            Status.WITHDRAWN,
            # Released during a reconsideration: it waits in the queue as one.
            Status.RECONSIDERATION,
        }
    ),
    # Answered (back to the queue), or the reply is overdue and staff take it back into review.
    Status.INFO_REQUESTED: frozenset({Status.SUBMITTED, Status.RECONSIDERATION, Status.IN_REVIEW, Status.WITHDRAWN}),
    # A supervisor gives the second approval, refuses, or sends the case back.
    Status.PENDING_APPROVAL: frozenset({Status.APPROVED, Status.REJECTED, Status.IN_REVIEW, Status.WITHDRAWN}),
    # A programme without cash goes on to its outcome (applications.services.fulfilment): served, or
    # for the loan first referred to the guarantee centre and bank, which grant it or decline it.
    Status.APPROVED: frozenset({Status.REFERRED, Status.SERVED}),
    Status.REJECTED: frozenset({Status.RECONSIDERATION}),
    Status.WITHDRAWN: frozenset(),
    Status.RECONSIDERATION: frozenset({Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.REFERRED: frozenset({Status.SERVED, Status.PARTNER_DECLINED}),
    Status.SERVED: frozenset(),
    Status.PARTNER_DECLINED: frozenset(),
}
# The moves after an approval, to the outcome of a programme without cash.
OUTCOME_TRANSITIONS = frozenset(
    (start, target) for start in (Status.APPROVED, Status.REFERRED) for target in ALLOWED_TRANSITIONS[start]
)

# A case in these states waits in its region's queue for somebody to claim it (models.WAITING_STATUSES).
QUEUE_STATUSES = WAITING_STATUSES
# A decision ends a reconsideration; its outcome is the new status.
_RECONSIDERATION_OUTCOMES = {
    Status.APPROVED: Reconsideration.Outcome.APPROVED,
    Status.REJECTED: Reconsideration.Outcome.REJECTED,
    Status.WITHDRAWN: Reconsideration.Outcome.WITHDRAWN,
}


class IllegalTransition(Exception):
    """The application cannot move from its status to the one asked for."""

    def __init__(self, application: Application, to_status: str):
        self.from_status = application.status
        self.to_status = to_status
        message = _("An application that is “%(current)s” cannot become “%(target)s”.") % {
            "current": Status(application.status).label,
            "target": Status(to_status).label,
        }
        super().__init__(message)


@transaction.atomic
def application_transition(
    *, application: Application, to_status: str, actor=None, note: str = "", update_fields: tuple[str, ...] = ()
) -> CaseEvent | None:
    """Moves ``application`` to ``to_status`` and records who did it and why.

    The row is locked first, so two requests cannot both move it. Returns the
    event, or None when the application already was in ``to_status``.
    ``update_fields`` names other fields the caller changed on ``application``
    that are to be saved with the status.
    """
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status == to_status:
        application.status = locked.status
        return None
    if to_status not in ALLOWED_TRANSITIONS[locked.status]:
        application.status = locked.status
        raise IllegalTransition(locked, to_status)
    from_status = locked.status
    application.status = to_status
    if to_status in (Status.APPROVED, Status.REJECTED):
        application.decided_at = timezone.now()
        update_fields = (*update_fields, "decided_at")
    # The clock is kept from the locked row, not from what the caller loaded earlier.
    application.sla_due_on = locked.sla_due_on
    application.sla_paused_on = locked.sla_paused_on
    application.overdue_flagged_at = locked.overdue_flagged_at
    sla_fields = sla_on_transition(
        application=application, from_status=from_status, to_status=to_status, today=timezone.localdate()
    )
    application.save(update_fields=list(dict.fromkeys(["status", "updated_at", *update_fields, *sla_fields])))
    _close_follow_ups(application, from_status=from_status, to_status=to_status, actor=actor, note=note)
    event = CaseEvent.objects.create(
        application=application,
        kind=CaseEvent.Kind.TRANSITION,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.TRANSITION,
        application=application,
        details={"from": from_status, "to": to_status, "note": note},
    )
    return event


def _close_follow_ups(application: Application, *, from_status: str, to_status: str, actor, note: str) -> None:
    """What the move ends: a request left unanswered, a reconsideration decided or withdrawn."""
    now = timezone.now()
    if from_status == Status.INFO_REQUESTED:
        # An answer marks its request answered before the move; what is still open lapses.
        InformationRequest.objects.filter(
            application=application, answered_at__isnull=True, lapsed_at__isnull=True
        ).update(lapsed_at=now)
    outcome = _RECONSIDERATION_OUTCOMES.get(to_status)
    if outcome is not None:
        Reconsideration.objects.filter(application=application, outcome="").update(
            outcome=outcome, decided_by=actor, decided_at=now, decision_note=note
        )
