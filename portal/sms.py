"""SMS gateway, chosen by the SMS_BACKEND setting.

A real deployment names a backend class that speaks to its SMS provider; the
demo logs messages; tests record them in ``portal.sms.outbox`` the way Django
keeps e-mail in ``mail.outbox``.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


outbox: list[SmsMessage] = []


class LoggingBackend:
    """Writes each message to the log: for the demo and development."""

    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.to, message.text)


class RecordingBackend:
    """Keeps each message in ``outbox``: for tests."""

    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def send_sms(*, to: str, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(SmsMessage(to=to, text=text))
