"""Sending invitations: each person's waiting invitations in one message, at most one a week.

``invitations_send`` (beat, each morning) writes the messages to outreach's own outbox
(``InvitationMessage``) and wakes their sender after commit; ``invitation_message_deliver``
sends one, by the portal's own gateways (``django.core.mail.send_mail``,
``portal.sms.send_sms``) with the portal outbox's retries (``applications.services.notifications``:
the same number of attempts and the same backoff), and ``invitation_messages_send_due``
(beat, every sweep) sends what is due again. An inbox message becomes an ordinary inbox
``Notification`` of the person's account.

The channel is the first the registry or the portal knows: SMS to the mobile number, else
e-mail, else the inbox of an account that has applied with the same identity number. A
person with none of these keeps the invitations waiting until one is known.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import Application, Notification
from applications.outreach.models import Invitation, InvitationMessage
from applications.services.notifications import MAX_ATTEMPTS, PICKUP_GRACE
from portal.celery import enqueue
from portal.language import join_list
from portal.links import public_url
from portal.sms import send_sms

logger = logging.getLogger(__name__)

# At most one message a person in this time, however many programmes it names.
MESSAGE_INTERVAL = timedelta(days=7)
BATCH_SIZE = 500
TEMPLATES = "notifications/invitation"
# The ``event`` of the inbox notification an invitation becomes.
INBOX_EVENT = "invitation"


def message_language(language: str) -> str:
    """The portal's language closest to the registry's: Chinese unless English is asked for."""
    codes = dict(settings.LANGUAGES)
    value = (language or "").lower()
    if value in codes:
        return value
    return "en" if value.startswith("en") else settings.LANGUAGE_CODE


def _waiting(now):
    """Invitations not yet in a message, of persons who may be sent one now."""
    recent = InvitationMessage.objects.filter(person_id=OuterRef("person_id"), created_at__gt=now - MESSAGE_INTERVAL)
    applied = Application.objects.filter(
        programme_id=OuterRef("programme_id"), id_number_hash=OuterRef("person__id_number_hash")
    ).exclude(id_number_hash="")
    return (
        Invitation.objects.filter(message__isnull=True, application__isnull=True, person__opted_out_at__isnull=True)
        .exclude(Exists(recent))
        .exclude(Exists(applied))
    )


def invitations_send(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Writes one message for each person with waiting invitations and no message in the last
    seven days; returns how many messages were written."""
    now = now or timezone.now()
    written = 0
    after = 0
    while True:
        person_ids = list(
            _waiting(now)
            .filter(person_id__gt=after)
            .order_by("person_id")
            .values_list("person_id", flat=True)
            .distinct()[:batch_size]
        )
        if not person_ids:
            return written
        written += _write_messages(person_ids, now)
        after = person_ids[-1]


@transaction.atomic
def _write_messages(person_ids: list[int], now) -> int:
    from eligibility.registry.models import RegistryPerson

    invitations = list(
        _waiting(now)
        .filter(person_id__in=person_ids)
        .select_related("programme")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("person_id", "programme__position", "pk")
    )
    by_person: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in invitations:
        by_person[invitation.person_id].append(invitation)
    persons = RegistryPerson.objects.in_bulk(list(by_person))
    accounts = dict(
        Application.objects.filter(id_number_hash__in=[p.id_number_hash for p in persons.values() if p.id_number_hash])
        .order_by("created_at")
        .values_list("id_number_hash", "applicant_id")
    )
    messages, covered = [], []
    for person_id, own in by_person.items():
        person = persons[person_id]
        message = _message_for(person, own, accounts.get(person.id_number_hash), now)
        if message is None:
            continue
        messages.append(message)
        covered.append(own)
    InvitationMessage.objects.bulk_create(messages)
    changed = []
    for message, own in zip(messages, covered, strict=True):
        for invitation in own:
            invitation.message = message
            changed.append(invitation)
    Invitation.objects.bulk_update(changed, ["message"], batch_size=1000)
    ids = [message.pk for message in messages]
    if ids:
        transaction.on_commit(lambda: _wake_sender(ids))
    return len(messages)


def _message_for(person, invitations: list[Invitation], account_id: int | None, now) -> InvitationMessage | None:
    if person.mobile:
        channel, address = InvitationMessage.Channel.SMS, person.mobile
    elif person.email:
        channel, address = InvitationMessage.Channel.EMAIL, person.email
    elif account_id is not None:
        channel, address = InvitationMessage.Channel.INBOX, ""
    else:
        return None
    language = message_language(person.language)
    token = invitations[0].token
    with translation.override(language):
        context = {
            "programmes": [invitation.programme.title for invitation in invitations],
            "titles": join_list(invitation.programme.title for invitation in invitations),
            "invitation_url": public_url(reverse("outreach:invitation", kwargs={"token": token})),
            "opt_out_url": public_url(reverse("outreach:opt_out", kwargs={"token": token})),
        }
        subject = render_to_string(f"{TEMPLATES}/email_subject.txt", context).strip()
        if channel == InvitationMessage.Channel.SMS:
            body = render_to_string(f"{TEMPLATES}/sms.txt", context).strip()
        else:
            body = render_to_string(f"{TEMPLATES}/email_body.txt", context).strip()
    return InvitationMessage(
        person=person,
        channel=channel,
        language=language,
        address=address,
        recipient_id=account_id if channel == InvitationMessage.Channel.INBOX else None,
        subject=subject,
        body=body,
        created_at=now,
    )


def _wake_sender(message_ids: list[int]) -> None:
    # Broker unreachable: the messages wait in the outbox for beat (invitation_messages_send_due).
    for message_id in message_ids:
        enqueue("outreach.deliver_invitation_message", message_id)


def invitation_message_deliver(*, message_id: int) -> InvitationMessage | None:
    """Sends one waiting message; one already sent is not sent again."""
    with transaction.atomic():
        message = (
            InvitationMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("person")
            .filter(pk=message_id, state=InvitationMessage.State.PENDING)
            .first()
        )
        if message is None:
            return None
        if message.person.opted_out_at is not None:
            # Opted out between writing and sending: nothing goes out.
            message.state = InvitationMessage.State.FAILED
            message.last_error = "opted out"
            message.save(update_fields=["state", "last_error"])
            return message
        try:
            _send(message)
        except Exception as exc:  # the gateway failed: count it and try later, as the portal's outbox does
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = InvitationMessage.State.FAILED
                logger.error("Invitation message %s failed %s times; giving up", message.pk, message.attempts)
            else:
                message.next_attempt_at = timezone.now() + timedelta(minutes=2**message.attempts)
            message.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return message
        now = timezone.now()
        message.state = InvitationMessage.State.SENT
        message.sent_at = now
        message.attempts += 1
        message.last_error = ""
        message.save(update_fields=["state", "sent_at", "attempts", "last_error"])
        Invitation.objects.filter(message=message, sent_at__isnull=True).update(sent_at=now)
        return message


def _send(message: InvitationMessage) -> None:
    if message.channel == InvitationMessage.Channel.SMS:
        send_sms(to=message.address, text=message.body)
    elif message.channel == InvitationMessage.Channel.EMAIL:
        send_mail(message.subject, message.body, None, [message.address])
    else:
        Notification.objects.create(
            recipient_id=message.recipient_id,
            event=INBOX_EVENT,
            channel=Notification.Channel.INBOX,
            language=message.language,
            subject=message.subject,
            body=message.body,
            state=Notification.State.SENT,
            sent_at=timezone.now(),
        )


def invitation_messages_due(*, now=None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    waiting = InvitationMessage.objects.filter(state=InvitationMessage.State.PENDING)
    due = waiting.filter(next_attempt_at__lte=now) | waiting.filter(
        next_attempt_at__isnull=True, created_at__lte=now - PICKUP_GRACE
    )
    return list(due.order_by("created_at", "pk").values_list("pk", flat=True)[:limit])


def invitation_messages_send_due(*, now=None) -> int:
    """Sends every message that is due (its own task never ran, or a retry is due); returns how many went."""
    sent = 0
    for message_id in invitation_messages_due(now=now):
        result = invitation_message_deliver(message_id=message_id)
        if result is not None and result.state == InvitationMessage.State.SENT:
            sent += 1
    return sent
