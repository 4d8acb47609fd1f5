"""Reads for supervisors: the dashboard's figures and the payments finance is sent.

Everything is scoped to one region. Each figure is one aggregate query, so the
dashboard costs the same number of queries for ten applications as for a
hundred thousand. Days and weeks are counted in the portal's time zone
(Asia/Shanghai).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from applications.models import APPROVED_STATUSES, DECIDED_STATUSES, Application, Payment, Status
from eligibility.models import Programme

# Cases waiting for the administration's decision (a draft is not waiting yet).
AWAITING_DECISION = (
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.INFO_REQUESTED,
    Status.PENDING_APPROVAL,
    Status.RECONSIDERATION,
)

# Days since submission: 0–5, 6–10, 11–15, 16–30, more than 30 (upper bound None).
BACKLOG_AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 5), (6, 10), (11, 15), (16, 30), (31, None))

DECISION_WEEKS = 8

# An approval stays one after the case goes on to its outcome (served, declined by the partner).
_DECIDED = (*APPROVED_STATUSES, Status.REJECTED)

MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class BacklogBucket:
    min_days: int
    max_days: int | None  # None: no upper bound
    count: int


@dataclass(frozen=True)
class WeekDecisions:
    week_start: date  # the Monday of the ISO week
    approved: int
    rejected: int

    @property
    def iso_year(self) -> int:
        return self.week_start.isocalendar().year

    @property
    def iso_week(self) -> int:
        return self.week_start.isocalendar().week


@dataclass(frozen=True)
class ProgrammeFigures:
    programme: Programme
    approved: int
    rejected: int
    # Cash programmes: what the approved applications will receive in total.
    committed: Decimal | None
    # Loans: the total lent by the bank under our guarantee (not our money).
    loans_approved: Decimal | None

    @property
    def decided(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_rate(self) -> Decimal | None:
        """Approved as a percentage of decided, one decimal; None before any decision."""
        if not self.decided:
            return None
        return (Decimal(100 * self.approved) / self.decided).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def pays_cash(self) -> bool:
        return self.programme.per in (Programme.Per.MONTH, Programme.Per.ONCE)


def _submission_day():
    # submitted_on is the local date of submission; submitted_at is its fallback.
    return Coalesce("submitted_on", TruncDate("submitted_at"))


def backlog_by_age(*, region: str, today: date) -> list[BacklogBucket]:
    """Cases awaiting a decision, counted by days since they were submitted (one query)."""
    buckets = {}
    for index, (min_days, max_days) in enumerate(BACKLOG_AGE_BUCKETS):
        condition = Q(submission_day__lte=today - timedelta(days=min_days))
        if max_days is not None:
            condition &= Q(submission_day__gte=today - timedelta(days=max_days))
        buckets[f"bucket_{index}"] = Count("pk", filter=condition)
    counts = (
        Application.objects.filter(region=region, status__in=AWAITING_DECISION)
        .annotate(submission_day=_submission_day())
        .aggregate(**buckets)
    )
    return [
        BacklogBucket(min_days=min_days, max_days=max_days, count=counts[f"bucket_{index}"])
        for index, (min_days, max_days) in enumerate(BACKLOG_AGE_BUCKETS)
    ]


def decisions_by_week(*, region: str, today: date, weeks: int = DECISION_WEEKS) -> list[WeekDecisions]:
    """Approvals and rejections per ISO week (Monday to Sunday), the current week
    and the ``weeks - 1`` before it, oldest first (one query)."""
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    # Local midnight of the first Monday, so the filter can use an index on decided_at.
    since = timezone.make_aware(datetime.combine(mondays[0], time.min))
    rows = (
        Application.objects.filter(region=region, status__in=_DECIDED, decided_at__gte=since)
        .annotate(decided_on=TruncDate("decided_at"))
        .filter(decided_on__lte=today)
        .values("decided_on", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tally = {(monday, status): 0 for monday in mondays for status in DECIDED_STATUSES}
    for row in rows:
        day = row["decided_on"]
        status = Status.APPROVED if row["status"] in APPROVED_STATUSES else row["status"]
        tally[(day - timedelta(days=day.weekday()), status)] += row["n"]
    return [
        WeekDecisions(
            week_start=monday,
            approved=tally[(monday, Status.APPROVED)],
            rejected=tally[(monday, Status.REJECTED)],
        )
        for monday in mondays
    ]


def _total_to_receive():
    """What one approved application will receive in all: the monthly amount
    times the months of its evaluation snapshot, or the one-off amount."""
    months = Cast(KT("evaluation__amount__max_periods"), IntegerField())
    return Case(
        When(programme__per=Programme.Per.MONTH, then=F("amount") * months),
        When(programme__per=Programme.Per.ONCE, then=F("amount")),
        default=Value(None),
        output_field=MONEY,
    )


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def figures_by_programme(*, region: str) -> list[ProgrammeFigures]:
    """Per programme, in catalogue order: decisions so far, the amount committed
    to approved cash subsidies, and for loans the amount lent under guarantee
    (two queries)."""
    approved = Q(status__in=APPROVED_STATUSES)
    rows = (
        Application.objects.filter(region=region, status__in=_DECIDED)
        .values("programme_id")
        .annotate(
            approved=Count("pk", filter=approved),
            rejected=Count("pk", filter=Q(status=Status.REJECTED)),
            committed=Sum(_total_to_receive(), filter=approved),
            lent=Sum("amount", filter=approved & Q(programme__per=Programme.Per.LOAN)),
        )
        .order_by()
    )
    by_programme = {row["programme_id"]: row for row in rows}
    figures = []
    for programme in Programme.objects.order_by("position", "slug"):
        row = by_programme.get(programme.pk, {})
        pays_cash = programme.per in (Programme.Per.MONTH, Programme.Per.ONCE)
        figures.append(
            ProgrammeFigures(
                programme=programme,
                approved=row.get("approved", 0),
                rejected=row.get("rejected", 0),
                committed=_money(row.get("committed") or 0) if pays_cash else None,
                loans_approved=_money(row.get("lent") or 0) if programme.per == Programme.Per.LOAN else None,
            )
        )
    return figures


class PaymentRow(NamedTuple):
    """One line of the payments export: what finance pays from, and nothing else (not the
    evaluation, the facts or other personal data). Plain values, not model instances: a month
    of a city is tens of thousands of rows."""

    pk: int
    sequence: int
    due_on: date
    amount: Decimal
    state: str
    reference: str
    full_name: str
    bank_name: str
    bank_account: str  # decrypted by the field as it is read
    programme_id: int


# Where each of PaymentRow's fields is read from, when not from the payment itself.
_PAYMENT_ROW_SOURCES = {
    name: f"application__{name}" for name in ("reference", "full_name", "bank_name", "bank_account", "programme_id")
}


def payments_due(*, region: str, date_from: date, date_to: date) -> QuerySet:
    """Payments of the region due from ``date_from`` to ``date_to``, both
    included, except cancelled ones; by due date, then case and instalment.
    Rows of ``PaymentRow``'s fields, in its order (``PaymentRow._make``)."""
    return (
        Payment.objects.filter(region=region, due_on__gte=date_from, due_on__lte=date_to)
        .exclude(state=Payment.State.CANCELLED)
        .order_by("due_on", "application__reference", "sequence")
        .values_list(*(_PAYMENT_ROW_SOURCES.get(name, name) for name in PaymentRow._fields))
    )


def next_due_period(*, region: str, today: date) -> tuple[date, date] | None:
    """The month of the earliest payment of the region still to be paid (scheduled, due today
    or later): the period a supervisor exports next. None when nothing is due."""
    first_due = (
        Payment.objects.filter(region=region, due_on__gte=today, state=Payment.State.SCHEDULED)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    if first_due is None:
        return None
    start = first_due.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)
