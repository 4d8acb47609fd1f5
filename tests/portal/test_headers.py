"""Headers on every page (issue 11, item 9) and what the logging SMS backend writes (item 8)."""

import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from portal import sms
from tests.factories import CaseworkerFactory, CitizenFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/screening/", "/no-such-page/", "/admin/login/"])
def test_every_page_has_a_content_security_policy_without_unsafe_inline(client, path):
    response = client.get(path)
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_logged_in_pages_have_the_policy_too(client):
    client.force_login(CaseworkerFactory())
    response = client.get("/staff/")
    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_no_template_carries_inline_style_script_or_event_handler():
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern in (r'\sstyle="', r"<script(?![^>]*\ssrc=)[^>]*>", r"\son[a-z]+=\""):
            found += [f"{template.relative_to(TEMPLATES)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert not found, found


def test_pages_for_a_logged_in_person_are_not_stored(client):
    client.force_login(CitizenFactory())
    for path in ["/", "/applications/", "/screening/"]:
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/register/", "/admin/login/", "/staff/"])
def test_personal_paths_are_not_stored_even_for_anonymous_visitors(client, path):
    assert "no-store" in client.get(path)["Cache-Control"]


def test_the_public_home_page_and_static_files_keep_their_caching(client, settings):
    assert "no-store" not in client.get("/").get("Cache-Control", "")
    # WhiteNoise serves static files, as in production, ahead of the no-store rule; a logged-in person too.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    browser = Client()
    browser.force_login(CitizenFactory())
    static = browser.get("/static/css/portal.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/", "HTTP_USER_AGENT": "Mozilla\x00evil"},
        {"path": "/", "HTTP_X_ANYTHING": "a\x00b"},
        {"path": "/accounts/login/%00"},
        {"path": "/screening/?q=a%00b"},
        {"path": "/", "HTTP_COOKIE": "linghuo_language=en\x00"},
    ],
)
def test_a_null_byte_in_a_header_the_path_or_the_query_answers_400(client, request_kwargs):
    response = client.get(**request_kwargs)
    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_a_null_byte_in_a_login_post_is_400_and_not_a_500(client):
    response = client.post("/accounts/login/?next=%00", {"username": "a", "password": "b"})
    assert response.status_code == 400


def test_the_logging_sms_backend_writes_no_link_and_no_full_number(caplog):
    caplog.set_level(logging.INFO, logger="portal.sms")
    sms.LoggingBackend().send(
        sms.SmsMessage(
            to="13800138000",
            text="Reset your password: https://linghuo.example.cn/accounts/password-reset/MQ/abc-123/ "
            "or call 13912345678. Code 042917.",
        )
    )
    logged = caplog.text
    assert "13800138000" not in logged and "138****8000" in logged
    assert "https://" not in logged and "password-reset" not in logged and "[link]" in logged
    assert "13912345678" not in logged and "139****5678" in logged
    assert "042917" in logged  # a 6-digit code is not a phone number


def test_reset_links_come_from_the_public_url_not_the_host_header(client, settings, sms_outbox):
    settings.LINGHUO_PUBLIC_URL = "https://linghuo.example.cn"
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    CitizenFactory(username="13800138040")
    client.post("/accounts/password-reset/", {"identifier": "13800138040"}, HTTP_HOST="evil.example")
    assert sms_outbox and "https://linghuo.example.cn/accounts/password-reset/" in sms_outbox[-1].text
    assert "evil.example" not in sms_outbox[-1].text
