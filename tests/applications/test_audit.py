"""The audit trail: written by every transition, append-only everywhere, searchable by supervisors of a region."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from applications.audit_views import ENTRIES_PER_PAGE
from applications.models import AuditEntry, AuditImmutable, ReasonCode, Status
from applications.services.audit import audit_record
from applications.services.transitions import IllegalTransition, application_transition
from portal import urls as portal_urls
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory, UserFactory

# The page as the integrator mounts it (``path("staff/audit/", include("applications.audit_urls"))``).
urlpatterns = [path("staff/audit/", include("applications.audit_urls")), *portal_urls.urlpatterns]
handler403 = portal_urls.handler403

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def entry(*, actor=None, action=AuditEntry.Action.VIEW_CASE, application=None, details=None) -> AuditEntry:
    return audit_record(actor=actor, action=action, application=application, details=details)


def entry_at(moment: datetime, monkeypatch, **kwargs) -> AuditEntry:
    """An entry written at ``moment`` (``at`` is set by the database layer on insert)."""
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        return entry(**kwargs)


# --- Every transition is recorded -----------------------------------------------------------


def test_every_transition_writes_one_entry_with_from_to_and_note():
    worker = CaseworkerFactory()
    application = ApplicationFactory()
    path_ = [Status.SUBMITTED, Status.IN_REVIEW, Status.INFO_REQUESTED, Status.SUBMITTED, Status.IN_REVIEW]
    for status in path_:
        application_transition(application=application, to_status=status, actor=worker, note=f"to {status}")
    entries = list(AuditEntry.objects.filter(application=application).order_by("at", "id"))
    assert [e.action for e in entries] == [AuditEntry.Action.TRANSITION] * len(path_)
    assert [e.details["to"] for e in entries] == path_
    assert entries[0].details == {"from": "draft", "to": "submitted", "note": "to submitted"}
    assert all(e.actor_id == worker.pk for e in entries)


def test_a_refused_or_empty_move_writes_no_entry():
    application = ApplicationFactory(status=Status.SUBMITTED)
    application_transition(application=application, to_status=Status.SUBMITTED)
    with pytest.raises(IllegalTransition):
        application_transition(application=application, to_status=Status.APPROVED)
    assert not AuditEntry.objects.exists()


def test_the_entry_is_undone_with_the_transition_it_records():
    application = ApplicationFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        application_transition(application=application, to_status=Status.SUBMITTED)
        raise RuntimeError("the caller's transaction fails later")
    assert not AuditEntry.objects.exists()
    application.refresh_from_db()
    assert application.status == Status.DRAFT


# --- Append-only ---------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_entries():
    written = entry(details={"field": "id_number"})
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=written.pk).update(action=AuditEntry.Action.NOTE)
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    written.details = {"field": "nothing"}
    with pytest.raises(AuditImmutable):
        written.save()
    with pytest.raises(AuditImmutable):
        written.delete()
    stored = AuditEntry.objects.get(pk=written.pk)
    assert stored.details == {"field": "id_number"} and stored.action == AuditEntry.Action.VIEW_CASE


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_entries_but_cannot_add_change_or_delete_them(superuser_client):
    written = entry(details={"field": "id_number"})
    listing = superuser_client.get(reverse("admin:applications_auditentry_changelist"))
    assert listing.status_code == 200
    assert 'name="action"' not in listing.content.decode()  # no bulk actions, so no bulk delete
    page = superuser_client.get(reverse("admin:applications_auditentry_change", args=[written.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    change = superuser_client.post(
        reverse("admin:applications_auditentry_change", args=[written.pk]), {"action": "note", "details": "{}"}
    )
    assert change.status_code == 403
    assert superuser_client.get(reverse("admin:applications_auditentry_add")).status_code == 403
    assert superuser_client.post(reverse("admin:applications_auditentry_delete", args=[written.pk])).status_code == 403
    assert AuditEntry.objects.get(pk=written.pk).details == {"field": "id_number"}


def test_the_admin_edits_reason_codes_but_keeps_their_code(superuser_client):
    reason = ReasonCode.objects.create(code="test-reason", text_zh="旧", text_en="old")
    url = reverse("admin:applications_reasoncode_change", args=[reason.pk])
    response = superuser_client.post(url, {"code": "renamed", "text_zh": "新", "text_en": "new", "active": ""})
    assert response.status_code == 302
    reason.refresh_from_db()
    assert (reason.code, reason.text_en, reason.active) == ("test-reason", "new", False)
    assert superuser_client.post(reverse("admin:applications_reasoncode_delete", args=[reason.pk])).status_code == 403


@pytest.mark.postgres
def test_postgresql_refuses_to_update_or_delete_entries_even_in_raw_sql():
    written = entry(details={"field": "id_number"})
    assert AuditEntry._meta.db_table == "applications_auditentry"
    with connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("UPDATE applications_auditentry SET action = %s WHERE id = %s", ["note", written.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM applications_auditentry WHERE id = %s", [written.pk])
    stored = AuditEntry.objects.get(pk=written.pk)
    assert stored.action == AuditEntry.Action.VIEW_CASE


# --- The supervisors' page ------------------------------------------------------------------

URL = "/staff/audit/"


@pytest.fixture
def region_entries():
    """Entries a supervisor of 330800 reads, and entries of another region they must not."""
    worker = CaseworkerFactory(username="worker@example.com", full_name="李工作")
    outsider = CaseworkerFactory(username="outsider@example.com", region="330900")
    citizen = CitizenFactory()
    ours = ApplicationFactory(region="330800", reference="LH-2025-000001", status=Status.SUBMITTED)
    theirs = ApplicationFactory(region="330900", reference="LH-2025-000002", status=Status.SUBMITTED)
    return {
        "ours_viewed": entry(actor=worker, application=ours),
        "ours_moved": entry(
            actor=citizen,
            action=AuditEntry.Action.TRANSITION,
            application=ours,
            details={"from": "draft", "to": "submitted"},
        ),
        "ours_staff_no_case": entry(actor=worker, action=AuditEntry.Action.PARAMETER, details={"key": "x"}),
        "theirs_viewed": entry(actor=outsider, application=theirs),
        "theirs_staff_no_case": entry(actor=outsider, action=AuditEntry.Action.PARAMETER),
        "citizen_no_case": entry(actor=citizen, action=AuditEntry.Action.NOTE),
    }


def listed(response) -> set[int]:
    return {row[0].pk for row in response.context["rows"]}


def test_a_supervisor_reads_the_entries_of_their_region_only(client, region_entries):
    client.force_login(SupervisorFactory())
    response = client.get(URL)
    assert response.status_code == 200
    assert listed(response) == {
        region_entries["ours_viewed"].pk,
        region_entries["ours_moved"].pk,
        region_entries["ours_staff_no_case"].pk,
    }
    page = response.content.decode()
    assert "LH-2025-000001" in page and "LH-2025-000002" not in page
    # The entries read as sentences, statuses by their labels.
    assert "from “Draft” to “Submitted”" in page or "由“草稿”改为“已提交”" in page


@pytest.mark.parametrize("factory", [CaseworkerFactory, CitizenFactory])
def test_others_are_refused(client, factory):
    client.force_login(factory())
    assert client.get(URL).status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/" in response.url


def test_the_page_filters_by_reference_actor_and_action(client, region_entries):
    client.force_login(SupervisorFactory())
    assert listed(client.get(URL, {"reference": "lh-2025-000001"})) == {
        region_entries["ours_viewed"].pk,
        region_entries["ours_moved"].pk,
    }
    assert listed(client.get(URL, {"actor": "worker@example.com"})) == {
        region_entries["ours_viewed"].pk,
        region_entries["ours_staff_no_case"].pk,
    }
    assert listed(client.get(URL, {"actor": "工作"})) == listed(client.get(URL, {"actor": "worker@example.com"}))
    assert listed(client.get(URL, {"action": "transition"})) == {region_entries["ours_moved"].pk}
    # Another region's reference finds nothing, rather than that region's entries.
    assert listed(client.get(URL, {"reference": "LH-2025-000002"})) == set()


def test_the_date_range_is_whole_days_in_shanghai(client, monkeypatch):
    worker = CaseworkerFactory()
    application = ApplicationFactory(reference="LH-2025-000009")
    before = entry_at(datetime(2025, 3, 1, 23, 59, tzinfo=SHANGHAI), monkeypatch, actor=worker, application=application)
    # 15:30 UTC on 2 March is 23:30 in Shanghai, still the 2nd; 16:30 UTC is already the 3rd.
    late_evening = entry_at(
        datetime(2025, 3, 2, 15, 30, tzinfo=ZoneInfo("UTC")), monkeypatch, actor=worker, application=application
    )
    next_day = entry_at(
        datetime(2025, 3, 2, 16, 30, tzinfo=ZoneInfo("UTC")), monkeypatch, actor=worker, application=application
    )
    client.force_login(SupervisorFactory())
    assert listed(client.get(URL, {"date_from": "2025-03-02", "date_to": "2025-03-02"})) == {late_evening.pk}
    assert listed(client.get(URL, {"date_from": "2025-03-02"})) == {late_evening.pk, next_day.pk}
    assert listed(client.get(URL, {"date_to": "2025-03-01"})) == {before.pk}
    refused = client.get(URL, {"date_from": "2025-03-03", "date_to": "2025-03-01"})
    # The end date in error is said at the form; the page still lists by the start date.
    assert refused.status_code == 200 and refused.context["form"].errors and listed(refused) == {next_day.pk}


def test_the_page_is_paginated_with_a_constant_number_of_queries(client):
    client.force_login(SupervisorFactory())
    worker = CaseworkerFactory()

    def queries_for(count: int) -> int:
        for number in range(count):
            application = ApplicationFactory(reference=f"LH-2025-{count:03d}{number:03d}")
            entry(actor=worker, application=application)
        client.get(URL)  # the session and roles are loaded once per request; warm nothing else
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        assert response.status_code == 200
        return len(queries)

    few = queries_for(3)
    many = queries_for(ENTRIES_PER_PAGE + 10)
    assert few == many
    first = client.get(URL)
    assert len(first.context["rows"]) == ENTRIES_PER_PAGE
    assert first.context["page"].paginator.count == ENTRIES_PER_PAGE + 13
    second = client.get(URL, {"page": 2})
    assert len(second.context["rows"]) == 13
    assert not {r[0].pk for r in first.context["rows"]} & {r[0].pk for r in second.context["rows"]}


def test_a_revealed_field_is_named_in_words(english):
    application = ApplicationFactory(reference="LH-2025-000007")
    entry(
        actor=CaseworkerFactory(),
        action=AuditEntry.Action.VIEW_PERSONAL_DATA,
        application=application,
        details={"field": "id_number"},
    )
    english.force_login(SupervisorFactory())
    [(_, summary)] = english.get(URL).context["rows"]
    assert summary.endswith(" viewed the identity number of application LH-2025-000007 on " + summary.split(" on ")[-1])
    assert "id_number" not in summary


def test_past_the_cap_the_count_says_more_than_and_the_pages_stop_there(client, monkeypatch, english):
    from applications import audit_views

    monkeypatch.setattr(audit_views, "COUNT_CAP", 5)
    client.force_login(SupervisorFactory())
    worker = CaseworkerFactory()
    application = ApplicationFactory(reference="LH-2025-000777")
    written = [entry(actor=worker, application=application).pk for _ in range(ENTRIES_PER_PAGE + 7)]
    response = client.get(URL)
    paginator = response.context["page"].paginator
    # Counted only as far as one past the cap: the page says "more than 5" rather than 57.
    assert paginator.capped and paginator.count == 6
    assert "More than 5 entries" in response.content.decode()
    assert [row[0].pk for row in response.context["rows"]] == sorted(written, reverse=True)[:6]
    # Without the cap in the way, the exact count.
    monkeypatch.setattr(audit_views, "COUNT_CAP", 1000)
    response = client.get(URL)
    assert not response.context["page"].paginator.capped
    assert response.context["page"].paginator.count == ENTRIES_PER_PAGE + 7
    assert "57 entries" in response.content.decode()
