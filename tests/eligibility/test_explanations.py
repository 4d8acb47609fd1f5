"""What the explanations say (issue 10, item 6) and that rendering them is cheap
and unchanged (item 5), in both languages, on the shipped catalogue."""

import json
import os
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation

from eligibility.api.views import CATALOGUE_EXAMPLE
from eligibility.engine import Status, evaluate
from eligibility.facts import Facts, parse_facts
from eligibility.parameter_set import ParameterSet
from eligibility.results import results_to_dict
from eligibility.rules.logic import All, Context, Node, Outcome
from eligibility.rules.programmes import QUZHOU_MEASURES
from tests.eligibility.helpers import GRADUATE, criterion, screen

pytestmark = pytest.mark.django_db

# Screenings of many kinds of person with what they answered: recorded from the
# engine before the rendering was made fast (and after the changes of item 6,
# which were reviewed one by one). LINGHUO_RECORD_EXPLANATIONS=1 records it anew.
RECORDED = Path(__file__).with_name("explanations_recorded.json")

PAST_WINDOW_AND_EMPLOYED = {**GRADUATE, "graduation_date": "2021-06-30", "employed_since_graduation": True}


# --- An AND that fails reports every failed part ------------------------------------------------


def test_a_graduate_past_the_window_who_has_been_employed_is_told_both():
    target = criterion(screen("2024-03-01", **PAST_WINDOW_AND_EMPLOYED)["flexible-si-subsidy"], "target-group")

    assert target.passed is False
    assert target.explanation("en") == (
        "Not met. You are not in the group “certified persons with employment difficulties”. "
        "You graduated on 30 Jun 2021; this is for graduates within 24 months of graduating, "
        "which ended on 30 Jun 2023. "
        "You have held formal employment under a labour contract since graduating."
    )
    assert target.explanation("zh-hans") == (
        "不符合。您不属于“经认定的就业困难人员”。"
        "您于 2021年6月30日 毕业；本政策面向毕业 24 个月以内的高校毕业生，您的期限已于 2023年6月30日 届满。"
        "您毕业后曾签订劳动合同就业。"
    )


def test_a_business_neither_run_nor_claimed_in_time_is_told_both():
    facts = {
        "birth_date": "1990-01-01",
        "groups": ["registered_unemployed"],
        "employment_form": "employee",
        "business_registered_on": "2021-06-30",
    }
    runs = criterion(screen("2024-03-01", **facts)["startup-subsidy"], "runs-registered-business")

    assert runs.explanation("en") == (
        "Not met. Your form of work is employment under a labour contract, not self-employment. "
        "Your business was registered on 30 Jun 2021; this can be claimed within 12 months (local setting) "
        "of registration, which ended on 30 Jun 2022."
    )
    assert "12 个月（本地设置）" in runs.explanation("zh-hans") and "个体经营" in runs.explanation("zh-hans")


class _Fixed(Node):
    def __init__(self, passed, reason):
        self.passed = passed
        self.reason = reason

    def evaluate(self, context):
        return Outcome(self.passed, (self.reason,) if self.passed is not None else (), ("groups",))


_CONTEXT = Context(
    facts=Facts(), as_of=date(2024, 3, 1), parameters=ParameterSet(date(2024, 3, 1), {}), region_served="330800"
)


def test_an_and_stays_three_valued_and_unknown_parts_give_no_reasons():
    outcome = All(_Fixed(False, "a"), _Fixed(None, "b"), _Fixed(True, "c"), _Fixed(False, "d")).evaluate(_CONTEXT)
    assert outcome == Outcome(False, ("a", "d"))
    assert All(_Fixed(True, "a"), _Fixed(None, "b")).evaluate(_CONTEXT).passed is None
    assert All(_Fixed(True, "a"), _Fixed(True, "b")).evaluate(_CONTEXT) == Outcome(True, ("a", "b"))


# --- not_in_force cites the source of the in-force date -------------------------------------------


# pension-suspension and free-business-site rest on 001 alone, which is not what puts them in force.
@pytest.mark.parametrize("slug", ["flexible-si-subsidy", "pension-suspension", "free-business-site"])
def test_not_in_force_cites_the_package_of_measures(slug):
    result = screen("2021-11-30", **GRADUATE)[slug]

    assert result.status == Status.NOT_IN_FORCE
    (in_force,) = result.criteria
    assert in_force.source == QUZHOU_MEASURES == "000_68a1fcf5d1ed1785.txt"
    assert in_force.explanation("en") == (
        "Not met. This programme is in force from 1 Dec 2021; on 30 Nov 2021 it was not yet."
    )
    assert in_force.explanation("zh-hans") == "不符合。本政策自 2021年12月1日 起施行，2021年11月30日 时尚未施行。"
    assert result.to_dict("en")["criteria"][0]["source"] == "000_68a1fcf5d1ed1785.txt"


# --- Each amount says how it is computed ----------------------------------------------------------


def test_the_social_insurance_subsidy_shows_its_calculation():
    result = screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"]

    assert result.amount_explanation("zh-hans") == (
        "50% × 1,000.00 元最低缴费基数（本地设置）= 每月 500.00 元，最长 24 个月（本地设置）。"
    )
    assert result.amount_explanation("en") == (
        "50% × 1,000.00 yuan minimum contribution base (local setting) = 500.00 yuan a month, "
        "for up to 24 months (local setting)."
    )
    assert result.local_settings == [
        "common.retirement_age",
        "common.working_age_min",
        "si.max_months",
        "si.min_monthly_contribution",
    ]


def test_the_public_service_job_subsidy_counts_the_months_worked():
    facts = {"birth_date": "1980-01-01", "groups": ["employment_difficulty"], "public_service_post_months": 3}
    result = screen("2024-03-01", **facts)["public-service-job-subsidy"]

    assert result.amount_explanation("zh-hans") == (
        "1,500.00 元（本地设置）× 3 个月 = 4,500.00 元（您在短期公益性岗位工作的月数，最多 6 个月）。"
    )
    assert result.amount_explanation("en") == (
        "1,500.00 yuan (local setting) × 3 months = 4,500.00 yuan "
        "(the months you have worked in a short-term public-service post, at most 6 months)."
    )
    eight = screen("2024-03-01", **{**facts, "public_service_post_months": 8})["public-service-job-subsidy"]
    assert eight.amount_explanation("en").startswith("1,500.00 yuan (local setting) × 6 months = 9,000.00 yuan")
    one = screen("2024-03-01", **{**facts, "public_service_post_months": 1})["public-service-job-subsidy"]
    assert one.amount_explanation("en").startswith("1,500.00 yuan (local setting) × 1 month = 1,500.00 yuan")


@pytest.mark.parametrize(
    ("requested", "english", "chinese"),
    [
        (
            None,
            "Up to 800,000.00 yuan, the most that can be lent; you have not said how much you want to borrow.",
            "最高可贷 800,000.00 元；您尚未填写希望贷款的金额。",
        ),
        (
            "50000",
            "50,000.00 yuan, as you asked; the most that can be lent is 800,000.00 yuan.",
            "按您申请的金额计算：50,000.00 元；最高可贷 800,000.00 元。",
        ),
        (
            "900000",
            "800,000.00 yuan, the most that can be lent; you asked for 900,000.00 yuan.",
            "按最高可贷额度计算：800,000.00 元；您申请的是 900,000.00 元，超过了上限。",
        ),
    ],
)
def test_the_loan_shows_the_cap_and_the_request(requested, english, chinese):
    facts = {"birth_date": "1980-01-01", "groups": ["migrant_worker"], "plans_business": True}
    if requested:
        facts["requested_loan_amount"] = requested
    result = screen("2024-03-01", **facts)["startup-loan"]

    assert result.status == Status.ELIGIBLE
    assert result.amount_explanation("en") == english
    assert result.amount_explanation("zh-hans") == chinese


def test_one_off_amounts_show_the_parameter_labelled_when_local():
    facts = {
        "birth_date": "1990-01-01",
        "groups": ["registered_unemployed"],
        "employment_form": "self_employed",
        "business_registered_on": "2024-01-02",
        "training_certificate": True,
    }
    results = screen("2024-03-01", **facts)

    assert results["startup-subsidy"].amount_explanation("en") == "10,000.00 yuan, paid once."  # national policy
    assert results["startup-subsidy"].amount_explanation("zh-hans") == "一次性发放 10,000.00 元。"
    assert results["training-subsidy"].amount_explanation("en") == "1,200.00 yuan (local setting), paid once."
    assert results["training-subsidy"].amount_explanation("zh-hans") == "一次性发放 1,200.00 元（本地设置）。"


def test_no_amount_no_explanation():
    results = screen("2024-03-01", **GRADUATE)
    assert results["occupational-injury-cover"].amount_explanation("en") is None
    assert results["startup-subsidy"].amount is None and results["startup-subsidy"].amount_explanation() is None


def test_the_api_answer_gives_the_calculation_and_the_local_settings_per_programme():
    results = evaluate(parse_facts(CATALOGUE_EXAMPLE["facts"]), date(2024, 3, 1))
    english = results_to_dict(date(2024, 3, 1), results, "en")["results"]
    chinese = results_to_dict(date(2024, 3, 1), results, "zh-hans")["results"]

    assert english[0]["amount"]["explanation"].startswith("50% × 1,000.00 yuan minimum contribution base")
    assert chinese[0]["amount"]["explanation"].startswith("50% × 1,000.00 元最低缴费基数（本地设置）")
    assert "si.min_monthly_contribution" in english[0]["local_settings"]
    by_slug = {entry["program"]: entry for entry in english}
    assert by_slug["occupational-injury-cover"]["amount"] is None
    assert by_slug["occupational-injury-cover"]["local_settings"] == ["common.retirement_age", "common.working_age_min"]
    assert "training.subsidy_amount" in by_slug["training-subsidy"]["local_settings"]
    assert "training.subsidy_amount" not in by_slug["startup-loan"]["local_settings"]
    not_in_force = results_to_dict(date(2021, 11, 30), evaluate(Facts(), date(2021, 11, 30)), "en")["results"]
    assert all(entry["local_settings"] == [] and entry["amount"] is None for entry in not_in_force)


# --- Regions by name ---------------------------------------------------------------------------------


def test_regions_are_named_in_both_languages():
    served = criterion(screen("2024-03-01", **GRADUATE, region="330802")["flexible-si-subsidy"], "region-served")
    assert served.explanation("en") == "Met. You live in Kecheng District, Quzhou, which this portal serves."
    assert "衢州市柯城区" in served.explanation("zh-hans") and "330802" not in served.explanation("zh-hans")
    elsewhere = criterion(screen("2024-03-01", **GRADUATE, region="330100")["flexible-si-subsidy"], "region-served")
    assert "Quzhou" in elsewhere.explanation("en") and "330100" in elsewhere.explanation("en")


# --- Rendering: only the language asked, no language switching, same text ------------------------------


def test_an_explanation_is_in_the_language_asked_whatever_language_is_active():
    target = criterion(screen("2024-03-01", **GRADUATE)["flexible-si-subsidy"], "target-group")
    with translation.override("zh-hans"):
        english = target.explanation("en")
        chinese = target.explanation()
    with translation.override("en"):
        assert target.explanation("zh-hans") == chinese
        assert target.explanation() == english == target.explanation_en
    assert english.startswith("Met.") and chinese.startswith("符合。")


def test_rendering_switches_no_language_once_warm(monkeypatch):
    facts = parse_facts(CATALOGUE_EXAMPLE["facts"])
    results_to_dict(date(2024, 3, 1), evaluate(facts, date(2024, 3, 1)), "en")  # warm: regions and values kept
    switches = []
    real_activate = translation._trans.activate
    monkeypatch.setattr(
        translation._trans, "activate", lambda language: switches.append(language) or real_activate(language)
    )

    results = evaluate(facts, date(2024, 3, 1))
    answer = results_to_dict(date(2024, 3, 1), results, "en")

    assert switches == []
    assert answer["results"][0]["criteria"][0]["explanation"].startswith("Met.")
    # Nothing is rendered in the language not asked for.
    assert all(set(criterion._rendered) == {"en"} for result in results for criterion in result.criteria)


def _recorded_screening(as_of: str, facts: dict) -> list[list[object]]:
    results = evaluate(parse_facts(facts), date.fromisoformat(as_of))
    return [
        [
            result.programme_slug,
            str(result.status),
            json.dumps(result.amount.to_dict()) if result.amount else None,
            result.amount_explanation("zh-hans"),
            result.amount_explanation("en"),
            result.local_settings,
            [
                [item.id, item.passed, item.explanation("zh-hans"), item.explanation("en"), item.source]
                for item in result.criteria
            ],
        ]
        for result in results
    ]


def test_explanations_are_those_recorded():
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    if os.environ.get("LINGHUO_RECORD_EXPLANATIONS") == "1":
        _record(recorded)
        pytest.skip("recorded anew")
    texts = recorded["texts"]  # every text once; the screenings refer to them by position

    def expand(value):
        if isinstance(value, list):
            return [expand(item) for item in value]
        return texts[value] if type(value) is int else value

    assert len(recorded["screenings"]) >= 40
    for screening in recorded["screenings"]:
        found = _recorded_screening(screening["as_of"], screening["facts"])
        assert found == expand(screening["results"]), screening["facts"]


def _record(recorded: dict) -> None:
    texts: list[str] = []
    positions: dict[str, int] = {}

    def pack(value):
        if isinstance(value, list):
            return [pack(item) for item in value]
        if isinstance(value, str):
            if value not in positions:
                positions[value] = len(texts)
                texts.append(value)
            return positions[value]
        return value

    screenings = [
        {
            "as_of": screening["as_of"],
            "facts": screening["facts"],
            "results": pack(_recorded_screening(screening["as_of"], screening["facts"])),
        }
        for screening in recorded["screenings"]
    ]
    RECORDED.write_text(
        json.dumps({"texts": texts, "screenings": screenings}, ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
