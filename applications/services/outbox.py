"""The one way the portal's outboxes deliver: claim a waiting row, send it, record what happened.

Two outboxes use it: the portal's own (``Notification``, ``applications.services.notifications``)
and outreach's invitation messages (``InvitationMessage``, ``applications.outreach.services.sending``),
whose recipients mostly have no account. Both rows have the same delivery columns (``state``,
``attempts``, ``last_error``, ``next_attempt_at``, ``sent_at``, ``created_at``) and go through the
same states and steps.

The states (``TRANSITIONS``; one function, ``delivery_transition``, moves a row and records it):

- ``queued``: written, not tried yet;
- ``sending``: taken by a provider that will report whether it reached the person (an SMS
  gateway with delivery receipts); ``next_attempt_at`` is then when the provider is next asked;
- ``delivered``: the provider reported it delivered, or took it on a channel that reports
  nothing further (an e-mail accepted by the mail server, the inbox);
- ``temporary_failure``: an attempt failed in a way that may pass (a timeout, throttling); the
  row is tried again after ``retry_delay``;
- ``permanent_failure``: it cannot be delivered on this channel (an invalid or blocked number,
  an address refused), or ``MAX_ATTEMPTS`` failed. The outbox's ``fall_back`` then chooses the
  next channel, if any.

The steps:

- a row is written in the transaction of the change it reports, and its sender woken after commit
  (``outbox_wake``); when the broker is down the row simply waits;
- ``outbox_deliver`` claims one waiting row (``SELECT … FOR UPDATE SKIP LOCKED``: two workers never
  send the same row, and one never waits for the other), sends it through the channel function it is
  given, and records the outcome;
- ``outbox_receipt`` records what the provider later reports on a row it took;
- ``outbox_send_due`` (beat, every sweep) delivers each row whose retry is due or whose own task
  never picked it up within ``PICKUP_GRACE``.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from portal.celery import enqueue

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A message still waiting this long after it was written was not picked up by
# its own task (broker down, worker lost): beat sends it.
PICKUP_GRACE = timedelta(seconds=settings.LINGHUO_NOTIFICATION_PICKUP_SECONDS)
ERROR_LENGTH = 300

QUEUED, SENDING, DELIVERED = "queued", "sending", "delivered"
TEMPORARY_FAILURE, PERMANENT_FAILURE = "temporary_failure", "permanent_failure"
# What a sender may claim.
WAITING = (QUEUED, TEMPORARY_FAILURE)
# What a provider has taken.
HANDED_OVER = (SENDING, DELIVERED)
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({SENDING, DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE}),
    TEMPORARY_FAILURE: frozenset({SENDING, DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE}),
    # The provider's report: delivered, or failed (temporarily: sent again; or for good).
    SENDING: frozenset({DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE}),
    DELIVERED: frozenset(),
    PERMANENT_FAILURE: frozenset(),
}
# A state that may follow itself: each failed attempt is an event of its own.
REPEATABLE = frozenset({TEMPORARY_FAILURE})

# How long a provider's report is waited for, and how often it is asked for meanwhile.
RECEIPT_WINDOW = timedelta(days=3)
RECEIPT_FIRST_CHECK = timedelta(minutes=1)
RECEIPT_LONGEST_WAIT = timedelta(hours=1)

Row = TypeVar("Row", bound=models.Model)


class IllegalDeliveryTransition(Exception):
    """A row was asked to move to a state it cannot reach from its own."""


@dataclass(frozen=True)
class Handover:
    """What a channel says when it took a message: the provider's id of it, and whether the
    provider will report its delivery (the row is then ``sending`` until it does)."""

    provider_message_id: str = ""
    receipt_expected: bool = False


@dataclass(frozen=True)
class Transition:
    """One change of a row's delivery state, as its history keeps it."""

    status: str
    attempt: int
    channel: str
    at: datetime
    provider_message_id: str = ""
    error: str = ""
    fallback: models.Model | None = None


Record = Callable[[models.Model, Transition], None]
FallBack = Callable[[models.Model], models.Model | None]


def retry_delay(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failed attempt a row is tried again: 2, 4, 8, … minutes."""
    return timedelta(minutes=2**attempts)


def is_permanent(exc: BaseException) -> bool:
    """A failure that trying again cannot mend: the gateway says so (``permanent`` on its error,
    e.g. ``portal.sms.SmsPermanentError`` for an invalid or blocked number)."""
    return bool(getattr(exc, "permanent", False))


def _has_field(row: models.Model, name: str) -> bool:
    return any(field.name == name for field in row._meta.concrete_fields)


def delivery_transition(
    *,
    row: Row,
    to: str,
    record: Record | None = None,
    error: str = "",
    provider_message_id: str = "",
    fallback: models.Model | None = None,
    now: datetime | None = None,
) -> Row:
    """Moves ``row`` (locked by the caller) to the delivery state ``to``, saves it and records the
    change with ``record``; returns the row. Nothing happens when the row is in ``to`` already
    (except a repeated failure, which is one more attempt); a move ``TRANSITIONS`` does not allow
    raises ``IllegalDeliveryTransition``."""
    if row.state == to and to not in REPEATABLE:
        return row
    if to not in TRANSITIONS[row.state]:
        raise IllegalDeliveryTransition(f"{type(row).__name__} {row.pk}: {row.state} → {to}")
    now = now or timezone.now()
    row.state = to
    row.last_error = error[:ERROR_LENGTH]
    fields = ["state", "last_error", "attempts", "next_attempt_at", "sent_at"]
    if to in HANDED_OVER and row.sent_at is None:
        row.sent_at = now
    if to == TEMPORARY_FAILURE:
        row.next_attempt_at = now + retry_delay(row.attempts)
    elif to == SENDING:
        row.next_attempt_at = now + RECEIPT_FIRST_CHECK
    else:
        row.next_attempt_at = None
    if to == DELIVERED and _has_field(row, "delivered_at"):
        row.delivered_at = now
        fields.append("delivered_at")
    if provider_message_id and _has_field(row, "provider_message_id"):
        row.provider_message_id = provider_message_id[:64]
        fields.append("provider_message_id")
    row.save(update_fields=fields)
    if record is not None:
        record(
            row,
            Transition(
                status=to,
                attempt=row.attempts,
                channel=row.channel,
                at=now,
                provider_message_id=provider_message_id,
                error=row.last_error,
                fallback=fallback,
            ),
        )
    return row


def _failed(row: Row, *, error: str, permanent: bool, record: Record | None, fall_back: FallBack | None) -> Row:
    """One failed attempt: tried again later, or, when it cannot pass or was the last one, given up
    on this channel, with the fallback ``fall_back`` chose (if any) in its history."""
    if not permanent and row.attempts < MAX_ATTEMPTS:
        return delivery_transition(row=row, to=TEMPORARY_FAILURE, error=error, record=record)
    if not permanent:
        logger.error("%s %s failed %s times; giving up", type(row).__name__, row.pk, row.attempts)
    fallback = fall_back(row) if fall_back is not None else None
    return delivery_transition(row=row, to=PERMANENT_FAILURE, error=error, record=record, fallback=fallback)


def outbox_wake(*, task_name: str, row_ids: list[int]) -> None:
    """Wakes the sender of each row. Call it after commit; when the broker is unreachable
    ``enqueue`` gives up at once and the rows wait for the sweep (``outbox_send_due``)."""
    for row_id in row_ids:
        enqueue(task_name, row_id)


def outbox_deliver(
    *,
    queryset: models.QuerySet,
    pk: int,
    send: Callable[[Row], Handover | None],
    refuse: Callable[[Row], str] | None = None,
    after_sent: Callable[[Row], None] | None = None,
    record: Record | None = None,
    fall_back: FallBack | None = None,
    receipts: bool = False,
) -> Row | None:
    """Sends the waiting row ``pk`` of ``queryset`` with ``send`` and returns it as it was recorded;
    None when the row is not waiting (taken already, given up, or being sent by another worker).

    ``refuse`` returns why the row must not go out any more (e.g. the person opted out), or "":
    a refused row fails for good without being sent, and without a fallback. ``send`` returns
    what the channel said (``Handover``) or None; with ``receipts`` (the outbox keeps the
    provider's id and asks for its reports) a handover that expects a receipt leaves the row
    ``sending``, any other is ``delivered``. ``after_sent`` runs in the same transaction once the
    row is handed over. A ``send`` that raises is one failed attempt (``_failed``).
    """
    with transaction.atomic():
        row = queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk, state__in=WAITING).first()
        if row is None:
            return None
        reason = refuse(row) if refuse is not None else ""
        if reason:
            return delivery_transition(row=row, to=PERMANENT_FAILURE, error=reason, record=record)
        row.attempts += 1
        try:
            handover = send(row) or Handover()
        except Exception as exc:  # the gateway failed: count it, and try later or fall back
            return _failed(
                row,
                error=f"{type(exc).__name__}: {exc}",
                permanent=is_permanent(exc),
                record=record,
                fall_back=fall_back,
            )
        to = SENDING if receipts and handover.receipt_expected else DELIVERED
        row = delivery_transition(row=row, to=to, provider_message_id=handover.provider_message_id, record=record)
        if after_sent is not None:
            after_sent(row)
        return row


def outbox_receipt(
    *,
    queryset: models.QuerySet,
    pk: int,
    delivered: bool,
    failed: bool = False,
    error: str = "",
    permanent: bool = False,
    record: Record | None = None,
    fall_back: FallBack | None = None,
    now: datetime | None = None,
) -> Row | None:
    """Records the provider's report on the row ``pk``, which it took (``sending``): delivered;
    ``failed`` (``permanent`` or to be sent again, like a failed attempt); or neither, still
    waiting: asked again later, less often as time passes, and no more after ``RECEIPT_WINDOW``.
    Returns the row, or None when it is not being sent (a report came twice, or too late)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = queryset.select_for_update(of=("self",)).filter(pk=pk, state=SENDING).first()
        if row is None:
            return None
        if delivered:
            return delivery_transition(row=row, to=DELIVERED, record=record, now=now)
        if failed:
            return _failed(row, error=error, permanent=permanent, record=record, fall_back=fall_back)
        waited = now - (row.sent_at or now)
        if waited >= RECEIPT_WINDOW:
            row.next_attempt_at = None  # no report came: it stays "sending", and is asked no more
        else:
            row.next_attempt_at = now + min(max(waited / 2, RECEIPT_FIRST_CHECK), RECEIPT_LONGEST_WAIT)
        row.save(update_fields=["next_attempt_at"])
        return row


def outbox_due(*, model: type[models.Model], now=None, limit: int) -> list[int]:
    """The waiting rows of ``model`` to send now, oldest first: a retry that is due, or a first
    attempt its own task has not made within ``PICKUP_GRACE``."""
    now = now or timezone.now()
    waiting = model.objects.filter(state__in=WAITING)
    due = waiting.filter(next_attempt_at__lte=now) | waiting.filter(
        next_attempt_at__isnull=True, created_at__lte=now - PICKUP_GRACE
    )
    return list(due.order_by("created_at", "pk").values_list("pk", flat=True)[:limit])


def outbox_sms_receipt(
    *,
    queryset: models.QuerySet,
    pk: int,
    receipt,
    record: Record | None = None,
    fall_back: FallBack | None = None,
    now: datetime | None = None,
) -> Row | None:
    """``outbox_receipt`` with an SMS gateway's report (``portal.sms.SmsReceipt``, or None when it has
    none yet)."""
    failed = bool(receipt and receipt.failed)
    return outbox_receipt(
        queryset=queryset,
        pk=pk,
        delivered=bool(receipt and receipt.delivered),
        failed=failed,
        permanent=bool(receipt and receipt.permanent),
        error=f"delivery report: {receipt.code}" if failed else "",
        record=record,
        fall_back=fall_back,
        now=now,
    )


def outbox_receipts_due(*, model: type[models.Model], now=None, limit: int) -> list[int]:
    """The rows of ``model`` a provider took whose report is to be asked for now, longest asked first."""
    now = now or timezone.now()
    rows = model.objects.filter(state=SENDING, next_attempt_at__lte=now).exclude(provider_message_id="")
    return list(rows.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def outbox_send_due(*, model: type[models.Model], deliver: Callable[[int], Row | None], now=None, limit: int) -> int:
    """Delivers every row of ``model`` that is due with ``deliver`` (the outbox's own one-row
    service); returns how many a channel took."""
    sent = 0
    for row_id in outbox_due(model=model, now=now, limit=limit):
        result = deliver(row_id)
        if result is not None and result.state in HANDED_OVER:
            sent += 1
    return sent
