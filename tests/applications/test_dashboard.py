"""The supervisor's dashboard: backlog by age, decisions per week, approval rate and committed amounts."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from applications.models import Status
from applications.selectors_supervision import backlog_by_age, decisions_by_week, figures_by_programme
from tests.applications.test_payments import decided_application, shanghai
from tests.factories import CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 18)  # a Wednesday, ISO week 25 of 2025


def open_case(submitted_on: date | None, *, status: str = Status.SUBMITTED, region: str = "330800", **fields):
    return decided_application(status=status, region=region, submitted_on=submitted_on, amount=None, **fields)


# --- Backlog by age -------------------------------------------------------------------


def test_backlog_counts_open_cases_by_days_since_submission():
    for days in (0, 5, 6, 10, 11, 15, 16, 30, 31, 100):
        open_case(TODAY - timedelta(days=days))
    for status in (Status.IN_REVIEW, Status.INFO_REQUESTED, Status.PENDING_APPROVAL):
        open_case(TODAY - timedelta(days=1), status=status)
    # Not waiting for a decision, or not in the region: not counted.
    for status in (Status.DRAFT, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
        open_case(TODAY - timedelta(days=1), status=status)
    open_case(TODAY - timedelta(days=1), region="330100")
    buckets = backlog_by_age(region="330800", today=TODAY)
    assert [(b.min_days, b.max_days, b.count) for b in buckets] == [
        (0, 5, 5),
        (6, 10, 2),
        (11, 15, 2),
        (16, 30, 2),
        (31, None, 2),
    ]


def test_backlog_reads_the_submission_time_in_shanghai_when_the_date_is_missing():
    # 16:30 UTC on 12 June is 00:30 on 13 June in Shanghai: 5 days before TODAY, not 6.
    open_case(None, submitted_at=datetime(2025, 6, 12, 16, 30, tzinfo=ZoneInfo("UTC")))
    assert [b.count for b in backlog_by_age(region="330800", today=TODAY)] == [1, 0, 0, 0, 0]


# --- Decisions per week ---------------------------------------------------------------


def test_decisions_are_counted_per_iso_week_for_the_last_eight_weeks():
    decided_application(decided_at=shanghai(2025, 6, 16, 0, 30))  # Monday of this week, just after midnight
    decided_application(decided_at=shanghai(2025, 6, 18, 9, 0))
    decided_application(status=Status.REJECTED, decided_at=shanghai(2025, 6, 15, 23, 30))  # Sunday: last week
    decided_application(decided_at=shanghai(2025, 4, 28, 9, 0))  # Monday of the oldest week shown
    decided_application(decided_at=shanghai(2025, 4, 27, 23, 59))  # before it: not shown
    decided_application(decided_at=shanghai(2025, 6, 17, 9, 0), region="330100")  # another region
    weeks = decisions_by_week(region="330800", today=TODAY)
    assert [w.week_start for w in weeks] == [date(2025, 4, 28) + timedelta(weeks=n) for n in range(8)]
    assert [(w.iso_week, w.approved, w.rejected) for w in weeks] == [
        (18, 1, 0),
        (19, 0, 0),
        (20, 0, 0),
        (21, 0, 0),
        (22, 0, 0),
        (23, 0, 0),
        (24, 0, 1),
        (25, 2, 0),
    ]


# --- Approval rate and committed amounts ----------------------------------------------


def programme_fixture():
    # flexible-si-subsidy: 2 approved (24 and 12 months of 500.00), 1 rejected
    decided_application("flexible-si-subsidy", value="500.00", max_periods=24)
    decided_application("flexible-si-subsidy", value="500.00", max_periods=12)
    decided_application("flexible-si-subsidy", status=Status.REJECTED)
    # startup-subsidy: 1 approved (10,000.00 once)
    decided_application("startup-subsidy", value="10000.00")
    # public-service-job-subsidy: 1 approved (4 months of 1,500.00), 1 rejected
    decided_application("public-service-job-subsidy", value="1500.00", max_periods=4)
    decided_application("public-service-job-subsidy", status=Status.REJECTED)
    # startup-loan: 1 approved loan of 200,000.00 (the bank's money, not committed)
    decided_application("startup-loan", value="200000.00")
    # Not decided, or elsewhere: not counted.
    decided_application("training-subsidy", value="1200.00", status=Status.IN_REVIEW)
    decided_application("training-subsidy", value="1200.00", status=Status.WITHDRAWN)
    decided_application("startup-subsidy", value="10000.00", region="330100")


def test_approval_rate_and_committed_amounts_per_programme():
    programme_fixture()
    figures = {row.programme.slug: row for row in figures_by_programme(region="330800")}
    assert list(figures) == [  # catalogue order
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
    summary = {
        slug: (row.approved, row.rejected, row.approval_rate, row.committed, row.loans_approved)
        for slug, row in figures.items()
    }
    assert summary["flexible-si-subsidy"] == (2, 1, Decimal("66.7"), Decimal("18000.00"), None)
    assert summary["startup-subsidy"] == (1, 0, Decimal("100.0"), Decimal("10000.00"), None)
    assert summary["public-service-job-subsidy"] == (1, 1, Decimal("50.0"), Decimal("6000.00"), None)
    assert summary["training-subsidy"] == (0, 0, None, Decimal("0.00"), None)
    assert summary["startup-loan"] == (1, 0, Decimal("100.0"), None, Decimal("200000.00"))
    assert summary["occupational-injury-cover"] == (0, 0, None, None, None)


# --- The page -------------------------------------------------------------------------


@pytest.fixture
def supervisor(client, english):
    person = SupervisorFactory(region="330800")
    client.force_login(person)
    return person


def table(page: str, chart_id: str) -> list[list[str]]:
    """The rows of a chart's table as text: header first."""
    body = re.search(rf'<table[^>]*id="{chart_id}-table".*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def svg(page: str, chart_id: str) -> str:
    return re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title {chart_id}-desc".*?</svg>', page, re.S).group(0)


def test_dashboard_draws_each_chart_with_a_table_of_the_same_numbers(client, supervisor):
    programme_fixture()
    today = timezone.localdate()
    open_case(today - timedelta(days=3))
    open_case(today - timedelta(days=40))
    response = client.get("/supervision/")
    assert response.status_code == 200
    page = response.content.decode()
    # Six charts (backlog, decisions, approval rate, committed, budgets, funnel), each
    # drawn for wide and for narrow screens.
    assert page.count('role="img"') == 12

    for chart_id in ("backlog", "decisions", "approval-rate", "committed"):
        drawing = svg(page, chart_id)
        assert f'<title id="{chart_id}-title">' in drawing and f'<desc id="{chart_id}-desc">' in drawing
        assert f'id="{chart_id}-table"' in page
    assert re.search(r'<table[^>]*id="backlog-table".*?<caption[^>]*>Cases awaiting a decision', page, re.S)

    backlog = table(page, "backlog")
    assert backlog[0] == ["Days since submission", "Cases"]
    assert backlog[1:] == [
        ["0–5 days", "1"],
        ["6–10 days", "0"],
        ["11–15 days", "0"],
        ["16–30 days", "0"],
        ["More than 30 days", "2"],  # with the fixture's case in review since 1 March 2025
    ]
    assert '<th scope="row">0–5 days</th>' in page and '<th scope="col" class="text-end">Cases</th>' in page

    committed = dict(table(page, "committed")[1:])
    assert committed == {
        "Social insurance subsidy for flexible employment": "18,000.00 yuan",
        "One-time business start-up subsidy": "10,000.00 yuan",
        "Short-term public-service job subsidy": "6,000.00 yuan",
        "Vocational training subsidy": "0.00 yuan",
        "Living allowance during vocational training": "0.00 yuan",
    }
    assert "18,000.00 yuan" in svg(page, "committed")
    assert "200,000.00" not in svg(page, "committed")  # loans are not committed money
    assert "1 loan approved, 200,000.00 yuan in all." in page

    rates = dict(table(page, "approval-rate")[1:])
    assert rates["Social insurance subsidy for flexible employment"] == "66.7%"
    assert rates["Guaranteed loan for individual entrepreneurship"] == "100.0%"
    assert rates["Short-term public-service job subsidy"] == "50.0%"
    assert rates["Vocational training subsidy"] == "no decisions yet"
    assert "66.7%" in svg(page, "approval-rate")
    assert len(table(page, "decisions")) == 1 + 8
    assert table(page, "decisions")[0] == ["Week", "Approved", "Rejected"]


def test_amounts_are_formatted_for_the_language(client, supervisor):
    decided_application("startup-subsidy", value="12345.60")
    client.cookies["linghuo_language"] = "zh-hans"
    page = client.get("/supervision/").content.decode()
    assert "12,345.60" in page  # Chinese money groups by three with commas too (portal/formats/zh_Hans)
    assert "1,2345.60" not in page and "12345.60" not in page
    client.cookies["linghuo_language"] = "en"
    assert "12,345.60" in client.get("/supervision/").content.decode()


def test_the_dashboard_shows_only_the_supervisors_region(client, supervisor):
    decided_application("startup-subsidy", value="10000.00", region="330100", decided_at=timezone.now())
    page = client.get("/supervision/").content.decode()
    assert "10,000.00" not in page
    assert all(row[1] == "0" and row[2] == "0" for row in table(page, "decisions")[1:])


def test_the_dashboard_costs_the_same_queries_whatever_the_volume(client, supervisor, django_assert_max_num_queries):
    programme_fixture()
    with django_assert_max_num_queries(4):
        figures_by_programme(region="330800")
        backlog_by_age(region="330800", today=TODAY)
        decisions_by_week(region="330800", today=TODAY)
    # +1 since staff have a second factor: django-otp reads the session's verified device;
    # outcomes per programme, budgets and the funnel read theirs with a fixed number each; the
    # snapshot (counted live in tests: maximum age 0) is read, then kept (savepoint, lock, write).
    client.get("/supervision/")  # the first view makes the snapshot's row; later ones update it
    with django_assert_max_num_queries(22) as small:
        client.get("/supervision/")
    today = timezone.localdate()
    for days in range(40):
        open_case(today - timedelta(days=days))
        decided_application(decided_at=timezone.now() - timedelta(days=days))
    with django_assert_max_num_queries(22) as large:
        assert client.get("/supervision/").status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize("role_factory", [CitizenFactory, CaseworkerFactory])
def test_only_supervisors_see_the_dashboard(client, role_factory):
    client.force_login(role_factory())
    assert client.get("/supervision/").status_code == 403


def test_a_supervisor_without_a_region_sees_nothing(client):
    client.force_login(SupervisorFactory(region=""))
    assert client.get("/supervision/").status_code == 403
