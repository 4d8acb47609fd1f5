"""Payments of approved cash subsidies: the schedule, and the list finance pays from.

Scheduling rule (catalogue, "Kind" of each programme):

- a one-off subsidy (``per == "once"``) is one payment of the approved amount;
- a monthly subsidy (``per == "month"``) is one payment of the approved monthly
  amount per month, as many as the ``max_periods`` the application's evaluation
  snapshot holds (for ``public-service-job-subsidy`` that already is
  ``min(public_service_post_months, psj.max_months)``), and no more than the months
  the person has left after their other approved applications for it
  (``applications.selectors_entitlements``);
- a loan (``per == "loan"``) is lent by the bank under our guarantee, and a
  service or request pays no cash: neither has a schedule.

The first payment is due on the 15th of the month after the approval (the
approval's date in Asia/Shanghai), each further one on the 15th of the following
month. Finance pays on the next banking day when the 15th is not one; the
schedule does not try to know the bank's calendar.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, AuditEntry, Payment, Status
from applications.selectors_entitlements import months_to_schedule
from applications.selectors_supervision import PaymentRow, payments_due
from applications.services.audit import audit_record
from eligibility.dates import add_months
from eligibility.models import Programme
from portal.db_router import replica_in_use

# The day of the month instalments fall due: the local payment run.
PAYMENT_DAY = 15
CENT = Decimal("0.01")


class PaymentScheduleError(Exception):
    """An approved cash subsidy lacks what its schedule is computed from."""


def payment_due_dates(*, approved_on: date, count: int) -> list[date]:
    """The due dates of ``count`` monthly instalments of a subsidy approved on ``approved_on``."""
    payment_day = approved_on.replace(day=PAYMENT_DAY)
    return [add_months(payment_day, months) for months in range(1, count + 1)]


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _instalment_amount(application: Application) -> Decimal:
    """The approved amount, per month for a monthly subsidy; the submission's
    evaluation when no amount was recorded on the application."""
    if application.amount is not None:
        return _money(application.amount)
    snapshot = (application.evaluation or {}).get("amount") or {}
    try:
        return _money(snapshot["value"])
    except (KeyError, TypeError, InvalidOperation) as error:
        raise PaymentScheduleError(
            _("Application %(reference)s has no approved amount to pay.") % {"reference": application.reference}
        ) from error


def _instalment_count(application: Application) -> int:
    per = application.programme.per
    if per == Programme.Per.ONCE:
        return 1
    if per != Programme.Per.MONTH:
        return 0  # a loan or a service: nothing for us to pay
    snapshot = (application.evaluation or {}).get("amount") or {}
    periods = snapshot.get("max_periods")
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        raise PaymentScheduleError(
            _("Application %(reference)s does not say for how many months the subsidy is paid.")
            % {"reference": application.reference}
        )
    # At most the months the person has left of the subsidy across their applications (issue 14, item 5).
    return months_to_schedule(application, periods=periods)


@transaction.atomic
def payment_schedule_create(*, application: Application) -> list[Payment]:
    """Schedules the payments of an approved cash subsidy and returns the whole schedule.

    Call it in the transaction that approves the application, after its status
    became ``approved``. Idempotent: instalments already scheduled are kept as
    they are (whatever their state) and only missing ones are added, so a
    second call creates nothing. An application that is not approved (rejected,
    withdrawn, still open) gets no payments: the answer is ``[]``. Loans and
    programmes without cash answer ``[]`` too.
    """
    locked = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    if locked.status != Status.APPROVED:
        return []
    count = _instalment_count(locked)
    if count:
        existing = set(locked.payments.values_list("sequence", flat=True))
        approved_on = timezone.localdate(locked.decided_at) if locked.decided_at else timezone.localdate()
        amount = _instalment_amount(locked)
        Payment.objects.bulk_create(
            [
                Payment(application=locked, region=locked.region, sequence=sequence, due_on=due_on, amount=amount)
                for sequence, due_on in enumerate(payment_due_dates(approved_on=approved_on, count=count), start=1)
                if sequence not in existing
            ]
        )
    return list(locked.payments.order_by("sequence"))


EXPORT_FORMATS = ("csv", "xlsx")


def payments_export(
    *, supervisor, date_from: date, date_to: date, file_format: str = "csv", request=None
) -> list[PaymentRow]:
    """The payments due from ``date_from`` to ``date_to`` (both included) in the
    supervisor's region, for finance, with the applicants' full bank accounts.

    Records in the audit trail that this personal data left the portal, in which
    file format; an empty period lets nothing leave and records nothing. Rows are
    not marked as exported: the list can be drawn again, and each row's state says
    where it stands. Cancelled instalments are left out: finance must not pay them.

    Not one transaction: under ``reading_from_replica()`` (the export views) the rows are read
    from the replica, and the audit entry is written on the primary (``portal.db_router``). The
    replica may be a moment behind, so the instalments it lists are confirmed on the primary: one
    cancelled a second ago is not sent to finance (one scheduled meanwhile is in the next list).
    """
    if not supervisor.is_supervisor or not supervisor.region:
        raise PermissionDenied(_("Only a supervisor may export the payments of their region."))
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}")
    due = payments_due(region=supervisor.region, date_from=date_from, date_to=date_to)
    make = tuple.__new__  # PaymentRow._make without its checks: tens of thousands of rows
    payments = [make(PaymentRow, row) for row in due]
    if payments and replica_in_use():
        listed = [payment.pk for payment in payments]
        still_due = set(due.using(DEFAULT_DB_ALIAS).filter(pk__in=listed).values_list("pk", flat=True))
        payments = [payment for payment in payments if payment.pk in still_due]
    if not payments:
        return payments
    details = {
        "export": "payments",
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "region": supervisor.region,
        "rows": len(payments),
        "format": file_format,
    }
    audit_record(actor=supervisor, action=AuditEntry.Action.VIEW_PERSONAL_DATA, details=details, request=request)
    return payments
