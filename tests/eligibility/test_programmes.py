"""Every programme at the boundaries the catalogue defines (section 4), on the shipped catalogue."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from eligibility.engine import Amount, ParameterSet, Status
from eligibility.results import results_to_dict
from eligibility.rules import PROGRAMMES
from tests.eligibility.helpers import ADULT, GRADUATE, criterion, screen

pytestmark = pytest.mark.django_db

CATALOGUE_ORDER = [
    "flexible-si-subsidy",
    "startup-subsidy",
    "startup-loan",
    "public-service-job-subsidy",
    "occupational-injury-cover",
    "pension-suspension",
    "training-subsidy",
    "free-business-site",
    "flexible-insurance-enrolment",
    "entrepreneurship-training",
    "training-living-allowance",
    "subsistence-assistance-referral",
    "construction-injury-insurance",
    "state-premises-rent-relief",
    "startup-tax-relief",
]


def test_the_catalogue_example():
    """Catalogue, section 5: a part-time graduate of 2023-06-30, screened on 2024-03-01."""
    result = screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"]
    assert result.status == Status.ELIGIBLE
    assert result.amount == Amount(Decimal("500.00"), per="month", max_periods=24)
    with translation.override("en"):
        data = result.to_dict()
    assert data["amount"] == {
        "value": "500.00",
        "currency": "CNY",
        "per": "month",
        "max_periods": 24,
        "explanation": (
            "50% × 1,000.00 yuan minimum contribution base (local setting) = 500.00 yuan a month, "
            "for up to 24 months (local setting)."
        ),
    }
    assert data["local_settings"] == [
        "common.retirement_age",
        "common.working_age_min",
        "si.max_months",
        "si.min_monthly_contribution",
    ]
    assert data["criteria"][0] == {
        "id": "target-group",
        "passed": True,
        "explanation": data["criteria"][0]["explanation"],
        "source": "000_68a1fcf5d1ed1785.txt",
    }
    assert "30 Jun 2023" in data["criteria"][0]["explanation"]
    assert "24 months" in data["criteria"][0]["explanation"]
    assert "until 30 Jun 2025" in data["criteria"][0]["explanation"]
    assert data["missing_facts"] == []


def test_one_result_per_programme_in_catalogue_order_with_the_api_shape():
    results = screen("2024-03-01")
    assert list(results) == CATALOGUE_ORDER
    answer = results_to_dict(date(2024, 3, 1), list(results.values()), "en")
    assert answer["as_of"] == "2024-03-01"
    for entry in answer["results"]:
        assert set(entry) == {
            "program",
            "status",
            "amount",
            "criteria",
            "missing_facts",
            "local_settings",
            "see_also",
            "decided_by",
        }
        for item in entry["criteria"]:
            assert set(item) == {"id", "passed", "explanation", "source"}


def test_rules_and_catalogue_agree_on_how_each_programme_pays():
    results = screen("2024-03-01")
    for slug, result in results.items():
        assert result.programme.per == PROGRAMMES[slug].per


def test_explanations_in_both_languages():
    target = criterion(screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"], "target-group")
    assert target.explanation_zh.startswith("符合。")
    assert "您于 2023年6月30日 毕业" in target.explanation_zh
    assert "24 个月" in target.explanation_zh
    assert target.explanation_en.startswith("Met.")
    with translation.override("zh-hans"):
        assert target.explanation() == target.explanation_zh
    assert target.explanation("en") == target.explanation_en


# --- In force ---------------------------------------------------------------------------------


def test_first_day_in_force():
    assert all(result.status != Status.NOT_IN_FORCE for result in screen("2021-12-01", **GRADUATE).values())
    day_before = screen("2021-11-30", **GRADUATE)
    assert {result.status for result in day_before.values()} == {Status.NOT_IN_FORCE}
    result = day_before["flexible-si-subsidy"]
    assert result.amount is None and result.missing_facts == []
    assert result.to_dict("en")["criteria"][0]["id"] == "in-force"
    assert "1 Dec 2021" in result.criteria[0].explanation_en


# --- flexible-si-subsidy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2025-06-30", Status.ELIGIBLE), ("2025-07-01", Status.INELIGIBLE)],
)
def test_si_graduate_window_is_inclusive(as_of, status):
    assert screen(as_of, **GRADUATE)["flexible-si-subsidy"].status == status


def test_si_graduate_window_clamps_to_month_end():
    facts = {**GRADUATE, "graduation_date": "2022-02-28"}
    assert screen("2024-02-28", **facts)["flexible-si-subsidy"].status == Status.ELIGIBLE
    facts = {**GRADUATE, "graduation_date": "2021-12-31"}  # + 24 months = 2023-12-31
    assert screen("2023-12-31", **facts)["flexible-si-subsidy"].status == Status.ELIGIBLE
    assert screen("2024-01-01", **facts)["flexible-si-subsidy"].status == Status.INELIGIBLE


def test_si_graduate_employed_since_graduation_is_not_a_target():
    result = screen("2024-03-01", **{**GRADUATE, "employed_since_graduation": True})["flexible-si-subsidy"]
    assert result.status == Status.INELIGIBLE
    assert criterion(result, "target-group").passed is False


def test_si_employment_difficulty_needs_no_graduation():
    facts = {**ADULT, "groups": ["employment_difficulty"], "employment_form": "platform", "pays_flexible_medical": True}
    result = screen("2024-03-01", **facts)["flexible-si-subsidy"]
    assert result.status == Status.ELIGIBLE
    assert result.amount.value == Decimal("500.00")


def test_si_not_flexible_or_not_insured():
    assert screen("2024-03-01", **{**GRADUATE, "employment_form": "employee"})["flexible-si-subsidy"].status == (
        Status.INELIGIBLE
    )
    uninsured = {**GRADUATE, "pays_flexible_pension": False, "pays_flexible_medical": False}
    assert screen("2024-03-01", **uninsured)["flexible-si-subsidy"].status == Status.INELIGIBLE


def test_si_graduate_without_graduation_date_needs_info():
    facts = {key: value for key, value in GRADUATE.items() if key != "graduation_date"}
    result = screen("2024-03-01", **facts)["flexible-si-subsidy"]
    assert result.status == Status.NEEDS_INFO
    assert result.amount is None
    assert result.missing_facts == ["graduation_date"]
    assert "the date you graduated" in criterion(result, "target-group").explanation_en


def test_groups_empty_is_known_absent_is_unknown():
    facts = {key: value for key, value in GRADUATE.items() if key != "groups"}
    absent = screen("2024-03-01", **facts)["flexible-si-subsidy"]
    assert absent.status == Status.NEEDS_INFO
    assert absent.missing_facts == ["groups"]
    empty = screen("2024-03-01", **facts, groups=[])["flexible-si-subsidy"]
    assert empty.status == Status.INELIGIBLE
    assert empty.missing_facts == []


def test_a_failed_criterion_wins_over_unknown_ones():
    result = screen("2024-03-01", employment_form="employee")["flexible-si-subsidy"]
    assert result.status == Status.INELIGIBLE
    assert result.missing_facts == []


def test_nothing_known_needs_info_with_missing_facts_in_order():
    result = screen("2024-03-01")["flexible-si-subsidy"]
    assert result.status == Status.NEEDS_INFO
    # Every fact that could decide an unknown criterion, in catalogue order.
    assert result.missing_facts == [
        "birth_date",
        "groups",
        "graduation_date",
        "employed_since_graduation",
        "employment_form",
        "pays_flexible_pension",
        "pays_flexible_medical",
    ]


# --- Every programme: region and working age -----------------------------------------------------------


def test_region_absent_counts_as_served_and_another_region_fails():
    assert criterion(screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"], "region-served").passed is True
    other = screen("2024-03-01", **GRADUATE, region="110000")
    assert {result.status for result in other.values()} == {Status.INELIGIBLE}


def test_region_follows_the_setting(settings):
    settings.LINGHUO_REGION_CODE = "110000"
    assert screen("2024-03-01", **GRADUATE, region="110000")["flexible-si-subsidy"].status == Status.ELIGIBLE


@pytest.mark.parametrize(
    ("birth_date", "passed"),
    [
        ("2008-03-01", True),  # 16 on 2024-03-01
        ("2008-03-02", False),  # 15
        ("1964-03-02", True),  # 59
        ("1964-03-01", False),  # 60
    ],
)
def test_working_age_edges(birth_date, passed):
    result = screen("2024-03-01", **{**GRADUATE, "birth_date": birth_date})["flexible-si-subsidy"]
    assert criterion(result, "working-age").passed is passed
    assert result.status == (Status.ELIGIBLE if passed else Status.INELIGIBLE)


def test_working_age_explains_the_local_setting():
    explanation = criterion(screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"], "working-age").explanation_en
    assert "24 years old" in explanation
    assert "age 16 (local setting)" in explanation
    assert "age 60 (local setting)" in explanation


def test_birth_date_missing_is_unknown():
    facts = {key: value for key, value in GRADUATE.items() if key != "birth_date"}
    result = screen("2024-03-01", **facts)["flexible-si-subsidy"]
    assert criterion(result, "working-age").passed is None
    assert result.missing_facts == ["birth_date"]


# --- startup-subsidy ---------------------------------------------------------------------------------------

BUSINESS = {**ADULT, "groups": ["laid_off"], "employment_form": "self_employed", "business_registered_on": "2023-08-31"}


def test_startup_subsidy_once():
    result = screen("2024-03-01", **BUSINESS)["startup-subsidy"]
    assert result.status == Status.ELIGIBLE
    assert result.amount == Amount(Decimal("10000.00"), per="once")
    assert "max_periods" not in result.amount.to_dict()


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2023-08-30", Status.INELIGIBLE),  # not registered yet
        ("2023-08-31", Status.ELIGIBLE),
        ("2024-08-31", Status.ELIGIBLE),  # 12 months, inclusive
        ("2024-09-01", Status.INELIGIBLE),
    ],
)
def test_startup_subsidy_registration_window(as_of, status):
    assert screen(as_of, **BUSINESS)["startup-subsidy"].status == status


def test_startup_subsidy_needs_self_employment():
    assert screen("2024-03-01", **{**BUSINESS, "employment_form": "part_time"})["startup-subsidy"].status == (
        Status.INELIGIBLE
    )


def test_startup_graduate_window_is_five_then_ten_years():
    """startup.graduate_window_years: 5 from 2020-07-28, 10 from 2021-12-01 (000 "Secondly")."""
    graduate = {**BUSINESS, "groups": ["college_graduate"], "graduation_date": "2015-06-30"}
    # Seven years after graduating: within ten years, outside five.
    assert screen("2022-06-30", **{**graduate, "business_registered_on": "2022-06-01"})["startup-subsidy"].status == (
        Status.ELIGIBLE
    )
    results = screen("2025-06-30", **{**graduate, "business_registered_on": "2025-06-01"})
    assert results["startup-subsidy"].status == Status.ELIGIBLE
    assert screen("2025-07-01", **{**graduate, "business_registered_on": "2025-06-01"})["startup-subsidy"].status == (
        Status.INELIGIBLE
    )


def test_startup_graduate_window_in_force_on_the_date():
    assert ParameterSet.in_force(date(2021, 11, 30)).value("startup.graduate_window_years") == 5
    assert ParameterSet.in_force(date(2021, 12, 1)).value("startup.graduate_window_years") == 10
    assert "startup.graduate_window_years" not in ParameterSet.in_force(date(2020, 7, 27))


# --- startup-loan -------------------------------------------------------------------------------------------

LOAN = {**ADULT, "groups": ["migrant_worker"], "plans_business": True}


@pytest.mark.parametrize(
    ("requested", "offered"),
    [(None, "800000.00"), ("200000", "200000.00"), ("800000.00", "800000.00"), (900000, "800000.00")],
)
def test_loan_offers_the_request_up_to_the_cap(requested, offered):
    facts = LOAN if requested is None else {**LOAN, "requested_loan_amount": requested}
    result = screen("2024-03-01", **facts)["startup-loan"]
    assert result.status == Status.ELIGIBLE
    assert result.amount == Amount(Decimal(offered), per="loan")
    assert result.amount.to_dict() == {"value": offered, "currency": "CNY", "per": "loan"}


def test_loan_above_the_cap_says_so():
    result = screen("2024-03-01", **{**LOAN, "requested_loan_amount": 900000})["startup-loan"]
    explanation = criterion(result, "loan-amount").explanation_en
    assert "900,000.00" in explanation and "800,000.00" in explanation and "offered" in explanation


def test_loan_needs_a_business_or_a_plan():
    result = screen("2024-03-01", **{**LOAN, "plans_business": False, "employment_form": "employee"})["startup-loan"]
    assert result.status == Status.INELIGIBLE
    assert (
        screen("2024-03-01", **{**LOAN, "plans_business": False, "employment_form": "self_employed"})[
            "startup-loan"
        ].status
        == Status.ELIGIBLE
    )


# --- public-service-job-subsidy --------------------------------------------------------------------------------

PSJ = {**ADULT, "groups": ["employment_difficulty"]}


@pytest.mark.parametrize(("months", "periods"), [(1, 1), (5, 5), (6, 6), (7, 6), (40, 6)])
def test_psj_months_are_capped(months, periods):
    result = screen("2024-03-01", **PSJ, public_service_post_months=months)["public-service-job-subsidy"]
    assert result.status == Status.ELIGIBLE
    assert result.amount == Amount(Decimal("1500.00"), per="month", max_periods=periods)


def test_psj_needs_a_month_in_a_post():
    assert screen("2024-03-01", **PSJ, public_service_post_months=0)["public-service-job-subsidy"].status == (
        Status.INELIGIBLE
    )
    assert (
        screen("2024-03-01", groups=["veteran"], public_service_post_months=3)["public-service-job-subsidy"].status
        == Status.INELIGIBLE
    )


# --- Programmes without cash ---------------------------------------------------------------------------------------


def test_occupational_injury_cover_for_platform_workers():
    assert screen("2024-03-01", **ADULT, employment_form="platform")["occupational-injury-cover"].status == (
        Status.ELIGIBLE
    )
    result = screen("2024-03-01", **ADULT, employment_form="part_time")["occupational-injury-cover"]
    assert result.status == Status.INELIGIBLE
    assert result.amount is None


def test_pension_suspension():
    facts = {**ADULT, "employment_form": "self_employed", "pays_flexible_pension": True, "hardship_declared": True}
    result = screen("2024-03-01", **facts)["pension-suspension"]
    assert result.status == Status.ELIGIBLE
    assert result.amount is None
    assert screen("2024-03-01", **{**facts, "hardship_declared": False})["pension-suspension"].status == (
        Status.INELIGIBLE
    )


def test_training_subsidy():
    registered = {**ADULT, "groups": ["registered_unemployed"], "training_certificate": True}
    result = screen("2024-03-01", **registered)["training-subsidy"]
    assert result.status == Status.ELIGIBLE
    assert result.amount == Amount(Decimal("1200.00"), per="once")
    flexible = {**ADULT, "groups": [], "employment_form": "platform", "training_certificate": True}
    assert screen("2024-03-01", **flexible)["training-subsidy"].status == Status.ELIGIBLE
    no_certificate = {**registered, "training_certificate": False}
    assert screen("2024-03-01", **no_certificate)["training-subsidy"].status == Status.INELIGIBLE


def test_free_business_site():
    assert (
        screen("2024-03-01", **ADULT, groups=["college_graduate"], plans_business=True)["free-business-site"].status
        == Status.ELIGIBLE
    )
    assert (
        screen("2024-03-01", **ADULT, groups=["veteran"], plans_business=True)["free-business-site"].status
        == Status.INELIGIBLE
    )


def test_parameters_used_are_reported():
    result = screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"]
    used = result.parameters_used
    assert used["si.subsidy_rate"].value == Decimal("0.50")
    assert used["si.min_monthly_contribution"].local_default is True
    assert used["si.subsidy_rate"].local_default is False
    assert {"common.working_age_min", "common.retirement_age", "si.max_months"} <= set(used)


# --- Release 2: registration and the region rule ------------------------------------------------------


def test_a_business_not_registered_yet_fails_with_advice():
    facts = {**ADULT, "groups": ["laid_off"], "employment_form": "self_employed", "business_registered": False}
    results = screen("2024-03-01", **facts)
    subsidy = results["startup-subsidy"]
    assert subsidy.status == Status.INELIGIBLE
    assert subsidy.missing_facts == []
    explanation = criterion(subsidy, "runs-registered-business").explanation_en
    assert "not registered yet" in explanation and "12 months" in explanation
    assert "start-up loan" in explanation and "free business premises" in explanation
    assert "营业执照" in criterion(subsidy, "runs-registered-business").explanation_zh or "登记" in (
        criterion(subsidy, "runs-registered-business").explanation_zh
    )
    assert results["startup-loan"].status == Status.ELIGIBLE
    assert results["free-business-site"].status == Status.ELIGIBLE


def test_a_registration_date_means_registered():
    from eligibility.facts import FactsInvalid, parse_facts

    assert parse_facts({"business_registered_on": "2024-01-02"})["business_registered"] is True
    with pytest.raises(FactsInvalid) as invalid:
        parse_facts({"business_registered_on": "2024-01-02", "business_registered": False})
    assert list(invalid.value.errors) == ["business_registered"]


@pytest.mark.parametrize("region", ["330800", "330802", "330803", "330822", "330824", "330825", "330881", "330899"])
def test_quzhous_districts_and_counties_are_served(region):
    assert screen("2024-03-01", **GRADUATE, region=region)["flexible-si-subsidy"].status == Status.ELIGIBLE


@pytest.mark.parametrize("region", ["330100", "330900", "000000", "110000"])
def test_other_regions_are_not(region):
    assert {r.status for r in screen("2024-03-01", **GRADUATE, region=region).values()} == {Status.INELIGIBLE}


def test_regions_are_named_in_explanations():
    served = criterion(screen("2024-03-01", **GRADUATE, region="330802")["flexible-si-subsidy"], "region-served")
    assert "Kecheng District, Quzhou" in served.explanation_en
    assert "衢州市柯城区" in served.explanation_zh
    outside = criterion(screen("2024-03-01", **GRADUATE, region="000000")["flexible-si-subsidy"], "region-served")
    assert "outside Quzhou" in outside.explanation_en
    assert "000000" not in outside.explanation_en
