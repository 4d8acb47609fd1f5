"""Session lifetime: staff 30 minutes idle and 12 hours in all, citizens 2 hours idle.

Time is moved by setting the session's own timestamps back, as a clock would.
"""

import time

import pytest

from portal.accounts.middleware import LOGIN_AT, SEEN_AT
from tests.factories import PASSWORD, CaseworkerFactory, CitizenFactory

pytestmark = pytest.mark.django_db
MINUTE = 60


def move_clock(client, *, idle: float, since_login: float | None = None) -> None:
    """As if the last request was ``idle`` seconds ago and the login ``since_login`` seconds ago."""
    session = client.session
    now = time.time()
    session[SEEN_AT] = now - idle
    session[LOGIN_AT] = now - (since_login if since_login is not None else idle)
    session.save()


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_logging_in_starts_the_clock(client):
    citizen = CitizenFactory(username="13800138030")
    client.post("/accounts/login/", {"username": citizen.mobile, "password": PASSWORD})
    assert abs(client.session[LOGIN_AT] - time.time()) < 5
    assert abs(client.session[SEEN_AT] - time.time()) < 5


def test_staff_are_logged_out_after_thirty_minutes_idle_and_told_why(client, english):
    client.force_login(CaseworkerFactory())
    assert client.get("/staff/").status_code == 200
    move_clock(client, idle=29 * MINUTE)
    assert client.get("/staff/").status_code == 200
    move_clock(client, idle=31 * MINUTE)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fstaff%2F"
    assert not is_logged_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "You were logged out after 30 minutes without activity" in page


def test_staff_activity_keeps_the_session_but_not_past_twelve_hours(client, english):
    client.force_login(CaseworkerFactory())
    move_clock(client, idle=5 * MINUTE, since_login=11 * 60 * MINUTE)
    assert client.get("/staff/").status_code == 200
    move_clock(client, idle=5 * MINUTE, since_login=12 * 60 * MINUTE + MINUTE)
    response = client.get("/staff/")
    assert response.status_code == 302 and not is_logged_in(client)
    assert "a staff session lasts at most 12 hours" in client.get(response["Location"]).content.decode()


def test_a_request_moves_the_idle_clock(client):
    client.force_login(CaseworkerFactory())
    move_clock(client, idle=20 * MINUTE)
    client.get("/staff/")
    assert time.time() - client.session[SEEN_AT] < 5
    move_clock(client, idle=20 * MINUTE, since_login=40 * MINUTE)
    assert client.get("/staff/").status_code == 200


def test_citizens_stay_logged_in_for_two_hours_idle_and_days_in_all(client):
    client.force_login(CitizenFactory())
    move_clock(client, idle=119 * MINUTE, since_login=3 * 24 * 60 * MINUTE)
    assert client.get("/applications/").status_code == 200
    move_clock(client, idle=121 * MINUTE)
    response = client.get("/applications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not is_logged_in(client)


def test_the_expiry_message_is_in_chinese_by_default(client):
    client.force_login(CitizenFactory())
    move_clock(client, idle=121 * MINUTE)
    response = client.get("/applications/", follow=True)
    assert "120 分钟内没有操作，已退出登录" in response.content.decode()
