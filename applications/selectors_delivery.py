"""Reads of how messages were delivered: a case's messages with their history for its
caseworkers, the citizens of a region who could not be reached, and what a citizen is told.

A message is its inbox row and its deliveries by SMS and e-mail (``Notification.inbox_message``),
fallbacks included. "Could not be reached": every delivery of the message failed for good and
the person has not read it in the inbox either (reading it there reaches them). A message with
no delivery at all (no number, no address) is not in that list: nothing failed.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from applications.models import Application, DeliveryEvent, Notification, Status
from applications.selectors_staff import is_staff_member
from portal.sms import masked_number

State = Notification.State
Channel = Notification.Channel

# What a citizen is told of a delivery: sent, delivered, or could not be delivered; nothing while
# it is still being tried.
CITIZEN_STATUS = {
    State.SENDING: _("sent"),
    State.DELIVERED: _("delivered"),
    State.PERMANENT_FAILURE: _("could not be delivered"),
}


def masked_address(channel: str, address: str) -> str:
    """138****8000 for a number, w***@example.com for an address: enough to tell them apart."""
    if not address:
        return ""
    if channel == Channel.EMAIL:
        name, _at, domain = address.partition("@")
        return f"{name[:1]}***@{domain}" if domain else "***"
    return masked_number(address)


@dataclass(frozen=True)
class DeliveryNote:
    channel: str
    address: str
    status: str


def inbox_delivery_notes(*, inbox_ids: list[int]) -> dict[int, list[DeliveryNote]]:
    """For each inbox message, how its SMS and e-mail went, as its reader is told (one query)."""
    if not inbox_ids:
        return {}
    notes: dict[int, list[DeliveryNote]] = {}
    deliveries = (
        Notification.objects.filter(inbox_message_id__in=inbox_ids)
        .exclude(channel=Channel.INBOX)
        .order_by("created_at", "id")
        .only("inbox_message_id", "channel", "address", "state")
    )
    for delivery in deliveries:
        status = CITIZEN_STATUS.get(delivery.state)
        if status is None:
            continue
        notes.setdefault(delivery.inbox_message_id, []).append(
            DeliveryNote(
                channel=delivery.get_channel_display(),
                address=masked_address(delivery.channel, delivery.address),
                status=status,
            )
        )
    return notes


def _with_history(queryset: QuerySet[Notification]) -> QuerySet[Notification]:
    return queryset.prefetch_related(
        Prefetch("delivery_events", queryset=DeliveryEvent.objects.select_related("fallback_to").order_by("at", "id"))
    )


def case_messages(*, application: Application) -> list[Notification]:
    """The case's messages, newest first, each inbox message with its deliveries (and their
    history) in ``shown_deliveries``; a delivery written before deliveries were linked to their
    inbox message is shown on its own. A fixed number of queries whatever their number."""
    rows = list(
        _with_history(
            Notification.objects.filter(application=application)
            .select_related("fallback_of")
            .order_by("created_at", "id")
        )
    )
    by_inbox: dict[int, list[Notification]] = {}
    for row in rows:
        if row.channel != Channel.INBOX and row.inbox_message_id:
            by_inbox.setdefault(row.inbox_message_id, []).append(row)
    shown = [row for row in rows if row.channel == Channel.INBOX or not row.inbox_message_id]
    for row in shown:
        row.shown_deliveries = by_inbox.get(row.pk, []) if row.channel == Channel.INBOX else [row]
        row.masked_address = masked_address(row.channel, row.address)
        for delivery in row.shown_deliveries:
            delivery.masked_address = masked_address(delivery.channel, delivery.address)
        row.unreachable = bool(row.shown_deliveries) and all(
            delivery.state == State.PERMANENT_FAILURE for delivery in row.shown_deliveries
        )
    return list(reversed(shown))


def unreachable_messages(*, user) -> QuerySet[Notification]:
    """The inbox messages of ``user``'s region's sent cases whose every delivery failed for good
    and which their reader has not opened in the inbox, newest first, with their deliveries."""
    if not is_staff_member(user):
        return Notification.objects.none()
    deliveries = Notification.objects.filter(inbox_message=OuterRef("pk")).exclude(channel=Channel.INBOX)
    return (
        Notification.objects.filter(
            channel=Channel.INBOX,
            read_at__isnull=True,
            application__region=user.region,
        )
        .exclude(application__status=Status.DRAFT)
        .filter(Exists(deliveries))
        .exclude(Exists(deliveries.exclude(state=State.PERMANENT_FAILURE)))
        .select_related("application", "application__programme")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Notification.objects.exclude(channel=Channel.INBOX).order_by("created_at", "id"),
            )
        )
        .order_by("-created_at", "-id")
    )
