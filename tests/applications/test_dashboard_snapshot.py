"""The dashboard's figures are counted by beat and kept (applications.supervision.snapshot)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import DashboardSnapshot
from applications.supervision.snapshot import snapshots_refresh
from applications.tasks import refresh_dashboards
from tests.applications.test_dashboard import open_case, table
from tests.factories import SupervisorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(settings):
    settings.LINGHUO_DASHBOARD_MAX_AGE_SECONDS = 900
    settings.LINGHUO_DASHBOARD_REFRESH_SECONDS = 300


@pytest.fixture
def supervisor(client, english):
    person = SupervisorFactory(region="330800")
    client.force_login(person)
    return person


def backlog_total(client) -> int:
    return sum(int(row[1]) for row in table(client.get("/supervision/").content.decode(), "backlog")[1:])


def test_the_page_shows_the_kept_figures_until_beat_counts_again(client, supervisor, kept):
    open_case(timezone.localdate() - timedelta(days=2))
    assert backlog_total(client) == 1  # no snapshot yet: counted now, and kept
    open_case(timezone.localdate() - timedelta(days=1))
    page = client.get("/supervision/").content.decode()
    assert backlog_total(client) == 1  # the kept figures, said to be as of their time
    assert "figures as of" in page and "counted again every 5 minutes" in page
    refresh_dashboards.delay()  # what beat runs (in process without a broker)
    assert backlog_total(client) == 2


def test_figures_older_than_the_maximum_age_are_counted_again_by_the_page(client, supervisor, kept):
    open_case(timezone.localdate())
    assert backlog_total(client) == 1
    open_case(timezone.localdate())
    DashboardSnapshot.objects.update(computed_at=timezone.now() - timedelta(seconds=901))
    assert backlog_total(client) == 2
    assert timezone.now() - DashboardSnapshot.objects.get(language="en").computed_at < timedelta(seconds=5)


def test_beat_counts_every_region_with_a_supervisor_in_each_language(kept):
    SupervisorFactory(region="330800")
    SupervisorFactory(region="330802")
    SupervisorFactory(region="330803", is_active=False)  # gone: nobody reads it
    open_case(timezone.localdate(), region="330802")
    taken = snapshots_refresh()
    assert sorted(taken) == ["330800/en", "330800/zh-hans", "330802/en", "330802/zh-hans"]
    chinese = DashboardSnapshot.objects.get(region="330802", language="zh-hans").html
    english = DashboardSnapshot.objects.get(region="330802", language="en").html
    assert "Cases awaiting a decision" in english and "Cases awaiting a decision" not in chinese
    assert [row[1] for row in table(english, "backlog")[1:]] == ["1", "0", "0", "0", "0"]
    # Counting again replaces the region's rows rather than adding to them.
    snapshots_refresh()
    assert DashboardSnapshot.objects.count() == 4


def test_the_kept_figures_hold_no_personal_data(kept):
    SupervisorFactory(region="330800")
    case = open_case(timezone.localdate(), full_name="王小明")
    snapshots_refresh()
    for snapshot in DashboardSnapshot.objects.all():
        assert case.full_name not in snapshot.html and case.reference not in snapshot.html
