import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from portal import sms
from portal.accounts.identifiers import parse_identifier
from portal.accounts.roles import Role
from portal.accounts.services import staff_account_ensure
from tests.factories import PASSWORD, CaseworkerFactory, CitizenFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

GOOD_PASSWORD = "lantern-river-42"


def register(client, identifier, password=GOOD_PASSWORD, password2=None, privacy="on"):
    data = {"identifier": identifier, "password1": password, "password2": password2 or password}
    if privacy:
        data["privacy"] = privacy
    return client.post("/accounts/register/", data)


def test_role_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_citizen_registers_with_a_mobile_number_and_is_logged_in_once_the_code_is_typed(client, sms_outbox):
    # Registration now asks for the SMS code first (tests/portal/test_registration_confirmation.py).
    response = register(client, "+86 138-1234-5678")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm/"
    user = User.objects.get(mobile="13812345678")
    assert user.email is None
    assert user.has_role(Role.CITIZEN)
    assert not user.is_staff and not user.is_confirmed
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms_outbox[-1].text).group(1)
    client.post("/accounts/confirm/", {"action": "confirm", "code": code})
    assert client.get("/").context["user"] == user


def test_citizen_registers_with_an_email_address(client):
    assert register(client, "Li.Hua@Example.COM").status_code == 302
    user = User.objects.get(email="li.hua@example.com")
    assert user.mobile is None and user.is_citizen


def test_registration_errors_are_shown_next_to_the_field_and_keep_what_was_typed(client, english):
    response = register(client, "1381234", password="short", password2="short")
    assert response.status_code == 200
    form = response.context["form"]
    assert "identifier" in form.errors
    page = response.content.decode()
    assert "Enter an 11-digit mainland mobile number" in page
    assert 'value="1381234"' in page  # what the person typed stays in the field
    assert "error-summary" in page
    assert not User.objects.exists()


def test_registration_rejects_different_passwords_and_missing_privacy_consent(client):
    response = register(client, "13812345678", password2="lantern-river-43", privacy=None)
    form = response.context["form"]
    assert form.errors["password2"]
    assert form.errors["privacy"]


def test_registering_an_identifier_twice_makes_no_second_account_and_does_not_say_so(client, english):
    # It used to answer "An account already uses this mobile number": that told anyone who is registered.
    register(client, "13812345678")
    client.logout()  # the test client forgets every cookie here, the language too
    client.cookies["linghuo_language"] = "en"
    response = register(client, "13812345678")
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm/"
    assert User.objects.filter(mobile="13812345678").count() == 1


@pytest.mark.parametrize("typed", ["13900001111", "+8613900001111", "ada@example.com", "ADA@example.com"])
def test_login_with_mobile_or_email(client, typed):
    CitizenFactory(username="13900001111") if typed[-1].isdigit() else CitizenFactory(username="ada@example.com")
    response = client.post("/accounts/login/", {"username": typed, "password": PASSWORD})
    assert response.status_code == 302, response.context["form"].errors
    assert client.get("/").context["user"].is_authenticated


def test_wrong_password_gives_one_clear_message(client, english):
    CitizenFactory(username="13900001111")
    response = client.post("/accounts/login/", {"username": "13900001111", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert 'value="13900001111"' in response.content.decode()


def test_logout_needs_a_post_and_ends_the_session(client):
    user = CitizenFactory()
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    assert not client.get("/").context["user"].is_authenticated


def reset_link(text: str) -> str:
    return re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", text).group(0)


def test_password_reset_by_email_end_to_end(client):
    CitizenFactory(username="ada@example.com")
    response = client.post("/accounts/password-reset/", {"identifier": "ada@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = reset_link(mail.outbox[0].body)
    # The link points to LINGHUO_PUBLIC_URL, not to the Host of the request ("testserver").
    assert link.startswith(settings.LINGHUO_PUBLIC_URL + "/accounts/password-reset/")
    path = link.removeprefix(settings.LINGHUO_PUBLIC_URL)
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    set_path = form_page.redirect_chain[-1][0]
    done = client.post(set_path, {"new_password1": "new-lantern-77", "new_password2": "new-lantern-77"})
    assert done.status_code == 302
    client.logout()
    assert (
        client.post("/accounts/login/", {"username": "ada@example.com", "password": "new-lantern-77"}).status_code
        == 302
    )
    # the link works once
    assert not client.get(path, follow=True).context["validlink"]


def test_password_reset_for_a_mobile_account_goes_by_sms_in_the_persons_language(client, sms_outbox):
    CitizenFactory(username="13900001111", preferred_language="en")
    client.post("/accounts/password-reset/", {"identifier": "13900001111"})
    assert mail.outbox == []
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == "13900001111"  # English, as the account prefers, on a Chinese page
    assert sms_outbox[0].text.startswith("[Linghuo] Reset your password")
    assert "/accounts/password-reset/" in sms_outbox[0].text


def test_password_reset_does_not_reveal_whether_an_account_exists(client, sms_outbox):
    unknown = client.post("/accounts/password-reset/", {"identifier": "13700000000"})
    CitizenFactory(username="13900001111")
    known = client.post("/accounts/password-reset/", {"identifier": "13900001111"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert len(sms_outbox) == 1


def test_password_reset_with_a_malformed_identifier_explains_the_format(client):
    response = client.post("/accounts/password-reset/", {"identifier": "12ab"})
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"]


def test_caseworker_must_serve_a_region():
    with pytest.raises(ValidationError):
        staff_account_ensure(identifier=parse_identifier("cw@example.com"), role=Role.CASEWORKER, password="x" * 12)
    user = staff_account_ensure(
        identifier=parse_identifier("cw@example.com"), role=Role.CASEWORKER, password="x" * 12, region="330800"
    )
    assert user.is_caseworker and user.region == "330800" and not user.is_staff


def test_region_must_be_six_digits():
    with pytest.raises(ValidationError):
        staff_account_ensure(
            identifier=parse_identifier("sv@example.com"), role=Role.SUPERVISOR, password="x" * 12, region="33"
        )


def test_only_policy_admins_reach_the_admin_site(client):
    client.force_login(CaseworkerFactory())
    assert client.get("/admin/").status_code == 302  # sent to the admin login
    admin = staff_account_ensure(
        identifier=parse_identifier("pa@example.com"), role=Role.POLICY_ADMIN, password="x" * 12
    )
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def test_seed_demo_creates_every_role_and_can_run_twice(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "caseworker@linghuo.test" in out and "supervisor@linghuo.test" in out
    assert "policy-admin@linghuo.test" in out
    roles = {u.username: u.role_names() for u in User.objects.all()}
    assert roles["caseworker@linghuo.test"] == {"caseworker"}
    assert roles["supervisor@linghuo.test"] == {"supervisor"}
    assert roles["policy-admin@linghuo.test"] == roles["policy-admin2@linghuo.test"] == {"policy_admin"}
    assert roles["13800138000"] == {"citizen"}
    assert User.objects.count() == 6


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_errors_are_in_chinese_by_default(client):
    response = register(client, "1381234")
    assert "请输入以1开头的11位大陆手机号码" in response.content.decode()


def test_registering_from_an_apply_link_returns_to_it(client):
    page = client.get("/accounts/login/?next=/applications/new/training-subsidy/").content.decode()
    assert "/accounts/register/?next=/applications/new/training-subsidy/" in page
    form = client.get("/accounts/register/?next=/applications/new/training-subsidy/").content.decode()
    assert 'name="next" value="/applications/new/training-subsidy/"' in form
    response = client.post(
        "/accounts/register/",
        {
            "identifier": "13812345678",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
            "privacy": "on",
            "next": "/applications/new/training-subsidy/",
        },
    )
    # Via the SMS code now: the page after the code is where the person was going.
    assert response["Location"] == "/accounts/confirm/"
    response = _type_the_code(client)
    assert response["Location"] == "/applications/new/training-subsidy/"


def _type_the_code(client):
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms.outbox[-1].text).group(1)
    return client.post("/accounts/confirm/", {"action": "confirm", "code": code})


def test_registration_never_sends_a_person_to_another_site(client):
    data = {"identifier": "13812345678", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "privacy": "on"}
    client.post("/accounts/register/", {**data, "next": "https://evil.example/"})
    assert _type_the_code(client)["Location"] == "/"
