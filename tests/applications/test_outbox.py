"""One delivery mechanism for every outbox (``applications.services.outbox``): the portal's
notifications and outreach's invitation messages are claimed, retried, given up and swept alike."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from applications.models import Notification
from applications.outreach.models import InvitationMessage
from applications.outreach.services import invitation_message_deliver, invitations_create, invitations_send
from applications.services import outbox
from applications.services.notifications import notification_deliver, notifications_send_due, notify_applicant
from portal import sms
from tests.factories import ApplicationFactory, CitizenFactory, programme
from tests.outreach.conftest import SI, make_person, make_run, match

pytestmark = pytest.mark.django_db


class BrokenSms:
    def send(self, message):
        raise TimeoutError("gateway timeout")


def pending_sms_notification() -> Notification:
    application = ApplicationFactory(applicant=CitizenFactory(username="13900001111"))
    notify_applicant(application=application, event="submitted")
    return Notification.objects.get(channel="sms")


def pending_invitation_message() -> InvitationMessage:
    run = make_run()
    match(make_person(), SI, run)
    invitations_create(run=run)
    invitations_send()  # written; its own task not run (the test does not run on-commit callbacks)
    return InvitationMessage.objects.get()


def test_both_outboxes_back_off_and_give_up_alike(settings):
    settings.SMS_BACKEND = "tests.applications.test_outbox.BrokenSms"
    notification, message = pending_sms_notification(), pending_invitation_message()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        before = timezone.now()
        notification_deliver(notification_id=notification.pk)
        invitation_message_deliver(message_id=message.pk)
        notification.refresh_from_db()
        message.refresh_from_db()
        assert notification.attempts == message.attempts == attempt
        assert "TimeoutError: gateway timeout" == notification.last_error == message.last_error
        if attempt < outbox.MAX_ATTEMPTS:
            assert notification.state == message.state == "temporary_failure"
            for row in (notification, message):
                assert before + outbox.retry_delay(attempt) <= row.next_attempt_at
                assert row.next_attempt_at <= timezone.now() + outbox.retry_delay(attempt)
    assert notification.state == message.state == "permanent_failure"
    assert outbox.retry_delay(1) == timedelta(minutes=2) and outbox.retry_delay(3) == timedelta(minutes=8)
    # Given up: neither is sent again.
    settings.SMS_BACKEND = "portal.sms.RecordingBackend"
    assert notification_deliver(notification_id=notification.pk) is None
    assert invitation_message_deliver(message_id=message.pk) is None
    assert not sms.outbox


def test_the_sweep_sends_what_its_own_task_did_not_pick_up_after_the_grace():
    notification, message = pending_sms_notification(), pending_invitation_message()
    later = timezone.now() + outbox.PICKUP_GRACE + timedelta(seconds=1)
    assert outbox.outbox_due(model=Notification, limit=10) == []
    assert outbox.outbox_due(model=Notification, now=later, limit=10) == [notification.pk]
    assert outbox.outbox_due(model=InvitationMessage, now=later, limit=10) == [message.pk]
    assert notifications_send_due(now=later) == 1
    assert [m.to for m in sms.outbox] == ["13900001111"]


def test_an_invitation_in_the_inbox_is_a_declared_notification_event(django_capture_on_commit_callbacks):
    account = CitizenFactory()
    person = make_person(mobile="", email="")
    ApplicationFactory(applicant=account, id_number=person.id_number, programme=programme("startup-subsidy"))
    run = make_run()
    match(person, SI, run)
    invitations_create(run=run)
    with django_capture_on_commit_callbacks(execute=True):
        invitations_send()
    inbox = Notification.objects.get(recipient=account, channel=Notification.Channel.INBOX)
    assert inbox.event == Notification.Event.INVITATION
    inbox.full_clean(exclude=["application"])  # a choice the model declares
    with translation.override("zh-hans"):
        assert inbox.get_event_display() == "申请邀请"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_row_being_sent_by_another_worker_is_skipped_not_waited_for():
    assert connection.vendor == "postgresql"
    # Written as the outbox writes it, without waking a sender (the test is the only sender).
    notification = Notification.objects.create(
        recipient=CitizenFactory(),
        event=Notification.Event.SUBMITTED,
        channel=Notification.Channel.SMS,
        language="zh-hans",
        address="13900001111",
        body="text",
    )
    claimed, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                claimed.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert claimed.wait(timeout=30)
        started = timezone.now()
        assert notification_deliver(notification_id=notification.pk) is None  # SKIP LOCKED
        assert timezone.now() - started < timedelta(seconds=5)
        assert not sms.outbox
    finally:
        release.set()
        worker.join(timeout=30)
    assert notification_deliver(notification_id=notification.pk).state == "delivered"
    assert len(sms.outbox) == 1
