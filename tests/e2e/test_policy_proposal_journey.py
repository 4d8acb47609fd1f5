"""Issue 14: a policy administrator proposes a new value in the policy console, in Chinese on a
phone; the cross-check first refuses a value that contradicts itself (the issue's own minimum
working age of 70). A second administrator opens the proposal, reads how the reference cases
change and what the registry would see, acknowledges it and approves. A screening on the start
date pays the new amount; one for today still pays the old."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eligibility.models import Parameter, ParameterProposal
from tests.e2e.browsing import Wording, expect_path, field, log_in, main_button
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.e2e.test_policy_admin_journey import subsidy_amount
from tests.factories import PolicyAdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_proposal_is_approved_by_a_second_admin_after_its_reference_case_diff(new_page):
    _ = Wording("zh-hans")
    proposer = PolicyAdminFactory(username="policy-admin@linghuo.test", full_name="陈建国")
    approver = PolicyAdminFactory(username="policy-admin2@linghuo.test", full_name="刘洋")
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    rate = Parameter.objects.get(key="si.subsidy_rate")
    working_age = Parameter.objects.get(key="common.working_age_min")

    # The proposer, on a phone, in Chinese: the console is where a policy administrator lands.
    phone = new_page(viewport=PHONE)
    log_in(phone, _, proposer.username)
    expect_path(phone, "/policy/")
    page_checked(phone, "policy-console")
    main = phone.locator("main")
    expect(main.locator('[data-parameter="si.min_monthly_contribution"]')).to_contain_text("1,000.00 元")
    expect(main).not_to_contain_text("si.min_monthly_contribution")

    # First the issue's own example: a minimum working age of 70 from tomorrow.
    main.get_by_role("link", name=working_age.description_zh).first.click()
    page_checked(phone, "policy-parameter")
    main.get_by_role("link", name=_("Propose a new value")).click()
    field(phone, _("New value")).fill("70")
    field(phone, _("Applies from")).fill(tomorrow.isoformat())
    field(phone, _("Reason for the change")).fill("延迟退休试点")
    main_button(phone, _("Send the proposal")).click()
    summary = phone.locator("[data-error-summary]")
    expect(summary).to_contain_text("必须低于")
    expect(summary).to_contain_text("退休年龄")
    page_checked(phone, "policy-proposal-refused")
    assert not ParameterProposal.objects.exists()

    # Then the social insurance subsidy rate: 0.60 from tomorrow, with its policy reference and reason.
    phone.goto("/policy/")
    phone.locator("main").get_by_role("link", name=rate.description_zh).first.click()
    phone.locator("main").get_by_role("link", name=_("Propose a new value")).click()
    field(phone, _("New value")).fill("0.60")
    field(phone, _("Applies from")).fill(tomorrow.isoformat())
    expect(phone.get_by_label(_("Policy document"))).to_have_value("000_68a1fcf5d1ed1785.txt")
    field(phone, _("Clause")).fill("第七条")
    field(phone, _("Reason for the change")).fill("2027 年预算调整：补贴比例提高到 60%")
    page_checked(phone, "policy-propose")
    main_button(phone, _("Send the proposal")).click()
    proposal = ParameterProposal.objects.get()
    expect_path(phone, f"/policy/proposals/{proposal.pk}/")
    expect(phone.locator("[data-reference]")).to_contain_text("衢州市促进灵活就业新政")
    expect(phone.locator("main")).to_contain_text(
        _("You proposed this change: another policy administrator approves it.")
    )
    expect(phone.locator("main").get_by_role("button", name=_("Approve the proposal"))).to_have_count(0)
    page_checked(phone, "policy-proposal-sent")
    assert not rate.values.filter(valid_from=tomorrow).exists()

    # The approver, at a desk: the proposal waits on the landing page.
    desk = new_page(viewport=DESKTOP)
    log_in(desk, _, approver.username)
    page_checked(desk, "policy-console")
    awaiting = desk.locator("main").locator("[data-proposals]").first
    awaiting.get_by_role("link", name=rate.description_zh).click()
    expect_path(desk, f"/policy/proposals/{proposal.pk}/")
    changes = desk.locator("#reference-changes")
    expect(changes).to_contain_text("高校毕业生：毕业满24个月的当天")
    expect(changes).to_contain_text("500.00 元")
    expect(changes).to_contain_text("600.00 元")
    expect(desk.locator("[data-reference-changes]")).to_have_attribute("data-reference-changes", "4")
    expect(desk.locator("#whatif-summary")).to_be_visible()
    expect(desk.locator("[data-cross-check]")).to_have_attribute("data-cross-check", "passed")
    page_checked(desk, "policy-proposal-review")

    # Approving without reading the changes is refused; acknowledged, it is approved.
    main_button(desk, _("Approve the proposal")).click()
    expect(desk.locator(".messages")).to_contain_text("请确认您已阅读")
    assert not rate.values.filter(valid_from=tomorrow).exists()
    desk.get_by_label(_("I have read how the reference cases change and approve the change all the same.")).check()
    main_button(desk, _("Approve the proposal")).click()
    expect(desk.locator("[data-state]")).to_have_attribute("data-state", "approved")
    expect(desk.locator(".messages")).to_contain_text("已批准")
    page_checked(desk, "policy-proposal-approved")
    proposal.refresh_from_db()
    assert proposal.decided_by == approver and proposal.reference_changes_acknowledged

    # The screening on the start date shows the new value; today keeps the old one.
    assert subsidy_amount(desk, tomorrow) == "600.00"
    assert subsidy_amount(desk, today) == "500.00"
    desk.goto(f"/policy/parameters/{rate.pk}/")
    expect(desk.locator("[data-history]")).to_contain_text("60%")
    page_checked(desk, "policy-parameter-history")

    # The programme's rules, read from the trees the engine runs, with the values in force; the reference cases.
    desk.goto("/policy/programmes/flexible-si-subsidy/")
    expect(desk.locator("[data-rules]")).to_contain_text("16 周岁")
    expect(desk.locator("[data-amount-rule]")).to_contain_text("50% × 1,000.00 元")
    page_checked(desk, "policy-programme")
    desk.locator("main").get_by_role("link", name=_("Reference cases")).click()
    expect(desk.locator("#reference-cases")).to_contain_text("当天年满16周岁")
    page_checked(desk, "policy-reference-cases")

    # The acknowledged change is what the graduate's case expects from the start date; today it still expects 500.
    desk.locator("#reference-cases").get_by_role("link", name="高校毕业生：毕业满24个月的当天").click()
    expectations = desk.locator("#reference-expectations")
    expect(expectations).to_contain_text(_("Expected results from a date"))
    expect(expectations).to_contain_text("600.00 元")
    expect(
        expectations.get_by_role("link", name=_("approved proposal %(number)s") % {"number": proposal.pk})
    ).to_be_visible()
    expect(desk.get_by_label(_("Expected amount (yuan)")).first).to_have_value("500.00")
    page_checked(desk, "policy-reference-case")
