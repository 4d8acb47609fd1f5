"""Writes of outreach: invitations made from a matching run, the weekly messages that carry
them, the one-tap opt-out, and applications pre-filled from the registry."""

from applications.outreach.services.attempts import IdentityAttemptsRefused
from applications.outreach.services.creation import invitations_create
from applications.outreach.services.opening import invitation_opened, registry_person_opt_out
from applications.outreach.services.prefill import (
    InvitationIdentityMismatch,
    invitation_application_start,
    prefill_compare,
)
from applications.outreach.services.sending import (
    invitation_message_deliver,
    invitation_messages_send_due,
    invitation_receipt_record,
    invitation_receipts_due,
    invitations_send,
)

__all__ = [
    "IdentityAttemptsRefused",
    "InvitationIdentityMismatch",
    "invitation_application_start",
    "invitation_message_deliver",
    "invitation_messages_send_due",
    "invitation_opened",
    "invitation_receipt_record",
    "invitation_receipts_due",
    "invitations_create",
    "invitations_send",
    "prefill_compare",
    "registry_person_opt_out",
]
