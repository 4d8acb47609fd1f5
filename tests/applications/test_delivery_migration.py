"""The data migration of the delivery states (applications 0012_delivery_status, outreach
0003_delivery_status): yesterday's pending/sent/failed rows become today's states, each e-mail and
SMS is linked to the inbox copy written with it, and each message's history begins."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from applications.models import DeliveryEvent, Notification
from applications.outreach.models import InvitationMessage
from tests.factories import ApplicationFactory, CitizenFactory
from tests.outreach.conftest import make_person

pytestmark = pytest.mark.django_db

notifications_0012 = importlib.import_module("applications.migrations.0012_delivery_status")
outreach_0003 = importlib.import_module("applications.outreach.migrations.0003_delivery_status")


def old_row(*, channel: str, state: str, attempts: int = 0, at=None, **fields) -> Notification:
    """A row as release 1 wrote it (its state is written past the model's choices)."""
    row = Notification.objects.create(channel=channel, language="zh-hans", body="text", attempts=attempts, **fields)
    Notification.objects.filter(pk=row.pk).update(state=state, created_at=at or timezone.now())
    return row


def test_old_states_become_the_new_ones_linked_to_their_inbox_copy_with_a_first_event():
    person, application = CitizenFactory(), ApplicationFactory()
    common = {"recipient": person, "application": application, "event": "submitted"}
    written = timezone.now() - timedelta(days=3)
    sent_at = written + timedelta(seconds=2)
    inbox = old_row(channel="inbox", state="sent", at=written, sent_at=sent_at, **common)
    email = old_row(channel="email", state="sent", at=written + timedelta(milliseconds=3), sent_at=sent_at, **common)
    retrying = old_row(channel="sms", state="pending", attempts=2, at=written + timedelta(milliseconds=4), **common)
    failed = old_row(channel="sms", state="failed", attempts=8, at=written + timedelta(days=1), **common)
    waiting = old_row(
        channel="email", state="pending", at=written + timedelta(days=2), recipient=person, event="approved"
    )
    DeliveryEvent.objects.all().delete()

    notifications_0012.forward(apps, None)

    def now(row):
        return Notification.objects.get(pk=row.pk)

    assert [now(r).state for r in (inbox, email, retrying, failed, waiting)] == [
        "delivered",
        "delivered",
        "temporary_failure",
        "permanent_failure",
        "queued",
    ]
    assert now(email).delivered_at == sent_at
    # Written with the inbox copy: linked; a day later, or of another event: not.
    assert [now(r).inbox_message_id for r in (email, retrying, failed, waiting)] == [inbox.pk, inbox.pk, None, None]
    assert DeliveryEvent.objects.filter(notification=retrying).get().status == "temporary_failure"
    assert DeliveryEvent.objects.count() == 5

    notifications_0012.backward(apps, None)
    assert [now(r).state for r in (inbox, retrying, failed, waiting)] == ["sent", "pending", "failed", "pending"]


def test_invitation_messages_take_the_same_states():
    person = make_person()
    rows = [
        InvitationMessage.objects.create(
            person=person, channel="sms", language="zh-hans", body="x", created_at=timezone.now()
        )
        for _ in range(3)
    ]
    for row, (state, attempts) in zip(rows, [("pending", 0), ("sent", 1), ("failed", 8)], strict=True):
        InvitationMessage.objects.filter(pk=row.pk).update(state=state, attempts=attempts)
    outreach_0003.forward(apps, None)
    assert [InvitationMessage.objects.get(pk=r.pk).state for r in rows] == ["queued", "delivered", "permanent_failure"]


outreach_0004 = importlib.import_module("applications.outreach.migrations.0004_invitation_delivery_history")


def test_each_invitation_message_starts_its_history_with_the_state_it_is_in():
    from applications.outreach.models import InvitationDeliveryEvent

    person = make_person()
    written = timezone.now() - timedelta(days=2)
    sent_at = written + timedelta(seconds=3)
    delivered, retrying = (
        InvitationMessage.objects.create(
            person=person, channel="sms", language="zh-hans", body="x", created_at=written, **fields
        )
        for fields in (
            {"state": "delivered", "attempts": 1, "sent_at": sent_at},
            {"state": "temporary_failure", "attempts": 2, "last_error": "gateway down"},
        )
    )
    outreach_0004.first_events(apps, None)
    assert InvitationMessage.objects.get(pk=delivered.pk).delivered_at == sent_at
    events = {event.message_id: event for event in InvitationDeliveryEvent.objects.all()}
    assert (events[delivered.pk].status, events[delivered.pk].at, events[delivered.pk].attempt) == (
        "delivered",
        sent_at,
        1,
    )
    assert (events[retrying.pk].status, events[retrying.pk].at, events[retrying.pk].error) == (
        "temporary_failure",
        written,
        "gateway down",
    )
