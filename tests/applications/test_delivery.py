"""Delivery you can trust (issue 14, item 7): each message's state and history, retries that stop
at a permanent failure, the fallback SMS → e-mail → inbox, what caseworkers and citizens see, and
the list of citizens who could not be reached."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from applications.models import DeliveryEvent, Notification
from applications.selectors_delivery import unreachable_messages
from applications.services import outbox
from applications.services.notifications import (
    MAX_ATTEMPTS,
    notification_deliver,
    notifications_due,
    notifications_send_due,
    notify_applicant,
    sms_receipts_poll,
)
from portal import sms
from portal.sms import SmsHandover, SmsPermanentError, SmsReceipt, SmsTemporaryError
from tests.applications.test_review_services import submitted
from tests.factories import CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

MOBILE = "13900001111"


class InvalidNumberSms:
    def send(self, message):
        raise SmsPermanentError("isv.MOBILE_NUMBER_ILLEGAL: 非法手机号", code="isv.MOBILE_NUMBER_ILLEGAL")


class ThrottledSms:
    def send(self, message):
        raise SmsTemporaryError("isv.BUSINESS_LIMIT_CONTROL: 触发流控", code="isv.BUSINESS_LIMIT_CONTROL")


class ReportingSms:
    """A gateway with delivery reports, as tests keep it: what it took, and the report to give."""

    report = SmsReceipt()

    def send(self, message):
        sms.outbox.append(message)
        return SmsHandover(provider_message_id=f"biz-{len(sms.outbox)}", receipt_expected=True)

    def receipt(self, *, to, provider_message_id, sent_on):
        return ReportingSms.report


class RefusingMail(BaseEmailBackend):
    code = 550

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (RefusingMail.code, b"mailbox unavailable")})


def message(*, email: str | None = None, number: str = MOBILE, region: str = "330800"):
    person = CitizenFactory(username=number) if number else CitizenFactory()
    person.email = email
    person.save()
    application = submitted(applicant=person, region=region, mobile=number)
    notify_applicant(application=application, event="submitted")
    return application, Notification.objects.filter(application=application)


def history(notification: Notification) -> list[tuple[str, int]]:
    return [(event.status, event.attempt) for event in notification.delivery_events.order_by("at", "id")]


def test_a_message_is_written_queued_beside_its_inbox_copy_with_its_history_begun():
    _, rows = message(email="li@example.com")
    inbox, email, text = (rows.get(channel=channel) for channel in ("inbox", "email", "sms"))
    assert (inbox.state, email.state, text.state) == ("delivered", "queued", "queued")
    assert email.inbox_message == text.inbox_message == inbox
    assert history(inbox) == [("delivered", 0)] and history(text) == [("queued", 0)]


def test_a_temporary_failure_is_tried_again_after_the_backoff_and_every_step_is_kept(settings):
    _, rows = message()
    settings.SMS_BACKEND = "tests.applications.test_delivery.ThrottledSms"
    text = notification_deliver(notification_id=rows.get(channel="sms").pk)
    assert (text.state, text.attempts) == ("temporary_failure", 1)
    assert text.pk not in notifications_due()  # not before its retry
    settings.SMS_BACKEND = "portal.sms.RecordingBackend"
    assert notifications_send_due(now=timezone.now() + outbox.retry_delay(1) + timedelta(seconds=5)) == 1
    text.refresh_from_db()
    assert text.state == "delivered" and text.last_error == ""
    assert history(text) == [("queued", 0), ("temporary_failure", 1), ("delivered", 2)]
    assert "isv.BUSINESS_LIMIT_CONTROL" in text.delivery_events.get(status="temporary_failure").error


def test_a_permanent_failure_is_not_tried_again_and_falls_back_to_an_email_address_added_since(settings):
    application, rows = message()
    person = application.applicant
    person.email = "li@example.com"  # not known when the message was written
    person.save()
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    text = notification_deliver(notification_id=rows.get(channel="sms").pk)
    assert (text.state, text.attempts) == ("permanent_failure", 1)
    assert text.pk not in notifications_due(now=timezone.now() + timedelta(days=30))
    fallback = rows.get(channel="email")
    inbox = rows.get(channel="inbox")
    assert (fallback.fallback_of, fallback.inbox_message, fallback.address) == (text, inbox, "li@example.com")
    assert (fallback.subject, fallback.body) == (inbox.subject, inbox.body)
    assert text.delivery_events.get(status="permanent_failure").fallback_to == fallback
    assert history(fallback) == [("queued", 0)]
    notification_deliver(notification_id=fallback.pk)
    assert [m.to for m in mail.outbox] == [["li@example.com"]] and mail.outbox[0].subject == inbox.subject


def test_an_email_already_on_its_way_is_the_fallback_and_no_second_one_is_written(settings):
    _, rows = message(email="li@example.com")
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    text = notification_deliver(notification_id=rows.get(channel="sms").pk)
    assert text.delivery_events.get(status="permanent_failure").fallback_to == rows.get(channel="email")
    assert rows.count() == 3


def test_attempts_used_up_fall_back_like_a_permanent_failure(settings):
    application, rows = message()
    application.applicant.email = "li@example.com"
    application.applicant.save()
    settings.SMS_BACKEND = "tests.applications.test_delivery.ThrottledSms"
    text = rows.get(channel="sms")
    for _ in range(MAX_ATTEMPTS):
        notification_deliver(notification_id=text.pk)
    text.refresh_from_db()
    assert (text.state, text.attempts) == ("permanent_failure", MAX_ATTEMPTS)
    assert rows.get(channel="email").fallback_of == text
    assert [s for s, _ in history(text)] == ["queued"] + ["temporary_failure"] * (MAX_ATTEMPTS - 1) + [
        "permanent_failure"
    ]


def test_an_address_the_mail_server_refuses_fails_for_good_and_a_busy_one_is_tried_again(settings):
    settings.EMAIL_BACKEND = "tests.applications.test_delivery.RefusingMail"
    _, rows = message(email="nobody@example.com", number="")
    inbox = rows.get(channel="inbox")
    email = notification_deliver(notification_id=rows.get(channel="email").pk)
    assert (email.state, email.attempts) == ("permanent_failure", 1) and "550" in email.last_error
    assert email.delivery_events.get(status="permanent_failure").fallback_to == inbox

    RefusingMail.code = 451  # "try again later"
    try:
        _, rows = message(email="busy@example.com", number="")
        email = notification_deliver(notification_id=rows.get(channel="email").pk)
        assert email.state == "temporary_failure"
    finally:
        RefusingMail.code = 550


def test_every_channel_failed_the_person_is_listed_as_not_reached_until_they_read_the_inbox(client, settings):
    application, rows = message()
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    text = notification_deliver(notification_id=rows.get(channel="sms").pk)
    inbox = rows.get(channel="inbox")
    assert text.delivery_events.get(status="permanent_failure").fallback_to == inbox
    worker = CaseworkerFactory()
    assert list(unreachable_messages(user=worker)) == [inbox]
    assert list(unreachable_messages(user=CaseworkerFactory(region="330100"))) == []
    client.force_login(worker)
    page = client.get("/staff/unreachable/").content.decode()
    assert f'href="/staff/cases/{application.reference}/#messages"' in page
    assert "139****1111" in page and MOBILE not in page and "isv.MOBILE_NUMBER_ILLEGAL" in page
    # The applicant opens the inbox: the message has reached them.
    client.force_login(application.applicant)
    assert client.get("/inbox/").status_code == 200
    assert list(unreachable_messages(user=worker)) == []


def test_a_message_still_being_tried_or_delivered_somewhere_is_not_listed(settings):
    _, rows = message(email="li@example.com")
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    notification_deliver(notification_id=rows.get(channel="sms").pk)
    assert list(unreachable_messages(user=CaseworkerFactory())) == []  # the e-mail is still queued
    _, only_inbox = message(number="")  # no number, no address: nothing failed
    assert only_inbox.count() == 1 and list(unreachable_messages(user=CaseworkerFactory())) == []


def test_the_list_of_those_not_reached_reads_a_fixed_number_of_queries(client, settings, django_assert_max_num_queries):
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    worker = SupervisorFactory()
    client.force_login(worker)

    def not_reached(count: int):
        for _ in range(count):
            _, rows = message(number=f"1390000{Notification.objects.count():04d}")
            notification_deliver(notification_id=rows.get(channel="sms").pk)

    not_reached(1)
    with django_assert_max_num_queries(14) as one:
        assert client.get("/staff/unreachable/").status_code == 200
    not_reached(6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/staff/unreachable/").content.decode()
    assert page.count("data-message=") == 7


def test_caseworkers_see_each_delivery_and_its_history_on_the_case(english, settings):
    client = english
    application, rows = message(email="li@example.com")
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    notification_deliver(notification_id=rows.get(channel="sms").pk)
    notification_deliver(notification_id=rows.get(channel="email").pk)
    client.force_login(CaseworkerFactory())
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert 'id="messages"' in page
    assert 'data-delivery-state="permanent_failure"' in page and 'data-delivery-state="delivered"' in page
    assert "isv.MOBILE_NUMBER_ILLEGAL" in page and "139****1111" in page and "l***@example.com" in page
    assert "falls back to: E-mail" in page


def test_caseworkers_read_the_history_in_chinese(client, settings):  # the portal's default language
    application, rows = message()
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    notification_deliver(notification_id=rows.get(channel="sms").pk)
    client.force_login(CaseworkerFactory())
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "发给申请人的消息" in page and "永久失败" in page
    listing = client.get("/staff/unreachable/").content.decode()
    assert "未能联系上的市民" in listing


def test_the_citizen_is_told_sent_delivered_or_could_not_be_delivered_and_nothing_more(english, settings):
    client = english
    application, rows = message(email="li@example.com")
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    notification_deliver(notification_id=rows.get(channel="sms").pk)
    client.force_login(application.applicant)
    page = client.get("/inbox/").content.decode()
    assert "to 139****1111: could not be delivered" in page
    assert "l***@example.com" not in page  # the e-mail is still being tried: nothing said yet
    assert "isv.MOBILE_NUMBER_ILLEGAL" not in page
    notification_deliver(notification_id=rows.get(channel="email").pk)
    page = client.get("/inbox/").content.decode()
    assert "to l***@example.com: delivered" in page


def test_a_report_from_the_provider_settles_what_it_took(settings):
    settings.SMS_BACKEND = "tests.applications.test_delivery.ReportingSms"
    ReportingSms.report = SmsReceipt()
    _, rows = message()
    text = notification_deliver(notification_id=rows.get(channel="sms").pk)
    assert (text.state, text.provider_message_id) == ("sending", "biz-1")
    assert text.pk not in notifications_due(now=timezone.now() + timedelta(days=1))  # taken: not sent again
    assert sms_receipts_poll(now=timezone.now() + timedelta(minutes=5)) == 0  # no report yet
    ReportingSms.report = SmsReceipt(delivered=True, code="DELIVERED")
    assert sms_receipts_poll(now=timezone.now() + timedelta(hours=2)) == 1
    text.refresh_from_db()
    assert text.state == "delivered"
    assert history(text) == [("queued", 0), ("sending", 1), ("delivered", 1)]
    assert sms_receipts_poll(now=timezone.now() + timedelta(hours=3)) == 0  # settled: not asked again


def test_a_message_without_a_report_is_asked_about_no_more_after_three_days(settings):
    settings.SMS_BACKEND = "tests.applications.test_delivery.ReportingSms"
    ReportingSms.report = SmsReceipt()
    _, rows = message()
    text = notification_deliver(notification_id=rows.get(channel="sms").pk)
    sms_receipts_poll(now=timezone.now() + outbox.RECEIPT_WINDOW + timedelta(minutes=1))
    text.refresh_from_db()
    assert text.state == "sending" and text.next_attempt_at is None


def test_the_transitions_are_one_table():
    _, rows = message()
    inbox = rows.get(channel="inbox")
    events = DeliveryEvent.objects.count()
    assert outbox.delivery_transition(row=inbox, to="delivered") == inbox  # already there: nothing
    assert DeliveryEvent.objects.count() == events
    with pytest.raises(outbox.IllegalDeliveryTransition):
        outbox.delivery_transition(row=inbox, to="queued")
    assert set(outbox.TRANSITIONS) == set(Notification.State.values)


def test_the_metrics_count_retries_as_waiting_and_permanent_failures_as_failed(settings):
    from portal.metrics import BacklogCollector

    _, rows = message(email="li@example.com")
    settings.SMS_BACKEND = "tests.applications.test_delivery.ThrottledSms"
    notification_deliver(notification_id=rows.get(channel="sms").pk)
    settings.EMAIL_BACKEND = "tests.applications.test_delivery.RefusingMail"
    notification_deliver(notification_id=rows.get(channel="email").pk)
    gauges = {family.name: family.samples[0].value for family in BacklogCollector().collect() if family.samples}
    assert gauges["linghuo_outbox_waiting"] == 1 and gauges["linghuo_outbox_failed_last_week"] == 1


# --- Invitation messages share the states and fall back along the same channels -------------


def invitation_message(**person_fields):
    from applications.outreach.models import InvitationMessage
    from applications.outreach.services import invitations_create, invitations_send
    from tests.outreach.conftest import SI, make_person, make_run, match

    run = make_run()
    person = make_person(**person_fields)
    match(person, SI, run)
    invitations_create(run=run)
    invitations_send()
    return person, InvitationMessage.objects.get(person=person)


def test_an_invitation_that_cannot_go_by_sms_goes_by_email_with_the_same_invitations(settings):
    from applications.outreach.services import invitation_message_deliver

    person, first = invitation_message(email="chen@example.com")
    settings.SMS_BACKEND = "tests.applications.test_delivery.InvalidNumberSms"
    first = invitation_message_deliver(message_id=first.pk)
    assert (first.channel, first.state, first.attempts) == ("sms", "permanent_failure", 1)
    fallback = person.invitation_messages.exclude(pk=first.pk).get()
    assert (fallback.channel, fallback.address, fallback.state) == ("email", "chen@example.com", "queued")
    assert list(person.invitations.values_list("message", flat=True)) == [fallback.pk]
    assert invitation_message_deliver(message_id=fallback.pk).state == "delivered"
    assert mail.outbox[0].to == ["chen@example.com"] and person.invitations.get().sent_at is not None


def test_an_invitation_to_someone_who_opted_out_is_not_sent_and_does_not_fall_back():
    from applications.outreach.services import invitation_message_deliver

    person, message_row = invitation_message(email="chen@example.com")
    person.opted_out_at = timezone.now()
    person.save()
    assert invitation_message_deliver(message_id=message_row.pk).state == "permanent_failure"
    assert person.invitation_messages.count() == 1 and not sms.outbox and not mail.outbox


def test_beat_asks_for_the_delivery_reports(settings):
    from applications.tasks import poll_sms_receipts

    assert any(entry["task"] == poll_sms_receipts.name for entry in settings.CELERY_BEAT_SCHEDULE.values())
    settings.SMS_BACKEND = "tests.applications.test_delivery.ReportingSms"
    ReportingSms.report = SmsReceipt(failed=True, permanent=True, code="MOBILE_IN_BLACK")
    _, rows = message()
    notification_deliver(notification_id=rows.get(channel="sms").pk)
    Notification.objects.filter(channel="sms").update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert poll_sms_receipts.apply().get() == {"settled": 1}
    assert rows.get(channel="sms").state == "permanent_failure"
