"""A policy administrator raises the social insurance subsidy rate from tomorrow: from the
admin's parameter page to the policy console, where the change is a proposal (issue 14);
a second policy administrator approves it. A screening for today still pays 500.00 a
month and one for tomorrow pays the new amount."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eligibility.models import Parameter, ParameterProposal
from tests.e2e.browsing import Wording, expect_path, field, log_in, main_button, staff_authenticator, type_second_factor
from tests.e2e.conftest import DESKTOP
from tests.e2e.inspection import page_checked
from tests.factories import GRADUATE_FACTS, PASSWORD, PolicyAdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Nothing is excused: templates/admin/base_site.html underlines the admin's
# breadcrumb links, which Django's stylesheet tells apart by colour alone.
ADMIN_EXCUSED: list[tuple[str, str]] = []


def subsidy_amount(page, as_of) -> str:
    """The flexible-si-subsidy amount of an API screening sent with the page's own request context."""
    response = page.request.post(
        "/api/v1/screenings",
        data={"as_of": as_of.isoformat(), "facts": {**GRADUATE_FACTS, "graduation_date": graduation(as_of)}},
        headers={"Accept-Language": "en"},
    )
    assert response.ok, response.text()
    results = {result["program"]: result for result in response.json()["results"]}
    assert results["flexible-si-subsidy"]["status"] == "eligible", results["flexible-si-subsidy"]
    return results["flexible-si-subsidy"]["amount"]["value"]


def graduation(as_of) -> str:
    return (as_of - timedelta(days=400)).isoformat()


def test_a_new_rate_from_tomorrow_leaves_today_unchanged(new_page):
    admin = PolicyAdminFactory(username="policy-admin@linghuo.test")
    approver = PolicyAdminFactory(username="policy-admin2@linghuo.test")
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    _ = Wording("zh-hans")
    rate = Parameter.objects.get(key="si.subsidy_rate")

    page = new_page(viewport=DESKTOP)
    page.goto("/admin/")
    page_checked(page, excused=ADMIN_EXCUSED)
    page.locator("#id_username").fill(admin.username)
    page.locator("#id_password").fill(PASSWORD)
    device = staff_authenticator(admin.username)
    page.locator("#login-form [type=submit]").click()
    type_second_factor(page, _, device)
    page_checked(page, "admin-index", excused=ADMIN_EXCUSED)

    page.get_by_role("link", name=str(Parameter._meta.verbose_name_plural).capitalize()).first.click()
    page.get_by_role("link", name="si.subsidy_rate", exact=True).click()
    page_checked(page, excused=ADMIN_EXCUSED)
    # The admin no longer adds a value alone: its parameter page leads to the console's proposal.
    expect(page.get_by_role("link", name=_("Add a value from a date"))).to_have_count(0)
    page.get_by_role("link", name=_("Propose a new value in the policy console")).click()
    expect_path(page, f"/policy/parameters/{rate.pk}/propose/")
    page_checked(page, "policy-propose-from-admin")
    field(page, _("New value")).fill("0.60")
    field(page, _("Applies from")).fill(tomorrow.isoformat())
    field(page, _("Reason for the change")).fill("2027 年预算调整")
    main_button(page, _("Send the proposal")).click()
    proposal = ParameterProposal.objects.get()
    expect_path(page, f"/policy/proposals/{proposal.pk}/")
    expect(page.locator(".messages")).to_contain_text(f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日")
    assert not rate.values.filter(valid_from=tomorrow).exists()  # nothing changes before a second person approves

    second = new_page(viewport=DESKTOP)
    log_in(second, _, approver.username)
    second.goto(f"/policy/proposals/{proposal.pk}/")
    page_checked(second)
    second.get_by_label(_("I have read how the reference cases change and approve the change all the same.")).check()
    main_button(second, _("Approve the proposal")).click()
    expect(second.locator("[data-state]")).to_have_attribute("data-state", "approved")
    assert rate.values.filter(valid_from=tomorrow, value="0.60").exists()

    assert subsidy_amount(second, today) == "500.00"
    assert subsidy_amount(second, tomorrow) == "600.00"
