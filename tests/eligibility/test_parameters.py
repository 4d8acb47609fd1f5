"""Effective-dated parameters: validation, history never rewritten, every change logged."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from eligibility.engine import ParameterSet, evaluate, evaluate_many
from eligibility.facts import parse_facts
from eligibility.models import Parameter, ParameterChange, ParameterValue
from eligibility.services import (
    parameter_value_add,
    parameter_value_delete,
    parameter_value_update,
    screening_run,
)
from tests.eligibility.helpers import GRADUATE
from tests.factories import PolicyAdminFactory

pytestmark = pytest.mark.django_db

CATALOGUE_KEYS = {
    "common.working_age_min": "16",
    "common.retirement_age": "60",
    "common.flexible_forms": ["part_time", "platform", "self_employed"],
    "common.key_groups": ["registered_unemployed", "laid_off", "employment_difficulty", "migrant_worker"],
    "si.graduate_window_months": "24",
    "si.subsidy_rate": "0.50",
    "si.min_monthly_contribution": "1000.00",
    "si.max_months": "24",
    "startup.graduate_window_years": "10",
    "startup.subsidy_amount": "10000.00",
    "startup.apply_window_months": "12",
    "loan.max_amount": "800000.00",
    "psj.max_months": "6",
    "psj.monthly_amount": "1500.00",
    "training.subsidy_amount": "1200.00",
    "review.four_eyes_threshold": "5000.00",
    "review.sla_working_days": "15",
    "review.appeal_window_days": "60",
    "review.rfi_reply_days": "15",
    "training.living_allowance_daily": "50.00",
    "training.living_allowance_max_days": "30",
    "rent.relief_months": "3",
    "tax.annual_deduction": "20000.00",
    "tax.relief_years": "3",
    "retention.closed_case_years": "5",
    "retention.draft_days": "90",
    "retention.draft_notice_days": "75",
}
LOCAL_DEFAULTS = {
    "common.working_age_min",
    "common.retirement_age",
    "si.min_monthly_contribution",
    "si.max_months",
    "startup.apply_window_months",
    "psj.monthly_amount",
    "training.subsidy_amount",
    "review.four_eyes_threshold",
    "review.sla_working_days",
    "review.appeal_window_days",
    "review.rfi_reply_days",
    "training.living_allowance_daily",
    "training.living_allowance_max_days",
    "rent.relief_months",
    "tax.annual_deduction",
    "tax.relief_years",
    "retention.closed_case_years",
    "retention.draft_days",
    "retention.draft_notice_days",
}


def today():
    return timezone.localdate()


def tomorrow():
    return today() + timedelta(days=1)


@pytest.fixture
def admin_user():
    return PolicyAdminFactory()


def parameter(key: str) -> Parameter:
    return Parameter.objects.get(key=key)


def test_the_migration_loads_every_catalogue_parameter():
    in_force = ParameterSet.in_force(today())
    assert {item.key: item.stored for item in in_force} == CATALOGUE_KEYS
    assert {item.key for item in in_force if item.local_default} == LOCAL_DEFAULTS
    history = list(parameter("startup.graduate_window_years").values.values_list("valid_from", "value"))
    assert [(str(day), value) for day, value in history] == [("2020-07-28", "5"), ("2021-12-01", "10")]


def test_parameters_in_force_are_loaded_in_two_queries(django_assert_num_queries):
    with django_assert_num_queries(2):
        ParameterSet.in_force(today())


def test_many_people_are_screened_with_two_queries(django_assert_num_queries):
    people = [parse_facts(GRADUATE), parse_facts({}), parse_facts({"groups": ["veteran"]})] * 20
    with django_assert_num_queries(2):
        results = evaluate_many(people, today())
    assert len(results) == 60 and all(len(person) == 15 for person in results)


def test_a_future_value_does_not_change_todays_result(admin_user):
    parameter_value_add(
        parameter=parameter("si.subsidy_rate"), valid_from=tomorrow(), value="0.80", acting_user=admin_user
    )
    facts = parse_facts({**GRADUATE, "graduation_date": (today() - timedelta(days=30)).isoformat()})
    assert evaluate(facts, today())[0].amount.value == Decimal("500.00")
    assert evaluate(facts, tomorrow())[0].amount.value == Decimal("800.00")


def test_screening_run_uses_today(admin_user):
    facts = {**GRADUATE, "graduation_date": (today() - timedelta(days=30)).isoformat()}
    assert screening_run(facts=facts)[0].amount.value == Decimal("500.00")
    assert screening_run(facts=parse_facts(facts), as_of=today())[0].status == "eligible"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("si.subsidy_rate", "1.5"),
        ("si.subsidy_rate", "-0.1"),
        ("si.subsidy_rate", "half"),
        ("si.min_monthly_contribution", "-1.00"),
        ("si.min_monthly_contribution", "10.001"),
        ("si.min_monthly_contribution", "NaN"),
        ("si.max_months", "2.5"),
        ("si.max_months", "-3"),
        ("si.max_months", ""),
        ("common.flexible_forms", "part_time, astronaut"),
        ("common.key_groups", "part_time"),
        ("common.key_groups", ""),
    ],
)
def test_invalid_values_are_refused_with_a_message(admin_user, key, value):
    with pytest.raises(ValidationError) as error:
        parameter_value_add(parameter=parameter(key), valid_from=tomorrow(), value=value, acting_user=admin_user)
    assert list(error.value.message_dict) == ["value"]
    assert not ParameterValue.objects.filter(valid_from=tomorrow()).exists()
    assert not ParameterChange.objects.filter(origin="admin").exists()


def test_messages_are_bilingual(admin_user):
    for language, expected in (("en", "A rate is a number from 0 to 1"), ("zh-hans", "比例须为 0 到 1 之间的数")):
        with translation.override(language), pytest.raises(ValidationError) as error:
            parameter_value_add(
                parameter=parameter("si.subsidy_rate"), valid_from=tomorrow(), value="2", acting_user=admin_user
            )
        assert expected in error.value.message_dict["value"][0]


def test_unknown_code_names_the_allowed_codes(admin_user):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        parameter_value_add(
            parameter=parameter("common.flexible_forms"),
            valid_from=tomorrow(),
            value="astronaut",
            acting_user=admin_user,
        )
    assert "astronaut" in error.value.messages[0] and "part_time" in error.value.messages[0]


def test_values_are_stored_in_canonical_form(admin_user):
    rate = parameter_value_add(
        parameter=parameter("si.subsidy_rate"), valid_from=tomorrow(), value="0.6", acting_user=admin_user
    )
    money = parameter_value_add(
        parameter=parameter("psj.monthly_amount"), valid_from=tomorrow(), value="1600", acting_user=admin_user
    )
    forms = parameter_value_add(
        parameter=parameter("common.flexible_forms"),
        valid_from=tomorrow(),
        value="platform,part_time, platform",
        acting_user=admin_user,
    )
    assert (rate.value, money.value, forms.value) == ("0.60", "1600.00", ["platform", "part_time"])


@pytest.mark.parametrize("days", [0, -1, -1000])
def test_a_value_cannot_be_added_in_force_today_or_earlier(admin_user, days):
    with pytest.raises(ValidationError) as error:
        parameter_value_add(
            parameter=parameter("si.subsidy_rate"),
            valid_from=today() + timedelta(days=days),
            value="0.60",
            acting_user=admin_user,
        )
    assert list(error.value.message_dict) == ["valid_from"]


def test_a_second_value_on_the_same_date_is_refused(admin_user):
    key = parameter("si.subsidy_rate")
    parameter_value_add(parameter=key, valid_from=tomorrow(), value="0.60", acting_user=admin_user)
    with pytest.raises(ValidationError):
        parameter_value_add(parameter=key, valid_from=tomorrow(), value="0.70", acting_user=admin_user)


def test_values_in_force_cannot_be_changed_or_deleted(admin_user):
    in_force = parameter("si.subsidy_rate").values.get()
    with pytest.raises(ValidationError):
        parameter_value_delete(parameter_value=in_force, acting_user=admin_user)
    with pytest.raises(ValidationError):
        parameter_value_update(parameter_value=in_force, value="0.60", acting_user=admin_user)
    in_force.refresh_from_db()
    assert in_force.value == "0.50"


def test_a_future_value_can_be_changed_or_deleted_and_each_change_is_logged(admin_user):
    key = parameter("si.subsidy_rate")
    future = parameter_value_add(
        parameter=key, valid_from=tomorrow(), value="0.60", acting_user=admin_user, note="budget"
    )
    parameter_value_update(parameter_value=future, value="0.65", acting_user=admin_user)
    parameter_value_delete(parameter_value=future, acting_user=admin_user)
    assert not key.values.filter(valid_from=tomorrow()).exists()
    log = list(
        ParameterChange.objects.filter(parameter=key, origin="admin")
        .order_by("id")
        .values_list("action", "value", "previous_value", "changed_by", "note")
    )
    assert log == [
        ("added", "0.60", None, admin_user.pk, "budget"),
        ("changed", "0.65", "0.60", admin_user.pk, ""),
        ("deleted", "0.65", None, admin_user.pk, ""),
    ]
    assert all(change.changed_at for change in ParameterChange.objects.filter(origin="admin"))


def test_the_catalogue_load_is_logged():
    assert ParameterChange.objects.filter(origin="catalogue", action="added").count() == 28
