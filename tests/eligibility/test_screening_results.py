"""The screener's results page (issue 9, 3a): what can be applied for first, with
the money added up; what one more answer decides; the rest folded away; one
message, not fifteen, when a condition every programme shares rules them all out."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.utils import timezone, translation

from eligibility.results import Amount
from eligibility.rules.programmes import EVERY_PROGRAMME
from eligibility.screener import presentation
from eligibility.screener.presentation import amount_in_all, results_page
from eligibility.screener.storage import COOKIE_NAME, SALT
from eligibility.services import screening_run

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
QUZHOU = "330800"

# Certified with employment difficulty, part-time, paying pension insurance herself,
# eight months in a public-service post, a training certificate after ten days of training,
# planning a business.
WORKER_PLANNING_A_BUSINESS = {
    "region": QUZHOU,
    "birth_date": "1985-03-10",
    "groups": ["employment_difficulty"],
    "employment_form": "part_time",
    "plans_business": True,
    "requested_loan_amount": None,
    "pays_flexible_pension": True,
    "pays_flexible_medical": False,
    "hardship_declared": False,
    "public_service_post_months": 8,
    "training_certificate": True,
    "training_days": 10,
}
# 500.00 a month for 24 months (social insurance) + 1,500.00 for 6 of the 8 months
# (public-service post) + 1,200.00 once (training) + 50.00 for each of the 10 days of
# training (living allowance). The 800,000.00 loan is not income.
HER_TOTAL = Decimal("12000.00") + Decimal("9000.00") + Decimal("1200.00") + Decimal("500.00")


def years_ago(years: int) -> str:
    day = TODAY - timedelta(days=1) if (TODAY.month, TODAY.day) == (2, 29) else TODAY
    return day.replace(year=day.year - years).isoformat()


def screened(answers: dict) -> presentation.ResultsPage:
    facts = {fact: value for fact, value in answers.items() if value is not None}
    return results_page(screening_run(facts=facts, as_of=TODAY))


def slugs(views) -> list[str]:
    return [view.slug for view in views]


def results_html(client, answers: dict) -> str:
    client.cookies[COOKIE_NAME] = signing.dumps(answers, salt=SALT, compress=True)
    response = client.get("/screening/results/")
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- What a programme comes to ----------------------------------------------------------------


def test_a_monthly_amount_comes_to_its_most_months():
    assert amount_in_all(Amount(Decimal("500.00"), per="month", max_periods=24)) == Decimal("12000.00")


def test_a_one_off_amount_is_itself_and_a_loan_is_not_income():
    assert amount_in_all(Amount(Decimal("1200.00"))) == Decimal("1200.00")
    assert amount_in_all(Amount(Decimal("800000.00"), per="loan")) == Decimal("0.00")


# --- Grouping and the total ---------------------------------------------------------------------


def test_what_she_can_apply_for_comes_first_cash_then_loan_then_services():
    page = screened(WORKER_PLANNING_A_BUSINESS)

    assert slugs(page.applicable) == [
        "flexible-si-subsidy",
        "public-service-job-subsidy",
        "training-subsidy",
        "training-living-allowance",
        "startup-loan",
        "free-business-site",
        "flexible-insurance-enrolment",
        "entrepreneurship-training",
    ]
    assert [view.kind for view in page.applicable] == [
        "cash",
        "cash",
        "cash",
        "cash",
        "loan",
        "service",
        "service",
        "service",
    ]
    assert slugs(page.services) == ["free-business-site", "flexible-insurance-enrolment", "entrepreneurship-training"]
    assert page.needs_answer == []
    assert set(slugs(page.others)) == {
        "startup-subsidy",
        "occupational-injury-cover",
        "pension-suspension",
        "subsistence-assistance-referral",
        "construction-injury-insurance",
        "state-premises-rent-relief",
        "startup-tax-relief",
    }
    assert page.bar is None


def test_her_total_is_the_cash_paid_in_full_and_the_loan_apart():
    page = screened(WORKER_PLANNING_A_BUSINESS)

    assert page.cash_total == HER_TOTAL == Decimal("22700.00")
    assert isinstance(page.cash_total, Decimal)
    assert page.loan_max == Decimal("800000.00")


def test_a_smaller_loan_request_is_the_loan_shown():
    page = screened({**WORKER_PLANNING_A_BUSINESS, "requested_loan_amount": "150000"})

    assert page.loan_max == Decimal("150000.00")
    assert page.cash_total == HER_TOTAL  # the loan never counts as income


def test_without_cash_there_is_no_total_but_the_loan_and_services():
    page = screened(
        {
            "region": QUZHOU,
            "birth_date": "1990-01-01",
            "groups": ["laid_off"],
            "employment_form": "employee",
            "plans_business": True,
        }
    )

    assert page.cash_total is None
    assert page.loan_max == Decimal("800000.00")
    assert slugs(page.services) == ["free-business-site"]


def test_unanswered_programmes_say_which_answer_decides_them():
    page = screened({"region": QUZHOU, "birth_date": "1990-01-01"})

    assert page.applicable == []
    assert page.needs_answer
    assert all(view.status == "needs_info" and view.missing for view in page.needs_answer)
    groups = next(fact for fact in page.needs_answer[0].missing if "/groups/" in fact.url)
    assert groups.url == "/screening/groups/?change=1"


def test_programmes_ruled_out_keep_their_reasons_and_sources():
    with translation.override("en"):
        page = screened(WORKER_PLANNING_A_BUSINESS)

    suspension = next(view for view in page.others if view.slug == "pension-suspension")
    assert suspension.reasons_against
    assert all(reason.passed is False and reason.source for reason in suspension.reasons_against)
    assert "General Office of the State Council" in suspension.reasons_against[0].source


# --- One message, not fifteen ------------------------------------------------------------------------


def test_every_shared_condition_has_its_message():
    assert set(presentation._COMMON_BARS) == {criterion.id for criterion in EVERY_PROGRAMME}


def test_outside_the_region_one_message_says_why():
    with translation.override("en"):
        page = screened({"region": "110000", "birth_date": "1990-01-01"})

    assert page.bar is not None
    assert page.bar.criterion_id == "region-served"
    assert "110000" in page.bar.reason
    assert "12333" in page.bar.advice
    assert page.bar.change_url == "/screening/about-you/?change=1"
    assert page.applicable == [] and page.needs_answer == []
    assert len(page.others) == 15


def test_outside_working_age_one_message_says_why():
    with translation.override("en"):
        page = screened({"region": QUZHOU, "birth_date": years_ago(70)})

    assert page.bar.criterion_id == "working-age"
    assert "70" in page.bar.reason and "60" in page.bar.reason
    assert page.bar.change_url == "/screening/about-you/?change=1"


def test_outside_both_the_region_speaks_first():
    assert screened({"region": "110000", "birth_date": years_ago(70)}).bar.criterion_id == "region-served"


def test_no_message_when_programmes_fail_for_reasons_of_their_own():
    page = screened({**WORKER_PLANNING_A_BUSINESS, "groups": [], "employment_form": "employee"})

    assert page.applicable == []
    assert page.bar is None


# --- The page ----------------------------------------------------------------------------------------


def test_the_page_in_chinese_shows_the_total_first_and_folds_the_rest(client):
    html = results_html(client, WORKER_PLANNING_A_BUSINESS)
    text = text_of(html)

    assert "最多可领取 22,700.00 元" in text
    assert "可申请贷款最高 800,000.00 元" in text
    assert text.index("您可以申请的项目") < text.index("其他项目（7）")
    assert "还需补充回答的项目" not in text  # nothing is waiting for an answer
    folded = html[html.index('class="screening-others-fold"') :]
    assert folded.startswith('class="screening-others-fold">')  # closed: no "open"
    assert folded.count('data-status="ineligible"') == 7
    assert html.count('data-status="eligible"') == 8
    assert html.index('data-status="eligible"') < html.index("screening-others-fold")


def test_the_page_in_english_names_the_total_and_services(english):
    text = text_of(results_html(english, WORKER_PLANNING_A_BUSINESS))

    assert "Up to 22,700.00 yuan in all" in text
    assert "You can apply for a loan of up to 800,000.00 yuan" in text
    assert "A loan is repaid, so it is not counted in the total." in text
    assert "Services you can use (no cash is paid):" in text
    assert "Other programmes (7)" in text


def test_unanswered_programmes_come_between_and_link_back(english):
    html = results_html(english, {"region": QUZHOU, "birth_date": "1990-01-01"})

    assert "These need more answers" in html
    assert 'href="/screening/groups/?change=1">Which target groups you belong to' in html
    assert "From your answers so far, there is nothing you can apply for yet." in html
    assert html.index("What you can apply for") < html.index("These need more answers")


def test_outside_the_region_the_page_says_it_once_in_chinese(client):
    html = results_html(client, {"region": "110000", "birth_date": "1990-01-01"})
    text = text_of(html)

    assert html.count("data-bar=") == 1
    assert 'data-bar="region-served"' in html
    assert "这些项目只面向在衢州居住的人员" in text
    assert "12333" in html[: html.index("screening-others-fold")]
    assert 'href="/screening/about-you/?change=1"' in html
    assert "您可以申请的项目" not in text
    assert "其他项目（15）" in text
    assert html.index("data-bar=") < html.index('data-status="ineligible"')  # the list is below, folded


def test_outside_working_age_the_page_says_it_once(english):
    html = results_html(english, {"region": QUZHOU, "birth_date": years_ago(70)})

    assert html.count("data-bar=") == 1
    assert 'data-bar="working-age"' in html
    assert "These programmes are for people of working age" in html
    assert "Change your date of birth" in html
    assert "Other programmes (15)" in html
    assert "What you can apply for" not in html


def test_the_page_stays_printable_and_narrow(client):
    html = results_html(client, WORKER_PLANNING_A_BUSINESS)

    assert re.search(r"<button[^>]*data-print", html)  # static/js/portal.js prints (no inline script: CSP)
    assert "<table" not in html
    assert re.search(r"<h1[^>]*>", html) and html.count("<h2") >= 3


def test_choosing_outside_quzhou_on_the_first_step_gives_the_one_message(english):
    from eligibility.regions import OUTSIDE_SERVED_REGION

    response = english.post("/screening/about-you/", {"region": OUTSIDE_SERVED_REGION, "birth_date": "1990-01-01"})
    assert response["Location"] == "/screening/results/"

    html = english.get("/screening/results/").content.decode()
    assert html.count("data-bar=") == 1
    assert "These programmes are for people who live in Quzhou" in html
    assert "Change where you live" in html
    assert html.count('data-status="ineligible"') == 15
