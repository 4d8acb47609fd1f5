"""The supervision dashboard's "Budgets" and "Funnel" sections (templates/budgets/partials/).

Both read the match results once: four queries in all, whatever the number of cases,
payments, registry persons and invitations.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from applications.budgets import charts, selectors
from applications.supervision.charts import BarChart
from eligibility.models import Programme


@dataclass(frozen=True)
class BudgetsSection:
    year: int
    positions: list[selectors.BudgetPosition]
    chart: BarChart | None


@dataclass(frozen=True)
class FunnelSection:
    rows: list[selectors.FunnelRow]
    chart: BarChart


def dashboard_sections(*, today: date, programmes: Sequence[Programme]) -> dict:
    """The template context of both sections: ``budgets_section`` (the current year's position
    of each cash programme) and ``funnel_section`` (per programme, matched to approved)."""
    programmes = list(programmes)
    registry = selectors.registry_figures(programmes=programmes)
    cash = [programme for programme in programmes if selectors.is_cash_programme(programme)]
    positions = selectors.budget_positions(year=today.year, on=today, programmes=cash, registry=registry)
    funnel = selectors.funnel_by_programme(programmes=programmes, registry=registry)
    return {
        "budgets_section": BudgetsSection(
            year=today.year,
            positions=positions,
            chart=charts.budgets_chart(positions, year=today.year) if positions else None,
        ),
        "funnel_section": FunnelSection(rows=funnel, chart=charts.funnel_chart(funnel)),
    }
