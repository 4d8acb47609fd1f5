"""Closed cases: anonymised on the day their retention period ends, keeping nothing personal."""

import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from applications.audit_chain import GENESIS, hash_of_entry
from applications.models import (
    Application,
    AuditEntry,
    CaseEvent,
    DeliveryEvent,
    Document,
    Fulfilment,
    Notification,
    Payment,
    Reconsideration,
    Status,
)
from applications.outreach.models import Invitation
from applications.retention import selectors, services
from applications.retention.models import AnonymisedCase
from applications.services.audit import audit_record
from applications.services.notifications import notify_applicant
from eligibility.dates import add_years
from eligibility.registry.models import RegistryPerson
from tests.factories import VALID_ID_NUMBER, CaseworkerFactory, SupervisorFactory, programme
from tests.retention.conftest import attach, closed_case, paid

pytestmark = pytest.mark.django_db

CLOSED_ON = date(2021, 3, 15)
PERSONAL_TEXTS = ("王小明", VALID_ID_NUMBER, "13912345678", "荷花街道", "6222021234567890123", "13900001111", "wang@")


def due_ids(today: date) -> set[int]:
    return {pk for pk, _closed in selectors.closed_cases_due(today=today, periods=selectors.retention_periods(today))}


# --- When a case is closed, and from which date its period runs -------------------------------------------


@pytest.mark.parametrize("status", [Status.REJECTED, Status.WITHDRAWN, Status.SERVED, Status.PARTNER_DECLINED])
def test_a_closed_case_is_due_on_the_day_five_years_after_closing(status, citizen):
    case = closed_case(status, closed_on=CLOSED_ON, applicant=citizen)
    five_years = add_years(CLOSED_ON, 5)
    assert five_years == date(2026, 3, 15)
    assert case.pk not in due_ids(five_years - timedelta(days=1))
    assert case.pk in due_ids(five_years)
    assert case.pk in due_ids(five_years + timedelta(days=1))


def test_an_approved_case_runs_from_its_last_payment_sent_to_finance(citizen):
    case = closed_case(Status.APPROVED, closed_on=CLOSED_ON, applicant=citizen)
    last = date(2022, 8, 15)
    paid(case, date(2021, 4, 15), last)
    assert case.pk not in due_ids(add_years(CLOSED_ON, 5))
    assert case.pk not in due_ids(date(2027, 8, 14))
    assert case.pk in due_ids(date(2027, 8, 15))
    assert case.pk in due_ids(date(2027, 8, 16))


def test_a_cancelled_last_instalment_does_not_move_the_date(citizen):
    case = closed_case(Status.APPROVED, closed_on=CLOSED_ON, applicant=citizen)
    paid(case, date(2021, 4, 15))
    paid(case, date(2023, 4, 15), state=Payment.State.CANCELLED)
    assert case.pk in due_ids(date(2026, 4, 15)) and case.pk not in due_ids(date(2026, 4, 14))


@pytest.mark.parametrize(
    "make",
    [
        # An instalment still to pay, however old.
        lambda c: paid(
            closed_case(Status.APPROVED, closed_on=CLOSED_ON, applicant=c), date(2021, 4, 15), state="scheduled"
        ),
        # Approved without a schedule: a programme without cash waiting for its outcome.
        lambda c: closed_case(Status.APPROVED, closed_on=CLOSED_ON, applicant=c),
        lambda c: closed_case(Status.REFERRED, closed_on=CLOSED_ON, applicant=c),
        lambda c: closed_case(Status.IN_REVIEW, closed_on=CLOSED_ON, applicant=c),
        lambda c: closed_case(Status.RECONSIDERATION, closed_on=CLOSED_ON, applicant=c),
    ],
    ids=["payment-scheduled", "approved-no-payments", "referred", "in-review", "reconsideration"],
)
def test_a_case_that_is_not_closed_is_never_due(make, citizen):
    make(citizen)
    assert due_ids(date(2040, 1, 1)) == set()
    assert services.closed_cases_anonymise(today=date(2040, 1, 1)) == 0


def test_a_refusal_is_not_closed_while_reconsideration_can_still_be_asked(citizen):
    today = timezone.localdate()
    case = closed_case(Status.REJECTED, closed_on=today, applicant=citizen)
    candidate = selectors.closed_case_candidates().get(pk=case.pk)
    assert selectors.closed_case_anchor(candidate, today=today) is None
    assert selectors.closed_case_anchor(candidate, today=today + timedelta(days=61)) == today


def test_29_february_ends_on_28_february(citizen):
    case = closed_case(Status.WITHDRAWN, closed_on=date(2020, 2, 29), applicant=citizen)
    assert case.pk not in due_ids(date(2025, 2, 27))
    assert case.pk in due_ids(date(2025, 2, 28))


# --- What anonymising does ---------------------------------------------------------------------------------


@pytest.fixture
def full_case(citizen):
    """An approved, fully paid case with everything a case collects."""
    case = closed_case(Status.APPROVED, closed_on=CLOSED_ON, applicant=citizen)
    documents = [attach(case), attach(case)]
    paid(case, date(2021, 4, 15), date(2021, 5, 15))
    notify_applicant(application=case, event="approved")
    person = RegistryPerson.objects.create(id_number=VALID_ID_NUMBER, full_name="王小明")
    Invitation.objects.create(person=person, programme=case.programme, created_at=timezone.now(), application=case)
    Fulfilment.objects.create(
        application=case,
        kind=Fulfilment.Kind.ENROLMENT,
        details={"enrolled_on": "2021-03-20"},
        recorded_by=CaseworkerFactory(),
    )
    return case, documents


def anonymise(today: date = date(2026, 6, 1)) -> int:
    return services.closed_cases_anonymise(today=today)


def test_anonymising_empties_the_person_and_keeps_the_statistics(full_case, django_capture_on_commit_callbacks):
    case, documents = full_case
    evaluation = case.evaluation
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymise() == 1
    kept = Application.objects.select_related("applicant").get(pk=case.pk)
    assert kept.applicant.username == services.ANONYMISED_USERNAME and not kept.applicant.is_active
    assert not kept.applicant.has_usable_password()
    assert [kept.full_name, kept.id_number, kept.mobile, kept.address, kept.bank_name, kept.bank_account] == [""] * 6
    assert (kept.facts, kept.screening_facts, kept.programme_details, kept.completed_steps) == ({}, [], {}, [])
    # For statistics: programme, region, status, amounts, reference, dates to the month.
    assert (kept.programme_id, kept.region, kept.status, kept.amount) == (
        case.programme_id,
        "330800",
        Status.APPROVED,
        Decimal("500.00"),
    )
    assert kept.reference == case.reference
    assert kept.submitted_on == date(2021, 3, 1)
    assert timezone.localtime(kept.decided_at).isoformat() == "2021-03-01T00:00:00+08:00"
    assert timezone.localtime(kept.submitted_at).day == 1 and timezone.localtime(kept.created_at).day == 1
    assert kept.evaluation == {
        "as_of": evaluation["as_of"][:7] + "-01",
        "status": evaluation["status"],
        "amount": evaluation["amount"],
        "parameters": evaluation["parameters"],
    }
    assert [(p.due_on, p.amount, p.state) for p in kept.payments.order_by("sequence")] == [
        (date(2021, 4, 1), Decimal("500.00"), "exported"),
        (date(2021, 5, 1), Decimal("500.00"), "exported"),
    ]
    # The documents and their files are gone; so are the timeline and the registry link.
    assert not Document.objects.filter(application=case).exists()
    assert not any(default_storage.exists(d.file.name) for d in documents)
    assert not CaseEvent.objects.filter(application=case).exists()
    assert not Invitation.objects.filter(application=case).exists() and Invitation.objects.count() == 1
    # Messages: kept for delivery counts, without words or address, on the anonymised account.
    messages = list(Notification.objects.filter(application=case))
    assert messages and all((m.subject, m.body, m.address) == ("", "", "") for m in messages)
    assert {m.recipient_id for m in messages} == {kept.applicant_id}
    assert Fulfilment.objects.get(application=case).details == {}
    record = AnonymisedCase.objects.get(application=case)
    assert (record.basis, record.closed_on, record.identity_hash_kept) == ("closed_case", date(2021, 3, 1), True)


def test_what_is_kept_holds_no_personal_data(full_case):
    case, _documents = full_case
    message = Notification.objects.filter(application=case).first()
    DeliveryEvent.objects.create(
        notification=message, status=message.state, channel=message.channel, error="13900001111 is blocked"
    )
    anonymise()
    rows = [
        *Application.objects.filter(pk=case.pk).values(),
        *Payment.objects.filter(application=case).values(),
        *Notification.objects.filter(application=case).values(),
        *DeliveryEvent.objects.filter(notification__application=case).values(),
        *Fulfilment.objects.filter(application=case).values(),
        *Reconsideration.objects.filter(application=case).values(),
    ]
    text = json.dumps(rows, default=str, ensure_ascii=False)
    for personal in PERSONAL_TEXTS:
        assert personal not in text
    # The database itself: no ciphertext left in the personal columns either.
    table = connection.ops.quote_name(Application._meta.db_table)
    with connection.cursor() as cursor:
        columns = "full_name, id_number, mobile, address, bank_account"
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [case.pk])  # noqa: S608 - quoted name
        assert cursor.fetchone() == ("", "", "", "", "")


def test_the_hash_is_kept_on_a_granted_case_only(citizen):
    granted = closed_case(Status.SERVED, closed_on=CLOSED_ON, applicant=citizen)
    refused = closed_case(
        Status.REJECTED, closed_on=CLOSED_ON, applicant=citizen, programme=programme("startup-subsidy")
    )
    hash_ = granted.id_number_hash
    assert hash_ and refused.id_number_hash == hash_
    assert anonymise() == 2
    assert Application.objects.get(pk=granted.pk).id_number_hash == hash_
    assert Application.objects.get(pk=refused.pk).id_number_hash == ""
    # A key rotation has no number to hash again: the kept hash stays.
    call_command("rotate_keys", stdout=StringIO())
    assert Application.objects.get(pk=granted.pk).id_number_hash == hash_


def test_a_reconsideration_keeps_its_outcome_without_the_words(citizen):
    case = closed_case(Status.REJECTED, closed_on=CLOSED_ON, applicant=citizen)
    Reconsideration.objects.create(
        application=case,
        requested_by=citizen,
        grounds="我（王小明）毕业于 2020 年",
        rejected_at=timezone.now(),
        rejection_reason_codes=["too_old"],
        rejection_note="年龄不符",
        outcome=Reconsideration.Outcome.REJECTED,
        decision_note="维持原决定",
    )
    anonymise()
    kept = Reconsideration.objects.get(application=case)
    assert (kept.grounds, kept.rejection_note, kept.decision_note) == ("", "", "")
    assert (kept.outcome, kept.rejection_reason_codes) == ("rejected", ["too_old"])
    assert kept.requested_by.username == services.ANONYMISED_USERNAME


def test_anonymising_appends_one_audit_entry_and_changes_none(full_case):
    case, _documents = full_case
    audit_record(actor=None, action=AuditEntry.Action.VIEW_CASE, application=case, details={"documents": []})
    before = list(AuditEntry.objects.order_by("sequence").values())
    assert anonymise() == 1
    after = list(AuditEntry.objects.order_by("sequence").values())
    assert after[: len(before)] == before
    (entry,) = after[len(before) :]
    assert entry["action"] == "decision" and entry["application_id"] == case.pk and entry["actor_id"] is None
    assert entry["details"] == {
        "decision": "anonymised",
        "basis": "closed_case",
        "closed_in": "2021-03",
        "years": 5,
        "documents_removed": 2,
        "identity_hash_kept": True,
    }
    # The chain still verifies from its start.
    previous = GENESIS
    for row in AuditEntry.objects.order_by("sequence"):
        assert row.previous_hash == previous and row.entry_hash == hash_of_entry(row, previous)
        previous = row.entry_hash


def test_the_job_is_idempotent(full_case):
    assert anonymise() == 1
    assert anonymise() == 0
    assert anonymise(date(2030, 1, 1)) == 0
    assert AuditEntry.objects.filter(details__decision="anonymised").count() == 1


def test_the_staff_case_page_still_shows_an_anonymised_case(full_case, client):
    case, _documents = full_case
    anonymise()
    client.force_login(SupervisorFactory(region="330800"))
    response = client.get(f"/staff/cases/{case.reference}/")
    assert response.status_code == 200
    assert "王小明" not in response.content.decode()


def test_the_former_applicant_no_longer_sees_the_case(full_case, client, citizen):
    case, _documents = full_case
    anonymise()
    client.force_login(citizen)
    assert case.reference not in client.get("/applications/").content.decode()
    assert client.get(f"/applications/{case.reference}/").status_code == 404


@pytest.mark.postgres
def test_on_postgresql_anonymising_works_beside_the_append_only_trigger(full_case):
    case, _documents = full_case
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'applications_auditentry'::regclass AND NOT tgisinternal"
        )
        assert cursor.fetchone()[0] >= 1
    count = AuditEntry.objects.count()
    assert anonymise() == 1
    assert AuditEntry.objects.count() == count + 1
    assert Application.objects.get(pk=case.pk).full_name == ""
