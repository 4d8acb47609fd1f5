"""Open redirects: no ``next``, ``return`` or ``Referer`` ever sends a person to another site.

Every place that takes where to go next is tried with each payload of
``PAYLOADS``: the login (citizen, staff and the admin's), registration and the
confirmation by SMS code or e-mail link that follows it, the second-factor
pages, the logout (the portal's and the admin's), the language switch (its
``next`` and its ``Referer``) and the application steps' ``return``. An answer
may be a page or a redirect; a redirect's ``Location`` must be a path on this
site as a browser reads it (tabs and newlines dropped, backslashes taken for
slashes, resolved against the page: ``evil.example`` alone is a page beside
this one), and so must any ``next`` it carries on, and any ``next`` a page puts
in its form. Each attempt runs in a transaction rolled back afterwards.

The places are found in ``portal/redirects.py`` (``safe_target``), Django's own
``LoginView``/``LogoutView`` and ``applications/views.py``; a control test
checks each one does follow a target on this site, so that a payload refused
is refused by the check and not because the place ignores ``next``.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import totp_code, verified_login
from tests.factories import (
    PASSWORD,
    VALID_ID_NUMBER,
    ApplicationFactory,
    CitizenFactory,
    PolicyAdminFactory,
    SupervisorFactory,
)
from tests.portal.test_registration_confirmation import register, sent_code

EVIL = "evil.example"
PAYLOADS = [
    # Protocol-relative and absolute
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}",
    f"//{EVIL}/applications/",
    f"https://{EVIL}",
    f"http://{EVIL}",
    f"HTTPS://{EVIL}",
    f"hTtP://{EVIL}",
    f"https:{EVIL}",
    f"http:{EVIL}",
    f"https:/{EVIL}",
    f"https:///{EVIL}",
    f"ftp://{EVIL}",
    f"//{EVIL}:443",
    f"//{EVIL}/%2e%2e",
    # Backslashes, which browsers read as slashes
    f"/\\{EVIL}",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\\/{EVIL}",
    f"\\{EVIL}",
    f"http:\\\\{EVIL}",
    f"https:\\/\\/{EVIL}",
    f"https://{EVIL}\\@testserver",
    f"///\\;@{EVIL}",
    # Encoded
    f"%2F%2F{EVIL}",
    f"%2f%2f{EVIL}",
    f"/%2F/{EVIL}",
    f"%5C%5C{EVIL}",
    f"/%5C{EVIL}",
    f"%252F%252F{EVIL}",
    f"https%3A%2F%2F{EVIL}",
    f"/%09/{EVIL}",
    f"/%0d%0a/{EVIL}",
    # Scripts and data
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "javascript://%0aalert(1)",
    f"javascript://{EVIL}/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    # Our host named, another one reached
    f"http://127.0.0.1@{EVIL}",
    f"https://testserver@{EVIL}",
    f"//testserver@{EVIL}",
    f"https://testserver.{EVIL}",
    f"https://{EVIL}/testserver",
    f"https://{EVIL}?next=/",
    f"https://{EVIL}#/",
    f"http://{EVIL}%2F@testserver",
    f"https://{EVIL}%00.testserver",
    "//2130706433",
    "//0x7f000001",
    # Tabs, newlines, spaces and controls inside
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r/{EVIL}",
    f"\t//{EVIL}",
    f"\n//{EVIL}",
    f" //{EVIL}",
    f"//{EVIL}\t",
    f"/ /{EVIL}",
    f"\x00//{EVIL}",
    f"\x01//{EVIL}",
    f"/\r\nLocation: https://{EVIL}",
    f"h\ttps://{EVIL}",
    # Unicode slashes, dots and letters
    f"\uff0f\uff0f{EVIL}",  # full-width solidus
    f"\u2215\u2215{EVIL}",  # division slash
    f"\u2044\u2044{EVIL}",  # fraction slash
    f"/\uff0f{EVIL}",
    f"\uff3c\uff3c{EVIL}",  # full-width reverse solidus
    "//evil\u3002example",  # ideographic full stop
    "//\uff45\uff56\uff49\uff4c.example",  # full-width letters
    f"\u200b//{EVIL}",  # zero-width space
    f"\ufeff//{EVIL}",
    f"/\u200b/{EVIL}",
    # Plain words (redirect() would take one for a view name)
    EVIL,
    "home",
    "admin:index",
]

HERE = "http://testserver"  # the test client's site
SAFE = "/applications/"  # a page of this site every entry point below may send a person to


def as_a_browser_reads_it(url: str) -> str:
    """Tabs and newlines dropped, backslashes as slashes, leading controls and spaces stripped (WHATWG URL)."""
    url = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
    return url.lstrip("".join(chr(c) for c in range(0x21)))


def on_this_site(url: str, page: str = "/") -> bool:
    """Where a browser on ``page`` goes for ``url`` is this site (a path, or a relative reference)."""
    read = as_a_browser_reads_it(url)
    reached = urlsplit(urljoin(f"{HERE}{page}", read))
    return reached.scheme == "http" and reached.netloc == "testserver" and not urlsplit(read).netloc


def problems_of(response) -> list[str]:
    """Where this answer could send a browser off the site: its Location, the next it carries, its forms' next."""
    found = []
    page = response.request["PATH_INFO"]
    location = response.get("Location")
    if location is not None:
        if not on_this_site(location, page):
            found.append(f"Location {location!r}")
        for value in parse_qs(urlsplit(location).query).get("next", []):
            if value and not on_this_site(value, page):
                found.append(f"Location {location!r} carries next {value!r}")
    if "html" in response.get("Content-Type", ""):
        html = response.content.decode("utf-8", "replace")
        for tag in re.findall(r"<input[^>]*name=\"next\"[^>]*>", html):
            value = unescape((re.search(r'value="([^"]*)"', tag) or [None, ""])[1])
            if value and not on_this_site(value, page):
                found.append(f"form field next {value!r}")
    return found


# --- The entry points ---------------------------------------------------------------------------------


@pytest.fixture
def people():
    citizen = CitizenFactory(username="13900001111")
    supervisor = SupervisorFactory(username="supervisor@example.com")
    TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    policy_admin = PolicyAdminFactory(username="policy@example.com")
    TOTPDevice.objects.create(user=policy_admin, name="phone", confirmed=True)
    draft = ApplicationFactory(applicant=citizen)
    return {"citizen": citizen, "supervisor": supervisor, "policy_admin": policy_admin, "draft": draft}


def _logged_in(user) -> Client:
    return verified_login(Client(), user)


def login_post(people, target):
    return [Client().post("/accounts/login/", {"username": "13900001111", "password": PASSWORD, "next": target})]


def login_get_logged_in(people, target):
    return [_logged_in(people["citizen"]).get("/accounts/login/", {"next": target})]


def login_page(people, target):
    return [Client().get("/accounts/login/", {"next": target})]


def staff_login_post(people, target):
    data = {"username": "supervisor@example.com", "password": PASSWORD, "next": target}
    return [Client().post("/accounts/login/", data)]


def two_factor_code_post(people, target):
    client = Client()
    client.post("/accounts/login/", {"username": "supervisor@example.com", "password": PASSWORD})
    page = client.get("/accounts/two-factor/", {"next": target})
    device = TOTPDevice.objects.get(user=people["supervisor"])
    return [page, client.post("/accounts/two-factor/", {"code": totp_code(device), "next": target})]


def two_factor_get_verified(people, target):
    return [_logged_in(people["supervisor"]).get("/accounts/two-factor/", {"next": target})]


def two_factor_as_citizen(people, target):
    client = _logged_in(people["citizen"])
    return [
        client.get("/accounts/two-factor/", {"next": target}),
        client.get("/accounts/two-factor/enrol/", {"next": target}),
    ]


def register_get_logged_in(people, target):
    return [_logged_in(people["citizen"]).get("/accounts/register/", {"next": target})]


def register_then_sms_code(people, target):
    from portal import sms

    client = Client()
    page = client.get("/accounts/register/", {"next": target})
    registered = register(client, "13800009999", next_url=target)
    confirmed = client.post("/accounts/confirm/", {"action": "confirm", "code": sent_code(sms.outbox)})
    assert confirmed.status_code == 302, confirmed.status_code  # the code was right: this is the redirect after it
    return [page, registered, confirmed]


def register_then_email_link(people, target):
    client = Client()
    mail.outbox.clear()
    registered = register(client, "new.person@example.com", next_url=target)
    link = re.search(r"https?://\S+(/accounts/confirm/email/\S+/)", mail.outbox[-1].body).group(1)
    return [registered, client.get(link)]


def logout_post(people, target):
    return [_logged_in(people["citizen"]).post("/accounts/logout/", {"next": target})]


def language_next(people, target):
    return [
        Client().post("/language/", {"language": "en", "next": target}),
        _logged_in(people["citizen"]).post("/language/", {"language": "zh-hans", "next": target}),
    ]


def language_referer(people, target):
    return [Client().post("/language/", {"language": "en"}, HTTP_REFERER=target)]


def admin_login_post(people, target):
    data = {"username": "policy@example.com", "password": PASSWORD, "next": target}
    client = Client()
    return [client.get("/admin/login/", {"next": target}), client.post("/admin/login/", data)]


def admin_logout_post(people, target):
    return [_logged_in(people["policy_admin"]).post("/admin/logout/", {"next": target})]


def application_step_return(people, target):
    draft = people["draft"]
    data = {
        "full_name": "王小明",
        "id_number": VALID_ID_NUMBER,
        "birth_date": "1999-05-02",
        "mobile": "13912345678",
        "address": "浙江省衢州市柯城区荷花街道 9 号",
    }
    client = _logged_in(people["citizen"])
    return [client.post(f"/applications/drafts/{draft.pk}/personal/?{_query('return', target)}", data)]


def _query(name: str, value: str) -> str:
    from urllib.parse import urlencode

    return urlencode({name: value})


ENTRY_POINTS = {
    "login (POST next)": login_post,
    "login (GET next, logged in)": login_get_logged_in,
    "login page (GET next)": login_page,
    "staff login (POST next, on to the code)": staff_login_post,
    "second factor (code and next)": two_factor_code_post,
    "second factor (GET next, verified)": two_factor_get_verified,
    "second factor pages (citizen)": two_factor_as_citizen,
    "register (GET next, logged in)": register_get_logged_in,
    "register, then the SMS code": register_then_sms_code,
    "register, then the e-mail link": register_then_email_link,
    "logout (POST next)": logout_post,
    "language switch (next)": language_next,
    "language switch (Referer)": language_referer,
    "admin login (next)": admin_login_post,
    "admin logout (next)": admin_logout_post,
    "application step (return)": application_step_return,
}
# Where each entry point, given SAFE, sends the person (the last answer's Location): proof it follows targets.
FOLLOWS_SAFE = {
    "login (POST next)": SAFE,
    "login (GET next, logged in)": SAFE,
    "staff login (POST next, on to the code)": "/accounts/two-factor/?next=%2Fapplications%2F",
    "second factor (code and next)": SAFE,
    "second factor (GET next, verified)": SAFE,
    "second factor pages (citizen)": SAFE,
    "register (GET next, logged in)": SAFE,
    "register, then the SMS code": SAFE,
    "register, then the e-mail link": "/accounts/login/?next=/applications/",
    "logout (POST next)": SAFE,
    "language switch (next)": SAFE,
    "language switch (Referer)": SAFE,
    "admin login (next)": SAFE,
    "admin logout (next)": SAFE,
}


def attempt(people, entry, target):
    with transaction.atomic():
        responses = ENTRY_POINTS[entry](people, target)
        transaction.set_rollback(True)
    return responses


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 60
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("entry", sorted(FOLLOWS_SAFE))
def test_each_entry_point_follows_a_target_on_this_site(people, entry):
    responses = attempt(people, entry, SAFE)
    assert responses[-1].status_code == 302, responses[-1].status_code
    assert responses[-1]["Location"] == FOLLOWS_SAFE[entry]


def test_the_application_step_goes_back_to_the_check_page_only_for_return_check(people):
    draft = people["draft"]
    assert attempt(people, "application step (return)", "check")[-1]["Location"] == (
        f"/applications/drafts/{draft.pk}/check/"
    )


def test_the_checker_catches_what_a_browser_would_follow():
    for off in [f"//{EVIL}", f"/\\{EVIL}", f"/\t/{EVIL}", f"https://{EVIL}", "javascript:alert(1)", f" //{EVIL}"]:
        assert not on_this_site(off), off
    for on in ["/", SAFE, "/accounts/two-factor/?next=%2F", f"/%2F%2F{EVIL}", "/a//b", EVIL, f"%5C{EVIL}"]:
        assert on_this_site(on), on


def test_no_payload_at_any_entry_point_redirects_to_another_site(people, capsys):
    tried, opened = 0, []
    for entry in ENTRY_POINTS:
        for payload in PAYLOADS:
            responses = attempt(people, entry, payload)
            tried += 1
            for response in responses:
                assert response.status_code < 500, (entry, payload)
                opened += [f"{entry}, {payload!r}: {problem}" for problem in problems_of(response)]
    with capsys.disabled():
        print(
            f"\nopen redirects: {len(opened)} in {tried} attempts "
            f"({len(PAYLOADS)} payloads at {len(ENTRY_POINTS)} entry points)"
        )
    assert opened == [], "\n".join(opened)
