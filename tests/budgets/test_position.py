"""Budget use: committed and paid in a year from hand-made cases and payments, and the forecast
from the matched registry."""

from datetime import date
from decimal import Decimal

import pytest

from applications.budgets.selectors import budget_position
from applications.models import Payment, Status
from tests.budgets.helpers import budget, case_with_payments, invitation, match, registry_person
from tests.factories import programme

pytestmark = pytest.mark.django_db

SCHEDULED, EXPORTED, CANCELLED = Payment.State.SCHEDULED, Payment.State.EXPORTED, Payment.State.CANCELLED


def test_committed_and_paid_count_the_instalments_of_approved_cases_due_in_the_year():
    budget("flexible-si-subsidy", 2026, "10000.00", date(2025, 12, 1))
    budget("flexible-si-subsidy", 2026, "8000.00", date(2026, 7, 1))  # cut from July
    case_with_payments(
        "flexible-si-subsidy",
        [
            (date(2025, 12, 15), "500.00", EXPORTED),  # the year before: not counted
            (date(2026, 1, 15), "500.00", EXPORTED),
            (date(2026, 2, 15), "500.00", EXPORTED),
            (date(2026, 3, 15), "500.00", SCHEDULED),
            (date(2026, 4, 15), "500.00", CANCELLED),  # cancelled: neither committed nor paid
            (date(2026, 12, 15), "500.00", SCHEDULED),
            (date(2027, 1, 15), "500.00", SCHEDULED),  # the year after
        ],
    )
    case_with_payments("flexible-si-subsidy", [(date(2026, 5, 15), "700.00", SCHEDULED)], region="330100")
    # Not counted: a case no longer approved, and another programme.
    case_with_payments("flexible-si-subsidy", [(date(2026, 5, 15), "999.00", SCHEDULED)], status=Status.WITHDRAWN)
    case_with_payments("startup-subsidy", [(date(2026, 5, 15), "5000.00", SCHEDULED)])

    position = budget_position(programme=programme("flexible-si-subsidy"), year=2026, on=date(2026, 6, 30))
    assert position.amount == Decimal("10000.00")
    assert position.committed == Decimal("2700.00")  # 500 × 4 + 700 (all regions)
    assert position.paid == Decimal("1000.00")
    assert position.remaining == Decimal("7300.00")
    assert not position.over_budget

    later = budget_position(programme=programme("flexible-si-subsidy"), year=2026, on=date(2026, 7, 1))
    assert later.amount == Decimal("8000.00") and later.remaining == Decimal("5300.00")


def test_a_year_without_a_budget_has_no_remaining_and_an_overspent_one_goes_negative():
    chosen = programme("startup-subsidy")
    case_with_payments("startup-subsidy", [(date(2026, 5, 15), "5000.00", SCHEDULED)])
    assert budget_position(programme=chosen, year=2026, on=date(2026, 6, 1)).remaining is None
    budget("startup-subsidy", 2026, "4000.00", date(2026, 1, 1))
    position = budget_position(programme=chosen, year=2026, on=date(2026, 6, 1))
    assert position.remaining == Decimal("-1000.00") and position.over_budget


def test_the_forecast_is_the_yearly_cost_of_eligible_persons_who_have_not_applied():
    monthly = "flexible-si-subsidy"
    match(registry_person(), monthly, amount="500.00", max_periods=24)  # a year of it: 6,000.00
    match(registry_person(), monthly, amount="300.00", max_periods=6)  # fewer months: 1,800.00
    match(registry_person(), monthly, amount="100.00", max_periods=None)  # no limit given: 12 months
    match(registry_person(), monthly, status="ineligible", amount=None)
    match(registry_person(), monthly, status="needs_info", amount="500.00", max_periods=24)
    # Applied: a sent application with the same identity number, or one made from an invitation.
    applied = registry_person()
    match(applied, monthly, amount="500.00", max_periods=24)
    case_with_payments(monthly, [], status=Status.SUBMITTED, id_number=applied.id_number)
    invited = registry_person()
    match(invited, monthly, amount="500.00", max_periods=24)
    invitation(invited, monthly, application=case_with_payments(monthly, [], status=Status.IN_REVIEW))
    # A draft or a withdrawn application is not applying: still forecast.
    drafted = registry_person()
    match(drafted, monthly, amount="50.00", max_periods=12)
    case_with_payments(monthly, [], status=Status.DRAFT, id_number=drafted.id_number)
    # A one-off counts its amount once.
    match(registry_person(), "startup-subsidy", amount="5000.00")

    position = budget_position(programme=programme(monthly), year=2026)
    assert position.forecast_persons == 4
    assert position.forecast == Decimal("6000.00") + Decimal("1800.00") + Decimal("1200.00") + Decimal("600.00")
    one_off = budget_position(programme=programme("startup-subsidy"), year=2026)
    assert (one_off.forecast, one_off.forecast_persons) == (Decimal("5000.00"), 1)
