"""The supervision dashboard's "Budgets" and "Funnel" sections: a chart and a table of the same
numbers each, at a number of queries that does not grow with the rows."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from applications.budgets.selectors import funnel_by_programme
from applications.models import Payment, Status
from tests.budgets.helpers import budget, case_with_payments, invitation, match, registry_person
from tests.factories import SupervisorFactory, programme

pytestmark = pytest.mark.django_db

SI = "flexible-si-subsidy"
STARTUP = "startup-subsidy"


@pytest.fixture
def supervisor(client, english):
    user = SupervisorFactory()
    client.force_login(user)
    return user


def table(page: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def svg(page: str, chart_id: str) -> str:
    return re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title {chart_id}-desc".*?</svg>', page, re.S).group(0)


def make_budget_figures(year: int):
    budget(SI, year, "10000.00", date(year - 1, 12, 1))
    budget(STARTUP, year, "4000.00", date(year - 1, 12, 1))
    case_with_payments(
        SI,
        [
            (date(year, 1, 15), "500.00", Payment.State.EXPORTED),
            (date(year, 2, 15), "500.00", Payment.State.SCHEDULED),
            (date(year + 1, 1, 15), "500.00", Payment.State.SCHEDULED),
        ],
    )
    case_with_payments(STARTUP, [(date(year, 3, 15), "5000.00", Payment.State.SCHEDULED)], region="330100")
    match(registry_person(), SI, amount="300.00", max_periods=24)  # 3,600.00 a year


def test_the_budgets_section_shows_committed_and_paid_against_the_budget_with_the_forecast(client, supervisor):
    year = timezone.localdate().year
    make_budget_figures(year)
    response = client.get("/supervision/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="budgets-section-heading">Budgets<' in page
    rows = {row[0]: row[1:] for row in table(page, "budgets-table")[1:]}
    assert table(page, "budgets-table")[0] == ["Programme", "Budget", "Committed", "Paid", "Forecast"]
    assert rows[programme(SI).title_en] == ["10,000.00 yuan", "1,000.00 yuan", "500.00 yuan", "3,600.00 yuan"]
    # Budgets are the whole portal's: another region's case counts.
    assert rows[programme(STARTUP).title_en] == ["4,000.00 yuan", "5,000.00 yuan", "0.00 yuan", "0.00 yuan"]
    assert rows[programme("training-subsidy").title_en][0] == "no budget set"
    assert programme("startup-loan").title_en not in rows  # a loan is not the portal's money
    drawing = svg(page, "budgets")
    assert "10,000.00 yuan" in drawing and "3,600.00 yuan" in drawing
    remaining = {row[0]: row[1] for row in table(page, "budgets-remaining-table")[1:]}
    assert remaining[programme(SI).title_en] == "9,000.00 yuan"
    assert remaining[programme(STARTUP).title_en] == "-1,000.00 yuan over budget"


def test_the_funnel_counts_matched_invited_opened_applied_and_approved():
    # Three persons eligible for the subsidy, one not; two invited, both opened, one applied and approved.
    people = [registry_person() for _ in range(4)]
    for person in people[:3]:
        match(person, SI)
    match(people[3], SI, status="ineligible", amount=None)
    invitation(people[0], SI, opened=True, application=case_with_payments(SI, [], status=Status.APPROVED))
    invitation(people[1], SI, opened=True)
    # Start-up subsidy: one invited who applied, still in review; one whose application was refused.
    match(people[0], STARTUP)
    match(people[1], STARTUP)
    invitation(people[0], STARTUP, application=case_with_payments(STARTUP, [], status=Status.IN_REVIEW))
    invitation(people[1], STARTUP, opened=True, application=case_with_payments(STARTUP, [], status=Status.REJECTED))
    rows = {row.programme.slug: row for row in funnel_by_programme()}
    counts = {slug: (r.matched, r.invited, r.opened, r.applied, r.approved) for slug, r in rows.items()}
    assert counts[SI] == (3, 2, 2, 1, 1)
    assert counts[STARTUP] == (2, 2, 1, 2, 0)
    assert counts["training-subsidy"] == (0, 0, 0, 0, 0)


def test_the_funnel_section_draws_the_same_numbers_as_its_table(client, supervisor):
    person = registry_person()
    match(person, SI)
    invitation(person, SI, opened=True)
    page = client.get("/supervision/").content.decode()
    assert 'id="funnel-section-heading">Funnel<' in page
    funnel = table(page, "funnel-table")
    assert funnel[0] == ["Programme", "Matched", "Invited", "Opened", "Applied", "Approved"]
    assert {row[0]: row[1:] for row in funnel[1:]}[programme(SI).title_en] == ["1", "1", "1", "0", "0"]
    assert svg(page, "funnel")


def test_the_sections_cost_the_same_queries_whatever_the_volume(client, supervisor, django_assert_num_queries):
    year = timezone.localdate().year
    make_budget_figures(year)
    person = registry_person()
    match(person, SI)
    invitation(person, SI, opened=True)
    client.get("/supervision/")  # warm up (sessions, caches)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get("/supervision/").status_code == 200
    for n in range(30):
        someone = registry_person()
        match(someone, SI, amount="100.00", max_periods=12)
        match(someone, STARTUP, amount="5000.00")
        invitation(someone, SI, opened=n % 2 == 0, application=case_with_payments(SI, [], status=Status.APPROVED))
        case_with_payments(STARTUP, [(date(year, 5, 15), "10.00", Payment.State.SCHEDULED)])
        budget(SI, year + 1 + n, "1.00", timezone.localdate() - timedelta(days=1))
    with CaptureQueriesContext(connection) as large:
        assert client.get("/supervision/").status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    ours = [q["sql"] for q in large.captured_queries if "budgets_budget" in q["sql"] or "matching_" in q["sql"]]
    ours += [
        q["sql"] for q in large.captured_queries if "outreach_invitation" in q["sql"] and "matching_" not in q["sql"]
    ]
    assert len(ours) == 3  # budgets in force, match results (matched and forecast), invitations


def test_both_sections_and_the_budgets_page_read_in_chinese(client):
    from tests.factories import PolicyAdminFactory

    make_budget_figures(timezone.localdate().year)
    client.cookies["linghuo_language"] = "zh-hans"
    client.force_login(SupervisorFactory())
    page = client.get("/supervision/").content.decode()
    assert ">预算<" in page and ">转化漏斗<" in page and "未设预算" in page
    client.force_login(PolicyAdminFactory())
    page = client.get("/budgets/").content.decode()
    assert "项目预算" in page and "贷款，由银行在政府担保下发放" in page
