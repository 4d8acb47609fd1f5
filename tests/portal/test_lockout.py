"""Lockout after repeated wrong passwords: per account (5) and per address (20), for 15 minutes.

Issue 11 measured 110 wrong passwords without a pause, after which the right
one logged in, for a citizen, a supervisor and /admin/. Here the right
password, after the threshold, does not log in until the lockout ends by time
or an admin lifts it.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD, CitizenFactory, SupervisorFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT_LIMIT = settings.AXES_ACCOUNT_FAILURE_LIMIT
ADDRESS_LIMIT = settings.AXES_ADDRESS_FAILURE_LIMIT


def portal_login(client, identifier, password, address="203.0.113.7"):
    return client.post(
        "/accounts/login/", {"username": identifier, "password": password}, REMOTE_ADDR=address, follow=False
    )


def admin_login(client, username, password, address="203.0.113.7"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_limits_are_five_per_account_and_twenty_per_address_for_fifteen_minutes():
    assert (ACCOUNT_LIMIT, ADDRESS_LIMIT) == (5, 20)
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


@pytest.mark.parametrize("wrong", [ACCOUNT_LIMIT, 110])
def test_a_citizen_is_locked_out_and_the_right_password_then_fails(client, english, wrong):
    citizen = CitizenFactory(username="13800138001")
    statuses = [portal_login(client, citizen.mobile, f"wrong-{n}").status_code for n in range(wrong)]
    # Four wrong answers say "does not match"; the fifth and all after are the lockout page.
    assert statuses[: ACCOUNT_LIMIT - 1] == [200] * (ACCOUNT_LIMIT - 1)
    assert set(statuses[ACCOUNT_LIMIT - 1 :]) == {429}
    response = portal_login(client, citizen.mobile, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "Too many failed attempts" in page and "reset your password" in page
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    assert f"Try again after {until:%H:%M}" in page or f"Try again after {until - timedelta(minutes=1):%H:%M}" in page


def test_the_lockout_message_is_in_chinese_by_default(client):
    citizen = CitizenFactory(username="13800138002")
    for n in range(ACCOUNT_LIMIT):
        response = portal_login(client, citizen.mobile, f"wrong-{n}")
    page = response.content.decode()
    assert response.status_code == 429
    assert "失败次数过多" in page and "重置密码" in page


def test_the_other_identifier_of_the_same_account_counts_towards_the_same_lockout(client):
    citizen = CitizenFactory(username="13800138003", email="same.person@example.com")
    for n in range(ACCOUNT_LIMIT - 1):
        portal_login(client, citizen.mobile, f"wrong-{n}")
    assert portal_login(client, "Same.Person@example.com", "wrong-again").status_code == 429
    assert portal_login(client, citizen.mobile, PASSWORD).status_code == 429


def test_the_account_lockout_holds_from_another_address(client):
    citizen = CitizenFactory(username="13800138004")
    for n in range(ACCOUNT_LIMIT):
        portal_login(client, citizen.mobile, f"wrong-{n}", address=f"198.51.100.{n + 1}")
    assert portal_login(client, citizen.mobile, PASSWORD, address="192.0.2.99").status_code == 429


def test_a_supervisor_is_locked_out_on_the_staff_login(client):
    supervisor = SupervisorFactory(username="supervisor.lock@example.com")
    for n in range(ACCOUNT_LIMIT):
        portal_login(client, supervisor.email, f"wrong-{n}")
    response = portal_login(client, supervisor.email, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)


def test_the_admin_login_is_locked_out_too(client):
    admin = UserFactory(username="root.admin@example.com", is_staff=True, is_superuser=True)
    for n in range(ACCOUNT_LIMIT):
        admin_login(client, admin.username, f"wrong-{n}")
    response = admin_login(client, admin.username, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)


def test_one_address_spraying_many_accounts_is_stopped_at_twenty(client):
    people = [CitizenFactory(username=f"1390000{n:04d}") for n in range(ADDRESS_LIMIT + 1)]
    for person in people[:ADDRESS_LIMIT]:
        portal_login(client, person.mobile, "Password123", address="203.0.113.50")
    # An account with no failure of its own, from that address: refused.
    assert portal_login(client, people[-1].mobile, PASSWORD, address="203.0.113.50").status_code == 429
    # The same account from elsewhere: fine.
    assert portal_login(client, people[-1].mobile, PASSWORD, address="203.0.113.51").status_code == 302


def test_four_mistakes_then_the_right_password_logs_in_and_clears_the_count(client):
    citizen = CitizenFactory(username="13800138005")
    for n in range(ACCOUNT_LIMIT - 1):
        portal_login(client, citizen.mobile, f"wrong-{n}")
    assert portal_login(client, citizen.mobile, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=citizen.username).exists()


def test_the_lockout_ends_after_fifteen_minutes(client):
    citizen = CitizenFactory(username="13800138006")
    for n in range(ACCOUNT_LIMIT):
        portal_login(client, citizen.mobile, f"wrong-{n}")
    assert portal_login(client, citizen.mobile, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert portal_login(client, citizen.mobile, PASSWORD).status_code == 302


def test_an_admin_unlocks_an_account_with_the_axes_command(client):
    citizen = CitizenFactory(username="13800138007")
    for n in range(ACCOUNT_LIMIT):
        portal_login(client, citizen.mobile, f"wrong-{n}")
    call_command("axes_reset_username", citizen.username)
    assert portal_login(client, citizen.mobile, PASSWORD).status_code == 302


def test_failed_attempts_are_listed_in_the_admin_for_unlocking(client):
    admin = UserFactory(username="unlocker@example.com", is_staff=True, is_superuser=True)
    citizen = CitizenFactory(username="13800138008")
    for n in range(ACCOUNT_LIMIT):
        portal_login(client, citizen.mobile, f"wrong-{n}")
    client.force_login(admin)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert citizen.username in page.content.decode()


def test_resetting_the_password_ends_the_account_lockout(client):
    citizen = CitizenFactory(username="13800138009")
    for n in range(ACCOUNT_LIMIT):
        portal_login(client, citizen.mobile, f"wrong-{n}")
    uid = urlsafe_base64_encode(force_bytes(citizen.pk))
    token = default_token_generator.make_token(citizen)
    landing = client.get(f"/accounts/password-reset/{uid}/{token}/", follow=True)
    new = "a-new-lantern-91"
    client.post(landing.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert portal_login(client, citizen.mobile, new).status_code == 302


def test_the_forwarded_address_counts_only_behind_a_configured_proxy(client, settings):
    citizen = CitizenFactory(username="13800138010")
    # No proxy configured: X-Forwarded-For is the client's own word and is ignored.
    for n in range(ACCOUNT_LIMIT - 1):
        client.post(
            "/accounts/login/",
            {"username": citizen.mobile, "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
