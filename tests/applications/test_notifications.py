from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import Notification, Status
from applications.services.intake import application_submit
from applications.services.notifications import (
    MAX_ATTEMPTS,
    PICKUP_GRACE,
    notification_deliver,
    notifications_send_due,
    notify_applicant,
)
from applications.tasks import send_due_notifications
from tests.conftest import DEAD_BROKER_URL, repoint_broker
from tests.factories import ApplicationFactory, CitizenFactory, ready_to_submit

pytestmark = pytest.mark.django_db


def test_notifications_are_written_in_the_applicants_language(django_capture_on_commit_callbacks, sms_outbox):
    person = CitizenFactory(username="13900001111", preferred_language="zh-hans")
    person.email = "wang@example.com"
    person.save()
    application = ready_to_submit(applicant=person)
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(application=application, acting_user=person, declaration=True)
    application.refresh_from_db()
    inbox = Notification.objects.get(channel="inbox")
    assert inbox.state == "delivered" and inbox.language == "zh-hans"
    assert inbox.subject == f"已收到您的申请 {application.reference}"
    assert mail.outbox[0].subject == inbox.subject
    assert sms_outbox[0].text.startswith("【灵活就业服务】")


def test_a_message_is_not_lost_when_the_broker_is_down(broker_down, django_capture_on_commit_callbacks, sms_outbox):
    application = ready_to_submit()
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(application=application, acting_user=application.applicant, declaration=True)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED  # the person's submission is not lost either
    waiting = Notification.objects.filter(state="queued")
    assert set(waiting.values_list("channel", flat=True)) == {"email", "sms"}
    assert sms_outbox == [] and mail.outbox == []

    # Beat's job, once the grace period has passed, sends what is waiting.
    assert notifications_send_due(now=timezone.now() + PICKUP_GRACE + timedelta(seconds=1)) == 2
    assert not Notification.objects.filter(state="queued").exists()
    assert len(sms_outbox) == 1 and len(mail.outbox) == 1
    # ...and only once.
    assert notifications_send_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(sms_outbox) == 1


def test_fresh_messages_are_left_to_their_own_task():
    application = ApplicationFactory()
    notify_applicant(application=application, event="submitted")
    assert notifications_send_due() == 0


def test_a_failing_gateway_is_retried_with_backoff_and_then_given_up(settings):
    settings.SMS_BACKEND = "tests.applications.test_notifications.BrokenSms"
    application = ApplicationFactory(applicant=CitizenFactory(username="13900001111"))
    notify_applicant(application=application, event="submitted")
    sms = Notification.objects.get(channel="sms")
    notification_deliver(notification_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.state, sms.attempts) == ("temporary_failure", 1)
    assert "gateway timeout" in sms.last_error
    assert sms.next_attempt_at > timezone.now()
    for _ in range(MAX_ATTEMPTS - 1):
        notification_deliver(notification_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.state, sms.attempts) == ("permanent_failure", MAX_ATTEMPTS)


class BrokenSms:
    def send(self, message):
        raise TimeoutError("gateway timeout")


def test_beat_schedules_the_resend_job(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(entry["task"] == send_due_notifications.name for entry in schedule.values())


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outbox_is_delivered_by_a_real_worker_after_an_outage(celery_worker_process):
    from portal.celery import app, broker_mark_up

    application = ready_to_submit()
    working_broker = app.conf.broker_url
    repoint_broker(app, DEAD_BROKER_URL)  # Redis unreachable while the person submits
    try:
        application_submit(application=application, acting_user=application.applicant, declaration=True)
    finally:
        repoint_broker(app, working_broker)
        # Redis is back: publish again at once, here and in the tests that follow (which would
        # otherwise leave their tasks for the sweep while the outage is remembered).
        broker_mark_up()
    assert Notification.objects.filter(state="queued").count() == 2
    Notification.objects.update(created_at=timezone.now() - PICKUP_GRACE - timedelta(seconds=1))
    result = send_due_notifications.delay()  # what beat sends every minute
    outcome = result.get(timeout=30)
    assert outcome == {"sent": 2}, list(Notification.objects.values("state", "attempts", "last_error", "created_at"))
    assert not Notification.objects.filter(state__in=["queued", "temporary_failure"]).exists()
