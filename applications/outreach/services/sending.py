"""Sending invitations: each person's waiting invitations in one message, at most one a week.

``invitations_send`` (beat, each morning) writes the messages to outreach's own outbox
(``InvitationMessage``) and wakes their sender after commit; ``invitation_message_deliver``
sends one, by the portal's own gateways (``django.core.mail.send_mail``,
``portal.sms.send_sms``) through the delivery mechanism every outbox of the portal shares
(``applications.services.outbox``: the same claim, number of attempts and backoff), and
``invitation_messages_send_due`` (beat, every sweep) sends what is due again. An inbox message becomes an ordinary inbox
``Notification`` of the person's account. Each change of a message's state is kept as an
``InvitationDeliveryEvent``, as the portal's own messages keep theirs; an SMS the provider took
stays ``sending`` until its delivery report comes (``invitation_receipt_record``: asked for by
beat, ``applications.services.sms_reports``, or pushed by the provider).

The channel is the first the registry or the portal knows: SMS to the mobile number, else
e-mail, else the inbox of an account that has applied with the same identity number. A
person with none of these keeps the invitations waiting until one is known. A message that
cannot be delivered on its channel (the number invalid or blocked, or every attempt failed)
falls back to the next of these the person has (``_fall_back``): a new message on it carries
the same invitations. One whose person opted out is not sent, and does not fall back.
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import Application, DeliveryEvent, Notification
from applications.outreach.models import Invitation, InvitationDeliveryEvent, InvitationMessage
from applications.services.outbox import (
    Handover,
    Transition,
    outbox_deliver,
    outbox_due,
    outbox_receipts_due,
    outbox_send_due,
    outbox_sms_receipt,
    outbox_wake,
)
from portal.language import join_list
from portal.links import public_url
from portal.sms import SmsReceipt, send_sms

# At most one message a person in this time, however many programmes it names.
MESSAGE_INTERVAL = timedelta(days=7)
BATCH_SIZE = 500
TEMPLATES = "notifications/invitation"
# The kind of the messages, as the SMS provider's templates know it (``portal.sms``).
SMS_KIND = "invitation"
# The ``event`` of the inbox notification an invitation becomes.
INBOX_EVENT = Notification.Event.INVITATION


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

    # The persons are locked first, and what waits is read after: two runs at once never write two
    # messages to one person (locking the invitations alone, one run could take some of a person's
    # and the other the rest). A person another run holds is that run's to write.
    free = RegistryPerson.objects.select_for_update(skip_locked=True).filter(pk__in=person_ids)
    person_ids = list(free.values_list("pk", flat=True))
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
    _first_events(messages)
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


# The channels in the order they are tried.
CHANNELS = (InvitationMessage.Channel.SMS, InvitationMessage.Channel.EMAIL, InvitationMessage.Channel.INBOX)


def _channel_for(person, account_id: int | None, *, after: str | None = None) -> tuple[str, str] | None:
    """The first channel (and its address) the person has, after the channel ``after`` if given."""
    addresses = {
        InvitationMessage.Channel.SMS: person.mobile or "",
        InvitationMessage.Channel.EMAIL: person.email or "",
        InvitationMessage.Channel.INBOX: "",
    }
    start = CHANNELS.index(after) + 1 if after else 0
    for channel in CHANNELS[start:]:
        if addresses[channel] or (channel == InvitationMessage.Channel.INBOX and account_id is not None):
            return channel, addresses[channel]
    return None


def _message_for(
    person, invitations: list[Invitation], account_id: int | None, now, *, after: str | None = None
) -> InvitationMessage | None:
    chosen = _channel_for(person, account_id, after=after)
    if chosen is None:
        return None
    channel, address = chosen
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
    outbox_wake(task_name="outreach.deliver_invitation_message", row_ids=message_ids)


def _first_events(messages: list[InvitationMessage]) -> None:
    """Each message's history starts when it is written: queued."""
    InvitationDeliveryEvent.objects.bulk_create(
        InvitationDeliveryEvent(message=message, status=message.state, channel=message.channel, at=message.created_at)
        for message in messages
    )


def _record(message: InvitationMessage, transition: Transition) -> None:
    InvitationDeliveryEvent.objects.create(
        message=message,
        status=transition.status,
        attempt=transition.attempt,
        channel=transition.channel,
        at=transition.at,
        provider_message_id=transition.provider_message_id,
        error=transition.error,
        fallback_to=transition.fallback,
    )


def _opted_out(message: InvitationMessage) -> str:
    # Opted out between writing and sending: nothing goes out.
    return "opted out" if message.person.opted_out_at is not None else ""


def _mark_invitations_sent(message: InvitationMessage) -> None:
    Invitation.objects.filter(message=message, sent_at__isnull=True).update(sent_at=message.sent_at)


def _messages():
    return InvitationMessage.objects.select_related("person")


def invitation_message_deliver(*, message_id: int) -> InvitationMessage | None:
    """Sends one waiting message; one already sent is not sent again. An SMS a gateway with
    delivery reports took is ``sending`` until its report comes; any other message taken is
    delivered."""
    return outbox_deliver(
        queryset=_messages(),
        pk=message_id,
        send=_send,
        refuse=_opted_out,
        after_sent=_mark_invitations_sent,
        record=_record,
        fall_back=_fall_back,
        receipts=True,
    )


def invitation_receipt_record(*, message_id: int, receipt: SmsReceipt | None, now=None) -> InvitationMessage | None:
    """Records the SMS provider's report on a message it took (``sending``): delivered, failed
    (sent again, or for good with its fallback), or, with no report yet, asked again later.
    None when the message is not being sent (the report came twice, or too late)."""
    return outbox_sms_receipt(
        queryset=_messages(), pk=message_id, receipt=receipt, record=_record, fall_back=_fall_back, now=now
    )


def invitation_receipts_due(*, now=None, limit: int = 200) -> list[int]:
    return outbox_receipts_due(model=InvitationMessage, now=now, limit=limit)


def _fall_back(failed: InvitationMessage) -> InvitationMessage | None:
    """A new message with the failed one's invitations on the person's next channel, if any."""
    person = failed.person
    account_id = (
        Application.objects.filter(id_number_hash=person.id_number_hash)
        .exclude(id_number_hash="")
        .order_by("created_at")
        .values_list("applicant_id", flat=True)
        .first()
    )
    invitations = list(
        Invitation.objects.filter(message=failed).select_related("programme").order_by("programme__position", "pk")
    )
    if not invitations:
        return None
    message = _message_for(person, invitations, account_id, timezone.now(), after=failed.channel)
    if message is None:
        return None
    message.save()
    _first_events([message])
    Invitation.objects.filter(message=failed).update(message=message)
    transaction.on_commit(lambda: _wake_sender([message.pk]))
    return message


def _send(message: InvitationMessage) -> Handover | None:
    if message.channel == InvitationMessage.Channel.SMS:
        taken = send_sms(to=message.address, text=message.body, kind=SMS_KIND)
        if taken is not None:
            return Handover(provider_message_id=taken.provider_message_id, receipt_expected=taken.receipt_expected)
    elif message.channel == InvitationMessage.Channel.EMAIL:
        send_mail(message.subject, message.body, None, [message.address])
    else:
        now = timezone.now()
        inbox = Notification.objects.create(
            recipient_id=message.recipient_id,
            event=INBOX_EVENT,
            channel=Notification.Channel.INBOX,
            language=message.language,
            subject=message.subject,
            body=message.body,
            state=Notification.State.DELIVERED,
            sent_at=now,
            delivered_at=now,
        )
        DeliveryEvent.objects.create(notification=inbox, status=inbox.state, channel=inbox.channel, at=now)
    return None


def invitation_messages_due(*, now=None, limit: int = 500) -> list[int]:
    return outbox_due(model=InvitationMessage, now=now, limit=limit)


def invitation_messages_send_due(*, now=None) -> int:
    """Sends every message that is due (its own task never ran, or a retry is due); returns how many went."""
    return outbox_send_due(
        model=InvitationMessage,
        deliver=lambda message_id: invitation_message_deliver(message_id=message_id),
        now=now,
        limit=500,
    )
