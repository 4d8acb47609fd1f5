"""The invitation page being opened, and the one-tap opt-out."""

from django.db import transaction
from django.utils import timezone

from applications.models import AuditEntry
from applications.outreach.models import Invitation
from applications.services.audit import audit_record


@transaction.atomic
def invitation_opened(*, invitation: Invitation, shown: list[Invitation], request=None) -> list[Invitation]:
    """Records the first opening of each invitation the page shows (the invitation of the link and
    the others its message carried), and the look at the registry's data, in the audit trail."""
    now = timezone.now()
    ids = [item.pk for item in shown if item.opened_at is None]
    if ids:
        Invitation.objects.filter(pk__in=ids, opened_at__isnull=True).update(opened_at=now)
        for item in shown:
            if item.pk in ids:
                item.opened_at = now
    audit_record(
        actor=getattr(request, "user", None),
        action=AuditEntry.Action.INVITATION_OPENED,
        details={
            "registry_person": invitation.person_id,
            "use": "invitation_page",
            "invitations": sorted(item.pk for item in shown),
        },
        request=request,
    )
    return shown


@transaction.atomic
def registry_person_opt_out(*, invitation: Invitation, request=None):
    """The person asks to receive no more invitations: ``RegistryPerson.opted_out_at`` is set
    (once; asking again changes nothing) and the request is audited. Messages not yet sent are
    not sent (``invitation_message_deliver``)."""
    from eligibility.registry.models import RegistryPerson

    person = RegistryPerson.objects.select_for_update().get(pk=invitation.person_id)
    if person.opted_out_at is not None:
        return person
    person.opted_out_at = timezone.now()
    person.save(update_fields=["opted_out_at"])
    audit_record(
        actor=getattr(request, "user", None),
        action=AuditEntry.Action.REGISTRY_OPTED_OUT,
        details={"registry_person": person.pk, "use": "opt_out", "decision": "registry_opt_out"},
        request=request,
    )
    return person
