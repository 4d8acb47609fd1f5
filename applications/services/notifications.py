"""Telling people what happened to their application: e-mail, SMS and the portal inbox.

Messages are written to the outbox (``Notification``) in the transaction that
makes the change. After commit a Celery task is woken to send them; if the
broker is down then, nothing is lost: ``notifications_send_due`` (run by beat)
sends what is still waiting. Claiming, sending, retrying and giving up are the
mechanism every outbox shares (``applications.services.outbox``); each change of
a message's state is kept as a ``DeliveryEvent``.

One message is its inbox row, delivered by being written, and a delivery by
e-mail and one by SMS for each the person has, pointing at it. A delivery that
fails for good falls back (``_fall_back``) along SMS → e-mail → inbox: an SMS
that cannot be delivered is followed by a new e-mail row, linked to it
(``fallback_of``), unless an e-mail of the same message is on its way already or
the person has no address; after the e-mail, the inbox copy is what remains.
The fallback is in the failed row's history (``DeliveryEvent.fallback_to``). An
SMS taken by a gateway with delivery reports stays ``sending`` until
``sms_receipts_poll`` (beat) hears from the provider.
"""

import logging
import smtplib
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from applications.models import Application, AuditEntry, CaseEvent, DeliveryEvent, Notification, ReasonCode, Status

# The delivery mechanism (claim, send, retry with backoff, give up, the due sweep) is the one of
# every outbox; its limits are re-exported here for the callers that read them.
from applications.selectors_delivery import inbox_delivery_notes
from applications.services.outbox import (  # noqa: F401
    MAX_ATTEMPTS,
    PICKUP_GRACE,
    Handover,
    Transition,
    outbox_deliver,
    outbox_due,
    outbox_receipts_due,
    outbox_send_due,
    outbox_sms_receipt,
    outbox_wake,
)
from applications.services.sms_reports import provider_receipt
from portal.links import public_url
from portal.sms import SmsReceipt, send_sms

logger = logging.getLogger(__name__)

State = Notification.State
Channel = Notification.Channel
# Where a message goes next when a channel cannot deliver it.
FALLBACK_CHANNEL = {Channel.SMS: Channel.EMAIL, Channel.EMAIL: Channel.INBOX}


class AddressRefused(Exception):
    """The mail server refused the address for good (a 5xx answer): sending again cannot help."""

    permanent = True


def _render(event: str, name: str, context: dict) -> str:
    return render_to_string(f"notifications/{event}/{name}", context).strip()


def notify_applicant(*, application: Application, event: str, extra: dict | None = None) -> list[Notification]:
    """Writes the messages about ``event`` to the applicant's outbox; see ``notify_person``."""
    return notify_person(
        person=application.applicant,
        event=event,
        context={"application": application, **(extra or {})},
        application=application,
        mobile_fallback=application.mobile,
    )


def notify_person(
    *,
    person,
    event: str,
    context: dict,
    application: Application | None = None,
    mobile_fallback: str = "",
) -> list[Notification]:
    """Writes one message about ``event`` to ``person`` on every channel they have
    (inbox always; e-mail and SMS when known), in their language, from the
    templates in ``templates/notifications/<event>/``, and wakes the sender after
    commit. ``application`` links the message to a case: its inbox messages show
    on the applicant's case page. Returns the inbox row, then its deliveries."""
    language = person.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        full_context = {"person": person, "portal_url": public_url("/").rstrip("/"), **context}
        subject = _render(event, "email_subject.txt", full_context)
        body = _render(event, "email_body.txt", full_context)
        sms = _render(event, "sms.txt", full_context)
    common = {"recipient": person, "application": application, "event": event, "language": language}
    now = timezone.now()
    inbox = Notification.objects.create(
        channel=Channel.INBOX,
        subject=subject,
        body=body,
        state=State.DELIVERED,
        sent_at=now,
        delivered_at=now,
        **common,
    )
    deliveries = []
    if person.email:
        deliveries.append(
            Notification(
                channel=Channel.EMAIL, address=person.email, subject=subject, body=body, inbox_message=inbox, **common
            )
        )
    mobile = person.mobile or mobile_fallback
    if mobile:
        deliveries.append(Notification(channel=Channel.SMS, address=mobile, body=sms, inbox_message=inbox, **common))
    created = [inbox, *Notification.objects.bulk_create(deliveries)]
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(notification=row, status=row.state, channel=row.channel, at=row.created_at) for row in created
    )
    waiting = [row.pk for row in created if row.state == State.QUEUED]
    if waiting:
        transaction.on_commit(lambda: _wake_sender(waiting))
    return created


def _wake_sender(notification_ids: list[int]) -> None:
    outbox_wake(task_name="applications.deliver_notification", row_ids=notification_ids)


def _record(notification: Notification, transition: Transition) -> None:
    DeliveryEvent.objects.create(
        notification=notification,
        status=transition.status,
        attempt=transition.attempt,
        channel=transition.channel,
        at=transition.at,
        provider_message_id=transition.provider_message_id,
        error=transition.error,
        fallback_to=transition.fallback,
    )


def _deliveries():
    return Notification.objects.select_related("recipient", "inbox_message")


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Sends one waiting message. A message already taken by its channel is not sent again."""
    return outbox_deliver(
        queryset=_deliveries(),
        pk=notification_id,
        send=_send,
        record=_record,
        fall_back=_fall_back,
        receipts=True,
    )


def _send(notification: Notification) -> Handover | None:
    if notification.channel == Channel.EMAIL:
        try:
            send_mail(notification.subject, notification.body, None, [notification.address])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _message in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise AddressRefused(f"the mail server refused the address ({', '.join(map(str, codes))})") from exc
            raise
    elif notification.channel == Channel.SMS:
        taken = send_sms(to=notification.address, text=notification.body, kind=notification.event)
        if taken is not None:
            return Handover(provider_message_id=taken.provider_message_id, receipt_expected=taken.receipt_expected)
    return None


def _fall_back(failed: Notification) -> Notification | None:
    """Where a delivery that failed for good goes on (``FALLBACK_CHANNEL``): for an SMS, the
    message's e-mail on its way, or a new one when the person has an address not yet tried; then,
    for an SMS or an e-mail, the message's inbox copy, which every recipient (an account) has."""
    inbox = failed.inbox_message
    if FALLBACK_CHANNEL.get(failed.channel) == Channel.EMAIL:
        by_email = (
            Notification.objects.filter(inbox_message=inbox, channel=Channel.EMAIL)
            if inbox is not None
            else Notification.objects.filter(fallback_of=failed)
        )
        on_its_way = by_email.exclude(state=State.PERMANENT_FAILURE).order_by("pk").first()
        if on_its_way is not None:
            return on_its_way
        address = failed.recipient.email
        if address and not by_email.filter(address=address).exists():
            return _write_fallback(failed, channel=Channel.EMAIL, address=address)
    if failed.channel in FALLBACK_CHANNEL:
        return inbox
    return None


def _write_fallback(failed: Notification, *, channel: str, address: str) -> Notification:
    inbox = failed.inbox_message
    if inbox is not None:
        subject, body = inbox.subject, inbox.body
    else:  # written before messages had their inbox copy linked
        with translation.override(failed.language):
            subject, body = failed.subject or str(failed.get_event_display()), failed.body
    row = Notification.objects.create(
        recipient=failed.recipient,
        application_id=failed.application_id,
        event=failed.event,
        language=failed.language,
        channel=channel,
        address=address,
        subject=subject,
        body=body,
        inbox_message=inbox,
        fallback_of=failed,
    )
    DeliveryEvent.objects.create(notification=row, status=row.state, channel=channel, at=row.created_at)
    transaction.on_commit(lambda: _wake_sender([row.pk]))
    return row


def notifications_due(*, now=None, limit: int = 200) -> list[int]:
    return outbox_due(model=Notification, now=now, limit=limit)


def notifications_send_due(*, now=None) -> int:
    """Sends every message that is due; returns how many a channel took."""
    return outbox_send_due(
        model=Notification,
        deliver=lambda notification_id: notification_deliver(notification_id=notification_id),
        now=now,
        limit=200,
    )


def notification_receipt_check(*, notification_id: int, now=None) -> Notification | None:
    """Asks the SMS provider for its report on one message it took (``sending``) and records it
    (``notification_receipt_record``). The provider is asked before the row is locked, so no lock
    is held while it answers."""
    row = (
        Notification.objects.filter(pk=notification_id, state=State.SENDING, channel=Channel.SMS)
        .exclude(provider_message_id="")
        .first()
    )
    if row is None:
        return None
    return notification_receipt_record(notification_id=row.pk, receipt=provider_receipt(row), now=now)


def notification_receipt_record(*, notification_id: int, receipt: SmsReceipt | None, now=None) -> Notification | None:
    """Records the provider's report on a message it took (asked for, or pushed by the provider):
    delivered, failed (sent again, or for good with its fallback), or, with no report yet, asked
    again later. None when the message is not being sent (the report came twice, or too late)."""
    return outbox_sms_receipt(
        queryset=_deliveries(), pk=notification_id, receipt=receipt, record=_record, fall_back=_fall_back, now=now
    )


def sms_receipts_poll(*, now=None, limit: int = 200) -> int:
    """Beat's job: asks for the report on each SMS whose report is due; returns how many were
    settled (delivered or failed)."""
    settled = 0
    for notification_id in outbox_receipts_due(model=Notification, now=now, limit=limit):
        row = notification_receipt_check(notification_id=notification_id, now=now)
        if row is not None and row.state != State.SENDING:
            settled += 1
    return settled


# How to rebuild the context of an inbox message from what the database keeps
# (its event, its application and the case's records), so that the inbox can
# show it again in the reader's language of today. An event without an entry
# here shows the words it was written with. Another event registers its own
# builder with ``inbox_context_builder``.
InboxContextBuilder = Callable[[Notification, str], dict | None]
INBOX_CONTEXT_BUILDERS: dict[str, InboxContextBuilder] = {}


def inbox_context_builder(event: str):
    def register(builder: InboxContextBuilder) -> InboxContextBuilder:
        INBOX_CONTEXT_BUILDERS[event] = builder
        return builder

    return register


@inbox_context_builder(Notification.Event.SUBMITTED)
@inbox_context_builder(Notification.Event.APPROVED)
def _no_extra_context(notification: Notification, language: str) -> dict:
    return {}


def _decision_for(notification: Notification, decision: str, status: str):
    """The audit entry and the status change that this message reported (the last ones before it)."""
    application = notification.application
    entry = next(
        (
            e
            for e in (
                application.inbox_decisions
                if hasattr(application, "inbox_decisions")
                else application.audit_entries.order_by("-at", "-id")
            )
            if e.action == AuditEntry.Action.DECISION
            and e.details.get("decision") == decision
            and e.at <= notification.created_at
        ),
        None,
    )
    event = next(
        (
            e
            for e in reversed(
                application.inbox_events if hasattr(application, "inbox_events") else list(application.events.all())
            )
            if e.to_status == status and e.at <= notification.created_at
        ),
        None,
    )
    return entry, event


@inbox_context_builder(Notification.Event.REJECTED)
def _rejection_context(notification: Notification, language: str) -> dict | None:
    from applications.services.review import rejection_text

    entry, event = _decision_for(notification, "rejected", Status.REJECTED)
    if entry is None or event is None:
        return None
    codes = entry.details.get("reason_codes") or []
    by_code = {reason.code: reason for reason in ReasonCode.objects.filter(code__in=codes)}
    if len(by_code) != len(codes):
        return None
    reasons = [by_code[code] for code in codes]
    # The note is the reasons (one line each) and then the caseworker's own words, which stay as written.
    free_text = "\n".join(event.note.split("\n")[len(reasons) :])
    return {"reasons_text": rejection_text(reason_codes=reasons, free_text=free_text, language=language)}


@inbox_context_builder(Notification.Event.INFO_REQUESTED)
def _information_request_context(notification: Notification, language: str) -> dict | None:
    from applications.services.review import information_request_text

    entry, event = _decision_for(notification, "info_requested", Status.INFO_REQUESTED)
    if entry is None or event is None:
        return None
    kinds = entry.details.get("document_kinds") or []
    lines = event.note.split("\n")
    # "Please upload:", one line a document, a blank line, then the caseworker's questions as written.
    message = "\n".join(lines[len(kinds) + 2 :]) if kinds else event.note
    return {"request_text": information_request_text(document_kinds=kinds, message=message, language=language)}


def inbox_messages_in_language(notifications: list[Notification], *, language: str) -> list[Notification]:
    """Sets ``shown_subject`` and ``shown_body`` on each inbox message: the message
    written again in ``language`` from its event and application, or, where it
    cannot be rebuilt, the words it was sent with; and ``delivery_notes``: how its
    SMS and e-mail went, in the words a citizen is told (``inbox_delivery_notes``)."""
    notes = inbox_delivery_notes(inbox_ids=[n.pk for n in notifications])
    for notification in notifications:
        notification.delivery_notes = notes.get(notification.pk, [])
    ids = {n.application_id for n in notifications if n.application_id}
    # One instance per case, with what the templates read, so that 100 messages cost what 1 does.
    applications = Application.objects.select_related("programme").in_bulk(ids) if ids else {}
    for notification in notifications:
        if notification.application_id in applications:
            notification.application = applications[notification.application_id]
    if applications:
        events = CaseEvent.objects.filter(application_id__in=applications).order_by("at", "id")
        decisions = AuditEntry.objects.filter(
            application_id__in=applications, action=AuditEntry.Action.DECISION
        ).order_by("-at", "-id")
        for application in applications.values():
            application.inbox_events, application.inbox_decisions = [], []
        for event in events:
            applications[event.application_id].inbox_events.append(event)
        for entry in decisions:
            applications[entry.application_id].inbox_decisions.append(entry)
    for notification in notifications:
        notification.shown_subject, notification.shown_body = notification.subject, notification.body
        builder = INBOX_CONTEXT_BUILDERS.get(notification.event)
        if builder is None or notification.application is None:
            continue
        with translation.override(language):
            extra = builder(notification, language)
            if extra is None:
                continue
            context = {
                "application": notification.application,
                "portal_url": public_url("/").rstrip("/"),
                **extra,
            }
            notification.shown_subject = _render(notification.event, "email_subject.txt", context)
            notification.shown_body = _render(notification.event, "email_body.txt", context)
    return notifications


def inbox_mark_read(*, person, notification_ids: list[int]) -> int:
    """Marks the person's own inbox messages read, in one update; returns how many changed."""
    if not notification_ids:
        return 0
    return Notification.objects.filter(
        pk__in=notification_ids, recipient=person, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())
