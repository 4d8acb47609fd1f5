"""What the SMS provider reports on the messages it took, for every outbox that sends SMS: the
portal's own (``Notification``, ``applications.services.notifications``) and outreach's
invitation messages (``InvitationMessage``, ``applications.outreach.services.sending``).

A message the provider took is ``sending`` (``applications.services.outbox``) until its report
comes, in one of two ways, each recorded by the outbox the message belongs to:

- beat asks the provider for each message whose report is due (``sms_receipts_poll_all``,
  Alibaba Cloud's ``QuerySendDetails``), less often as time passes;
- the provider pushes its reports to the portal as they come (``sms_reports_record``, the
  ``/sms/reports/alibaba/`` webhook). A message is found by the provider's id of it; a report
  on a message that is not being sent any more (it came twice, or after the poll settled it)
  changes nothing, so a push may be repeated.
"""

import logging
from dataclasses import dataclass

from django.utils import timezone

from portal.sms import SmsReceipt, SmsReport, sms_receipt

logger = logging.getLogger(__name__)


def provider_receipt(row) -> SmsReceipt | None:
    """The provider's report on ``row``, an SMS it took (``address``, ``provider_message_id``,
    ``sent_at``); None when it has none yet, its gateway gives none, or it did not answer."""
    try:
        return sms_receipt(
            to=row.address, provider_message_id=row.provider_message_id, sent_on=timezone.localdate(row.sent_at)
        )
    except Exception as exc:  # the provider did not answer: asked again later
        logger.warning("No delivery report for %s %s: %s: %s", type(row).__name__, row.pk, type(exc).__name__, exc)
        return None


def sms_receipts_poll_all(*, now=None, limit: int = 200) -> int:
    """Beat's job: asks for the report on each SMS of every outbox whose report is due; returns
    how many were settled (delivered or failed)."""
    from applications.outreach.models import InvitationMessage
    from applications.outreach.services import invitation_receipt_record, invitation_receipts_due
    from applications.services.notifications import sms_receipts_poll

    settled = sms_receipts_poll(now=now, limit=limit)
    rows = InvitationMessage.objects.filter(
        pk__in=invitation_receipts_due(now=now, limit=limit), channel=InvitationMessage.Channel.SMS
    )
    for row in rows.order_by("next_attempt_at", "pk"):
        recorded = invitation_receipt_record(message_id=row.pk, receipt=provider_receipt(row), now=now)
        if recorded is not None and recorded.state != InvitationMessage.State.SENDING:
            settled += 1
    return settled


@dataclass(frozen=True)
class ReportsRecorded:
    """What a push of reports did: how many settled a message, and how many named no message
    being sent (already settled, or not one of ours)."""

    settled: int = 0
    unmatched: int = 0


def _digits(number: str) -> str:
    return "".join(character for character in number if character.isdigit())


def _same_phone(reported: str, address: str) -> bool:
    """The report's number is the message's (a number the provider masks, ``138****8000``, or none, is not checked)."""
    if not reported or "*" in reported:
        return True
    return _digits(reported)[-11:] == _digits(address)[-11:]


def sms_reports_record(*, reports: list[SmsReport], now=None) -> ReportsRecorded:
    """Records each report the provider pushed on the message it names, in whichever outbox it
    is. A report on a message not being sent (settled already), or on none of ours, is counted
    and otherwise ignored."""
    from applications.models import Notification
    from applications.outreach.models import InvitationMessage
    from applications.outreach.services import invitation_receipt_record
    from applications.services.notifications import notification_receipt_record

    now = now or timezone.now()
    ids = [report.provider_message_id for report in reports]
    notifications = {
        row.provider_message_id: row
        for row in Notification.objects.filter(
            provider_message_id__in=ids, state=Notification.State.SENDING, channel=Notification.Channel.SMS
        )
    }
    invitations = {
        row.provider_message_id: row
        for row in InvitationMessage.objects.filter(
            provider_message_id__in=ids,
            state=InvitationMessage.State.SENDING,
            channel=InvitationMessage.Channel.SMS,
        )
    }
    settled = unmatched = 0
    for report in reports:
        recorded = None
        notification = notifications.get(report.provider_message_id)
        invitation = invitations.get(report.provider_message_id)
        if notification is not None and _same_phone(report.phone_number, notification.address):
            recorded = notification_receipt_record(notification_id=notification.pk, receipt=report.receipt, now=now)
        elif invitation is not None and _same_phone(report.phone_number, invitation.address):
            recorded = invitation_receipt_record(message_id=invitation.pk, receipt=report.receipt, now=now)
        if recorded is None or recorded.state == "sending":
            unmatched += 1
        else:
            settled += 1
    return ReportsRecorded(settled=settled, unmatched=unmatched)
