"""The audit trail: every decision, transition and view of personal data, append-only.

Entries are only ever inserted, by ``audit_record``. The model refuses updates
and deletes (``AuditQuerySet``, ``AuditEntry.save``/``delete``), the admin has
no change or delete permission, and on PostgreSQL a trigger refuses UPDATE and
DELETE (migration ``0003_audit_append_only``).
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from applications.models import Application, AuditEntry
from portal.accounts.roles import REGIONAL_ROLES


def _client_address(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *, actor, action: str, application: Application | None = None, details: dict | None = None, request=None
) -> AuditEntry:
    """Adds one entry. Call it inside the transaction of the change it records."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        application=application,
        details=details or {},
        ip_address=_client_address(request),
    )


def audit_entries_for_supervisor(supervisor) -> QuerySet[AuditEntry]:
    """The entries a supervisor may read, newest first, with what a list shows.

    That is every entry about an application of the supervisor's region, and the
    entries about no application (a parameter change, …) made by staff of that
    region. A supervisor without a region reads nothing.
    """
    region = supervisor.region
    if not region:
        return AuditEntry.objects.none()
    staff_of_region = (
        get_user_model()
        .objects.filter(region=region, groups__name__in=[str(role) for role in REGIONAL_ROLES])
        .values("pk")
    )
    return (
        AuditEntry.objects.filter(
            Q(application__region=region) | Q(application__isnull=True, actor__in=staff_of_region)
        )
        .select_related("actor", "application")
        .order_by("-at", "-id")
    )
