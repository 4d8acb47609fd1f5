"""The admin pages of a policy administrator (client logged in, role policy_admin).

A policy administrator changes a parameter by a proposal in the policy console
(tests/eligibility/test_proposals*.py); the admin's direct "add a value" page and the
deletion of a value not yet in force are a superuser's (issue 14)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from eligibility.models import Parameter, ParameterChange, ParameterValue
from eligibility.services import parameter_value_add
from tests.factories import CitizenFactory, PolicyAdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy_admin(client):
    user = PolicyAdminFactory()
    client.force_login(user)
    return user


@pytest.fixture
def superuser(client):
    user = PolicyAdminFactory(is_superuser=True)
    client.force_login(user)
    return user


def rate() -> Parameter:
    return Parameter.objects.get(key="si.subsidy_rate")


def add_url(parameter: Parameter) -> str:
    return reverse("admin:eligibility_parameter_value_add", args=[parameter.pk])


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def test_policy_admin_sees_parameters_with_values_in_force(client, policy_admin):
    response = client.get(reverse("admin:eligibility_parameter_changelist"))
    assert response.status_code == 200
    assert b"si.subsidy_rate" in response.content and b"0.50" in response.content
    page = client.get(reverse("admin:eligibility_parameter_change", args=[rate().pk]))
    assert page.status_code == 200
    assert reverse("policy:propose", args=[rate().pk]).encode() in page.content
    assert add_url(rate()).encode() not in page.content  # the direct path is a superuser's


def test_a_policy_admin_is_sent_to_propose_in_the_console(client, policy_admin):
    response = client.post(add_url(rate()), {"valid_from": tomorrow(), "value": "0.60", "note": "new budget"})
    assert response.status_code == 302 and response["Location"] == reverse("policy:propose", args=[rate().pk])
    assert not rate().values.filter(valid_from=tomorrow()).exists()


def test_parameter_list_queries_do_not_grow_with_rows(client, policy_admin, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(reverse("admin:eligibility_parameter_changelist"))


def test_a_superuser_adds_a_value_from_a_date(client, superuser):
    assert (
        add_url(rate()).encode() in client.get(reverse("admin:eligibility_parameter_change", args=[rate().pk])).content
    )
    page = client.get(add_url(rate()))
    assert page.status_code == 200
    assert "2021年12月1日" in page.content.decode()  # the history of values, dated as everywhere
    response = client.post(add_url(rate()), {"valid_from": tomorrow(), "value": "0.60", "note": "new budget"})
    assert response.status_code == 302
    value = rate().values.get(valid_from=tomorrow())
    assert value.value == "0.60" and value.created_by == superuser
    assert ParameterChange.objects.filter(parameter=rate(), origin="admin", changed_by=superuser).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "1.5"}, "A rate is a number from 0 to 1"),
        ({"value": "lots"}, "A rate is a number from 0 to 1"),
        ({"valid_from": "2020-01-01"}, "after today"),
        ({"valid_from": "2024-02-30"}, "Enter a valid date"),
        ({"valid_from": "9999-12-31"}, "at most three years ahead"),
        ({"value": "0.50"}, "would change nothing"),
    ],
)
def test_a_bad_value_gives_a_form_error(english, superuser, data, message):
    before = ParameterValue.objects.count()
    response = english.post(add_url(rate()), {"valid_from": tomorrow(), "value": "0.60", **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ParameterValue.objects.count() == before


def test_the_error_is_in_chinese_for_a_chinese_admin(client, superuser):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(add_url(rate()), {"valid_from": tomorrow(), "value": "1.5"})
    assert "比例须为 0 到 1 之间的数" in response.content.decode()


def test_a_value_in_force_cannot_be_deleted_but_a_future_one_can(client, superuser):
    in_force = rate().values.get()
    assert client.get(reverse("admin:eligibility_parametervalue_delete", args=[in_force.pk])).status_code == 403
    assert (
        client.post(reverse("admin:eligibility_parametervalue_delete", args=[in_force.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert ParameterValue.objects.filter(pk=in_force.pk).exists()

    future = parameter_value_add(
        parameter=rate(), valid_from=timezone.localdate() + timedelta(days=5), value="0.6", acting_user=superuser
    )
    response = client.post(reverse("admin:eligibility_parametervalue_delete", args=[future.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ParameterValue.objects.filter(pk=future.pk).exists()
    assert ParameterChange.objects.filter(action="deleted", changed_by=superuser).count() == 1


def test_a_policy_admin_cannot_delete_a_future_value(client, policy_admin):
    future = parameter_value_add(
        parameter=rate(), valid_from=timezone.localdate() + timedelta(days=5), value="0.6", acting_user=policy_admin
    )
    response = client.post(reverse("admin:eligibility_parametervalue_delete", args=[future.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert ParameterValue.objects.filter(pk=future.pk).exists()


def test_values_and_change_log_are_read_only(client, policy_admin):
    value = rate().values.get()
    page = client.get(reverse("admin:eligibility_parametervalue_change", args=[value.pk]))
    assert page.status_code == 200  # viewable
    assert (
        client.post(reverse("admin:eligibility_parametervalue_change", args=[value.pk]), {"value": '"0.9"'}).status_code
        == 403
    )
    value.refresh_from_db()
    assert value.value == "0.50"
    log = client.get(reverse("admin:eligibility_parameterchange_changelist"))
    assert log.status_code == 200 and b"si.subsidy_rate" in log.content
    change = ParameterChange.objects.first()
    assert (
        client.post(reverse("admin:eligibility_parameterchange_delete", args=[change.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_programmes_are_listed(client, policy_admin):
    response = client.get(reverse("admin:eligibility_programme_changelist"))
    assert response.status_code == 200 and b"flexible-si-subsidy" in response.content


def test_a_citizen_cannot_add_values(client):
    citizen = CitizenFactory(is_staff=True)  # even with admin site access
    client.force_login(citizen)
    response = client.post(add_url(rate()), {"valid_from": tomorrow(), "value": "0.60"})
    assert response.status_code == 403
    assert not rate().values.filter(valid_from=tomorrow()).exists()
