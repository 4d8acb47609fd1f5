"""The screener's results page in a real browser, on a phone in Chinese (issue 9, 3a–3b).

A self-employed person whose business has no licence yet sees first what they
can apply for now (the guaranteed loan, a free business site), with the total
of the cash they may receive; the start-up subsidy is folded away with the
reason: it can be claimed once the business is registered. A person past
working age sees one message saying why, not fifteen refusals, and can put a
mistyped date of birth right from it. Every page is checked with axe-core and
for sideways scrolling at 375 px.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eligibility.services import screening_run
from tests.e2e.browsing import Wording, expect_path, main_button
from tests.e2e.conftest import PHONE
from tests.e2e.inspection import page_checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

_ = Wording("zh-hans")
NOT_YET_REGISTERED = "Not yet registered"  # the answer of the business-licence step


# The person of the first journey, as the engine reads the answers.
PERSON = {
    "region": "330802",
    "birth_date": "1986-04-12",
    "groups": ["employment_difficulty"],
    "employment_form": "self_employed",
    "business_registered": False,
    "pays_flexible_pension": True,
    "pays_flexible_medical": False,
    "hardship_declared": False,
    "public_service_post_months": 0,
    "training_certificate": False,
}


def registration_reason(facts: dict) -> dict[str, str]:
    """The engine's reason, in each language, why the start-up subsidy is not for this person yet."""
    subsidy = next(result for result in screening_run(facts=facts) if result.programme_slug == "startup-subsidy")
    criterion = next(c for c in subsidy.criteria if c.id == "runs-registered-business")
    assert criterion.passed is False
    return {language: criterion.explanation(language) for language in ("en", "zh-hans")}


def programme_card(page, slug: str):
    return page.locator("section.screening-result").filter(has=page.locator(f"#programme-{slug}"))


def start_screening(page) -> None:
    page.goto("/screening/")
    page_checked(page)
    page.get_by_role("link", name=_("Start now")).click()
    expect_path(page, r"/screening/about-you/")


def about_you(page, birth_date: str) -> None:
    page_checked(page, "screener-about-you")
    page.get_by_label(_("Kecheng District, Quzhou")).check()
    page.get_by_label(_("What is your date of birth?")).fill(birth_date)
    main_button(page, _("Continue")).click()


def yes_no(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=re.compile(re.escape(_(question)))).get_by_label(_(answer), exact=True).check()


def test_a_self_employed_person_without_a_licence_sees_the_loan_and_site_first(new_page):
    page = new_page(viewport=PHONE, locale="zh-CN")
    start_screening(page)
    about_you(page, "1986-04-12")

    expect_path(page, r"/screening/groups/")
    page_checked(page)
    page.get_by_label(_("I am certified as a person with difficulties finding work")).check()
    main_button(page, _("Continue")).click()

    expect_path(page, r"/screening/employment/")
    page_checked(page)
    page.get_by_label(_("I work for myself or run my own business")).check()
    main_button(page, _("Continue")).click()

    # No business licence yet ("还没有办理营业执照"); no loan amount given, to see the most that can be lent.
    expect_path(page, r"/screening/business-licence/")
    page_checked(page, "screener-business-licence")
    page.locator("main form").get_by_label(_(NOT_YET_REGISTERED), exact=True).check()
    main_button(page, _("Continue")).click()

    expect_path(page, r"/screening/business/")
    page_checked(page)
    expect(page.get_by_label(_("When was your business registered?"))).to_have_count(0)
    yes_no(page, "Does your business rent premises owned by the state?", "No")
    main_button(page, _("Continue")).click()

    expect_path(page, r"/screening/insurance/")
    page_checked(page)
    yes_no(page, "Do you pay basic pension insurance yourself, as a flexibly employed person?", "Yes")
    yes_no(page, "Do you pay basic medical insurance yourself, as a flexibly employed person?", "No")
    main_button(page, _("Continue")).click()

    expect_path(page, r"/screening/other-support/")
    page_checked(page)
    yes_no(page, "Do you have real difficulty paying your pension insurance premiums?", "No")
    page.get_by_label(_("How many months have you worked in a short-term public-service post?")).fill("0")
    yes_no(page, "Have you completed a subsidised vocational training course and received a certificate?", "No")
    page.get_by_label(_("How many days did you attend the subsidised training course?")).fill("0")
    main_button(page, _("Continue")).click()

    expect_path(page, r"/screening/results/")
    page_checked(page, "screener-results-not-registered")
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_have_text(_("What you may get"))

    # First: what can be applied for now, with the total and the loan apart.
    applicable = main.locator("section.screening-applicable")
    expect(applicable.get_by_role("heading", level=2)).to_have_text(_("What you can apply for"))
    expect(applicable.locator("[data-total]")).to_have_text(
        _("Up to %(total)s yuan in all") % {"total": "12,000.00"}  # 500.00 a month for 24 months
    )
    expect(applicable.locator("[data-loan]")).to_have_text(
        _("You can apply for a loan of up to %(loan)s yuan") % {"loan": "800,000.00"}
    )
    expect(applicable.locator("[data-services]")).to_contain_text(
        programme_card(page, "free-business-site").locator("h3").inner_text()
    )
    for slug in ("startup-loan", "free-business-site", "flexible-si-subsidy"):
        card = applicable.locator("section.screening-result").filter(has=page.locator(f"#programme-{slug}"))
        expect(card.locator(".status-badge")).to_have_attribute("data-status", "eligible")
        expect(card.get_by_role("link", name=re.compile(re.escape(_("Apply"))))).to_be_visible()
    expect(programme_card(page, "startup-loan").locator(".screening-amount")).to_contain_text("800,000.00")

    # The start-up subsidy is folded away with the others, and says why: no licence yet.
    others = main.locator("section.screening-others")
    subsidy = others.locator("section.screening-result").filter(has=page.locator("#programme-startup-subsidy"))
    expect(subsidy).to_be_hidden()
    fold = others.locator(".screening-others-fold > summary")
    expect(fold).to_have_text(re.compile(r"其他项目（\d+）"))
    fold.click()
    expect(subsidy).to_be_visible()
    expect(subsidy.locator(".status-badge")).to_have_attribute("data-status", "ineligible")
    reason = registration_reason(PERSON)
    assert "Once it is registered" in reason["en"]
    expect(subsidy.locator(".reasons-against")).to_contain_text(reason["zh-hans"])
    expect(subsidy.locator(".reasons-against")).to_contain_text(_("Source:"))
    page_checked(page, "screener-results-not-registered-unfolded")

    # The order a person reads: applicable, then (here nothing waits for an answer) the rest.
    assert main.locator("section.screening-needs-answer").count() == 0
    headings = main.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index(_("What you can apply for")) < next(
        index for index, text in enumerate(headings) if text.startswith("其他项目")
    )


def test_a_person_past_working_age_sees_one_message_and_can_correct_the_date(new_page):
    page = new_page(viewport=PHONE, locale="zh-CN")
    today = timezone.localdate()
    seventy = today.replace(year=today.year - 70, day=min(today.day, 28)).isoformat()

    start_screening(page)
    about_you(page, seventy)

    # Nothing more is asked: straight to the results, with one message.
    expect_path(page, r"/screening/results/")
    page_checked(page, "screener-results-outside-age")
    main = page.locator("main")
    message = main.locator("[data-bar]")
    expect(message).to_have_count(1)
    expect(message).to_have_attribute("data-bar", "working-age")
    expect(message.get_by_role("heading", level=2)).to_have_text(_("These programmes are for people of working age"))
    expect(message).to_contain_text("70")
    expect(message).to_contain_text("12333")
    expect(main.locator(".status-badge:visible")).to_have_count(0)  # the fifteen programmes are folded
    expect(main.get_by_role("heading", name=_("What you can apply for"))).to_have_count(0)
    expect(main.locator(".screening-others-fold > summary")).to_have_text(
        _("Other programmes (%(count)s)") % {"count": 15}
    )

    # A mistyped date of birth is put right from the message, and the screening goes on.
    message.get_by_role("link", name=_("Change your date of birth")).click()
    expect(page).to_have_url(re.compile(r"/screening/about-you/\?change=1$"))
    page_checked(page)
    page.get_by_label(_("What is your date of birth?")).fill("1986-04-12")
    main_button(page, _("Continue")).click()
    expect(page).to_have_url(re.compile(r"/screening/groups/\?change=1$"))  # the questions that now count
    page_checked(page)
