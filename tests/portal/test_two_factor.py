"""The staff second factor: enrolment by QR code, the code after the password, recovery codes."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.two_factor import RECOVERY_CODE_COUNT, two_factor_required
from tests.conftest import totp_code
from tests.factories import PASSWORD, CaseworkerFactory, CitizenFactory, PolicyAdminFactory, SupervisorFactory

pytestmark = pytest.mark.django_db


def password_login(client, user, next_url=""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_every_staff_role_and_the_admin_site_need_a_second_factor():
    assert two_factor_required(CaseworkerFactory())
    assert two_factor_required(SupervisorFactory())
    assert two_factor_required(PolicyAdminFactory())
    assert two_factor_required(CitizenFactory(is_staff=True))  # may open /admin/
    assert not two_factor_required(CitizenFactory())


def test_a_citizen_logs_in_with_the_password_alone():
    client = Client()
    citizen = CitizenFactory(username="13800138020")
    response = password_login(client, citizen)
    assert response.status_code == 302 and "two-factor" not in response["Location"]
    assert client.get("/applications/").status_code == 200


def test_staff_without_an_authenticator_are_sent_to_enrolment_and_can_do_nothing_else(english):
    client = english
    caseworker = CaseworkerFactory(username="new.caseworker@example.com")
    response = password_login(client, caseworker)
    assert response["Location"].startswith("/accounts/two-factor/enrol/")
    for path in ["/staff/", "/supervision/", "/admin/", "/applications/", "/"]:
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked["Location"].startswith("/accounts/two-factor/enrol/"), path
    page = client.get(response["Location"])
    html = page.content.decode()
    # The QR code is drawn on the server: an SVG in a data: URI, no script and no outside address.
    assert re.search(r'<img src="data:image/svg\+xml[^"]+"', html)
    assert "otpauth" not in html.split("data:image/svg+xml")[0]
    device = TOTPDevice.objects.get(user=caseworker, confirmed=False)
    assert page.context["secret"].replace(" ", "")  # the key to type by hand
    # The same QR code on a reload: a code scanned before still works.
    client.get(response["Location"])
    assert TOTPDevice.objects.filter(user=caseworker).count() == 1

    wrong = client.post("/accounts/two-factor/enrol/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "not the one your app shows now" in wrong.content.decode()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    done = client.post("/accounts/two-factor/enrol/", {"code": totp_code(device), "next": "/staff/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT
    assert all(code in done.content.decode() for code in codes)
    assert done["Cache-Control"].count("no-store") == 1
    assert client.get("/staff/").status_code == 200
    # Shown once: the enrolment page now sends an enrolled account to the code page instead.
    assert client.get("/accounts/two-factor/enrol/")["Location"].startswith("/accounts/two-factor/")


def test_enrolled_staff_type_the_code_after_the_password():
    client = Client()
    supervisor = SupervisorFactory(username="supervisor.2fa@example.com")
    device = enrolled(supervisor)
    response = password_login(client, supervisor)
    assert response["Location"] == "/accounts/two-factor/?next=%2Fsupervision%2F"
    assert client.get("/supervision/")["Location"].startswith("/accounts/two-factor/")
    wrong = client.post("/accounts/two-factor/", {"code": "123456", "next": "/supervision/"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    right = client.post("/accounts/two-factor/", {"code": totp_code(device), "next": "/supervision/"})
    assert right.status_code == 302 and right["Location"] == "/supervision/"
    assert client.get("/supervision/").status_code == 200


def test_a_code_is_refused_for_a_moment_after_a_wrong_one(english):
    supervisor = SupervisorFactory(username="throttled@example.com")
    device = enrolled(supervisor)
    password_login(english, supervisor)
    english.post("/accounts/two-factor/", {"code": "111111"})
    again = english.post("/accounts/two-factor/", {"code": totp_code(device)})
    assert "Too many wrong codes in a row" in again.content.decode()


def test_a_recovery_code_logs_in_once(english):
    client = english
    caseworker = CaseworkerFactory(username="lost.phone@example.com")
    device = TOTPDevice.objects.create(user=caseworker, name="phone", confirmed=False)
    password_login(client, caseworker)
    codes = client.post("/accounts/two-factor/enrol/", {"code": totp_code(device)}).context["codes"]
    client.post("/accounts/logout/")

    password_login(client, caseworker)
    used = client.post("/accounts/two-factor/", {"code": codes[0].upper(), "next": "/staff/"}, follow=True)
    assert used.redirect_chain[-1][0] == "/staff/"
    assert "9 are left" in used.content.decode()
    assert StaticToken.objects.filter(device__user=caseworker).count() == RECOVERY_CODE_COUNT - 1
    client.post("/accounts/logout/")

    password_login(client, caseworker)
    again = client.post("/accounts/two-factor/", {"code": codes[0]})
    assert again.status_code == 200
    assert client.get("/staff/").status_code == 302


def test_the_admin_site_asks_the_code_after_its_own_login():
    client = Client()
    admin = PolicyAdminFactory(username="policy.2fa@example.com")
    device = enrolled(admin)
    response = client.post("/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 302
    blocked = client.get("/admin/")
    assert blocked["Location"] == "/accounts/two-factor/?next=%2Fadmin%2F"
    client.post("/accounts/two-factor/", {"code": totp_code(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_a_plain_force_login_of_staff_is_not_verified_but_the_suite_client_is(client):
    caseworker = CaseworkerFactory(username="forced@example.com")
    plain = Client()
    plain.force_login(caseworker)
    assert plain.get("/staff/").status_code == 302
    client.force_login(caseworker)  # tests/conftest.py: a login that went all the way through
    assert client.get("/staff/").status_code == 200


def test_seed_demo_gives_demo_staff_a_published_authenticator_only_with_debug(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "authenticator app" in out and "demo_totp" in out
    device = TOTPDevice.objects.get(user__username="supervisor@linghuo.test", confirmed=True)
    call_command("demo_totp")
    assert re.search(r"Code for every demo staff account: \d{6}", capsys.readouterr().out)
    client = Client()
    client.post("/accounts/login/", {"username": "supervisor@linghuo.test", "password": "linghuo-demo-2026"})
    client.post("/accounts/two-factor/", {"code": totp_code(device)})
    assert client.get("/supervision/").status_code == 200
    settings.DEBUG = False
    with pytest.raises(Exception, match="DEBUG"):
        call_command("demo_totp")
