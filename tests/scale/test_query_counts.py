"""The staff pages ask the database as many times for a city as for a town (issue 15, item 3).

``seed_bench``'s generator fills the database with 1,000 applications (their events,
documents, payments and audit trail); each staff page is opened as a signed-in
caseworker or supervisor of the region with the most cases and its SQL queries
counted; then 10,000 more applications are added and each page counted again. The
counts must be equal: a page whose queries grew with the data would be slow with a
whole city.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.bench_data.seed import staff_login
from applications.models import Application, Payment, Status
from portal.accounts.roles import Role

pytestmark = pytest.mark.django_db

FIRST, ADDED = 1_000, 10_000
# The region of the city itself: its staff take about a third of every district's cases.
REGION = "330800"


def _seed(count: int, *extra: str) -> None:
    call_command("seed_bench", f"--applications={count}", "--seed=15", *extra, stdout=io.StringIO())


def _staff(role: Role):
    return get_user_model().objects.get(username=staff_login(str(role), REGION, 1 if role == Role.CASEWORKER else 0))


def _pages(case_reference: str, month: tuple) -> list[tuple[str, str, str, str, int]]:
    """(name, who, method, path, status expected) of every page measured."""
    today = timezone.localdate()
    queue = "/staff/queue/"
    pages = [("queue", "caseworker", "get", queue, 200)]
    pages += [
        (f"queue {name}", "caseworker", "get", f"{queue}?{query}", 200)
        for name, query in (
            ("by programme", "programme=flexible-si-subsidy"),
            ("by status submitted", "status=submitted"),
            ("by status in review", "status=in_review"),
            ("by status, all", "status=all"),
            ("assigned to me", "assigned=mine&status=all"),
            ("not assigned", "assigned=unassigned"),
            ("at least 30 days old", "age_min=30&status=all"),
            ("due by today", f"due_by={today.isoformat()}"),
            ("page 2", "page=2&status=all"),
        )
    ]
    # The last page of every case of the region (its number grows with the data).
    pages.append(("queue last page", "caseworker", "get", lambda: f"{queue}?page={_last_page()}&status=all", 200))
    pages += [
        (f"queue flag {flag}", "caseworker", "get", f"{queue}?flags={flag}&status=all", 200)
        for flag in ("duplicate_identity", "duplicate_file", "document_problem", "overdue")
    ]
    pages += [
        (f"queue sorted {sort}", "caseworker", "get", f"{queue}?sort={sort}&status=all", 200)
        for sort in ("due", "-due", "oldest", "newest", "programme", "status")
    ]
    period = f"from={month[0].isoformat()}&to={month[1].isoformat()}"
    pages += [
        ("case page", "caseworker", "get", f"/staff/cases/{case_reference}/", 200),
        ("claim next", "caseworker", "post", f"{queue}claim-next/", 302),
        ("supervision dashboard", "supervisor", "get", "/supervision/", 200),
        ("payments export page", "supervisor", "get", "/supervision/payments/", 200),
        ("payments of a month, CSV", "supervisor", "get", f"/supervision/payments.csv?{period}", 200),
        ("audit search", "supervisor", "get", "/staff/audit/", 200),
        ("audit search by reference", "supervisor", "get", f"/staff/audit/?reference={case_reference}", 200),
    ]
    return pages


def _last_page() -> int:
    from applications.staff.views import QUEUE_PAGE_SIZE

    sent = Application.objects.filter(region=REGION).exclude(status=Status.DRAFT).count()
    return max(1, -(-sent // QUEUE_PAGE_SIZE))


def _measure(clients: dict, pages) -> dict[str, int]:
    counts = {}
    for name, who, method, path, expected in pages:
        path = path() if callable(path) else path
        client = clients[who]
        getattr(client, method)(path)  # once first: what a first request of a session fills in
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(path)
        assert response.status_code == expected, f"{name} ({path}) answered {response.status_code}"
        counts[name] = len(queries)
        # A page that lists nothing would prove nothing about its rows.
        if response.context is not None and "rows" in response.context:
            assert response.context["rows"], f"{name} ({path}) lists no row"
        if path.startswith("/supervision/payments.csv"):
            assert response.content.count(b"\r\n") > 2, f"{name} has no payment"
    return counts


def test_each_staff_page_asks_the_same_number_of_queries_at_11_000_applications_as_at_1_000(client, settings):
    from django.test import Client

    from tests.conftest import PortalTestClient

    _seed(FIRST)
    caseworker, supervisor = _staff(Role.CASEWORKER), _staff(Role.SUPERVISOR)
    clients = {"caseworker": client, "supervisor": PortalTestClient()}
    clients["caseworker"].force_login(caseworker)
    clients["supervisor"].force_login(supervisor)
    assert isinstance(clients["supervisor"], Client)
    # A case of the region in review with its documents, and the month of the region's next payments.
    case = (
        Application.objects.filter(region=REGION, status=Status.IN_REVIEW, documents__isnull=False)
        .order_by("pk")
        .first()
    )
    assert case is not None
    due = Payment.objects.filter(application__region=REGION, due_on__gte=timezone.localdate()).order_by("due_on")
    first_due = due.values_list("due_on", flat=True).first()
    month_start = first_due.replace(day=1)
    month = (month_start, (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    pages = _pages(case.reference, month)

    small = _measure(clients, pages)
    _seed(ADDED, "--append")
    assert Application.objects.count() == FIRST + ADDED
    large = _measure(clients, pages)

    grown = [f"{name}: {small[name]} queries at {FIRST:,}, {large[name]} at {FIRST + ADDED:,}" for name in small]
    grown = [line for name, line in zip(small, grown, strict=True) if small[name] != large[name]]
    assert not grown, "The number of queries grew with the data:\n" + "\n".join(grown)
