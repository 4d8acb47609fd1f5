"""SMS gateway, chosen by the SMS_BACKEND setting.

A real deployment names a backend class that speaks to its SMS provider
(``AlibabaCloudSmsBackend`` for Alibaba Cloud SMS); the demo logs messages;
tests record them in ``portal.sms.outbox`` the way Django keeps e-mail in
``mail.outbox``.

Each message has a kind: the name of its templates (``templates/notifications/<kind>/sms.txt``:
``submitted``, ``invitation``, ``confirmation_code``, …); a provider that approves each text
(Alibaba Cloud's TemplateCode) is told which template a kind uses.

A backend's ``send`` returns None, or an ``SmsHandover`` with the provider's id
of the message and whether the provider will report its delivery; it raises an
``SmsError`` when the provider did not take it: ``SmsPermanentError`` when
sending it again cannot help (an invalid or blocked number, a text the provider
refuses), ``SmsTemporaryError`` (or any other exception) when it may pass
(a timeout, throttling, the account out of credit). A backend with delivery
reports also has ``receipt`` (``SmsReceipt``); a provider that pushes its reports
to the portal has them read by a function of its own (``alibaba_sms_reports``).
"""

import base64
import hashlib
import hmac
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    kind: str = ""  # the message's templates (``templates/notifications/<kind>/``)


@dataclass(frozen=True)
class SmsHandover:
    """The provider took the message: its id for it, and whether a delivery report will follow."""

    provider_message_id: str = ""
    receipt_expected: bool = False


@dataclass(frozen=True)
class SmsReceipt:
    """What the provider reports on a message it took: ``delivered``, ``failed`` (for good when
    ``permanent``) or neither (still waiting for the carrier), with the provider's code."""

    delivered: bool = False
    failed: bool = False
    permanent: bool = False
    code: str = ""


class SmsError(Exception):
    """The provider did not take the message. ``code`` is the provider's own."""

    permanent = False

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class SmsTemporaryError(SmsError):
    """Trying again later may work: a timeout, throttling, the provider or the account unavailable."""


class SmsPermanentError(SmsError):
    """Trying again cannot work: the number is invalid or blocked, or the text is refused."""

    permanent = True


class SmsTemplateMissing(SmsPermanentError):
    """The provider needs an approved template for each kind of message, and this kind has none:
    the message cannot go by SMS (an outbox falls back to the next channel) until an operator
    adds one."""


outbox: list[SmsMessage] = []


LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
LONG_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{4,}(\d{4})(?!\d)")


def masked_number(number: str) -> str:
    """138****8000: enough to tell messages apart in a log, not to harvest numbers."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def loggable_text(text: str) -> str:
    """The message without what would let a log reader act as the person:
    links (a reset link logs in) become "[link]", long numbers are masked."""
    text = LINK.sub("[link]", text)
    return LONG_NUMBER.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class LoggingBackend:
    """Writes each message to the log, for the demo and development, without
    working links or full numbers. Production refuses it unless
    ``LINGHUO_ALLOW_LOGGING_SMS=1`` (portal/settings/production.py)."""

    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", masked_number(message.to), loggable_text(message.text))


class RecordingBackend:
    """Keeps each message in ``outbox``: for tests."""

    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


# --- Alibaba Cloud SMS (Dysmsapi) ------------------------------------------------------------

# SendSms answers that sending again cannot mend: the number, the text or the request is wrong
# for this message. Any other code (throttling, the provider's own error, and the account's:
# out of credit, a signature or template not approved, a key refused) may pass, or passes once
# an operator has mended the account, so the message is tried again; those are logged as errors.
ALIBABA_PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",  # not a mobile number
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",  # the text holds a word the provider blocks
        "isv.PARAM_LENGTH_LIMIT",  # the text is longer than the template's variable allows
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_JSON_PARAM",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
    }
)
# Codes of the account or its configuration: an operator must act (tried again meanwhile).
ALIBABA_ACCOUNT_CODES = frozenset(
    {
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isp.RAM_PERMISSION_DENY",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "InvalidTimeStamp.Expired",
        "SignatureNonceUsed",
    }
)
# The carrier's report (QuerySendDetails' ErrCode when SendStatus is 2) that the number cannot
# receive this message whatever the time: it does not exist, is blocked, or refuses it. Others
# (switched off, out of coverage, inbox full, the carrier busy) are sent again.
ALIBABA_PERMANENT_RECEIPT_CODES = frozenset(
    {
        "MOBILE_NUMBER_ILLEGAL",
        "INVALID_NUMBER",
        "MOBILE_IN_BLACK",
        "USER_REJECT",
        "CONTENT_KEYWORD",
        "CONTENT_ERROR",
    }
)
# The signature (签名) the provider adds itself: a leading 【…】 or […] of our own text is dropped.
_OWN_SIGNATURE = re.compile(r"^\s*(?:【[^】]{1,20}】|\[[^\]]{1,20}\])\s*")


def alibaba_percent_encode(value: str) -> str:
    """RFC 3986 encoding of the RPC signature: letters, digits and ``-_.~`` stay; a space is %20."""
    return urllib.parse.quote(str(value), safe="~")


def alibaba_canonical_query(params: dict[str, str]) -> str:
    """The parameters sorted by name, each name and value encoded, joined by ``&``."""
    return "&".join(
        f"{alibaba_percent_encode(key)}={alibaba_percent_encode(value)}" for key, value in sorted(params.items())
    )


def alibaba_signature(*, method: str, params: dict[str, str], secret: str) -> str:
    """Alibaba Cloud's RPC signature (version 1.0): Base64 of HMAC-SHA1, keyed with the
    AccessKey secret and "&", of ``METHOD&%2F&<encoded canonical query>``."""
    string_to_sign = f"{method}&{alibaba_percent_encode('/')}&{alibaba_percent_encode(alibaba_canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AlibabaCloudSmsBackend:
    """Alibaba Cloud SMS (Dysmsapi 2017-05-25) over HTTPS, with its RPC signature.

    ``send`` calls ``SendSms`` with the approved signature (``ALIBABA_SMS_SIGN_NAME``) and the
    template of the message's kind (``ALIBABA_SMS_TEMPLATE_CODES``, kind → TemplateCode; a kind not
    listed uses ``ALIBABA_SMS_TEMPLATE_CODE`` when it is set, else the message is refused with
    ``SmsTemplateMissing``), whose one variable (``ALIBABA_SMS_TEMPLATE_PARAM``, ``content`` by
    default) carries the text; the provider's ``BizId`` identifies the message. ``receipt`` asks
    ``QuerySendDetails`` for the carrier's report on it; the reports the provider pushes are read
    by ``alibaba_sms_reports``. Error codes are mapped to
    temporary and permanent failures (``ALIBABA_PERMANENT_CODES``, ``ALIBABA_PERMANENT_RECEIPT_CODES``).
    """

    API_VERSION = "2017-05-25"
    REGION = "cn-hangzhou"

    def __init__(self):
        self.endpoint = settings.ALIBABA_SMS_ENDPOINT
        self.access_key_id = settings.ALIBABA_ACCESS_KEY_ID
        self.access_key_secret = settings.ALIBABA_ACCESS_KEY_SECRET
        self.sign_name = settings.ALIBABA_SMS_SIGN_NAME
        self.template_code = settings.ALIBABA_SMS_TEMPLATE_CODE
        self.template_codes = dict(settings.ALIBABA_SMS_TEMPLATE_CODES)
        self.template_param = settings.ALIBABA_SMS_TEMPLATE_PARAM
        self.timeout = settings.ALIBABA_SMS_TIMEOUT
        missing = [
            name
            for name, value in (
                ("ALIBABA_SMS_ENDPOINT", self.endpoint),
                ("ALIBABA_ACCESS_KEY_ID", self.access_key_id),
                ("ALIBABA_ACCESS_KEY_SECRET", self.access_key_secret),
                ("ALIBABA_SMS_SIGN_NAME", self.sign_name),
                ("ALIBABA_SMS_TEMPLATE_CODES or ALIBABA_SMS_TEMPLATE_CODE", self.template_code or self.template_codes),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"Alibaba Cloud SMS needs {', '.join(missing)}.")

    def template_for(self, kind: str) -> str:
        """The TemplateCode of messages of ``kind``; raises ``SmsTemplateMissing`` when there is none."""
        code = self.template_codes.get(kind) or self.template_code
        if not code:
            logger.error("Alibaba Cloud SMS: no template for messages of kind %r", kind)
            raise SmsTemplateMissing(
                f"no Alibaba Cloud SMS template for messages of kind {kind or '(none)'!r}: add "
                f"{kind or '<kind>'}=<TemplateCode> to ALIBABA_SMS_TEMPLATE_CODES",
                code="template missing",
            )
        return code

    def send(self, message: SmsMessage) -> SmsHandover:
        template_code = self.template_for(message.kind)
        text = _OWN_SIGNATURE.sub("", message.text, count=1)
        answer = self._call(
            "SendSms",
            {
                "PhoneNumbers": message.to,
                "SignName": self.sign_name,
                "TemplateCode": template_code,
                "TemplateParam": json.dumps({self.template_param: text}, ensure_ascii=False),
            },
        )
        biz_id = str(answer.get("BizId") or "")
        return SmsHandover(provider_message_id=biz_id, receipt_expected=bool(biz_id))

    def receipt(self, *, to: str, provider_message_id: str, sent_on: date) -> SmsReceipt:
        answer = self._call(
            "QuerySendDetails",
            {
                "PhoneNumber": to,
                "BizId": provider_message_id,
                "SendDate": sent_on.strftime("%Y%m%d"),
                "PageSize": "10",
                "CurrentPage": "1",
            },
        )
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        if not details:
            return SmsReceipt()
        detail = details[0]
        status, code = int(detail.get("SendStatus") or 1), str(detail.get("ErrCode") or "")
        if status == 3:  # 3: received
            return SmsReceipt(delivered=True, code=code)
        if status == 2:  # 2: failed
            return SmsReceipt(failed=True, permanent=code in ALIBABA_PERMANENT_RECEIPT_CODES, code=code)
        return SmsReceipt(code=code)  # 1: waiting for the carrier's report

    def _call(self, action: str, params: dict[str, str]) -> dict:
        common = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.REGION,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.API_VERSION,
        }
        signed = {**common, **params}
        signature = alibaba_signature(method="POST", params=signed, secret=self.access_key_secret)
        body = f"{alibaba_canonical_query(signed)}&Signature={alibaba_percent_encode(signature)}"
        request = urllib.request.Request(  # noqa: S310 (the configured endpoint)
            self.endpoint,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:  # the provider's errors come with a JSON body too
            raw = exc.read()
            if exc.code >= 500 and not raw:
                raise SmsTemporaryError(f"{action}: HTTP {exc.code}", code=f"HTTP {exc.code}") from exc
        except TimeoutError as exc:
            raise SmsTemporaryError(f"{action}: no answer within {self.timeout} s", code="timeout") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SmsTemporaryError(f"{action}: no answer within {self.timeout} s", code="timeout") from exc
            raise SmsTemporaryError(f"{action}: {exc.reason}", code="unreachable") from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise SmsTemporaryError(f"{action}: the answer is not JSON", code="bad answer") from exc
        code = str(answer.get("Code") or "")
        if code == "OK":
            return answer
        # The provider's message may quote the number: masked like a log line.
        reason = f"{code}: {loggable_text(str(answer.get('Message') or ''))}"
        if code in ALIBABA_PERMANENT_CODES:
            raise SmsPermanentError(reason, code=code)
        if code in ALIBABA_ACCOUNT_CODES:
            logger.error("Alibaba Cloud SMS refused %s for the account: %s", action, reason)
        raise SmsTemporaryError(reason, code=code)


@dataclass(frozen=True)
class SmsReport:
    """One delivery report the provider pushed: its id of the message, and what it says."""

    provider_message_id: str
    receipt: SmsReceipt
    phone_number: str = ""


class SmsReportInvalid(ValueError):
    """A pushed report that cannot be read: the sender is told what is wrong (HTTP 400)."""


def alibaba_sms_reports(payload: object) -> list[SmsReport]:
    """The reports of an Alibaba Cloud SMS push (``SmsReport``, HTTP batch push): a JSON array of
    objects with ``biz_id`` (the ``BizId`` of ``SendSms``), ``success`` (true when the phone
    received it), ``err_code`` (the carrier's code, ``DELIVERED`` when received), and
    ``phone_number``, ``send_time``, ``report_time``, ``err_msg``, ``sms_size``, ``out_id``.
    Raises ``SmsReportInvalid`` on what is not such an array."""
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not payload:
        raise SmsReportInvalid("expected a JSON array of delivery reports")
    reports = []
    for index, entry in enumerate(payload):
        if not isinstance(entry, dict):
            raise SmsReportInvalid(f"report {index}: expected an object")
        biz_id = entry.get("biz_id")
        if not isinstance(biz_id, str) or not biz_id.strip() or len(biz_id) > 64:
            raise SmsReportInvalid(f"report {index}: biz_id must be the BizId of the message")
        success = entry.get("success")
        if isinstance(success, str) and success.lower() in ("true", "false"):
            success = success.lower() == "true"
        if not isinstance(success, bool):
            raise SmsReportInvalid(f"report {index}: success must be true or false")
        code = entry.get("err_code") or ""
        if not isinstance(code, str):
            raise SmsReportInvalid(f"report {index}: err_code must be a string")
        phone = entry.get("phone_number") or ""
        receipt = (
            SmsReceipt(delivered=True, code=code)
            if success
            else SmsReceipt(failed=True, permanent=code in ALIBABA_PERMANENT_RECEIPT_CODES, code=code)
        )
        reports.append(SmsReport(provider_message_id=biz_id.strip(), receipt=receipt, phone_number=str(phone)))
    return reports


def sms_kinds() -> list[str]:
    """Every kind of SMS the portal writes: each folder of ``notifications/`` in the template
    directories that holds an ``sms.txt``."""
    kinds = set()
    for directory in settings.TEMPLATES[0].get("DIRS", []):
        kinds |= {path.parent.name for path in Path(directory, "notifications").glob("*/sms.txt")}
    return sorted(kinds)


def alibaba_templates_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With Alibaba Cloud SMS, each kind of message needs its approved template (or the default):
    said when the portal starts, rather than found out message by message."""
    if settings.SMS_BACKEND != "portal.sms.AlibabaCloudSmsBackend" or settings.ALIBABA_SMS_TEMPLATE_CODE:
        return []
    missing = [kind for kind in sms_kinds() if kind not in settings.ALIBABA_SMS_TEMPLATE_CODES]
    if not missing:
        return []
    return [
        checks.Warning(
            f"Alibaba Cloud SMS has no template for these kinds of message: {', '.join(missing)}. "
            "Their SMS fail for good and go by e-mail or stay in the inbox; a confirmation code is not sent.",
            hint="Add kind=TemplateCode pairs to ALIBABA_SMS_TEMPLATE_CODES, or set ALIBABA_SMS_TEMPLATE_CODE.",
            id="linghuo.W001",
        )
    ]


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, text: str, kind: str = "") -> SmsHandover | None:
    """Sends ``text`` to ``to``; ``kind`` names the message's templates (the provider's template)."""
    return sms_backend().send(SmsMessage(to=to, text=text, kind=kind))


def sms_receipt(*, to: str, provider_message_id: str, sent_on: date) -> SmsReceipt | None:
    """The provider's report on a message it took; None when the gateway gives none."""
    backend = sms_backend()
    if not hasattr(backend, "receipt"):
        return None
    return backend.receipt(to=to, provider_message_id=provider_message_id, sent_on=sent_on)
