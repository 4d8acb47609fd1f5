"""Cross-checks of a proposed value (issue 14, item 2): every parameter of the catalogue is
refused on the far side of its boundary with a message in the reader's language, and
accepted on the near side; pairs of parameters keep their order on every day it is checked."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from eligibility import services
from eligibility.cross_checks import Order, OrderedPair, ordered_pairs, range_pairs, value_problems
from eligibility.models import Parameter, ParameterProposal
from eligibility.parameter_types import clean_value
from tests.factories import PolicyAdminFactory

pytestmark = pytest.mark.django_db


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def problems(key: str, value, *, valid_from=None, language: str = "en") -> list[str]:
    """What stops ``value`` of ``key`` from ``valid_from`` (default tomorrow): the type's own
    check, then the cross-checks, as ``parameter_proposal_create`` runs them."""
    parameter = Parameter.objects.get(key=key)
    with translation.override(language):
        try:
            stored = clean_value(parameter.type, value, code_set=parameter.code_set)
        except ValidationError as error:
            return error.messages
        return value_problems(parameter=parameter, stored=stored, valid_from=valid_from or tomorrow())


# Each parameter of the catalogue (section 3 and the retention settings): a value just beyond
# what makes sense, the words that say why, and the nearest value that is accepted.
BOUNDARIES = {
    "common.working_age_min": ("60", "must be below “Retirement age (years);", "59"),
    "common.retirement_age": ("16", "must be below “Retirement age (years);", "17"),
    "common.flexible_forms": ("", "Enter at least one code", "part_time"),
    "common.key_groups": ("", "Enter at least one code", "laid_off"),
    "si.graduate_window_months": ("0", "0 months would leave no time at all", "1"),
    "si.subsidy_rate": ("1.01", "A rate is a number from 0 to 1", "1"),
    "si.min_monthly_contribution": ("0", "0 yuan would pay nothing", "0.01"),
    "si.max_months": ("0", "would leave no time at all", "1"),
    "startup.graduate_window_years": ("0", "would leave no time at all", "1"),
    "startup.subsidy_amount": ("0", "0 yuan would pay nothing", "0.01"),
    "startup.apply_window_months": ("0", "would leave no time at all", "1"),
    "loan.max_amount": ("0", "0 yuan would pay nothing", "0.01"),
    "psj.max_months": ("0", "would leave no time at all", "1"),
    "psj.monthly_amount": ("0", "0 yuan would pay nothing", "0.01"),
    "training.subsidy_amount": ("0", "0 yuan would pay nothing", "0.01"),
    "review.four_eyes_threshold": ("-0.01", "must not be negative", "0"),
    "review.sla_working_days": ("0", "would leave no time at all", "1"),
    "review.appeal_window_days": ("0", "would leave no time at all", "1"),
    "review.rfi_reply_days": ("0", "would leave no time at all", "1"),
    "training.living_allowance_daily": ("0", "0 yuan would pay nothing", "0.01"),
    "training.living_allowance_max_days": ("0", "would leave no time at all", "1"),
    "rent.relief_months": ("0", "would leave no time at all", "1"),
    "tax.annual_deduction": ("0", "0 yuan would pay nothing", "0.01"),
    "tax.relief_years": ("0", "would leave no time at all", "1"),
    "retention.closed_case_years": ("0", "would leave no time at all", "1"),
    "retention.draft_days": ("75", "must be shorter than “Days without activity after which an unsent", "76"),
    "retention.draft_notice_days": ("90", "must be shorter than", "89"),
}


def test_every_parameter_of_the_catalogue_has_its_boundaries_checked():
    assert set(BOUNDARIES) == set(Parameter.objects.values_list("key", flat=True))


@pytest.mark.parametrize("key", sorted(BOUNDARIES))
def test_beyond_the_boundary_a_value_is_refused_and_on_it_accepted(key):
    refused, why, accepted = BOUNDARIES[key]
    found = problems(key, refused)
    assert found and why in " ".join(found)
    assert problems(key, accepted) == []


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("common.working_age_min", "60", "必须低于"),
        ("si.graduate_window_months", "0", "等于没有任何期限"),
        ("si.subsidy_rate", "1.01", "0 到 1"),
        ("startup.subsidy_amount", "0", "0 元"),
        ("retention.draft_notice_days", "90", "必须短于"),
    ],
)
def test_the_reason_is_given_in_chinese_to_a_chinese_reader(key, value, words):
    [message] = problems(key, value, language="zh-hans")
    assert words in message
    assert "must" not in message and "Enter" not in message


def test_a_retention_period_of_years_is_at_least_one_year():
    assert "0 years would leave no time at all" in problems("retention.closed_case_years", "0")[0]
    assert "must not be negative" in problems("retention.closed_case_years", "-1")[0]


def test_the_notice_before_removal_is_checked_on_each_later_day_the_removal_changes():
    superuser = PolicyAdminFactory(is_superuser=True)
    in_ten_days = timezone.localdate() + timedelta(days=10)
    # Drafts are to be removed after 80 days from ten days on.
    services.parameter_value_add(
        parameter=Parameter.objects.get(key="retention.draft_days"),
        valid_from=in_ten_days,
        value="80",
        acting_user=superuser,
    )
    # A notice at 85 days is before the 90 in force tomorrow, not before the 80 of ten days later.
    [message] = problems("retention.draft_notice_days", "85")
    assert "(85 days) must be shorter than" in message and "(80 days)" in message
    assert problems("retention.draft_notice_days", "79") == []
    # Nor can the removal come down to the notice, even as a superuser schedules it.
    with pytest.raises(ValidationError, match="must be shorter than"), translation.override("en"):
        services.parameter_value_add(
            parameter=Parameter.objects.get(key="retention.draft_days"),
            valid_from=in_ten_days + timedelta(days=1),
            value="75",
            acting_user=superuser,
        )


def test_a_proposal_and_an_import_are_refused_alike(tmp_path):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        services.parameter_proposal_create(
            parameter=Parameter.objects.get(key="retention.draft_notice_days"),
            valid_from=tomorrow(),
            value="95",
            reference_document="local setting",
            reason="longer notice",
            acting_user=PolicyAdminFactory(),
        )
    assert "must be shorter than" in error.value.message_dict["value"][0]
    path = tmp_path / "policy.yaml"
    path.write_text(
        f'parameters:\n  retention.draft_notice_days:\n    values:\n      - {{from: {tomorrow()}, value: "95"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("import_policy", str(path), "--reason", "longer notice")
    assert "must be shorter than" in str(refused.value)
    assert not ParameterProposal.objects.exists()


def test_the_orders_of_the_catalogue():
    assert set(ordered_pairs()) == {
        OrderedPair("common.working_age_min", "common.retirement_age", Order.AGE),
        OrderedPair("retention.draft_notice_days", "retention.draft_days", Order.NOTICE),
    }


def test_a_minimum_and_its_maximum_are_found_by_their_names():
    rows = [
        SimpleNamespace(key="loan.min_amount", type="money"),
        SimpleNamespace(key="loan.max_amount", type="money"),
        SimpleNamespace(key="psj.months_min", type="int"),
        SimpleNamespace(key="psj.months_max", type="int"),
        SimpleNamespace(key="si.min_monthly_contribution", type="money"),  # no maximum of it
        SimpleNamespace(key="si.max_months", type="int"),
        SimpleNamespace(key="tax.min_years", type="int"),
        SimpleNamespace(key="tax.max_years", type="money"),  # another type: not a pair
        SimpleNamespace(key="other.max_amount", type="money"),  # another group
    ]
    assert range_pairs(rows) == (
        OrderedPair("loan.min_amount", "loan.max_amount", Order.RANGE),
        OrderedPair("psj.months_min", "psj.months_max", Order.RANGE),
    )


def test_a_minimum_amount_above_its_maximum_is_refused_and_equal_is_accepted():
    # A new parameter beside loan.max_amount (800,000.00 yuan), as an import of a new catalogue adds one.
    minimum = Parameter.objects.create(
        key="loan.min_amount",
        type="money",
        unit="CNY",
        description_zh="最低贷款额度（元）",
        description_en="Smallest loan (CNY)",
    )
    services.parameter_value_add(
        parameter=minimum,
        valid_from=timezone.localdate(),
        value="1000.00",
        acting_user=PolicyAdminFactory(is_superuser=True),
    )
    [message] = problems("loan.max_amount", "999.99")
    assert "“Smallest loan (CNY)” (1,000.00 yuan) must not be more than" in message
    assert "a minimum above the maximum" in message
    assert problems("loan.max_amount", "1000.00") == []
    assert "must not be more than" in problems("loan.min_amount", "800000.01")[0]
    assert problems("loan.min_amount", "800000.00") == []


@pytest.mark.parametrize(
    ("when", "accepted"),
    [("today", False), ("tomorrow", True), ("in three years", True), ("in three years and a day", False)],
)
def test_the_start_date_is_from_tomorrow_to_three_years_ahead_in_chinese_too(when, accepted):
    from eligibility.dates import add_years

    today = timezone.localdate()
    day = {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "in three years": add_years(today, 3),
        "in three years and a day": add_years(today, 3) + timedelta(days=1),
    }[when]
    arguments = {
        "parameter": Parameter.objects.get(key="si.subsidy_rate"),
        "valid_from": day,
        "value": "0.60",
        "reference_document": "000_68a1fcf5d1ed1785.txt",
        "reason": "预算调整",
        "acting_user": PolicyAdminFactory(),
    }
    if accepted:
        assert services.parameter_proposal_create(**arguments).valid_from == day
        return
    with pytest.raises(ValidationError) as error, translation.override("zh-hans"):
        services.parameter_proposal_create(**arguments)
    assert "生效日期须在明天" in error.value.message_dict["valid_from"][0]
