"""The Alibaba Cloud SMS gateway (``portal.sms.AlibabaCloudSmsBackend``) against a local stand-in
for Dysmsapi: an HTTP server on 127.0.0.1 that checks each request's RPC signature the way the
provider does (its own HMAC-SHA1 of the canonical query with the shared secret, a fresh nonce, a
recent timestamp) and answers as the provider would: accepted with a BizId, throttled (temporary),
an invalid number (permanent), or not at all (a timeout); ``QuerySendDetails`` gives the carrier's
report on a message it took."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import Notification
from applications.services.notifications import (
    notification_deliver,
    notifications_send_due,
    notify_applicant,
    sms_receipts_poll,
)
from applications.services.outbox import retry_delay
from portal.sms import (
    AlibabaCloudSmsBackend,
    SmsMessage,
    SmsPermanentError,
    SmsTemporaryError,
    alibaba_signature,
)
from tests.applications.test_review_services import submitted
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

KEY_ID, SECRET = "LTAI-test-key", "test-secret-of-the-stub"
ACCEPTED, THROTTLED, INVALID, SILENT = "13900000001", "13900000002", "13900000003", "13900000004"


def provider_signature(method: str, params: dict[str, str], secret: str) -> str:
    """The provider's side, written from its documentation rather than from ``portal.sms``."""

    def encode(value: str) -> str:
        return urllib.parse.quote(value, safe="").replace("%7E", "~")

    query = "&".join(f"{encode(k)}={encode(params[k])}" for k in sorted(params))
    to_sign = "&".join([method, encode("/"), encode(query)])
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class Dysmsapi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), DysmsapiHandler)
        self.calls: list[dict] = []
        self.nonces: set[str] = set()
        self.reports: dict[str, dict] = {}  # BizId -> the carrier's report
        self.release = threading.Event()  # lets a request that gets no answer end

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def push_reports(self, url: str, biz_ids: list[str] | None = None) -> tuple[int, dict]:
        """The provider's HTTP batch push of delivery reports (SmsReport) to ``url``: one JSON
        array of the carrier's settled reports (of ``biz_ids``, or all), as Alibaba Cloud sends it.
        Returns the portal's status and answer."""
        now = datetime.now(UTC) + timedelta(hours=8)  # the provider's times are Beijing time
        entries = [
            {
                "phone_number": report["PhoneNum"],
                "send_time": (now - timedelta(seconds=5)).strftime("%Y-%m-%d %H:%M:%S"),
                "report_time": now.strftime("%Y-%m-%d %H:%M:%S"),
                "success": report["SendStatus"] == 3,
                "err_code": report["ErrCode"],
                "err_msg": "用户接收成功" if report["SendStatus"] == 3 else "失败",
                "sms_size": "1",
                "biz_id": biz_id,
                "out_id": "",
            }
            for biz_id, report in self.reports.items()
            if report["SendStatus"] != 1 and (biz_ids is None or biz_id in biz_ids)
        ]
        request = urllib.request.Request(  # noqa: S310 (the test's live server)
            url, data=json.dumps(entries).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"{}")


class DysmsapiHandler(BaseHTTPRequestHandler):
    server: Dysmsapi

    def log_message(self, format, *args):  # quiet
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        signature = params.pop("Signature", "")
        self.server.calls.append(params)
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self._answer(400, {"Code": "InvalidParameter", "Message": "form body expected"})
        if params.get("AccessKeyId") != KEY_ID:
            return self._answer(
                404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
            )
        common = {"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Version": "2017-05-25", "Format": "JSON"}
        if any(params.get(k) != v for k, v in common.items()):
            return self._answer(400, {"Code": "InvalidParameter", "Message": "common parameters"})
        if not hmac.compare_digest(signature, provider_signature("POST", params, SECRET)):
            return self._answer(
                400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}
            )
        sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - sent_at) > timedelta(minutes=15):
            return self._answer(
                400, {"Code": "InvalidTimeStamp.Expired", "Message": "Specified time stamp is expired."}
            )
        if params["SignatureNonce"] in self.server.nonces:
            return self._answer(
                400, {"Code": "SignatureNonceUsed", "Message": "Specified signature nonce was used already."}
            )
        self.server.nonces.add(params["SignatureNonce"])
        if params["Action"] == "SendSms":
            return self._send_sms(params)
        if params["Action"] == "QuerySendDetails":
            return self._query(params)
        return self._answer(400, {"Code": "InvalidAction.NotFound", "Message": params["Action"]})

    def _send_sms(self, params):
        number = params["PhoneNumbers"]
        json.loads(params["TemplateParam"])  # the provider refuses what is not JSON
        if number == THROTTLED:
            return self._answer(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"})
        if number == INVALID:
            return self._answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"非法手机号 {number}"})
        if number == SILENT:
            self.server.release.wait(timeout=10)
            return self._answer(200, {"Code": "OK", "Message": "OK", "BizId": "too-late^0"})
        biz_id = f"{900000 + len(self.server.calls)}^0"
        self.server.reports[biz_id] = {"SendStatus": 1, "ErrCode": "", "PhoneNum": number}
        return self._answer(200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "stub"})

    def _query(self, params):
        report = self.server.reports.get(params.get("BizId", ""))
        if report is None or report["PhoneNum"] != params.get("PhoneNumber") or len(params.get("SendDate", "")) != 8:
            return self._answer(200, {"Code": "OK", "TotalCount": 0, "SmsSendDetailDTOs": {"SmsSendDetailDTO": []}})
        return self._answer(200, {"Code": "OK", "TotalCount": 1, "SmsSendDetailDTOs": {"SmsSendDetailDTO": [report]}})


@pytest.fixture
def dysmsapi(settings):
    server = Dysmsapi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "portal.sms.AlibabaCloudSmsBackend"
    settings.ALIBABA_SMS_ENDPOINT = server.url
    settings.ALIBABA_ACCESS_KEY_ID = KEY_ID
    settings.ALIBABA_ACCESS_KEY_SECRET = SECRET
    settings.ALIBABA_SMS_SIGN_NAME = "灵活就业服务"
    settings.ALIBABA_SMS_TEMPLATE_CODE = "SMS_123456789"
    settings.ALIBABA_SMS_TIMEOUT = 1
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_the_signature_is_alibabas_own_on_its_published_example():
    # Alibaba Cloud's worked example of the RPC signature (DescribeRegions, key testid / testsecret).
    params = {
        "TimeStamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert alibaba_signature(method="GET", params=params, secret="testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    assert provider_signature("GET", params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_an_accepted_message_is_signed_and_carries_the_text_in_the_template(dysmsapi):
    handover = AlibabaCloudSmsBackend().send(
        SmsMessage(to=ACCEPTED, text="【灵活就业服务】已收到您的申请 LH-2026-000001。")
    )
    assert handover.provider_message_id.endswith("^0") and handover.receipt_expected
    call = dysmsapi.calls[-1]
    assert (call["Action"], call["PhoneNumbers"], call["SignName"], call["TemplateCode"]) == (
        "SendSms",
        ACCEPTED,
        "灵活就业服务",
        "SMS_123456789",
    )
    # The provider adds the signature itself: it is not in the text twice.
    assert json.loads(call["TemplateParam"]) == {"content": "已收到您的申请 LH-2026-000001。"}
    # A second request has its own nonce (the stub refuses a nonce used twice).
    AlibabaCloudSmsBackend().send(SmsMessage(to=ACCEPTED, text="again"))
    assert len(dysmsapi.nonces) == 2


def test_a_wrong_secret_is_refused_as_the_provider_refuses_it(dysmsapi, settings):
    settings.ALIBABA_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsTemporaryError) as refused:
        AlibabaCloudSmsBackend().send(SmsMessage(to=ACCEPTED, text="text"))
    assert refused.value.code == "SignatureDoesNotMatch" and not refused.value.permanent


def test_throttling_is_a_temporary_failure(dysmsapi):
    with pytest.raises(SmsTemporaryError) as throttled:
        AlibabaCloudSmsBackend().send(SmsMessage(to=THROTTLED, text="text"))
    assert throttled.value.code == "isv.BUSINESS_LIMIT_CONTROL" and not throttled.value.permanent


def test_an_invalid_number_is_a_permanent_failure_and_its_number_is_not_repeated(dysmsapi):
    with pytest.raises(SmsPermanentError) as invalid:
        AlibabaCloudSmsBackend().send(SmsMessage(to=INVALID, text="text"))
    assert invalid.value.code == "isv.MOBILE_NUMBER_ILLEGAL" and invalid.value.permanent
    assert INVALID not in str(invalid.value) and "139****0003" in str(invalid.value)


def test_no_answer_in_time_is_a_temporary_failure(dysmsapi):
    started = timezone.now()
    with pytest.raises(SmsTemporaryError) as silent:
        AlibabaCloudSmsBackend().send(SmsMessage(to=SILENT, text="text"))
    assert silent.value.code == "timeout"
    assert timezone.now() - started < timedelta(seconds=5)


def test_a_provider_that_is_not_there_is_a_temporary_failure(settings, dysmsapi):
    dysmsapi.shutdown()
    dysmsapi.server_close()
    with pytest.raises(SmsTemporaryError) as unreachable:
        AlibabaCloudSmsBackend().send(SmsMessage(to=ACCEPTED, text="text"))
    assert unreachable.value.code == "unreachable"


def test_without_its_keys_the_gateway_refuses_to_start(settings):
    settings.ALIBABA_ACCESS_KEY_SECRET = ""
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="ALIBABA_ACCESS_KEY_SECRET"):
        AlibabaCloudSmsBackend()


# --- Through the outbox: states, history, receipts and fallback ------------------------------


def sms_of(number: str, *, email: str | None = None) -> Notification:
    person = CitizenFactory(username=number)
    if email:
        person.email = email
        person.save()
    notify_applicant(application=submitted(applicant=person), event="submitted")
    return Notification.objects.get(recipient=person, channel="sms")


def statuses(notification: Notification) -> list[tuple[str, int]]:
    return [(e.status, e.attempt) for e in notification.delivery_events.order_by("at", "id")]


def test_a_message_the_provider_took_is_delivered_when_its_report_says_so(dysmsapi):
    sms = notification_deliver(notification_id=sms_of(ACCEPTED).pk)
    assert sms.state == "sending" and sms.provider_message_id in dysmsapi.reports
    # The carrier has not answered yet: asked again later.
    later = timezone.now() + timedelta(minutes=2)
    assert sms_receipts_poll(now=later) == 0
    sms.refresh_from_db()
    assert sms.state == "sending" and sms.next_attempt_at > later
    dysmsapi.reports[sms.provider_message_id].update(SendStatus=3, ErrCode="DELIVERED")
    assert sms_receipts_poll(now=timezone.now() + timedelta(hours=2)) == 1
    sms.refresh_from_db()
    assert sms.state == "delivered" and sms.delivered_at is not None
    assert statuses(sms) == [("queued", 0), ("sending", 1), ("delivered", 1)]
    assert sms.delivery_events.get(status="sending").provider_message_id == sms.provider_message_id
    query = dysmsapi.calls[-1]
    assert (query["Action"], query["PhoneNumber"], query["BizId"]) == (
        "QuerySendDetails",
        ACCEPTED,
        sms.provider_message_id,
    )
    assert query["SendDate"] == timezone.localdate(sms.sent_at).strftime("%Y%m%d")


def test_a_blocked_number_in_the_report_fails_for_good_and_falls_back_to_email(dysmsapi):
    sms = notification_deliver(notification_id=sms_of(ACCEPTED, email="li@example.com").pk)
    dysmsapi.reports[sms.provider_message_id].update(SendStatus=2, ErrCode="MOBILE_IN_BLACK")
    assert sms_receipts_poll(now=timezone.now() + timedelta(minutes=2)) == 1
    sms.refresh_from_db()
    assert sms.state == "permanent_failure" and "MOBILE_IN_BLACK" in sms.last_error
    email = Notification.objects.get(recipient=sms.recipient, channel="email")
    assert sms.delivery_events.get(status="permanent_failure").fallback_to == email


def test_an_unreachable_phone_in_the_report_is_sent_again_later(dysmsapi):
    sms = notification_deliver(notification_id=sms_of(ACCEPTED).pk)
    dysmsapi.reports[sms.provider_message_id].update(SendStatus=2, ErrCode="MOBILE_NOT_ON_SERVICE")
    sms_receipts_poll(now=timezone.now() + timedelta(minutes=2))
    sms.refresh_from_db()
    assert sms.state == "temporary_failure" and sms.next_attempt_at is not None
    assert notifications_send_due(now=timezone.now() + retry_delay(1) + timedelta(minutes=3)) == 1
    sms.refresh_from_db()
    assert sms.state == "sending" and sms.attempts == 2


def test_throttled_by_the_provider_the_message_is_tried_again_with_backoff(dysmsapi):
    sms = notification_deliver(notification_id=sms_of(THROTTLED).pk)
    assert (sms.state, sms.attempts) == ("temporary_failure", 1)
    assert "isv.BUSINESS_LIMIT_CONTROL" in sms.last_error
    assert sms.next_attempt_at > timezone.now() + retry_delay(1) - timedelta(seconds=5)


def test_an_invalid_number_is_not_tried_again_and_the_email_is_sent_instead(dysmsapi):
    sms = sms_of(INVALID, email="zhang@example.com")
    email = Notification.objects.get(recipient=sms.recipient, channel="email")
    sms = notification_deliver(notification_id=sms.pk)
    assert (sms.state, sms.attempts) == ("permanent_failure", 1)
    assert notifications_send_due(now=timezone.now() + timedelta(days=1)) == 1  # the e-mail only
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhang@example.com"]
    assert sms.delivery_events.get(status="permanent_failure").fallback_to == email
    assert len([c for c in dysmsapi.calls if c["Action"] == "SendSms"]) == 1
