import pytest
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD, CitizenFactory

pytestmark = pytest.mark.django_db


def test_home_page_is_in_chinese_by_default_whatever_the_browser_says(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in page
    assert "灵活就业" in page
    assert ">English</button>" in page


def test_switching_to_english_persists_across_requests(client):
    response = client.post("/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies["linghuo_language"].value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Support for people in flexible work" in page
    assert "中文</button>" in page


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(client):
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "linghuo_language" not in response.cookies


def test_a_logged_in_persons_choice_is_kept_on_the_account(client):
    user = CitizenFactory()
    client.force_login(user)
    client.post("/language/", {"language": "en"})
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_logging_in_on_a_new_device_restores_the_accounts_language(client):
    CitizenFactory(username="13900001111", preferred_language="en")
    response = client.post("/accounts/login/", {"username": "13900001111", "password": PASSWORD})
    assert response.cookies["linghuo_language"].value == "en"


def test_choice_made_before_logging_in_becomes_the_accounts_preference(client):
    CitizenFactory(username="13900001111", preferred_language="zh-hans")
    client.post("/language/", {"language": "en"})
    client.post("/accounts/login/", {"username": "13900001111", "password": PASSWORD})
    assert get_user_model().objects.get(mobile="13900001111").preferred_language == "en"
