"""Reads of budgets: the budget in force, what is committed and paid against it, the
forecast from the matched registry, and the funnel from matching to approval.

Budgets are the programme's, for the whole portal (all regions): the figures
against them count every region's cases. Each read is a fixed number of
aggregate queries, whatever the number of cases, payments or registry persons.

Rules (stated on the pages too):

- committed in a year: the instalments of approved cases of the programme due in
  that year, scheduled or sent to finance (cancelled ones are not counted);
- paid in a year: the instalments due in that year that were sent to finance;
- forecast: the yearly cost of the registry persons whose latest match is
  eligible and who have not applied for the programme: the monthly amount times
  min(12, the most months paid) for a monthly subsidy, the amount for a one-off.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from applications.budgets.models import Budget
from applications.models import APPROVED_STATUSES, Application, AuditEntry, Payment, Status
from eligibility.models import Programme
from eligibility.rules.programmes import PROGRAMMES

MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A monthly subsidy's forecast counts at most a year of it.
FORECAST_MONTHS = 12


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Which programmes have a budget -------------------------------------------------------


def is_cash_programme(programme: Programme) -> bool:
    """The portal pays it itself: its rules give an amount and no partner fulfils it.

    A guaranteed loan is lent by the bank and a tax relief is deducted by the tax
    bureau: neither is the portal's money, and neither has a payment schedule.
    """
    rules = PROGRAMMES.get(programme.slug)
    return rules is not None and rules.amount is not None and rules.fulfilment is None


def cash_programmes() -> list[Programme]:
    return [programme for programme in Programme.objects.order_by("position", "slug") if is_cash_programme(programme)]


def not_budgeted_programmes() -> list[Programme]:
    """Programmes with an amount that is not the portal's money (loans, tax reliefs): named on the page."""
    return [
        programme
        for programme in Programme.objects.order_by("position", "slug")
        if PROGRAMMES.get(programme.slug) is not None
        and PROGRAMMES[programme.slug].amount is not None
        and not is_cash_programme(programme)
    ]


def may_edit_budgets(user) -> bool:
    """The policy administrator's permission, as for parameter values."""
    return bool(user.is_authenticated and user.has_perm("eligibility.add_parametervalue"))


# --- The budget in force --------------------------------------------------------------------


def budget_in_force(*, programme: Programme, year: int, on: date | None = None) -> Budget | None:
    """The entry with the latest ``valid_from`` on or before ``on`` (default today); None before any."""
    on = on or timezone.localdate()
    return (
        Budget.objects.filter(programme=programme, year=year, valid_from__lte=on).order_by("-valid_from", "-pk").first()
    )


def budgets_in_force(*, programmes: Sequence[Programme], on: date | None = None) -> dict[tuple[int, int], Budget]:
    """{(programme id, year): budget in force on ``on``} for every year that has one (one query)."""
    on = on or timezone.localdate()
    rows = (
        Budget.objects.filter(programme__in=list(programmes), valid_from__lte=on)
        .select_related("created_by")
        .order_by("programme_id", "year", "valid_from", "pk")
    )
    in_force: dict[tuple[int, int], Budget] = {}
    for row in rows:
        in_force[(row.programme_id, row.year)] = row  # later rows override earlier ones
    return in_force


def budget_history(*, programmes: Sequence[Programme]) -> dict[int, list[Budget]]:
    """Every entry per programme, by year (newest first) then date (newest first) (one query)."""
    history: dict[int, list[Budget]] = {programme.pk: [] for programme in programmes}
    rows = (
        Budget.objects.filter(programme__in=list(programmes))
        .select_related("created_by")
        .order_by("programme_id", "-year", "-valid_from", "-pk")
    )
    for row in rows:
        history[row.programme_id].append(row)
    return history


# --- Committed, paid and forecast ------------------------------------------------------------


@dataclass(frozen=True)
class BudgetPosition:
    programme: Programme
    year: int
    budget: Budget | None
    committed: Decimal
    paid: Decimal
    forecast: Decimal
    forecast_persons: int

    @property
    def amount(self) -> Decimal | None:
        return None if self.budget is None else self.budget.amount

    @property
    def remaining(self) -> Decimal | None:
        """The budget less what is committed (negative when overspent); None without a budget."""
        return None if self.budget is None else self.budget.amount - self.committed

    @property
    def over_budget(self) -> bool:
        return self.remaining is not None and self.remaining < 0

    @property
    def committed_with_forecast(self) -> Decimal:
        return self.committed + self.forecast


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def committed_payments(*, year: int) -> "Payment.objects":
    """Instalments of approved cases due in ``year``, not cancelled: what is committed."""
    first, last = _year_bounds(year)
    return Payment.objects.filter(
        application__status__in=APPROVED_STATUSES, due_on__gte=first, due_on__lte=last
    ).exclude(state=Payment.State.CANCELLED)


def _spending(programmes: Sequence[Programme], year: int) -> dict[int, dict]:
    rows = (
        committed_payments(year=year)
        .filter(application__programme__in=list(programmes))
        .values("application__programme_id")
        .annotate(committed=Sum("amount"), paid=Sum("amount", filter=Q(state=Payment.State.EXPORTED)))
        .order_by()
    )
    return {row["application__programme_id"]: row for row in rows}


def _yearly_cost():
    """A match result's yearly cost: amount × min(12, max_periods) monthly, the amount once."""
    months = Least(Coalesce("max_periods", Value(FORECAST_MONTHS)), Value(FORECAST_MONTHS))
    return Case(
        When(per=Programme.Per.MONTH, then=F("amount") * months),
        When(per=Programme.Per.ONCE, then=F("amount")),
        default=Value(None),
        output_field=MONEY,
    )


def _not_applied():
    """A match result's person has no sent (not withdrawn) application for its programme,
    by identity number or from an invitation."""
    from applications.outreach.models import Invitation

    applied = Application.objects.filter(
        programme=OuterRef("programme"), id_number_hash=OuterRef("person__id_number_hash")
    ).exclude(status__in=[Status.DRAFT, Status.WITHDRAWN])
    invited_and_applied = Invitation.objects.filter(
        person=OuterRef("person"), programme=OuterRef("programme"), application__isnull=False
    ).exclude(application__status__in=[Status.DRAFT, Status.WITHDRAWN])
    return ~Exists(applied) & ~Exists(invited_and_applied)


@dataclass(frozen=True)
class RegistryFigures:
    matched: int = 0  # persons whose latest result is eligible
    forecast: Decimal = ZERO  # the yearly cost of those who have not applied
    forecast_persons: int = 0


def registry_figures(*, programmes: Sequence[Programme]) -> dict[int, RegistryFigures]:
    """Per programme, from the latest match results: persons eligible, and the forecast of those
    who have not applied (one query over the eligible results)."""
    from eligibility.matching.models import MatchResult

    forecast = Q(amount__isnull=False) & _not_applied()
    rows = (
        MatchResult.objects.filter(programme__in=list(programmes), status=MatchResult.Status.ELIGIBLE)
        .values("programme_id")
        .annotate(
            matched=Count("pk"),
            cost=Sum(_yearly_cost(), filter=forecast),
            persons=Count("pk", filter=forecast),
        )
        .order_by()
    )
    return {
        row["programme_id"]: RegistryFigures(
            matched=row["matched"], forecast=_money(row["cost"]), forecast_persons=row["persons"]
        )
        for row in rows
    }


def budget_positions(
    *,
    year: int,
    on: date | None = None,
    programmes: Sequence[Programme] | None = None,
    registry: dict[int, RegistryFigures] | None = None,
) -> list[BudgetPosition]:
    """The position of every cash programme (or of ``programmes``) for ``year``, as known on ``on``;
    ``registry`` the programmes' ``registry_figures`` when read already.

    Three queries (two with ``registry``) whatever the number of cases, payments and registry persons.
    """
    programmes = cash_programmes() if programmes is None else list(programmes)
    if not programmes:
        return []
    budgets = budgets_in_force(programmes=programmes, on=on)
    spending = _spending(programmes, year)
    forecasts = registry_figures(programmes=programmes) if registry is None else registry
    positions = []
    for programme in programmes:
        spent = spending.get(programme.pk, {})
        forecast = forecasts.get(programme.pk, RegistryFigures())
        positions.append(
            BudgetPosition(
                programme=programme,
                year=year,
                budget=budgets.get((programme.pk, year)),
                committed=_money(spent.get("committed")),
                paid=_money(spent.get("paid")),
                forecast=forecast.forecast,
                forecast_persons=forecast.forecast_persons,
            )
        )
    return positions


def budget_position(*, programme: Programme, year: int, on: date | None = None) -> BudgetPosition:
    """Budget in force on ``on`` (default today), committed, paid, remaining and forecast for ``year``."""
    return budget_positions(year=year, on=on, programmes=[programme])[0]


# --- An approval against the budget -------------------------------------------------------------


@dataclass(frozen=True)
class BudgetExcess:
    """An approval would take the committed amount of ``year`` above its budget."""

    year: int
    budget: Decimal
    committed: Decimal
    this_case: Decimal

    def as_details(self) -> dict:
        return {
            "year": self.year,
            "budget": f"{self.budget:.2f}",
            "committed": f"{self.committed:.2f}",
            "this_case": f"{self.this_case:.2f}",
        }


def instalments_of(*, per: str | None, value: Decimal, periods: int, approved_on: date) -> list[tuple[date, Decimal]]:
    """The (due date, amount) of the instalments an approval on ``approved_on`` would schedule
    (``applications.services.payments``): one a month for a monthly subsidy, one for a one-off."""
    from applications.services.payments import payment_due_dates

    count = {Programme.Per.MONTH: periods, Programme.Per.ONCE: 1}.get(per, 0)
    amount = _money(value)
    return [(due_on, amount) for due_on in payment_due_dates(approved_on=approved_on, count=count)]


def approval_budget_excess(
    *, programme: Programme, instalments: Sequence[tuple[date, Decimal]], on: date | None = None
) -> BudgetExcess | None:
    """The first year in which the case's instalments (due date, amount), added to what is
    committed already, would exceed that year's budget in force on ``on``; None if none would.

    A year without a budget in force is not limited. Only cash programmes have budgets.
    """
    if not instalments or not is_cash_programme(programme):
        return None
    per_year: dict[int, Decimal] = {}
    for due_on, amount in instalments:
        per_year[due_on.year] = per_year.get(due_on.year, ZERO) + amount
    for year in sorted(per_year):
        budget = budget_in_force(programme=programme, year=year, on=on)
        if budget is None:
            continue
        committed = _money(
            committed_payments(year=year)
            .filter(application__programme=programme)
            .aggregate(total=Sum("amount"))["total"]
        )
        if committed + per_year[year] > budget.amount:
            return BudgetExcess(year=year, budget=budget.amount, committed=committed, this_case=per_year[year])
    return None


# --- Why a case waits for a supervisor ------------------------------------------------------------

# The reason recorded with a first approval (``applications.services.review``) that a
# supervisor's approval is needed because of the budget.
OVER_BUDGET_DETAIL = "over_budget"


def _first_approvals():
    return AuditEntry.objects.filter(
        application=OuterRef("pk"), action=AuditEntry.Action.DECISION, details__decision="first_approval"
    )


def over_budget_annotation():
    """An expression for an Application queryset: the case waits for a second approval
    because its latest first approval would exceed the budget (one subquery per query)."""
    latest = (
        AuditEntry.objects.filter(
            application=OuterRef(OuterRef("pk")),
            action=AuditEntry.Action.DECISION,
            details__decision="first_approval",
        )
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    flagged = _first_approvals().filter(sequence=Subquery(latest), details__has_key=OVER_BUDGET_DETAIL)
    return Case(
        When(Q(status=Status.PENDING_APPROVAL) & Exists(flagged), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def over_budget_reason(application: Application) -> dict | None:
    """The budget figures recorded with the case's latest first approval, while it waits
    for a supervisor because of them; None otherwise (one query)."""
    if application.status != Status.PENDING_APPROVAL:
        return None
    entry = (
        AuditEntry.objects.filter(
            application=application, action=AuditEntry.Action.DECISION, details__decision="first_approval"
        )
        .order_by("-sequence")
        .values_list("details", flat=True)
        .first()
    )
    reason = (entry or {}).get(OVER_BUDGET_DETAIL)
    if not reason:
        return None
    return {
        "year": reason.get("year"),
        "budget": Decimal(reason.get("budget", "0")),
        "committed": Decimal(reason.get("committed", "0")),
        "this_case": Decimal(reason.get("this_case", "0")),
    }


# --- The funnel ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    programme: Programme
    matched: int
    invited: int
    opened: int
    applied: int
    approved: int


def funnel_by_programme(
    *, programmes: Sequence[Programme] | None = None, registry: dict[int, RegistryFigures] | None = None
) -> list[FunnelRow]:
    """Per programme: registry persons matched eligible, invited, who opened the invitation,
    applied from it, and whose application was approved (all regions). Two queries (one with
    ``registry``, the programmes' ``registry_figures``), and one more without ``programmes``."""
    from applications.outreach.models import Invitation

    programmes = list(Programme.objects.order_by("position", "slug")) if programmes is None else list(programmes)
    registry = registry_figures(programmes=programmes) if registry is None else registry
    invitations = {
        row["programme_id"]: row
        for row in Invitation.objects.filter(programme__in=programmes)
        .values("programme_id")
        .annotate(
            invited=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            applied=Count("pk", filter=Q(application__isnull=False)),
            approved=Count("pk", filter=Q(application__status__in=APPROVED_STATUSES)),
        )
        .order_by()
    }
    rows = []
    for programme in programmes:
        counts = invitations.get(programme.pk, {})
        rows.append(
            FunnelRow(
                programme=programme,
                matched=registry.get(programme.pk, RegistryFigures()).matched,
                invited=counts.get("invited", 0),
                opened=counts.get("opened", 0),
                applied=counts.get("applied", 0),
                approved=counts.get("approved", 0),
            )
        )
    return rows
