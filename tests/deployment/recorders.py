"""What the processes of a deployment test sent, kept in files they all append to.

``FileSmsBackend`` is the SMS gateway of those processes: like ``portal.sms.RecordingBackend`` it
keeps each message, but in a file (``LINGHUO_TEST_SMS_FILE``, one JSON line each, written under a
lock), because the senders are other processes. Like a gateway with delivery reports it gives each
message an id and reports it delivered when asked (``receipt``), which it records too.
E-mail goes to Django's file backend (``EMAIL_FILE_PATH``); ``sent_mail`` reads it back.
"""

import email
import fcntl
import json
import os
import uuid
from email import policy
from pathlib import Path

from portal.sms import SmsHandover, SmsMessage, SmsReceipt


def _append(path: str, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class FileSmsBackend:
    def send(self, message: SmsMessage) -> SmsHandover:
        provider_id = uuid.uuid4().hex
        _append(os.environ["LINGHUO_TEST_SMS_FILE"], {"to": message.to, "text": message.text, "id": provider_id})
        return SmsHandover(provider_message_id=provider_id, receipt_expected=True)

    def receipt(self, *, to: str, provider_message_id: str, sent_on) -> SmsReceipt:
        _append(os.environ["LINGHUO_TEST_SMS_FILE"] + ".receipts", {"to": to, "id": provider_message_id})
        return SmsReceipt(delivered=True, code="DELIVRD")


def sent_sms(path: str) -> list[dict]:
    return _read(path)


def sms_receipts_asked(path: str) -> list[dict]:
    return _read(path + ".receipts")


def sent_mail(folder: str) -> list[dict]:
    """Every e-mail the file backend wrote: to, subject and text."""
    messages = []
    for file in sorted(Path(folder).glob("*.log")):
        for part in file.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n"):
            if not part.strip():
                continue
            message = email.message_from_string(part, policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            messages.append(
                {"to": str(message["To"]), "subject": str(message["Subject"]), "text": body.get_content().strip()}
            )
    return messages
