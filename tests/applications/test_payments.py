"""Payment schedules of approved cash subsidies, and the payments export for finance."""

import csv
import io
import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from applications.models import AuditEntry, Payment, Status
from applications.services.payments import PaymentScheduleError, payment_schedule_create
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory, programme

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
_references = itertools.count(1)


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def decided_application(
    slug: str = "flexible-si-subsidy",
    *,
    status: str = Status.APPROVED,
    value: str | None = "500.00",
    max_periods: int | None = 24,
    decided_at: datetime | None = None,
    region: str = "330800",
    **fields,
):
    """An application as the review leaves it, built directly (not through the services).

    ``decided_at`` defaults to 20 March 2025 for an approval or a rejection; it
    stays empty in other states, as the state machine leaves it.
    """
    chosen = programme(slug)
    amount = None
    if value is not None and chosen.per != "none":
        amount = {"value": value, "currency": "CNY", "per": chosen.per}
        if chosen.per == "month" and max_periods is not None:
            amount["max_periods"] = max_periods
    fields.setdefault("amount", Decimal(value) if amount else None)
    submitted_on = fields.setdefault("submitted_on", date(2025, 3, 1))
    if submitted_on is not None:
        fields.setdefault("submitted_at", shanghai(submitted_on.year, submitted_on.month, submitted_on.day, 9, 0))
    if decided_at is None and status in (Status.APPROVED, Status.REJECTED):
        decided_at = shanghai(2025, 3, 20, 10, 0)
    return ApplicationFactory(
        programme=chosen,
        status=status,
        region=region,
        reference=f"LH-2025-{next(_references):06d}",
        evaluation={"as_of": str(submitted_on), "status": "eligible", "amount": amount},
        decided_at=decided_at,
        **fields,
    )


def schedule(payments) -> list[tuple[int, date, Decimal, str]]:
    return [(p.sequence, p.due_on, p.amount, p.state) for p in payments]


# --- The schedule -----------------------------------------------------------------


def test_a_one_off_subsidy_is_one_payment_on_the_15th_of_the_next_month():
    application = decided_application("startup-subsidy", value="10000.00")
    payments = payment_schedule_create(application=application)
    assert schedule(payments) == [(1, date(2025, 4, 15), Decimal("10000.00"), Payment.State.SCHEDULED)]
    assert schedule(application.payments.all()) == schedule(payments)


def test_a_monthly_subsidy_is_paid_monthly_for_the_months_of_the_snapshot():
    application = decided_application("flexible-si-subsidy", value="500.00", max_periods=24)
    payments = payment_schedule_create(application=application)
    assert [p.sequence for p in payments] == list(range(1, 25))
    assert payments[0].due_on == date(2025, 4, 15)
    assert payments[1].due_on == date(2025, 5, 15)
    assert payments[-1].due_on == date(2027, 3, 15)
    assert {p.amount for p in payments} == {Decimal("500.00")}
    assert sum(p.amount for p in payments) == Decimal("12000.00")


def test_public_service_job_months_come_from_the_snapshot_which_holds_the_cap():
    # 9 months worked, psj.max_months = 6: the evaluation kept 6.
    application = decided_application("public-service-job-subsidy", value="1500.00", max_periods=6)
    application.facts = {**application.facts, "public_service_post_months": 9}
    application.save(update_fields=["facts"])
    payments = payment_schedule_create(application=application)
    assert len(payments) == 6
    assert payments[-1].due_on == date(2025, 9, 15)


def test_fewer_public_service_months_than_the_cap_are_paid_as_worked():
    application = decided_application("public-service-job-subsidy", value="1500.00", max_periods=4)
    assert [p.amount for p in payment_schedule_create(application=application)] == [Decimal("1500.00")] * 4


def test_approval_date_is_the_date_in_shanghai():
    # 17:30 UTC on 31 March is 01:30 on 1 April in Shanghai: approved in April.
    late = datetime(2025, 3, 31, 17, 30, tzinfo=ZoneInfo("UTC"))
    application = decided_application("training-subsidy", value="1200.00", decided_at=late)
    assert payment_schedule_create(application=application)[0].due_on == date(2025, 5, 15)


def test_a_december_approval_is_first_paid_in_january():
    application = decided_application(value="500.00", max_periods=2, decided_at=shanghai(2025, 12, 31, 16, 0))
    assert [p.due_on for p in payment_schedule_create(application=application)] == [
        date(2026, 1, 15),
        date(2026, 2, 15),
    ]


def test_an_approval_on_the_15th_is_still_first_paid_the_month_after():
    application = decided_application("startup-subsidy", value="10000.00", decided_at=shanghai(2025, 1, 15, 8, 0))
    assert payment_schedule_create(application=application)[0].due_on == date(2025, 2, 15)


@pytest.mark.parametrize(
    ("slug", "value"),
    [("startup-loan", "200000.00"), ("occupational-injury-cover", None), ("free-business-site", None)],
)
def test_loans_and_programmes_without_cash_have_no_payments(slug, value):
    application = decided_application(slug, value=value)
    assert payment_schedule_create(application=application) == []
    assert not Payment.objects.exists()


def test_scheduling_twice_creates_nothing_more_and_keeps_what_was_there():
    application = decided_application(value="500.00", max_periods=3)
    first = payment_schedule_create(application=application)
    Payment.objects.filter(pk=first[0].pk).update(state=Payment.State.EXPORTED)
    second = payment_schedule_create(application=application)
    assert [p.pk for p in second] == [p.pk for p in first]
    assert Payment.objects.count() == 3
    assert second[0].state == Payment.State.EXPORTED


def test_a_missing_instalment_is_added_and_the_others_are_left_alone():
    application = decided_application(value="500.00", max_periods=3)
    first = payment_schedule_create(application=application)
    Payment.objects.filter(pk=first[1].pk).delete()
    again = payment_schedule_create(application=application)
    assert [p.sequence for p in again] == [1, 2, 3]
    assert again[0].pk == first[0].pk and again[2].pk == first[2].pk


@pytest.mark.parametrize(
    "status", [Status.REJECTED, Status.WITHDRAWN, Status.IN_REVIEW, Status.PENDING_APPROVAL, Status.SUBMITTED]
)
def test_nothing_is_scheduled_unless_the_application_is_approved(status):
    application = decided_application("startup-subsidy", value="10000.00", status=status)
    assert payment_schedule_create(application=application) == []
    assert not Payment.objects.exists()


def test_the_amount_comes_from_the_snapshot_when_the_application_has_none():
    application = decided_application(value="500.00", max_periods=2, amount=None)
    assert [p.amount for p in payment_schedule_create(application=application)] == [Decimal("500.00")] * 2


def test_amounts_are_money_with_two_places():
    application = decided_application("startup-subsidy", value="10000")
    payment = payment_schedule_create(application=application)[0]
    payment.refresh_from_db()
    assert str(payment.amount) == "10000.00"


def test_a_monthly_subsidy_without_its_months_is_refused_clearly():
    application = decided_application(value="500.00", max_periods=None)
    with pytest.raises(PaymentScheduleError, match=application.reference):
        payment_schedule_create(application=application)
    assert not Payment.objects.exists()


def test_the_citizen_sees_the_schedule_on_the_case_page_partial():
    from django.template.loader import render_to_string
    from django.utils import translation

    application = decided_application(value="500.00", max_periods=2)
    payment_schedule_create(application=application)
    with translation.override("en"):
        html = render_to_string("supervision/partials/payment_schedule.html", {"payments": application.payments.all()})
    assert "Payment schedule" in html
    assert html.count("<tr>") == 3  # the header and two instalments
    assert 'datetime="2025-04-15"' in html and 'datetime="2025-05-15"' in html
    assert "500.00 yuan" in html and "Scheduled" in html
    assert render_to_string("supervision/partials/payment_schedule.html", {"payments": []}).strip() == ""


# --- The export for finance ---------------------------------------------------------


def payment(due_on: date, *, region: str = "330800", state: str = Payment.State.SCHEDULED, **fields):
    application = decided_application("startup-subsidy", value="10000.00", region=region, **fields)
    return Payment.objects.create(application=application, sequence=1, due_on=due_on, amount="10000.00", state=state)


@pytest.fixture
def supervisor(client, english):
    person = SupervisorFactory(region="330800")
    client.force_login(person)
    return person


def export(client, start: str = "2025-04-15", end: str = "2025-04-30"):
    return client.get("/supervision/payments.csv", {"from": start, "to": end})


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = response.content
    assert content.startswith("\ufeff".encode())  # the BOM, so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_lists_the_payments_due_in_the_period_both_ends_included(client, supervisor):
    before = payment(date(2025, 4, 14))
    first_day = payment(date(2025, 4, 15), full_name="张伟")
    last_day = payment(date(2025, 4, 30), full_name="李娜", state=Payment.State.EXPORTED)
    after = payment(date(2025, 5, 1))
    response = export(client)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    header, *rows = rows_of(response)
    assert header == [
        "Reference",
        "Programme",
        "Applicant",
        "Bank",
        "Bank account number",
        "Instalment",
        "Due date",
        "Amount (yuan)",
        "State",
    ]
    references = [row[0] for row in rows]
    assert references == [first_day.application.reference, last_day.application.reference]
    assert before.application.reference not in references and after.application.reference not in references
    assert rows[0] == [
        first_day.application.reference,
        first_day.application.programme.title_en,
        "张伟",
        "中国工商银行衢州分行",
        "6222021234567890123",  # the full number, plain digits (RFC 4180; the XLSX keeps it as text for Excel)
        "1",
        "2025-04-15",
        "10000.00",
        "Scheduled",
    ]
    assert rows[1][2] == "李娜" and rows[1][8] == "Sent to finance"  # exported rows are still listed


def test_export_shows_only_the_supervisors_region(client, supervisor):
    ours = payment(date(2025, 4, 20))
    theirs = payment(date(2025, 4, 20), region="330100")
    references = [row[0] for row in rows_of(export(client))[1:]]
    assert references == [ours.application.reference]
    assert theirs.application.reference not in references


def test_export_leaves_cancelled_payments_out(client, supervisor):
    payment(date(2025, 4, 20), state=Payment.State.CANCELLED)
    kept = payment(date(2025, 4, 21))
    assert [row[0] for row in rows_of(export(client))[1:]] == [kept.application.reference]


def test_export_is_recorded_in_the_audit_trail(client, supervisor):
    payment(date(2025, 4, 20))
    payment(date(2025, 4, 21))
    export(client)
    entry = AuditEntry.objects.get()
    assert entry.actor == supervisor
    assert entry.action == AuditEntry.Action.VIEW_PERSONAL_DATA
    assert entry.details == {
        "export": "payments",
        "from": "2025-04-15",
        "to": "2025-04-30",
        "region": "330800",
        "rows": 2,
        "format": "csv",
    }
    assert entry.ip_address == "127.0.0.1"


def test_a_cell_that_excel_would_run_as_a_formula_is_neutralised(client, supervisor):
    payment(date(2025, 4, 20), full_name='=HYPERLINK("http://evil.example","x")')
    assert rows_of(export(client))[1][2] == '\'=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2025-04-31", "to": "2025-05-31"}, "Enter a real date as YYYY-MM-DD"),
        ({"from": "yesterday", "to": "2025-05-31"}, "Enter a real date as YYYY-MM-DD"),
        ({"to": "2025-05-31"}, "Enter the first due date of the period."),
        ({"from": "2025-05-01"}, "Enter the last due date of the period."),
        ({}, "Enter the first due date of the period."),
        ({"from": "2025-05-31", "to": "2025-05-01"}, "The period must not end before it starts."),
    ],
)
def test_a_bad_or_missing_date_answers_the_form_with_the_error(client, supervisor, query, message):
    response = client.get("/supervision/payments.csv", query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_the_export_page_has_the_period_form(client, supervisor):
    response = client.get("/supervision/payments/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'action="/supervision/payments.xlsx"' in page and 'formaction="/supervision/payments.csv"' in page
    assert 'name="from"' in page and 'name="to"' in page and 'type="date"' in page


@pytest.mark.parametrize("role_factory", [CitizenFactory, CaseworkerFactory])
@pytest.mark.parametrize("url", ["/supervision/payments.csv?from=2025-04-01&to=2025-04-30", "/supervision/payments/"])
def test_only_supervisors_may_export(client, role_factory, url):
    payment(date(2025, 4, 20))
    client.force_login(role_factory())
    response = client.get(url)
    assert response.status_code == 403
    assert b"6222021234567890123" not in response.content
    assert not AuditEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/supervision/payments.csv?from=2025-04-01&to=2025-04-30")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
