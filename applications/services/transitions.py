"""The application state machine.

draft → submitted → in_review → info_requested → submitted … → approved | rejected;
above the four-eyes threshold in_review → pending_approval → approved (a
supervisor's second approval); a caseworker may release a claimed case back to
submitted; withdrawn from any state before a decision. Every status change goes
through ``application_transition``: it refuses an illegal move, does nothing
when the state already holds, keeps the service-level clock
(``applications.services.sla``) and records the move twice, in the transaction
of the change: a ``CaseEvent`` for the case's timeline and an ``AuditEntry``
for the audit trail.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application, AuditEntry, CaseEvent, Status
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
        }
    ),
    Status.INFO_REQUESTED: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    # A supervisor gives the second approval, refuses, or sends the case back.
    Status.PENDING_APPROVAL: frozenset({Status.APPROVED, Status.REJECTED, Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.APPROVED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
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
