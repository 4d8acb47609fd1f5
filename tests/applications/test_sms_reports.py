"""Delivery you can trust (issue 14, item 7), the parts that span outboxes: Alibaba Cloud's push of
delivery reports to the portal, one approved template per kind of message, and outreach's
invitation messages with the same states, history, receipts and fallback as the portal's own.

Against the local stand-in for Dysmsapi of ``tests.portal.test_sms_alibaba``, which checks each
request's signature as the provider does and, for the push, calls the portal's live server as the
provider would."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Notification
from applications.outreach.models import InvitationMessage
from applications.outreach.services import invitation_message_deliver, invitations_create
from applications.services.notifications import notification_deliver, notify_applicant
from applications.tasks import poll_sms_receipts
from portal.sms import AlibabaCloudSmsBackend, SmsReceipt, SmsReportInvalid, alibaba_sms_reports
from tests.applications.test_review_services import submitted
from tests.factories import CitizenFactory
from tests.outreach.conftest import SI, make_person, make_run, match
from tests.portal.test_sms_alibaba import ACCEPTED, INVALID, dysmsapi  # noqa: F401 (the stub's fixture)

TOKEN = "push-token-of-the-test"
PATH = "/sms/reports/alibaba/"


@pytest.fixture
def reports_on(settings):
    settings.ALIBABA_SMS_REPORT_TOKEN = TOKEN
    return settings


def sms_of(number: str, *, event: str = "submitted", email: str = "") -> Notification:
    person = CitizenFactory(username=number, email=email)
    notify_applicant(application=submitted(applicant=person), event=event)
    return Notification.objects.get(recipient=person, channel="sms")


def history(row) -> list[str]:
    return [event.status for event in row.delivery_events.order_by("at", "id")]


def invitation_sms(mobile: str = ACCEPTED) -> InvitationMessage:
    """An invitation message by SMS, written as beat writes them (not sent yet)."""
    from applications.outreach.services.sending import invitations_send

    run = make_run()
    match(make_person(mobile=mobile, email="wang@example.com"), SI, run)
    invitations_create(run=run)
    invitations_send()
    return InvitationMessage.objects.get(channel="sms")


def post(client, body, *, token: str | None = TOKEN, **headers):
    path = PATH if token is None else f"{PATH}?token={token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **headers)


# --- Reading a push ------------------------------------------------------------------------------


def test_a_push_is_read_as_alibaba_documents_it():
    reports = alibaba_sms_reports(
        [
            {"phone_number": "13900000001", "success": True, "err_code": "DELIVERED", "biz_id": "900001^0"},
            {"phone_number": "13900000002", "success": False, "err_code": "MOBILE_IN_BLACK", "biz_id": "900002^0"},
            {"phone_number": "13900000003", "success": "false", "err_code": "MOBILE_NOT_ON_SERVICE", "biz_id": "9^0"},
        ]
    )
    assert [(r.provider_message_id, r.receipt) for r in reports] == [
        ("900001^0", SmsReceipt(delivered=True, code="DELIVERED")),
        ("900002^0", SmsReceipt(failed=True, permanent=True, code="MOBILE_IN_BLACK")),
        ("9^0", SmsReceipt(failed=True, permanent=False, code="MOBILE_NOT_ON_SERVICE")),
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "expected a JSON array"),
        ("reports", "expected a JSON array"),
        ([1], "report 0: expected an object"),
        ([{"success": True}], "report 0: biz_id"),
        ([{"biz_id": "", "success": True}], "report 0: biz_id"),
        ([{"biz_id": "x" * 65, "success": True}], "report 0: biz_id"),
        ([{"biz_id": "1^0", "success": "yes"}], "report 0: success must be true or false"),
        ([{"biz_id": "1^0", "success": True, "err_code": 5}], "err_code must be a string"),
    ],
)
def test_what_is_not_a_report_is_refused_with_the_reason(payload, message):
    with pytest.raises(SmsReportInvalid, match=message):
        alibaba_sms_reports(payload)


# --- The webhook -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_token_set_the_address_is_off(client):
    assert post(client, [{"biz_id": "1^0", "success": True}]).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "not-the-token", TOKEN + "x"])
def test_a_push_without_the_right_token_is_refused(client, reports_on, token):
    response = post(client, [{"biz_id": "1^0", "success": True}], token=token)
    assert response.status_code == 403 and response.json()["msg"] == "wrong token"


@pytest.mark.django_db
def test_the_token_may_come_as_a_bearer_header(client, reports_on):
    response = post(client, [{"biz_id": "1^0", "success": True}], token=None, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "OK", "settled": 0, "unmatched": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "the body is not JSON"),
        (b"\xff\xfe\x00", "the body is not JSON"),
        ({"biz_id": 5}, "report 0: biz_id"),
        ([{"biz_id": "1^0", "success": None}], "success must be true or false"),
        ([], "expected a JSON array"),
    ],
)
def test_a_push_that_cannot_be_read_answers_400_with_what_is_wrong(client, reports_on, body, message):
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["code"] == 400 and message in response.json()["msg"]


@pytest.mark.django_db
def test_only_post_is_answered(client, reports_on):
    assert client.get(f"{PATH}?token={TOKEN}").status_code == 405


@pytest.mark.django_db
def test_a_pushed_report_settles_the_message_and_a_repeat_changes_nothing(client, reports_on, dysmsapi):  # noqa: F811
    sms = notification_deliver(notification_id=sms_of(ACCEPTED).pk)
    assert sms.state == "sending"
    report = {"phone_number": ACCEPTED, "success": True, "err_code": "DELIVERED", "biz_id": sms.provider_message_id}
    assert post(client, [report]).json() == {"code": 0, "msg": "OK", "settled": 1, "unmatched": 0}
    sms.refresh_from_db()
    assert sms.state == "delivered" and sms.delivered_at is not None
    assert history(sms) == ["queued", "sending", "delivered"]
    # The provider pushes again (it does when it did not hear our answer): nothing more happens.
    again = post(client, [report, {**report, "success": False, "err_code": "MOBILE_IN_BLACK"}])
    assert again.status_code == 200 and again.json()["unmatched"] == 2
    sms.refresh_from_db()
    assert sms.state == "delivered" and history(sms) == ["queued", "sending", "delivered"]


@pytest.mark.django_db
def test_a_report_for_another_number_is_not_applied(client, reports_on, dysmsapi):  # noqa: F811
    sms = notification_deliver(notification_id=sms_of(ACCEPTED).pk)
    forged = {"phone_number": "13700000000", "success": True, "biz_id": sms.provider_message_id}
    assert post(client, [forged]).json()["unmatched"] == 1
    sms.refresh_from_db()
    assert sms.state == "sending"


@pytest.mark.django_db
def test_a_pushed_failure_falls_back_to_email(client, reports_on, dysmsapi):  # noqa: F811
    sms = notification_deliver(notification_id=sms_of(ACCEPTED, email="li@example.com").pk)
    report = {
        "phone_number": ACCEPTED,
        "success": False,
        "err_code": "MOBILE_IN_BLACK",
        "biz_id": sms.provider_message_id,
    }
    assert post(client, [report]).json()["settled"] == 1
    sms.refresh_from_db()
    assert sms.state == "permanent_failure" and "MOBILE_IN_BLACK" in sms.last_error
    email = Notification.objects.get(recipient=sms.recipient, channel="email")
    assert sms.delivery_events.get(status="permanent_failure").fallback_to == email


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_provider_pushes_its_reports_to_the_live_portal(live_server, reports_on, dysmsapi):  # noqa: F811
    """End to end: two SMS the stub took, the carrier's reports in, and the stub's own HTTP push to the portal."""
    # Outside a test transaction, each message's sender runs as it commits (tasks run in-process).
    delivered = sms_of(ACCEPTED)
    invitation = invitation_sms("13900000005")
    assert (delivered.state, invitation.state) == ("sending", "sending")
    dysmsapi.reports[delivered.provider_message_id].update(SendStatus=3, ErrCode="DELIVERED")
    dysmsapi.reports[invitation.provider_message_id].update(SendStatus=3, ErrCode="DELIVERED")
    status, answer = dysmsapi.push_reports(f"{live_server.url}{PATH}?token={TOKEN}")
    assert (status, answer["code"], answer["settled"]) == (200, 0, 2)
    delivered.refresh_from_db()
    invitation.refresh_from_db()
    assert delivered.state == invitation.state == "delivered"
    assert history(invitation) == ["queued", "sending", "delivered"]
    status, answer = dysmsapi.push_reports(f"{live_server.url}{PATH}?token=wrong")
    assert (status, answer["code"]) == (403, 403)


# --- One template per kind of message -----------------------------------------------------------


@pytest.fixture
def templates(dysmsapi, settings):  # noqa: F811
    settings.ALIBABA_SMS_TEMPLATE_CODE = ""
    settings.ALIBABA_SMS_TEMPLATE_CODES = {"submitted": "SMS_100001", "invitation": "SMS_100002"}
    return dysmsapi


def sent_templates(server) -> list[str]:
    return [call["TemplateCode"] for call in server.calls if call["Action"] == "SendSms"]


@pytest.mark.django_db
def test_each_kind_of_message_goes_with_its_own_template(templates):
    assert notification_deliver(notification_id=sms_of(ACCEPTED).pk).state == "sending"
    assert invitation_message_deliver(message_id=invitation_sms().pk).state == "sending"
    assert sent_templates(templates) == ["SMS_100001", "SMS_100002"]


@pytest.mark.django_db
def test_a_kind_without_a_template_is_not_sent_and_falls_back_to_email(templates):
    sms = sms_of(ACCEPTED, event="approved", email="li@example.com")
    sms = notification_deliver(notification_id=sms.pk)
    assert (sms.state, sms.attempts) == ("permanent_failure", 1)
    assert "no Alibaba Cloud SMS template for messages of kind 'approved'" in sms.last_error
    assert "approved=<TemplateCode> to ALIBABA_SMS_TEMPLATE_CODES" in sms.last_error
    email = Notification.objects.get(recipient=sms.recipient, channel="email")
    assert sms.delivery_events.get(status="permanent_failure").fallback_to == email
    assert sent_templates(templates) == []


@pytest.mark.django_db
def test_without_an_email_address_the_message_stays_in_the_inbox(templates):
    sms = notification_deliver(notification_id=sms_of(ACCEPTED, event="approved").pk)
    assert sms.state == "permanent_failure"
    inbox = sms.inbox_message
    assert inbox.state == "delivered" and inbox.channel == "inbox"
    assert sms.delivery_events.get(status="permanent_failure").fallback_to == inbox


@pytest.mark.django_db
def test_an_invitation_without_its_template_goes_by_email(templates, settings):
    settings.ALIBABA_SMS_TEMPLATE_CODES = {"submitted": "SMS_100001"}
    message = invitation_message_deliver(message_id=invitation_sms().pk)
    assert message.state == "permanent_failure" and "kind 'invitation'" in message.last_error
    fallback = InvitationMessage.objects.get(channel="email")
    assert message.delivery_events.get(status="permanent_failure").fallback_to == fallback
    assert fallback.invitations.count() == 1


def test_a_kind_not_listed_uses_the_default_template(settings):
    settings.ALIBABA_ACCESS_KEY_ID, settings.ALIBABA_ACCESS_KEY_SECRET = "id", "secret"
    settings.ALIBABA_SMS_SIGN_NAME = "灵活就业服务"
    settings.ALIBABA_SMS_TEMPLATE_CODE = "SMS_DEFAULT"
    settings.ALIBABA_SMS_TEMPLATE_CODES = {"submitted": "SMS_100001"}
    backend = AlibabaCloudSmsBackend()
    assert (backend.template_for("submitted"), backend.template_for("approved")) == ("SMS_100001", "SMS_DEFAULT")


def test_without_any_template_the_gateway_refuses_to_start(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.ALIBABA_ACCESS_KEY_ID, settings.ALIBABA_ACCESS_KEY_SECRET = "id", "secret"
    settings.ALIBABA_SMS_SIGN_NAME = "灵活就业服务"
    settings.ALIBABA_SMS_TEMPLATE_CODE, settings.ALIBABA_SMS_TEMPLATE_CODES = "", {}
    with pytest.raises(ImproperlyConfigured, match="ALIBABA_SMS_TEMPLATE_CODES or ALIBABA_SMS_TEMPLATE_CODE"):
        AlibabaCloudSmsBackend()


def test_the_setting_is_read_from_name_value_pairs(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from portal.settings.env import env_mapping

    monkeypatch.setenv("ALIBABA_SMS_TEMPLATE_CODES", " submitted=SMS_1, approved = SMS_2 ,")
    assert env_mapping("ALIBABA_SMS_TEMPLATE_CODES") == {"submitted": "SMS_1", "approved": "SMS_2"}
    monkeypatch.setenv("ALIBABA_SMS_TEMPLATE_CODES", "submitted")
    with pytest.raises(ImproperlyConfigured, match="name=value pairs"):
        env_mapping("ALIBABA_SMS_TEMPLATE_CODES")


# --- Invitation messages: the same states, history, receipts and fallback -------------------------


@pytest.mark.django_db
def test_an_invitation_sms_has_its_history_and_its_report_is_asked_for_by_beat(dysmsapi):  # noqa: F811
    message = invitation_message_deliver(message_id=invitation_sms().pk)
    assert message.state == "sending" and message.provider_message_id in dysmsapi.reports
    assert history(message) == ["queued", "sending"]
    assert message.delivery_events.get(status="sending").provider_message_id == message.provider_message_id
    assert poll_sms_receipts.apply().get() == {"settled": 0}  # not due yet
    dysmsapi.reports[message.provider_message_id].update(SendStatus=3, ErrCode="DELIVERED")
    InvitationMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert poll_sms_receipts.apply().get() == {"settled": 1}
    message.refresh_from_db()
    assert message.state == "delivered" and message.delivered_at is not None
    assert history(message) == ["queued", "sending", "delivered"]
    query = [call for call in dysmsapi.calls if call["Action"] == "QuerySendDetails"][-1]
    assert (query["PhoneNumber"], query["BizId"]) == (ACCEPTED, message.provider_message_id)


@pytest.mark.django_db
def test_an_invalid_number_falls_back_to_email_in_the_invitations_history(dysmsapi):  # noqa: F811
    message = invitation_message_deliver(message_id=invitation_sms(INVALID).pk)
    assert (message.state, message.attempts) == ("permanent_failure", 1)
    email = InvitationMessage.objects.get(channel="email")
    assert history(message) == ["queued", "permanent_failure"]
    assert message.delivery_events.get(status="permanent_failure").fallback_to == email
    assert history(email) == ["queued"]
    assert invitation_message_deliver(message_id=email.pk).state == "delivered"
    assert history(email) == ["queued", "delivered"]


@pytest.mark.django_db
def test_a_reported_failure_of_an_invitation_falls_back_too(client, reports_on, dysmsapi):  # noqa: F811
    message = invitation_message_deliver(message_id=invitation_sms().pk)
    report = {"success": False, "err_code": "USER_REJECT", "biz_id": message.provider_message_id}
    assert post(client, [report]).json()["settled"] == 1
    message.refresh_from_db()
    assert message.state == "permanent_failure" and "USER_REJECT" in message.last_error
    assert InvitationMessage.objects.filter(channel="email", state="queued").count() == 1


def test_a_kind_without_a_template_is_said_when_the_portal_starts(settings):
    from django.core.management import call_command

    from portal.sms import alibaba_templates_check, sms_kinds

    assert {"submitted", "approved", "invitation", "window_reminder", "confirmation_code"} <= set(sms_kinds())
    settings.SMS_BACKEND = "portal.sms.AlibabaCloudSmsBackend"
    settings.ALIBABA_SMS_TEMPLATE_CODE = ""
    settings.ALIBABA_SMS_TEMPLATE_CODES = dict.fromkeys(sms_kinds(), "SMS_1")
    assert alibaba_templates_check() == []
    del settings.ALIBABA_SMS_TEMPLATE_CODES["invitation"]
    [warning] = alibaba_templates_check()
    assert warning.id == "linghuo.W001" and "kinds of message: invitation." in warning.msg
    call_command("check")  # a warning: the portal starts all the same
    settings.ALIBABA_SMS_TEMPLATE_CODE = "SMS_DEFAULT"
    assert alibaba_templates_check() == []
