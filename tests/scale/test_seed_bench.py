"""``manage.py seed_bench``: a whole city of made-up data, stored as the application stores it (issue 15).

On SQLite here (the ``bulk_create`` writer); the COPY writer in ``test_seed_bench_postgres.py``.
"""

import io
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from applications.audit_chain import canonical_content
from applications.bench_data.chain import content, details_json
from applications.bench_data.generator import TABLES, CityGenerator
from applications.bench_data.seed import city_plan, staff_ensure, staff_login
from applications.id_numbers import validate_id_number
from applications.models import (
    OPEN_STATUSES,
    Application,
    Approval,
    AuditEntry,
    CaseEvent,
    Document,
    Payment,
    Status,
)
from applications.services.audit import audit_record
from applications.services.sla import sla_due_date
from portal.accounts.roles import Role

pytestmark = pytest.mark.django_db


def seed(*arguments) -> str:
    out = io.StringIO()
    call_command("seed_bench", *arguments, stdout=out)
    return out.getvalue()


def verify_audit() -> str:
    out = io.StringIO()
    call_command("audit_verify", "--no-checkpoint", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """400 applications and 4,000 audit entries, once for the tests of this module (rolled back after)."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            # An entry before the seed: the seeded chain continues after it.
            audit_record(actor=None, action=AuditEntry.Action.PARAMETER, details={"key": "before"})
            output = seed("--applications=400", "--audit=4000", "--seed=3")
            yield output
            transaction.set_rollback(True)


def test_each_table_has_the_rows_of_a_city(city):
    assert Application.objects.count() == 400
    assert AuditEntry.objects.count() == 4001  # exactly --audit, after the entry already there
    applicants = Application.objects.values("applicant").distinct().count()
    assert 100 <= applicants <= 170  # about one person per three applications
    events = CaseEvent.objects.count()
    assert 3.5 * 400 <= events <= 5.5 * 400
    sent = Application.objects.exclude(status=Status.DRAFT)
    documents = Document.objects.filter(application__in=sent).count()
    assert 1.5 * sent.count() <= documents <= 3 * sent.count()
    assert Payment.objects.exists() and Approval.objects.filter(stage=2).exists()
    for line in ("applications", "audit", "events", "documents", "payments"):
        assert line in city  # rows and seconds per table are printed


def test_every_state_is_there_in_realistic_shares(city):
    statuses = Counter(Application.objects.values_list("status", flat=True))
    finished = sum(statuses[s] for s in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.SERVED))
    finished += statuses[Status.PARTNER_DECLINED]
    assert 0.78 * 400 <= finished <= 0.93 * 400
    assert statuses[Status.DRAFT] <= 0.04 * 400
    for status in (Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.REJECTED, Status.SERVED):
        assert statuses[status], status
    in_review = Application.objects.filter(status=Status.IN_REVIEW)
    assert not in_review.filter(assigned_to=None).exists() and not in_review.filter(claimed_at=None).exists()
    drafts = Application.objects.filter(status=Status.DRAFT)
    assert not drafts.exclude(reference=None).exists()
    assert (
        not Application.objects.filter(status__in=OPEN_STATUSES)
        .exclude(status=Status.DRAFT)
        .filter(sla_due_on=None)
        .exists()
    )


def test_cases_are_what_the_services_would_have_written(city):
    for application in Application.objects.exclude(status=Status.DRAFT).select_related("programme")[:120]:
        assert application.reference == f"LH-{application.submitted_on.year}-{application.pk:06d}"
        # The identity number is valid, and its birth date is the one of the facts.
        born = datetime.fromisoformat(application.facts["birth_date"]).date()
        assert validate_id_number(application.id_number, birth_date=born) == application.id_number
        assert application.evaluation["as_of"] == application.submitted_on.isoformat()
        events = list(application.events.filter(kind=CaseEvent.Kind.TRANSITION).order_by("at", "id"))
        assert events[0].to_status == Status.DRAFT and events[1].to_status == Status.SUBMITTED
        assert events[-1].to_status == application.status
        for before, after in pairwise(events):
            assert after.from_status == before.to_status
    # The service's due date wherever the clock never stopped.
    plain = Application.objects.filter(status=Status.SUBMITTED, information_requests=None, reconsiderations=None)
    for application in plain[:30]:
        assert application.sla_due_on == sla_due_date(submitted_on=application.submitted_on)


def test_payments_follow_the_schedule_of_payment_schedule_create(city):
    monthly = Application.objects.filter(status=Status.APPROVED, programme__slug="flexible-si-subsidy").first()
    payments = list(monthly.payments.order_by("sequence"))
    assert len(payments) == monthly.evaluation["amount"]["max_periods"]
    assert {payment.due_on.day for payment in payments} == {15}
    assert all(payment.amount == monthly.amount == Decimal("500.00") for payment in payments)
    assert payments[0].due_on > timezone.localdate(monthly.decided_at)


def test_personal_data_is_encrypted_and_the_identity_number_hashed(city):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id_number, mobile, address, bank_account, id_number_hash FROM {Application._meta.db_table} "  # noqa: S608
            "WHERE status != 'draft' LIMIT 5"
        )
        for row in cursor.fetchall():
            assert all(value.startswith("enc1:") for value in row[:3]), row
            assert len(row[4]) == 64


def test_the_audit_chain_verifies(city):
    assert "The audit trail is intact: 4001 entries, chain verified." in verify_audit()
    actions = Counter(AuditEntry.objects.values_list("action", flat=True))
    for action in ("transition", "decision", "view_case", "view_document", "view_personal_data"):
        assert actions[action], action
    entries = AuditEntry.objects.order_by("sequence")
    assert list(entries.values_list("at", flat=True)[1:]) == sorted(entries.values_list("at", flat=True)[1:])


def test_staff_can_log_in_with_the_second_factor(city):
    from django.contrib.auth import get_user_model

    from portal.accounts.two_factor import is_enrolled

    worker = get_user_model().objects.get(username=staff_login(str(Role.CASEWORKER), "330802", 1))
    assert worker.is_caseworker and worker.region == "330802" and is_enrolled(worker)
    assert worker.check_password("linghuo-bench-2026")
    supervisor = get_user_model().objects.get(username=staff_login(str(Role.SUPERVISOR), "330800"))
    assert supervisor.is_supervisor


def test_a_database_with_applications_is_refused_without_append(city):
    with pytest.raises(CommandError, match=r"already holds 400 applications.*--append"):
        seed("--applications=10")
    seed("--applications=10", "--audit=20", "--append")
    assert Application.objects.count() == 410
    assert "4021 entries, chain verified" in verify_audit()


def test_the_same_seed_gives_the_same_city_and_another_seed_another():
    now = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    plan = city_plan(staff=staff_ensure(seed=1), now=now)

    def rows(seed: int) -> dict:
        found = {table: [] for table in TABLES}
        for chunk in CityGenerator(plan, applications=150, audit=1200, seed=seed, chunk=40):
            for table in TABLES:
                found[table] += chunk.rows[table]
        return found

    first = rows(5)
    assert first == rows(5)
    assert first["applications"] != rows(6)["applications"]
    assert len(first["audit"]) == 1200


@pytest.mark.parametrize(
    "details",
    [
        {"from": "in_review", "to": "approved", "note": '- 您不属于本项目的扶持对象\n"引号"'},
        {
            "personal_data": ["full_name", "id_number_masked"],
            "documents": [{"id": 3, "kind": "other", "name": "a.pdf"}],
        },
        {"page": "queue", "fields": ["full_name"], "applications": ["LH-2026-000001"]},
        {"decision": "approved", "amount": None, "total": "12000.00", "threshold": "5000.00"},
        {},
    ],
)
def test_the_fast_canonical_content_is_the_chain_s_own(details):
    entry = {
        "sequence": 12,
        "at": datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC),
        "actor_id": 7,
        "action": "view_case",
        "application_id": None,
        "ip_address": "10.57.1.20",
    }
    fast = content(details_text=details_json(details), **entry)
    assert fast == canonical_content(details=details, **entry)
    assert content(details_text=details_json(details), **{**entry, "ip_address": None, "actor_id": None}) == (
        canonical_content(details=details, **{**entry, "ip_address": None, "actor_id": None})
    )


def test_refuses_production_like_settings(settings):
    settings.DEBUG = False
    settings.SETTINGS_MODULE = "portal.settings.production"
    with pytest.raises(CommandError, match="published password"):
        seed("--applications=1")


def test_registry_persons_need_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the registry is loaded (test_seed_bench_postgres.py)")
    with pytest.raises(CommandError, match="PostgreSQL"):
        seed("--applications=1", "--registry=5")


def test_a_case_page_with_seeded_documents_shows_and_their_missing_files_answer_404(city, client):
    from django.contrib.auth import get_user_model

    case = Application.objects.filter(status=Status.IN_REVIEW, documents__content_type="application/pdf").first()
    client.force_login(get_user_model().objects.get(username=staff_login(str(Role.CASEWORKER), case.region, 1)))
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 200
    document = case.documents.filter(content_type="application/pdf").first()
    for path in ("", "pages/", "pages/1.png"):
        assert client.get(f"/documents/{document.token}/{path}?preview=case").status_code == 404
