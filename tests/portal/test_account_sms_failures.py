"""When the SMS gateway or the mail server does not take a confirmation code, a registration
notice or a password reset link, the person gets a page that says so (in English and in
Simplified Chinese) with what they typed still in the form, never a 500; the account stays as it
was, and the operator finds a warning in the log with the kind of message and the masked number.

The gateways really fail: Alibaba Cloud SMS pointed at the local stand-in of Dysmsapi
(tests/portal/test_sms_alibaba.py), which throttles or refuses some numbers, or at a port where
nothing listens; Django's SMTP backend pointed at a local server that refuses every message, or at
a port where nothing listens."""

import logging
import re
import socketserver
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from portal.accounts.models import ConfirmationCode
from tests.factories import CitizenFactory
from tests.portal.test_sms_alibaba import INVALID, KEY_ID, SECRET, THROTTLED, Dysmsapi

pytestmark = pytest.mark.django_db
User = get_user_model()

PASSWORD = "lantern-river-42"
NOBODY_LISTENS = 1  # nothing listens on port 1

REGISTRATION_SMS_NOT_SENT = {
    "en": "We could not send the SMS with your code just now. In a few minutes, press “Send a new code”",
    "zh-hans": "暂时无法发送验证码短信。请过几分钟点击“重新获取验证码”，无需重新注册。",
}
REGISTRATION_EMAIL_NOT_SENT = {
    "en": "We could not send the e-mail with your link just now. In a few minutes, press “Send the link again”",
    "zh-hans": "暂时无法发送带链接的邮件。请过几分钟点击“重新发送链接”，无需重新注册。",
}
RESEND_SMS_NOT_SENT = {
    "en": "We could not send a new code just now. Try again in a few minutes.",
    "zh-hans": "暂时无法发送新的验证码，请过几分钟再试。",
}
RESEND_EMAIL_NOT_SENT = {
    "en": "We could not send the link again just now. Try again in a few minutes.",
    "zh-hans": "暂时无法重新发送链接，请过几分钟再试。",
}
RESET_MAY_NOT_HAVE_GONE = {
    "en": "Now and then our SMS or e-mail service cannot send for a few minutes. Ask again here in a moment",
    "zh-hans": "短信或邮件服务偶尔会有几分钟无法发送。请稍后在此重新获取",
}
LANGUAGES = ["en", "zh-hans"]


# --- The failing gateways --------------------------------------------------------------------


def _alibaba(settings, endpoint: str) -> None:
    settings.SMS_BACKEND = "portal.sms.AlibabaCloudSmsBackend"
    settings.ALIBABA_SMS_ENDPOINT = endpoint
    settings.ALIBABA_ACCESS_KEY_ID = KEY_ID
    settings.ALIBABA_ACCESS_KEY_SECRET = SECRET
    settings.ALIBABA_SMS_SIGN_NAME = "灵活就业服务"
    settings.ALIBABA_SMS_TEMPLATE_CODE = "SMS_123456789"
    settings.ALIBABA_SMS_TIMEOUT = 2


@pytest.fixture
def dysmsapi(settings):
    """Alibaba Cloud SMS against the stand-in: THROTTLED is refused for now, INVALID for good."""
    server = Dysmsapi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _alibaba(settings, server.url)
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def sms_unreachable(settings):
    _alibaba(settings, f"http://127.0.0.1:{NOBODY_LISTENS}/")


def gateway_back(settings) -> None:
    """The gateway works again (the tests' recording backend)."""
    settings.SMS_BACKEND = "portal.sms.RecordingBackend"


class RefusingSmtp(socketserver.ThreadingTCPServer):
    """An SMTP server that greets, then refuses every sender with 451 (try again later)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RefusingSmtpHandler)
        self.refused = 0


class RefusingSmtpHandler(socketserver.StreamRequestHandler):
    server: RefusingSmtp

    def handle(self):
        self.wfile.write(b"220 stub.test ESMTP\r\n")
        for line in self.rfile:
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 stub.test\r\n")
            elif verb == b"MAIL":
                self.server.refused += 1
                self.wfile.write(b"451 4.3.2 System not accepting messages, try again later\r\n")
            elif verb in (b"RSET", b"NOOP"):
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            else:
                self.wfile.write(b"502 Not implemented\r\n")


def _smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def smtp_refusing(settings):
    server = RefusingSmtp()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _smtp(settings, server.server_address[1])
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def smtp_unreachable(settings):
    _smtp(settings, NOBODY_LISTENS)


def mail_back(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- Helpers -----------------------------------------------------------------------------------


@pytest.fixture
def in_language(client):
    def choose(language: str):
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return choose


def register(client, identifier):
    return client.post(
        "/accounts/register/",
        {"identifier": identifier, "password1": PASSWORD, "password2": PASSWORD, "privacy": "on"},
    )


def resend(client):
    return client.post("/accounts/confirm/", {"action": "resend"})


def page(response) -> str:
    return response.content.decode()


def comparable(text: str, *typed: str) -> str:
    """The page without its CSRF token and with what was typed left out."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    for value in typed:
        text = text.replace(value, "#")
    return text


def sent_code(text: str) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", text).group(1)


def not_sent_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "portal.accounts.services" and record.levelno == logging.WARNING
    ]


# --- Registration by mobile --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_registration_by_mobile_with_the_gateway_down_shows_the_form_again_and_the_code_can_be_asked_again(
    client, in_language, language, sms_unreachable, settings, sms_outbox, caplog
):
    in_language(language)
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        response = register(client, "138 1234 5678")

    assert response.status_code == 200
    text = page(response)
    assert REGISTRATION_SMS_NOT_SENT[language] in text
    assert "error-summary" in text
    assert 'value="138 1234 5678"' in text  # what the person typed, as typed
    assert re.search(r'name="privacy"[^>]*checked', text)
    assert 'action="/accounts/confirm/"' in text and 'value="resend"' in text
    # The account is kept, unconfirmed; no code is stored that nobody received.
    user = User.objects.get(mobile="13812345678")
    assert not user.is_confirmed
    assert not ConfirmationCode.objects.filter(mobile="13812345678").exists()
    [warning] = not_sent_warnings(caplog)
    assert warning == "SMS confirmation_code to 138****5678 not sent: SmsTemporaryError unreachable"
    assert "13812345678" not in caplog.text

    # Once the gateway works again, "Send a new code" sends one, and it confirms the account.
    gateway_back(settings)
    assert resend(client)["Location"] == "/accounts/confirm/"
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "13812345678"
    confirmed = client.post("/accounts/confirm/", {"action": "confirm", "code": sent_code(sms_outbox[0].text)})
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert user.is_confirmed
    assert client.get("/").context["user"] == user


def test_registering_a_registered_number_with_the_gateway_down_looks_the_same(
    client, in_language, sms_unreachable, caplog
):
    CitizenFactory(username="13900001111", confirmed_at=timezone.now())
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        new = register(in_language("en"), "13812345678")
        client.logout()
        registered = register(in_language("en"), "13900001111")
    assert new.status_code == registered.status_code == 200
    assert comparable(page(new), "13812345678") == comparable(page(registered), "13900001111")
    assert REGISTRATION_SMS_NOT_SENT["en"] in page(registered)
    assert User.objects.filter(mobile="13900001111").count() == 1
    assert [w.split(" to ")[0] for w in not_sent_warnings(caplog)] == [
        "SMS confirmation_code",
        "SMS registration_attempt",
    ]


def test_a_code_that_could_not_be_sent_does_not_count_towards_the_hourly_limit(client, in_language, sms_unreachable):
    in_language("en")
    for _ in range(4):
        response = register(client, "13812345678")
        assert response.status_code == 200
        assert REGISTRATION_SMS_NOT_SENT["en"] in page(response)
    assert "the most codes we send" not in page(response)
    assert User.objects.filter(mobile="13812345678").count() == 1


# --- Sending the code again ----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_resending_the_code_while_the_gateway_throttles_says_so_and_the_earlier_code_still_works(
    client, in_language, language, dysmsapi, settings, sms_outbox, caplog
):
    in_language(language)
    gateway_back(settings)
    register(client, THROTTLED)
    first_code = sent_code(sms_outbox[0].text)
    codes_before = ConfirmationCode.objects.filter(mobile=THROTTLED).count()

    _alibaba(settings, dysmsapi.url)
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        response = resend(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm/"
    shown = client.get("/accounts/confirm/")
    assert shown.status_code == 200
    assert RESEND_SMS_NOT_SENT[language] in page(shown)
    # The provider was asked, and refused; the code it was given is nowhere in the log.
    [call] = [c for c in dysmsapi.calls if c.get("Action") == "SendSms"]
    refused_code = sent_code(call["TemplateParam"])
    [warning] = not_sent_warnings(caplog)
    assert warning == "SMS confirmation_code to 139****0002 not sent: SmsTemporaryError isv.BUSINESS_LIMIT_CONTROL"
    assert refused_code not in caplog.text and THROTTLED not in caplog.text
    assert ConfirmationCode.objects.filter(mobile=THROTTLED).count() == codes_before

    confirmed = client.post("/accounts/confirm/", {"action": "confirm", "code": first_code})
    assert confirmed.status_code == 302
    assert User.objects.get(mobile=THROTTLED).is_confirmed


def test_resending_the_code_without_a_template_for_it_says_so(client, in_language, dysmsapi, settings, caplog):
    in_language("en")
    gateway_back(settings)
    register(client, "13812345678")
    _alibaba(settings, dysmsapi.url)
    settings.ALIBABA_SMS_TEMPLATE_CODE = ""
    settings.ALIBABA_SMS_TEMPLATE_CODES = {"submitted": "SMS_1"}  # none for confirmation codes
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        response = client.post("/accounts/confirm/", {"action": "resend"}, follow=True)
    assert response.status_code == 200
    assert RESEND_SMS_NOT_SENT["en"] in page(response)
    assert not_sent_warnings(caplog) == [
        "SMS confirmation_code to 138****5678 not sent: SmsTemplateMissing template missing"
    ]


def test_resending_for_a_registered_number_fails_alike_and_otherwise_tells_the_owner_again(
    client, in_language, dysmsapi, settings, sms_outbox
):
    CitizenFactory(username=THROTTLED, confirmed_at=timezone.now(), preferred_language="en")
    in_language("en")
    gateway_back(settings)
    register(client, THROTTLED)
    assert "Someone tried to create an account with your number" in sms_outbox[-1].text
    resend(client)
    assert len(sms_outbox) == 2 and "Someone tried to create an account" in sms_outbox[-1].text

    _alibaba(settings, dysmsapi.url)
    response = client.post("/accounts/confirm/", {"action": "resend"}, follow=True)
    assert response.status_code == 200
    assert RESEND_SMS_NOT_SENT["en"] in page(response)
    assert User.objects.filter(mobile=THROTTLED).count() == 1


# --- Password reset by mobile ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset_by_mobile_refused_by_the_gateway_answers_as_for_an_unknown_number(
    client, in_language, language, dysmsapi, caplog
):
    CitizenFactory(username=INVALID)
    in_language(language)
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        known = client.post("/accounts/password-reset/", {"identifier": INVALID})
    assert known.status_code == 302 and known["Location"] == "/accounts/password-reset/sent/"
    known_page = client.get(known["Location"])
    assert known_page.status_code == 200
    assert RESET_MAY_NOT_HAVE_GONE[language] in page(known_page)
    assert f'value="{INVALID}"' in page(known_page)  # the form again, with what was typed
    [warning] = not_sent_warnings(caplog)
    assert warning == "SMS password_reset to 139****0003 not sent: SmsPermanentError isv.MOBILE_NUMBER_ILLEGAL"
    assert INVALID not in caplog.text

    unknown = client.post("/accounts/password-reset/", {"identifier": "13700000000"})
    assert unknown.status_code == known.status_code and unknown["Location"] == known["Location"]
    unknown_page = client.get(unknown["Location"])
    assert comparable(page(unknown_page), "13700000000") == comparable(page(known_page), INVALID)
    assert len([c for c in dysmsapi.calls if c.get("Action") == "SendSms"]) == 1


def test_password_reset_by_mobile_with_the_gateway_down_answers_the_same(client, in_language, sms_unreachable, caplog):
    CitizenFactory(username="13900001111")
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        response = in_language("en").post("/accounts/password-reset/", {"identifier": "13900001111"}, follow=True)
    assert response.status_code == 200
    assert RESET_MAY_NOT_HAVE_GONE["en"] in page(response)
    assert 'value="13900001111"' in page(response)
    assert not_sent_warnings(caplog) == ["SMS password_reset to 139****1111 not sent: SmsTemporaryError unreachable"]


# --- E-mail ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_registration_by_email_refused_by_the_mail_server_shows_the_form_again_and_the_link_can_be_asked_again(
    client, in_language, language, smtp_refusing, settings, caplog
):
    in_language(language)
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        response = register(client, "Li.Hua@Example.com")
    assert response.status_code == 200
    text = page(response)
    assert REGISTRATION_EMAIL_NOT_SENT[language] in text
    assert 'value="Li.Hua@Example.com"' in text
    assert smtp_refusing.refused == 1
    assert not_sent_warnings(caplog) == ["E-mail email_confirmation to l***@example.com not sent: SMTPSenderRefused"]
    assert "li.hua@example.com" not in caplog.text.lower()
    user = User.objects.get(email="li.hua@example.com")

    resent = client.post("/accounts/confirm/", {"action": "resend"}, follow=True)
    assert resent.status_code == 200
    assert RESEND_EMAIL_NOT_SENT[language] in page(resent)

    mail_back(settings)
    resend(client)
    [message] = mail.outbox
    link = re.search(r"https?://\S+(/accounts/confirm/email/\S+/)", message.body).group(1)
    assert client.get(link).status_code == 302
    user.refresh_from_db()
    assert user.is_confirmed


def test_registering_a_registered_address_with_the_mail_server_down_looks_the_same(
    client, in_language, smtp_unreachable, caplog
):
    CitizenFactory(username="ada@example.com", confirmed_at=timezone.now())
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        new = register(in_language("en"), "li.hua@example.com")
        client.logout()
        registered = register(in_language("en"), "ada@example.com")
    assert new.status_code == registered.status_code == 200
    assert comparable(page(new), "li.hua@example.com") == comparable(page(registered), "ada@example.com")
    assert not_sent_warnings(caplog) == [
        "E-mail email_confirmation to l***@example.com not sent: ConnectionRefusedError",
        "E-mail registration_attempt to a***@example.com not sent: ConnectionRefusedError",
    ]


def test_password_reset_by_email_with_the_mail_server_down_answers_as_for_an_unknown_address(
    client, in_language, smtp_unreachable, caplog
):
    CitizenFactory(username="ada@example.com")
    in_language("zh-hans")
    with caplog.at_level(logging.WARNING, logger="portal.accounts.services"):
        known = client.post("/accounts/password-reset/", {"identifier": "ada@example.com"}, follow=True)
    unknown = client.post("/accounts/password-reset/", {"identifier": "bob@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == [("/accounts/password-reset/sent/", 302)]
    assert RESET_MAY_NOT_HAVE_GONE["zh-hans"] in page(known)
    assert 'value="ada@example.com"' in page(known)
    assert comparable(page(known), "ada@example.com") == comparable(page(unknown), "bob@example.com")
    assert not_sent_warnings(caplog) == ["E-mail password_reset to a***@example.com not sent: ConnectionRefusedError"]
