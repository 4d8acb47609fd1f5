"""Registration is confirmed: by a 6-digit SMS code, or by a signed e-mail link (issue 9, item 5f)."""

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.management import call_command
from django.utils import timezone

from portal.accounts.models import ConfirmationCode
from portal.accounts.services import EMAIL_LINK_SALT
from tests.factories import CitizenFactory, programme

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "lantern-river-42"
MOBILE = "13812345678"


class Clock:
    """Moves "now" for the services (timezone.now) and for signed links (time.time)."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real_now, real_time = timezone.now, time.time
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)
        monkeypatch.setattr(signing.time, "time", lambda: real_time() + self.offset.total_seconds())

    def shift(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def time_machine(monkeypatch):
    return Clock(monkeypatch)


def register(client, identifier, next_url=""):
    data = {"identifier": identifier, "password1": PASSWORD, "password2": PASSWORD, "privacy": "on"}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/register/", data)


def sent_code(sms_outbox) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", sms_outbox[-1].text).group(1)


def type_code(client, code):
    return client.post("/accounts/confirm/", {"action": "confirm", "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_mobile_registration_sends_a_code_and_the_code_confirms_and_logs_in(client, sms_outbox, english):
    response = register(client, MOBILE)
    assert response["Location"] == "/accounts/confirm/"
    user = User.objects.get(mobile=MOBILE)
    assert user.confirmed_at is None
    assert not client.get("/").context["user"].is_authenticated  # not until the code is typed
    page = client.get("/accounts/confirm/").content.decode()
    assert "138****5678" in page and MOBILE not in page
    assert len(sms_outbox) == 1 and sms_outbox[0].to == MOBILE
    code = sent_code(sms_outbox)
    stored = ConfirmationCode.objects.get(mobile=MOBILE)
    assert code not in stored.code_hash  # kept hashed
    response = type_code(client, code)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_confirmed
    assert client.get("/").context["user"] == user


def test_a_code_typed_on_a_full_width_keyboard_is_accepted(client, sms_outbox):
    register(client, MOBILE)
    code = sent_code(sms_outbox)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert type_code(client, full_width).status_code == 302
    assert User.objects.get(mobile=MOBILE).is_confirmed


def test_a_wrong_code_says_how_many_tries_are_left_and_five_wrong_tries_end_the_code(client, sms_outbox, english):
    register(client, MOBILE)
    code = sent_code(sms_outbox)
    response = type_code(client, wrong(code))
    assert response.status_code == 200
    assert "This is not the code we sent" in response.content.decode()
    assert "4 tries left" in response.content.decode()
    for _ in range(4):
        response = type_code(client, wrong(code))
    assert "typed wrongly too many times" in response.content.decode()
    response = type_code(client, code)  # even the right code is refused now
    assert "typed wrongly too many times" in response.content.decode()
    assert not User.objects.get(mobile=MOBILE).is_confirmed


def test_a_code_expires_after_ten_minutes(client, sms_outbox, english, time_machine):
    register(client, MOBILE)
    code = sent_code(sms_outbox)
    time_machine.shift(timedelta(minutes=10, seconds=1))
    response = type_code(client, code)
    assert "This code has expired" in response.content.decode()
    assert not User.objects.get(mobile=MOBILE).is_confirmed


def test_at_most_three_codes_per_number_per_hour(client, sms_outbox, english, time_machine):
    register(client, MOBILE)
    for _ in range(2):
        client.post("/accounts/confirm/", {"action": "resend"})
    assert len(sms_outbox) == 3
    response = client.post("/accounts/confirm/", {"action": "resend"}, follow=True)
    assert len(sms_outbox) == 3
    assert "the most codes we send to this number in an hour" in response.content.decode()
    # The newest code is the one that works; the earlier ones no longer do.
    first_code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms_outbox[0].text).group(1)
    if first_code != sent_code(sms_outbox):
        assert "This is not the code we sent" in type_code(client, first_code).content.decode()
    time_machine.shift(timedelta(hours=1, minutes=1))
    client.post("/accounts/confirm/", {"action": "resend"})
    assert len(sms_outbox) == 4
    assert type_code(client, sent_code(sms_outbox)).status_code == 302


def test_registering_an_existing_number_looks_the_same_and_tells_the_owner(client, sms_outbox, english):
    owner = CitizenFactory(username=MOBILE, preferred_language="en")
    new_client_response = register(client, "13900001111")
    new_page = client.get("/accounts/confirm/").content.decode()
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    existing_response = register(client, MOBILE)
    existing_page = client.get("/accounts/confirm/").content.decode()
    assert new_client_response.status_code == existing_response.status_code == 302
    assert new_client_response["Location"] == existing_response["Location"]
    # Same page, apart from the masked number (and the form's CSRF token).
    assert _comparable(new_page, "139****1111") == _comparable(existing_page, "138****5678")
    assert User.objects.filter(mobile=MOBILE).count() == 1
    owner.refresh_from_db()
    assert owner.check_password("correct-horse-battery-9")  # the intruder's password was not applied
    warning = sms_outbox[-1]
    assert warning.to == MOBILE
    assert "Someone tried to create an account with your number" in warning.text
    assert settings.LINGHUO_PUBLIC_URL + "/accounts/password-reset/" in warning.text
    # No code for it works, and wrong tries count the same way.
    response = type_code(client, "123456")
    assert "This is not the code we sent" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def _comparable(page: str, masked: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.replace(masked, "#"))


def test_registering_an_existing_email_sends_the_owner_a_reset_link_not_an_account(client):
    CitizenFactory(username="ada@example.com")
    response = register(client, "Ada@Example.com")
    assert response["Location"] == "/accounts/confirm/"
    assert User.objects.filter(email="ada@example.com").count() == 1
    assert len(mail.outbox) == 1
    assert "/accounts/password-reset/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["ada@example.com"]


def test_email_registration_is_confirmed_by_a_signed_link_for_three_days(client, time_machine, english):
    register(client, "li.hua@example.com")
    user = User.objects.get(email="li.hua@example.com")
    assert not user.is_confirmed
    link = re.search(r"https?://\S+/accounts/confirm/email/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith(settings.LINGHUO_PUBLIC_URL)
    path = link.removeprefix(settings.LINGHUO_PUBLIC_URL)
    assert "Open the link we sent you" in client.get("/accounts/confirm/").content.decode()

    time_machine.shift(timedelta(days=3, minutes=1))
    expired = client.get(path)
    assert expired.status_code == 400 and "This link has expired" in expired.content.decode()
    time_machine.shift(-timedelta(days=1))
    assert client.get(path).status_code == 302
    user.refresh_from_db()
    assert user.is_confirmed


def test_a_tampered_email_link_is_refused(client, english):
    user = CitizenFactory(username="ada@example.com", confirmed_at=None)
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_LINK_SALT)
    response = client.get(f"/accounts/confirm/email/{token[:-2]}xx/")
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_confirmed


def test_an_unconfirmed_account_can_log_in_and_screen_but_applying_asks_for_the_code(client, sms_outbox):
    register(client, MOBILE, next_url="")
    client.post("/accounts/login/", {"username": MOBILE, "password": PASSWORD})
    assert client.get("/").context["user"].is_authenticated
    assert client.get("/screening/").status_code in (200, 302)
    slug = programme().slug
    response = client.get(f"/applications/new/{slug}/")
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm/"
    client.post("/accounts/confirm/", {"action": "resend"})
    response = type_code(client, sent_code(sms_outbox))
    assert response["Location"] == f"/applications/new/{slug}/"  # back to where they were going
    assert client.get(f"/applications/new/{slug}/").status_code == 200


def test_demo_accounts_and_staff_accounts_are_confirmed(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not User.objects.filter(confirmed_at__isnull=True).exists()
    assert User.objects.filter(mobile="13800138000").get().is_confirmed


def test_existing_accounts_are_confirmed_by_the_migration():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("portal.accounts.migrations.0003_identifier_confirmation")
    user = CitizenFactory(confirmed_at=None)
    migration.confirm_existing_accounts(apps, None)
    user.refresh_from_db()
    assert user.confirmed_at == user.date_joined
