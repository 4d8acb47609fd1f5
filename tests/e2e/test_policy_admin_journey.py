"""A policy administrator raises the social insurance subsidy rate from
tomorrow through the admin's "add a value" page; a screening for today still
pays 500.00 a month and one for tomorrow pays the new amount."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eligibility.models import Parameter
from tests.e2e.browsing import Wording, field, staff_authenticator, type_second_factor
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
    page.get_by_role("link", name=_("Add a value from a date")).click()
    page_checked(page, "admin-add-value", excused=ADMIN_EXCUSED)
    field(page, _("Valid from") + ":").fill(tomorrow.isoformat())
    field(page, _("Value") + ":").fill("0.60")
    field(page, _("Note") + ":").fill("2027 年预算调整")
    # Before saving, the effect on pending applications and the registry is shown.
    page.get_by_role("button", name=_("Preview the effect")).click()
    page.get_by_role("button", name=_("Add the value")).click()
    # The admin capitalises a message's first letter: "Si.subsidy_rate: …" (reported).
    expect(page.locator(".messagelist")).to_contain_text("si.subsidy_rate", ignore_case=True)
    expect(page.locator(".messagelist")).to_contain_text(f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日")
    page_checked(page, excused=ADMIN_EXCUSED)
    assert rate.values.filter(valid_from=tomorrow, value="0.60").exists()

    assert subsidy_amount(page, today) == "500.00"
    assert subsidy_amount(page, tomorrow) == "600.00"
