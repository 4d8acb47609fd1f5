"""SMS gateway, chosen by the SMS_BACKEND setting.

A real deployment names a backend class that speaks to its SMS provider; the
demo logs messages; tests record them in ``portal.sms.outbox`` the way Django
keeps e-mail in ``mail.outbox``.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


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


def send_sms(*, to: str, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(SmsMessage(to=to, text=text))
