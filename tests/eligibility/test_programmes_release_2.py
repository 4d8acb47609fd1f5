"""The seven programmes of release 2 at the boundaries the catalogue defines (section 4,
"Programmes added in release 2"), and the links between results (issue 13, item 2)."""

import json
from decimal import Decimal

import pytest
from django.utils import translation

from eligibility.engine import Amount, Status
from eligibility.rules import PROGRAMMES
from tests.eligibility.helpers import ADULT, criterion, screen

pytestmark = pytest.mark.django_db

AS_OF = "2024-03-01"
RELEASE_2 = [
    "flexible-insurance-enrolment",
    "entrepreneurship-training",
    "training-living-allowance",
    "subsistence-assistance-referral",
    "construction-injury-insurance",
    "state-premises-rent-relief",
    "startup-tax-relief",
]


def status(slug: str, as_of: str = AS_OF, **facts) -> str:
    return screen(as_of, **{**ADULT, **facts})[slug].status


def test_the_seven_come_after_the_first_eight_and_say_how_a_case_ends():
    assert list(PROGRAMMES)[8:] == RELEASE_2
    assert {slug: PROGRAMMES[slug].fulfilment for slug in RELEASE_2} == {
        "flexible-insurance-enrolment": "enrolment",
        "entrepreneurship-training": "course",
        "training-living-allowance": None,
        "subsistence-assistance-referral": "referral",
        "construction-injury-insurance": "project_cover",
        "state-premises-rent-relief": "rent_relief",
        "startup-tax-relief": "tax_notice",
    }
    assert {slug: rules.per for slug, rules in PROGRAMMES.items() if slug in RELEASE_2} == {
        "flexible-insurance-enrolment": "none",
        "entrepreneurship-training": "none",
        "training-living-allowance": "once",
        "subsistence-assistance-referral": "none",
        "construction-injury-insurance": "none",
        "state-premises-rent-relief": "none",
        "startup-tax-relief": "year",
    }


def test_in_force_from_the_measures_like_the_rest():
    for slug in RELEASE_2:
        assert screen("2021-11-30", **ADULT)[slug].status == Status.NOT_IN_FORCE
        assert screen("2021-12-01", **ADULT)[slug].status != Status.NOT_IN_FORCE


@pytest.mark.parametrize("slug", RELEASE_2)
def test_region_and_working_age_apply_to_every_new_programme(slug):
    assert screen(AS_OF, **ADULT, region="110000")[slug].status == Status.INELIGIBLE
    assert screen(AS_OF, birth_date="1964-03-01")[slug].status == Status.INELIGIBLE  # 60 on as_of
    assert screen(AS_OF, birth_date="2008-03-02")[slug].status == Status.INELIGIBLE  # 15 on as_of
    assert criterion(screen(AS_OF, **ADULT, region="330881")[slug], "region-served").passed is True


# --- flexible-insurance-enrolment ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("part_time", Status.ELIGIBLE),
        ("platform", Status.ELIGIBLE),
        ("self_employed", Status.ELIGIBLE),
        ("employee", Status.INELIGIBLE),
        ("unemployed", Status.INELIGIBLE),
        ("other", Status.INELIGIBLE),
    ],
)
def test_enrolment_is_for_flexible_work(form, expected):
    facts = {"employment_form": form, "pays_flexible_pension": False, "pays_flexible_medical": False}
    assert status("flexible-insurance-enrolment", **facts) == expected


@pytest.mark.parametrize(
    ("pension", "medical", "expected", "can_join"),
    [
        (False, False, Status.ELIGIBLE, "basic pension insurance, basic medical insurance"),
        (True, False, Status.ELIGIBLE, "basic medical insurance"),
        (False, True, Status.ELIGIBLE, "basic pension insurance"),
        (True, True, Status.INELIGIBLE, None),
    ],
)
def test_enrolment_while_not_insured_in_both(pension, medical, expected, can_join):
    facts = {**ADULT, "employment_form": "part_time", "pays_flexible_pension": pension}
    facts["pays_flexible_medical"] = medical
    result = screen(AS_OF, **facts)["flexible-insurance-enrolment"]
    assert result.status == expected
    explanation = criterion(result, "not-insured-in-both").explanation_en
    if can_join:
        assert f"You can still join {can_join}." in explanation
    else:
        assert "You can still join" not in explanation
    assert result.amount is None


def test_enrolment_with_one_insurance_unknown():
    # Paying pension, medical not known: unknown which is open, so more information is needed...
    facts = {"employment_form": "part_time", "pays_flexible_pension": True}
    result = screen(AS_OF, **{**ADULT, **facts})["flexible-insurance-enrolment"]
    assert result.status == Status.NEEDS_INFO
    assert result.missing_facts == ["pays_flexible_medical"]
    # ...but one not paid is enough: the other can only add to what can be joined.
    result = screen(AS_OF, **{**ADULT, "employment_form": "part_time", "pays_flexible_pension": False})
    enrolment = result["flexible-insurance-enrolment"]
    assert enrolment.status == Status.ELIGIBLE
    assert "basic pension insurance, basic medical insurance" in criterion(
        enrolment, "not-insured-in-both"
    ).explanation("en")


def test_enrolment_has_no_household_registration_condition_in_both_languages():
    facts = {"employment_form": "platform", "pays_flexible_pension": False, "pays_flexible_medical": False}
    result = screen(AS_OF, **{**ADULT, **facts})["flexible-insurance-enrolment"]
    works = criterion(result, "works-flexibly")
    assert "There is no household-registration condition" in works.explanation_en
    assert "不设户籍条件" in works.explanation_zh
    assert "您还可以参加基本养老保险、基本医疗保险" in criterion(result, "not-insured-in-both").explanation_zh
    assert works.source == "000_68a1fcf5d1ed1785.txt"
    assert result.decided_by_text("en") == "the social-insurance agency"


# --- entrepreneurship-training -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "form", "expected"),
    [
        ([], "part_time", Status.ELIGIBLE),
        ([], "self_employed", Status.ELIGIBLE),
        (["registered_unemployed"], "unemployed", Status.ELIGIBLE),
        (["migrant_worker"], "employee", Status.ELIGIBLE),
        (["laid_off"], "employee", Status.INELIGIBLE),
        (["college_graduate"], "unemployed", Status.INELIGIBLE),
        ([], "employee", Status.INELIGIBLE),
    ],
)
def test_entrepreneurship_training_target_group(groups, form, expected):
    assert status("entrepreneurship-training", groups=groups, employment_form=form, plans_business=True) == expected


@pytest.mark.parametrize(
    ("form", "plans", "expected"),
    [
        ("self_employed", False, Status.ELIGIBLE),  # runs a business already
        ("part_time", True, Status.ELIGIBLE),
        ("part_time", False, Status.INELIGIBLE),
    ],
)
def test_entrepreneurship_training_is_for_starting_a_business(form, plans, expected):
    assert status("entrepreneurship-training", groups=[], employment_form=form, plans_business=plans) == expected


def test_entrepreneurship_training_self_employed_needs_no_plan_answer():
    result = screen(AS_OF, **ADULT, groups=["migrant_worker"], employment_form="self_employed")
    assert result["entrepreneurship-training"].status == Status.ELIGIBLE


# --- training-living-allowance ---------------------------------------------------------------------

TRAINED = {"groups": ["registered_unemployed"], "training_certificate": True}


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("registered_unemployed", Status.ELIGIBLE),
        ("employment_difficulty", Status.ELIGIBLE),
        ("low_income_household", Status.ELIGIBLE),
        ("laid_off", Status.INELIGIBLE),
        ("migrant_worker", Status.INELIGIBLE),
        ("college_graduate", Status.INELIGIBLE),
    ],
)
def test_living_allowance_target_group(group, expected):
    assert status("training-living-allowance", groups=[group], training_certificate=True, training_days=3) == expected


@pytest.mark.parametrize(
    ("days", "amount"),
    [(1, "50.00"), (2, "100.00"), (29, "1450.00"), (30, "1500.00"), (31, "1500.00"), (366, "1500.00")],
)
def test_living_allowance_is_daily_times_days_at_most_the_maximum(days, amount):
    result = screen(AS_OF, **ADULT, **TRAINED, training_days=days)["training-living-allowance"]
    assert result.status == Status.ELIGIBLE
    assert result.amount == Amount(Decimal(amount), per="once")


def test_living_allowance_needs_a_day_and_a_certificate():
    no_day = screen(AS_OF, **ADULT, **TRAINED, training_days=0)["training-living-allowance"]
    assert no_day.status == Status.INELIGIBLE
    assert criterion(no_day, "training-days").passed is False
    assert "You have not attended a subsidised training course for a day yet." in criterion(
        no_day, "training-days"
    ).explanation("en")
    no_certificate = {**TRAINED, "training_certificate": False}
    assert status("training-living-allowance", **no_certificate, training_days=10) == Status.INELIGIBLE
    unknown = screen(AS_OF, **ADULT, **TRAINED)["training-living-allowance"]
    assert unknown.status == Status.NEEDS_INFO and unknown.missing_facts == ["training_days"]


def test_living_allowance_explains_the_calculation_in_both_languages():
    result = screen(AS_OF, **ADULT, **TRAINED, training_days=45)["training-living-allowance"]
    assert result.amount_explanation("en") == (
        "50.00 yuan a day (local setting) × the days you have attended a subsidised training course, "
        "at most 30 days (local setting) = 1,500.00 yuan, paid once."
    )
    assert "1,500.00 元" in result.amount_explanation("zh-hans")
    assert "You have attended 45 days of a subsidised training course." in criterion(
        result, "training-days"
    ).explanation("en")
    one = screen(AS_OF, **ADULT, **TRAINED, training_days=1)["training-living-allowance"]
    assert "You have attended 1 day of a subsidised training course." in criterion(one, "training-days").explanation(
        "en"
    )
    assert set(result.local_settings) >= {"training.living_allowance_daily", "training.living_allowance_max_days"}


# --- subsistence-assistance-referral -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("part_time", Status.ELIGIBLE),
        ("platform", Status.ELIGIBLE),
        ("self_employed", Status.ELIGIBLE),
        ("unemployed", Status.ELIGIBLE),
        ("employee", Status.INELIGIBLE),
        ("other", Status.INELIGIBLE),
    ],
)
def test_referral_is_for_flexible_workers_and_those_out_of_work(form, expected):
    assert status("subsistence-assistance-referral", employment_form=form, hardship_declared=True) == expected


@pytest.mark.parametrize(
    ("groups", "hardship", "expected"),
    [
        (["low_income_household"], False, Status.ELIGIBLE),
        ([], True, Status.ELIGIBLE),
        (["registered_unemployed"], False, Status.INELIGIBLE),
        ([], False, Status.INELIGIBLE),
    ],
)
def test_referral_is_for_hardship(groups, hardship, expected):
    facts = {"groups": groups, "employment_form": "unemployed", "hardship_declared": hardship}
    assert status("subsistence-assistance-referral", **facts) == expected


def test_referral_says_the_civil_affairs_office_decides():
    facts = {**ADULT, "groups": [], "employment_form": "unemployed", "hardship_declared": True}
    result = screen(AS_OF, **facts)["subsistence-assistance-referral"]
    hardship = criterion(result, "in-hardship")
    assert "The civil-affairs office decides on minimum subsistence and temporary assistance" in (
        hardship.explanation_en
    )
    assert "由民政部门决定" in hardship.explanation_zh
    assert result.decided_by_text("en") == "the civil-affairs office of your district"
    assert result.decided_by_text("zh-hans") == "您所在区县的民政部门"
    assert result.amount is None
    # Also when it fails: who decides is said either way.
    refused = screen(AS_OF, **{**facts, "hardship_declared": False})["subsistence-assistance-referral"]
    assert "civil-affairs office decides" in criterion(refused, "in-hardship").explanation_en


# --- construction-injury-insurance -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "construction", "expected"),
    [
        (["migrant_worker"], True, Status.ELIGIBLE),
        (["migrant_worker", "laid_off"], True, Status.ELIGIBLE),
        (["migrant_worker"], False, Status.INELIGIBLE),
        (["laid_off"], True, Status.INELIGIBLE),
        ([], True, Status.INELIGIBLE),
    ],
)
def test_construction_cover_for_migrant_workers_on_sites(groups, construction, expected):
    assert status("construction-injury-insurance", groups=groups, works_in_construction=construction) == expected


def test_construction_cover_unknown_and_explained():
    result = screen(AS_OF, **ADULT, groups=["migrant_worker"])["construction-injury-insurance"]
    assert result.status == Status.NEEDS_INFO and result.missing_facts == ["works_in_construction"]
    met = screen(AS_OF, **ADULT, groups=["migrant_worker"], works_in_construction=True)
    assert "You work on engineering-construction projects." in criterion(
        met["construction-injury-insurance"], "works-in-construction"
    ).explanation("en")


# --- state-premises-rent-relief ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "rents", "expected"),
    [
        ("self_employed", True, Status.ELIGIBLE),
        ("self_employed", False, Status.INELIGIBLE),
        ("part_time", True, Status.INELIGIBLE),
        ("platform", True, Status.INELIGIBLE),
    ],
)
def test_rent_relief_for_the_self_employed_renting_state_premises(form, rents, expected):
    assert status("state-premises-rent-relief", employment_form=form, rents_state_owned_premises=rents) == expected


def test_rent_relief_states_the_months_waived_in_both_languages():
    facts = {**ADULT, "employment_form": "self_employed", "rents_state_owned_premises": True}
    result = screen(AS_OF, **facts)["state-premises-rent-relief"]
    rents = criterion(result, "rents-state-premises")
    assert "Rent is waived for 3 months (local setting)." in rents.explanation_en
    assert "3 个月" in rents.explanation_zh
    assert "rent.relief_months" in result.local_settings
    assert result.amount is None
    refused = screen(AS_OF, **{**facts, "rents_state_owned_premises": False})["state-premises-rent-relief"]
    assert "waived" not in criterion(refused, "rents-state-premises").explanation_en


# --- startup-tax-relief ----------------------------------------------------------------------------------


UNEMPLOYED_BUSINESS = {
    "groups": ["registered_unemployed"],
    "employment_form": "self_employed",
    "business_registered_on": "2021-03-01",
}


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2021-12-01", Status.ELIGIBLE),
        ("2024-03-01", Status.ELIGIBLE),  # three years after, inclusive
        ("2024-03-02", Status.INELIGIBLE),
    ],
)
def test_tax_relief_for_the_relief_years_after_registration(as_of, expected):
    assert status("startup-tax-relief", as_of, **UNEMPLOYED_BUSINESS) == expected


def test_tax_relief_registration_window_clamps_to_month_end():
    facts = {**UNEMPLOYED_BUSINESS, "business_registered_on": "2020-02-29"}  # + 3 years = 2023-02-28
    assert status("startup-tax-relief", "2023-02-28", **facts) == Status.ELIGIBLE
    assert status("startup-tax-relief", "2023-03-01", **facts) == Status.INELIGIBLE


def test_tax_relief_needs_a_registration_on_or_before_the_date():
    facts = {**UNEMPLOYED_BUSINESS, "business_registered_on": "2024-03-02"}
    result = screen(AS_OF, **ADULT, **facts)["startup-tax-relief"]
    assert result.status == Status.INELIGIBLE
    assert "after 1 Mar 2024" in criterion(result, "runs-registered-business").explanation_en
    assert status("startup-tax-relief", **{**UNEMPLOYED_BUSINESS, "business_registered_on": AS_OF}) == Status.ELIGIBLE


@pytest.mark.parametrize(
    ("graduation_date", "as_of", "expected"),
    [
        ("2024-01-01", "2024-03-01", Status.ELIGIBLE),
        ("2024-03-01", "2024-03-01", Status.ELIGIBLE),
        ("2023-12-31", "2024-03-01", Status.INELIGIBLE),
        ("2024-01-01", "2024-12-31", Status.ELIGIBLE),
        ("2024-12-31", "2025-01-01", Status.INELIGIBLE),
    ],
)
def test_tax_relief_for_graduates_in_the_year_they_graduate(graduation_date, as_of, expected):
    facts = {
        "groups": ["college_graduate"],
        "graduation_date": graduation_date,
        "employment_form": "self_employed",
        "business_registered_on": "2024-03-01",
    }
    assert status("startup-tax-relief", as_of, **facts) == expected


def test_tax_relief_explains_the_graduation_year():
    facts = {
        **ADULT,
        "groups": ["college_graduate"],
        "graduation_date": "2023-06-30",
        "employment_form": "self_employed",
        "business_registered_on": "2024-01-10",
    }
    target = criterion(screen(AS_OF, **facts)["startup-tax-relief"], "target-group")
    assert "this is for those who graduate in 2024, the year of 1 Mar 2024" in target.explanation_en
    assert "2024 年" in target.explanation_zh


def test_tax_relief_other_key_groups_are_not_its_target():
    facts = {**UNEMPLOYED_BUSINESS, "groups": ["laid_off", "migrant_worker"]}
    assert status("startup-tax-relief", **facts) == Status.INELIGIBLE


def test_tax_relief_is_a_deduction_per_year_for_the_relief_years():
    result = screen(AS_OF, **ADULT, **UNEMPLOYED_BUSINESS)["startup-tax-relief"]
    assert result.amount == Amount(Decimal("20000.00"), per="year", max_periods=3)
    data = result.to_dict("en")
    assert data["amount"] == {
        "value": "20000.00",
        "currency": "CNY",
        "per": "year",
        "max_periods": 3,
        "explanation": "20,000.00 yuan (local setting) a year, for up to 3 years (local setting).",
    }
    assert data["decided_by"] == "the tax bureau"
    assert "每年" in result.amount_explanation("zh-hans")


def test_tax_relief_for_a_business_not_registered_yet_fails_as_for_the_subsidy():
    facts = {**ADULT, "groups": ["registered_unemployed"], "employment_form": "self_employed"}
    result = screen(AS_OF, **facts, business_registered=False)["startup-tax-relief"]
    assert result.status == Status.INELIGIBLE
    assert result.missing_facts == []
    explanation = criterion(result, "runs-registered-business").explanation_en
    assert "Your business is not registered yet" in explanation
    assert "within 3 years (local setting) of registration" in explanation


# --- Links between results (issue 13, item 2) --------------------------------------------------------------


def links(result) -> list[str]:
    return [link.program for link in result.see_also]


def test_not_insured_points_to_enrolment():
    facts = {
        **ADULT,
        "groups": ["employment_difficulty"],
        "employment_form": "part_time",
        "pays_flexible_pension": False,
        "pays_flexible_medical": False,
    }
    results = screen(AS_OF, **facts)
    assert results["flexible-si-subsidy"].status == Status.INELIGIBLE
    assert links(results["flexible-si-subsidy"]) == ["flexible-insurance-enrolment"]
    assert results["flexible-insurance-enrolment"].status == Status.ELIGIBLE
    see_also = results["flexible-si-subsidy"].see_also_dicts("en")
    assert see_also == [
        {
            "program": "flexible-insurance-enrolment",
            "reason": "You are not insured yet: you can enrol in pension and medical insurance as a flexible worker "
            "first.",
        }
    ]
    assert results["flexible-si-subsidy"].see_also_dicts("zh-hans")[0]["reason"].startswith("您尚未参保")


def test_a_link_only_to_what_the_person_can_still_have():
    # Not insured, but not working flexibly either: enrolment is not open, so no link.
    facts = {
        **ADULT,
        "groups": ["employment_difficulty"],
        "employment_form": "employee",
        "pays_flexible_pension": False,
        "pays_flexible_medical": False,
    }
    results = screen(AS_OF, **facts)
    assert results["flexible-insurance-enrolment"].status == Status.INELIGIBLE
    assert links(results["flexible-si-subsidy"]) == []
    # Failing for another reason only (not a target group) is no reason to point to enrolment.
    insured_outsider = {**facts, "groups": [], "employment_form": "part_time", "pays_flexible_pension": True}
    assert links(screen(AS_OF, **insured_outsider)["flexible-si-subsidy"]) == []


def test_a_link_to_a_programme_still_needing_an_answer():
    facts = {**ADULT, "groups": ["employment_difficulty"], "pays_flexible_pension": False}
    facts["pays_flexible_medical"] = False
    facts["employment_form"] = "part_time"
    results = screen(AS_OF, **facts)
    assert links(results["flexible-si-subsidy"]) == ["flexible-insurance-enrolment"]


def test_self_employed_without_a_licence_is_pointed_to_the_loan_premises_and_training():
    facts = {**ADULT, "groups": ["registered_unemployed"], "employment_form": "self_employed"}
    results = screen(AS_OF, **facts, business_registered=False)
    expected = ["startup-loan", "free-business-site", "entrepreneurship-training"]
    assert links(results["startup-subsidy"]) == expected
    assert links(results["startup-tax-relief"]) == expected
    for slug in expected:
        assert results[slug].status == Status.ELIGIBLE
    reason = results["startup-subsidy"].see_also_dicts("en")[0]["reason"]
    assert reason == "Before your business is registered, this can help you start it."


def test_a_registered_business_or_no_self_employment_brings_no_such_links():
    registered = {**ADULT, "groups": ["registered_unemployed"], "employment_form": "self_employed"}
    out_of_window = screen(AS_OF, **registered, business_registered_on="2010-01-01")
    assert links(out_of_window["startup-subsidy"]) == []
    planning = screen(AS_OF, **ADULT, groups=["registered_unemployed"], employment_form="unemployed")
    assert links(planning["startup-subsidy"]) == []


def test_eligible_and_unknown_results_have_no_links():
    for result in screen(AS_OF).values():
        assert result.see_also == ()


def test_who_decides_for_the_partner_programmes():
    decided = {slug: result.decided_by_text("en") for slug, result in screen(AS_OF).items()}
    assert decided["subsistence-assistance-referral"] == "the civil-affairs office of your district"
    assert decided["startup-loan"] == "the guarantee centre and the partner bank"
    assert decided["startup-tax-relief"] == "the tax bureau"
    assert decided["flexible-si-subsidy"] is None
    with translation.override("zh-hans"):
        assert screen(AS_OF)["startup-loan"].decided_by_text() == "担保中心和合作银行"


# --- The API ---------------------------------------------------------------------------------------------


def post(client, facts: dict, language: str):
    body = json.dumps({"as_of": AS_OF, "facts": {**ADULT, **facts}})
    response = client.post("/api/v1/screenings", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return {result["program"]: result for result in response.json()["results"]}


def test_the_api_answers_per_year_with_max_periods(client):
    results = post(client, UNEMPLOYED_BUSINESS, "en")
    amount = results["startup-tax-relief"]["amount"]
    assert (amount["per"], amount["max_periods"], amount["value"]) == ("year", 3, "20000.00")
    assert results["startup-tax-relief"]["decided_by"] == "the tax bureau"
    assert results["training-subsidy"]["decided_by"] is None
    assert results["startup-subsidy"]["amount"] is None  # registered three years ago: outside its window


def test_the_api_links_results_in_the_requested_language(client):
    facts = {"groups": ["registered_unemployed"], "employment_form": "self_employed", "business_registered": False}
    english = post(client, facts, "en")
    assert [link["program"] for link in english["startup-subsidy"]["see_also"]] == [
        "startup-loan",
        "free-business-site",
        "entrepreneurship-training",
    ]
    assert english["startup-subsidy"]["see_also"][0]["reason"].startswith("Before your business is registered")
    chinese = post(client, facts, "zh-hans")
    assert chinese["startup-subsidy"]["see_also"][0]["reason"].startswith("在您的经营主体登记注册之前")
    assert english["startup-loan"]["see_also"] == []


def test_the_programme_list_names_the_new_ones_with_how_they_pay(client):
    response = client.get("/api/v1/programs", {"as_of": AS_OF}, HTTP_ACCEPT_LANGUAGE="en")
    programs = {programme["program"]: programme for programme in response.json()["programs"]}
    assert list(programs)[8:] == RELEASE_2
    assert programs["startup-tax-relief"]["per"] == "year"
    assert programs["startup-tax-relief"]["kind"] == "tax_deduction"
    assert programs["entrepreneurship-training"]["title"] == "Free entrepreneurship training"
    assert "rent.relief_months" in programs["state-premises-rent-relief"]["parameters"]


def test_the_schema_documents_year_and_links(client):
    schema = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    amount = components["Amount"]["properties"]
    assert "year" in json.dumps(amount["per"]) or "year" in json.dumps(components)
    result = components["ProgrammeResult"]["properties"]
    assert {"see_also", "decided_by"} <= set(result)
    for name in ("training_days", "works_in_construction", "rents_state_owned_premises"):
        assert name in components["Facts"]["properties"]
