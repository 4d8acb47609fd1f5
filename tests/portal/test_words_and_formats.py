"""Words and formats (issue 9, items 5b–5e): dates, list joins, required messages,
labels, error pages, favicon, mobile numbers typed on a full-width keyboard,
and the public address in production settings."""

from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from portal.accounts.identifiers import normalise_mobile, parse_identifier
from portal.language import join_list
from tests.factories import PASSWORD, CitizenFactory
from tests.portal.test_settings import settings_under

User = get_user_model()


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [("zh-hans", "2026年12月1日", "2026年12月1日 14:03"), ("en", "1 Dec 2026", "1 Dec 2026, 14:03")],
)
def test_one_date_format_per_language_whatever_the_template_asks(language, day, moment):
    template = Template(
        '{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}|{{ d|date }}|'
        '{{ t|date:"DATETIME_FORMAT" }}|{{ t|date:"SHORT_DATETIME_FORMAT" }}'
    )
    moment_value = timezone.make_aware(datetime(2026, 12, 1, 14, 3))
    with translation.override(language), timezone.override("Asia/Shanghai"):
        shown = template.render(Context({"d": date(2026, 12, 1), "t": moment_value}))
    assert shown == "|".join([day, day, day, moment, moment])
    assert "m." not in shown  # no "p.m." and so no "a.m.." at the end of a sentence


def test_chinese_lists_are_joined_with_the_enumeration_comma():
    with translation.override("zh-hans"):
        assert join_list(["居民身份证", "毕业证书"]) == "居民身份证、毕业证书"
    with translation.override("en"):
        assert join_list(["Identity card", "Diploma"]) == "Identity card, Diploma"


@pytest.mark.django_db
def test_missing_documents_are_listed_with_the_enumeration_comma_in_chinese():
    from applications.services.intake import submission_problems
    from tests.factories import ApplicationFactory

    application = ApplicationFactory()
    with translation.override("zh-hans"):
        problems = submission_problems(application)
    text = " ".join(problems.get("documents", []))
    assert "、" in text and ", " not in text


@pytest.mark.parametrize(
    "typed", ["13８00138000", "１３８ ００１３ ８０００", "+86 138-0013-8000", "＋８６１３８００１３８０００"]
)
def test_mobile_numbers_typed_with_full_width_digits_and_spaces_are_normalised(typed):
    assert normalise_mobile(typed) == "13800138000"
    assert parse_identifier(typed).value == "13800138000"


def test_digits_of_other_scripts_are_not_a_mobile_number():
    with pytest.raises(Exception):  # noqa: B017 - a ValidationError with the format message
        parse_identifier("١٣٨٠٠١٣٨٠٠٠")


@pytest.mark.django_db
def test_login_and_password_reset_find_the_account_from_a_full_width_number(client, sms_outbox):
    CitizenFactory(username="13800138000")
    response = client.post("/accounts/login/", {"username": "１３８ ００１３ ８０００", "password": PASSWORD})
    assert response.status_code == 302
    Client().post("/accounts/password-reset/", {"identifier": "13８00138000"})
    assert [message.to for message in sms_outbox] == ["13800138000"]


@pytest.mark.django_db
def test_registration_with_a_full_width_number_stores_ascii_digits(client):
    client.post(
        "/accounts/register/",
        {
            "identifier": "１３８ ００１３ ８０００",
            "password1": "lantern-river-42",
            "password2": "lantern-river-42",
            "privacy": "on",
        },
    )
    assert User.objects.filter(mobile="13800138000").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data", "expected"),
    [
        (
            "/accounts/register/",
            {"privacy": "on"},
            ["请输入您的手机号码或电子邮箱。", "请设置密码。", "请再次输入同一密码。"],
        ),
        ("/accounts/login/", {}, ["请输入您的手机号码或电子邮箱。", "请输入密码。"]),
        ("/accounts/password-reset/", {}, ["请输入您的手机号码或电子邮箱。"]),
    ],
)
def test_empty_fields_say_what_to_enter(client, url, data, expected):
    page = client.post(url, data).content.decode()
    for message in expected:
        assert message in page
    assert "这个字段是必填项" not in page and "This field is required" not in page


@pytest.mark.django_db
def test_a_question_label_is_not_followed_by_a_colon_in_the_error_summary():
    from django import forms

    class Question(forms.Form):
        months = forms.IntegerField(label="您在公益性岗位工作了多少个月？", error_messages={"required": "请填写月数。"})

    form = Question(data={})
    with translation.override("zh-hans"):
        shown = Template('{% include "partials/error_summary.html" %}').render(Context({"form": form}))
    assert "？：" not in shown
    assert "您在公益性岗位工作了多少个月？ 请填写月数。" in shown


@pytest.mark.django_db
def test_the_404_page_has_the_header_the_hotline_and_a_way_back(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "site-header" in page and "12333" in page and 'href="/"' in page
    assert "favicon.svg" in page


def test_the_500_page_renders_without_a_request_and_is_styled():
    from portal.views import server_error

    response = server_error(None)
    page = response.content.decode()
    assert response.status_code == 500
    assert "12333" in page and 'href="/"' in page and "css/portal.css" in page and "site-header" in page


def test_the_favicon_files_exist_and_the_root_favicon_redirects(client):
    from django.contrib.staticfiles import finders

    for name in ("img/favicon.svg", "img/favicon-32.png", "favicon.ico"):
        assert finders.find(name), name
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")


def test_production_requires_a_public_address_that_is_not_loopback():
    missing = settings_under({"SECRET_KEY": "k" * 64}, module="portal.settings.production")
    assert missing.returncode != 0 and "LINGHUO_PUBLIC_URL must be set in production" in missing.stderr
    loopback = settings_under(
        {"SECRET_KEY": "k" * 64, "LINGHUO_PUBLIC_URL": "http://127.0.0.1:8000"}, module="portal.settings.production"
    )
    assert loopback.returncode != 0 and "LINGHUO_PUBLIC_URL must be the address people reach" in loopback.stderr
