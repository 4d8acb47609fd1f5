"""An approval that would exceed the year's budget waits for a supervisor, even below the
four-eyes threshold; within the budget one approval decides, as before."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from applications.models import Approval, AuditEntry, Payment, Status
from applications.services import review
from applications.services.payments import payment_due_dates
from tests.applications.test_review_services import TRAINING_FACTS, decisions, in_review, submitted, threshold_from
from tests.budgets.helpers import budget, case_with_payments
from tests.factories import CaseworkerFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

TRAINING = "training-subsidy"  # 1,200.00 once: below the four-eyes threshold of 5,000.00


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def first_due_dates(count: int) -> list[date]:
    """When the instalments of an approval made today fall due."""
    return payment_due_dates(approved_on=timezone.localdate(), count=count)


def training_case():
    return submitted(programme=TRAINING, facts=TRAINING_FACTS)


def committed_already(amount: str, due_on: date, slug: str = TRAINING):
    case_with_payments(slug, [(due_on, amount, Payment.State.SCHEDULED)])


def test_below_the_threshold_but_over_the_budget_the_case_waits_for_a_supervisor(django_capture_on_commit_callbacks):
    year = first_due_dates(1)[0].year
    budget(TRAINING, year, "5000.00", timezone.localdate() - timedelta(days=1))
    committed_already("4000.00", date(year, 6, 15))
    application = training_case()
    worker, supervisor = CaseworkerFactory(), SupervisorFactory()
    in_review(application, worker)

    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    assert not Payment.objects.filter(application=application).exists()
    assert decisions(application) == ["first_approval"]
    entry = AuditEntry.objects.get(application=application, action=AuditEntry.Action.DECISION)
    assert entry.details["over_budget"] == {
        "year": year,
        "budget": "5000.00",
        "committed": "4000.00",
        "this_case": "1200.00",
    }

    with django_capture_on_commit_callbacks(execute=True):
        review.application_approve(application=application, caseworker=supervisor)
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert list(application.approvals.values_list("stage", "approver")) == [(1, worker.pk), (2, supervisor.pk)]
    assert Payment.objects.filter(application=application).count() == 1


@pytest.mark.parametrize("budget_amount", ["5200.00", "9000.00"])
def test_within_the_budget_one_approval_decides_as_before(budget_amount):
    year = first_due_dates(1)[0].year
    budget(TRAINING, year, budget_amount, timezone.localdate())  # 4,000 + 1,200 = 5,200: not above
    committed_already("4000.00", date(year, 6, 15))
    application = training_case()
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert decisions(application) == ["approved"]
    assert "over_budget" not in AuditEntry.objects.get(action=AuditEntry.Action.DECISION).details


def test_a_budget_of_another_year_or_programme_or_not_yet_in_force_does_not_limit():
    year = first_due_dates(1)[0].year
    budget(TRAINING, year + 1, "1.00", timezone.localdate())
    budget("startup-subsidy", year, "1.00", timezone.localdate())
    budget(TRAINING, year, "1.00", timezone.localdate() + timedelta(days=1))  # from tomorrow
    application = training_case()
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    assert application.status == Status.APPROVED


def test_each_year_of_a_monthly_subsidy_is_held_against_that_years_budget():
    threshold_from(date(2026, 1, 1), "100000.00")  # far above: only the budget can stop it
    dues = first_due_dates(24)  # 500.00 a month for 24 months
    first_year = dues[0].year
    in_first_year = sum(1 for due in dues if due.year == first_year) * Decimal("500.00")
    in_second_year = sum(1 for due in dues if due.year == first_year + 1) * Decimal("500.00")
    today = timezone.localdate()
    budget("flexible-si-subsidy", first_year, f"{in_first_year:.2f}", today)  # exactly enough
    budget("flexible-si-subsidy", first_year + 1, f"{in_second_year - Decimal('0.01'):.2f}", today)  # one cent short
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    reason = AuditEntry.objects.get(action=AuditEntry.Action.DECISION).details["over_budget"]
    assert (reason["year"], reason["this_case"]) == (first_year + 1, f"{in_second_year:.2f}")


def test_a_supervisors_own_approval_over_the_budget_decides():
    year = first_due_dates(1)[0].year
    budget(TRAINING, year, "100.00", timezone.localdate())
    application = training_case()
    supervisor = SupervisorFactory()
    in_review(application, supervisor)
    review.application_approve(application=application, caseworker=supervisor)
    assert application.status == Status.APPROVED
    assert list(Approval.objects.filter(application=application).values_list("stage", flat=True)) == [1]


def test_the_reason_shows_on_the_case_page_and_in_the_supervisors_queue(client, english):
    year = first_due_dates(1)[0].year
    budget(TRAINING, year, "1000.00", timezone.localdate())
    over = training_case()
    four_eyes = submitted()  # 12,000.00: four eyes, within no budget
    worker, supervisor = CaseworkerFactory(), SupervisorFactory()
    for application in (over, four_eyes):
        in_review(application, worker)
        review.application_approve(application=application, caseworker=worker)
    over.refresh_from_db()
    four_eyes.refresh_from_db()
    assert over.status == four_eyes.status == Status.PENDING_APPROVAL

    client.force_login(supervisor)
    page = client.get(f"/staff/cases/{over.reference}/").content.decode()
    assert "Would exceed the budget" in page
    assert "1,200.00 yuan, above the budget of 1,000.00 yuan" in page
    assert "Would exceed the budget" not in client.get(f"/staff/cases/{four_eyes.reference}/").content.decode()

    queue = client.get("/staff/queue/").content.decode()
    rows = {
        reference: queue.split(reference)[2].split("</tr>")[0] for reference in (over.reference, four_eyes.reference)
    }
    assert "Would exceed the budget" in rows[over.reference]
    assert "Would exceed the budget" not in rows[four_eyes.reference]

    # Sent back to review, the case no longer waits for that reason.
    review.application_return_to_review(application=over, supervisor=supervisor, note="Check the certificate")
    assert "Would exceed the budget" not in client.get("/staff/queue/").content.decode()
