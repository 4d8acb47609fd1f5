"""Telling people what happened to their application: e-mail, SMS and the portal inbox.

Messages are written to the outbox (``Notification``) in the transaction that
makes the change. After commit a Celery task is woken to send them; if the
broker is down then, nothing is lost: ``notifications_send_due`` (run by beat)
sends what is still waiting.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from applications.models import Application, AuditEntry, CaseEvent, Notification, ReasonCode, Status
from portal.celery import enqueue
from portal.links import public_url
from portal.sms import send_sms

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A message still waiting this long after it was written was not picked up by
# its own task (broker down, worker lost): beat sends it.
PICKUP_GRACE = timedelta(seconds=settings.LINGHUO_NOTIFICATION_PICKUP_SECONDS)


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
    on the applicant's case page."""
    language = person.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        full_context = {"person": person, "portal_url": public_url("/").rstrip("/"), **context}
        subject = _render(event, "email_subject.txt", full_context)
        body = _render(event, "email_body.txt", full_context)
        sms = _render(event, "sms.txt", full_context)
    common = {"recipient": person, "application": application, "event": event, "language": language}
    now = timezone.now()
    rows = [
        Notification(
            channel=Notification.Channel.INBOX,
            subject=subject,
            body=body,
            state=Notification.State.SENT,
            sent_at=now,
            **common,
        )
    ]
    if person.email:
        rows.append(
            Notification(channel=Notification.Channel.EMAIL, address=person.email, subject=subject, body=body, **common)
        )
    mobile = person.mobile or mobile_fallback
    if mobile:
        rows.append(Notification(channel=Notification.Channel.SMS, address=mobile, body=sms, **common))
    created = Notification.objects.bulk_create(rows)
    pending = [row.pk for row in created if row.state == Notification.State.PENDING]
    if pending:
        transaction.on_commit(lambda: _wake_sender(pending))
    return created


def _wake_sender(notification_ids: list[int]) -> None:
    # Broker unreachable: enqueue gives up at once and the message waits in the
    # outbox for beat (notifications_send_due).
    for notification_id in notification_ids:
        enqueue("applications.deliver_notification", notification_id)


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Sends one waiting message. A message already sent is not sent again."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, state=Notification.State.PENDING)
            .first()
        )
        if notification is None:
            return None
        try:
            _send(notification)
        except Exception as exc:  # the gateway failed: count it and try later
            notification.attempts += 1
            notification.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.state = Notification.State.FAILED
                logger.error("Notification %s failed %s times; giving up", notification.pk, notification.attempts)
            else:
                notification.next_attempt_at = timezone.now() + timedelta(minutes=2**notification.attempts)
            notification.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return notification
        notification.state = Notification.State.SENT
        notification.sent_at = timezone.now()
        notification.attempts += 1
        notification.last_error = ""
        notification.save(update_fields=["state", "sent_at", "attempts", "last_error"])
        return notification


def _send(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        send_mail(notification.subject, notification.body, None, [notification.address])
    elif notification.channel == Notification.Channel.SMS:
        send_sms(to=notification.address, text=notification.body)


def notifications_due(*, now=None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    waiting = Notification.objects.filter(state=Notification.State.PENDING)
    due = waiting.filter(next_attempt_at__lte=now) | waiting.filter(
        next_attempt_at__isnull=True, created_at__lte=now - PICKUP_GRACE
    )
    return list(due.order_by("created_at").values_list("pk", flat=True)[:limit])


def notifications_send_due(*, now=None) -> int:
    """Sends every message that is due; returns how many were sent."""
    sent = 0
    for notification_id in notifications_due(now=now):
        result = notification_deliver(notification_id=notification_id)
        if result is not None and result.state == Notification.State.SENT:
            sent += 1
    return sent


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
    cannot be rebuilt, the words it was sent with."""
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
