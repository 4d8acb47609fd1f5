"""The audit trail: every decision, transition and view of personal data, append-only."""

from applications.models import Application, AuditEntry


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
