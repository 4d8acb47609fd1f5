"""Reads that may lag go to the replica, and only those (portal.db_router).

The test settings add a second alias, ``replica``, on the test database itself (a TEST MIRROR: a
connection of its own to the same database); a test names it in ``LINGHUO_READ_REPLICA`` as
``DATABASE_REPLICA_URL`` does in production. Queries are counted on each connection.
"""

from contextlib import contextmanager
from datetime import date

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from applications.models import Application, AuditEntry
from portal.db_router import reading_from_replica, replica_in_use
from tests.applications.test_payments import decided_application, payment
from tests.factories import CitizenFactory, SupervisorFactory

both = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.LINGHUO_READ_REPLICA = "replica"
    return "replica"


@contextmanager
def counted():
    """The SQL each connection ran in the block: ``{"default": [...], "replica": [...]}``."""
    with (
        CaptureQueriesContext(connections["default"]) as on_default,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        queries = {"default": on_default, "replica": on_replica}
        yield queries
    for name, captured in list(queries.items()):
        queries[name] = [query["sql"] for query in captured.captured_queries]


@both
def test_reads_stay_on_the_primary_outside_the_scope(replica):
    decided_application()
    with counted() as queries:
        assert Application.objects.count() == 1
    assert len(queries["default"]) == 1 and queries["replica"] == []


@both
def test_reads_in_the_scope_go_to_the_replica_and_writes_to_the_primary(replica):
    application = decided_application()
    with reading_from_replica(), counted() as queries:
        assert replica_in_use()
        row = Application.objects.get(pk=application.pk)
        Application.objects.filter(pk=row.pk).update(full_name="Changed")
    assert len(queries["replica"]) == 1 and "SELECT" in queries["replica"][0]
    assert len(queries["default"]) == 1 and queries["default"][0].startswith("UPDATE")
    assert not replica_in_use()


@both
def test_a_transaction_on_the_primary_reads_on_the_primary_even_in_the_scope(replica):
    """A service that reads, locks and writes (the audit chain's head) never decides on lagging data."""
    decided_application()
    with reading_from_replica(), counted() as queries, transaction.atomic():
        Application.objects.count()
    assert queries["replica"] == []
    assert any("COUNT" in sql for sql in queries["default"])


@both
def test_without_a_replica_configured_the_scope_reads_on_the_primary(settings):
    settings.LINGHUO_READ_REPLICA = None
    decided_application()
    with reading_from_replica(), counted() as queries:
        assert not replica_in_use()
        Application.objects.count()
    assert queries["replica"] == [] and len(queries["default"]) == 1


@both
def test_the_decorator_opens_a_scope_for_each_call_only(replica):
    @reading_from_replica()
    def count() -> int:
        return Application.objects.count()

    with counted() as queries:
        count()
        count()
        Application.objects.count()
    assert len(queries["replica"]) == 2 and len(queries["default"]) == 1


@both
def test_the_dashboard_reads_on_the_replica_and_the_session_on_the_primary(replica, client, english):
    client.force_login(SupervisorFactory(region="330800"))
    decided_application()
    with counted() as queries:
        response = client.get("/supervision/")
    assert response.status_code == 200
    assert len(queries["replica"]) > 5, "the dashboard's figures come from the replica"
    assert any("django_session" in sql for sql in queries["default"])
    assert not any("django_session" in sql for sql in queries["replica"])


@both
def test_the_payments_export_reads_on_the_replica_and_audits_on_the_primary(replica, client, english):
    supervisor = SupervisorFactory(region="330800")
    client.force_login(supervisor)
    payment(date(2025, 4, 20))
    with counted() as queries:
        response = client.get("/supervision/payments.csv", {"from": "2025-04-01", "to": "2025-04-30"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) == 2  # header and the one payment
    assert any("applications_payment" in sql for sql in queries["replica"])
    assert any(sql.startswith("INSERT") and "applications_auditentry" in sql for sql in queries["default"])
    assert not any(sql.startswith(("INSERT", "UPDATE", "DELETE")) for sql in queries["replica"])
    assert AuditEntry.objects.filter(actor=supervisor, details__export="payments").count() == 1


@both
def test_the_referrals_export_and_the_audit_search_read_on_the_replica(replica, client, english):
    client.force_login(SupervisorFactory(region="330800"))
    for url, query in (
        ("/supervision/referrals.csv", {"from": "2025-04-01", "to": "2025-04-30"}),
        ("/staff/audit/", {}),
    ):
        with counted() as queries:
            response = client.get(url, query)
        assert response.status_code == 200, url
        assert queries["replica"], url


@both
def test_a_citizens_own_pages_never_read_on_the_replica(replica, client):
    citizen = CitizenFactory()
    client.force_login(citizen)
    with counted() as queries:
        assert client.get("/applications/").status_code == 200
    assert queries["replica"] == []
