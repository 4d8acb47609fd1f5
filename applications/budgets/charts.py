"""The dashboard's budget and funnel charts, drawn like the other supervision charts
(``applications.supervision.charts``): SVG on the server, with the table of the same numbers."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from applications.budgets.selectors import FORECAST_MONTHS, BudgetPosition, FunnelRow
from applications.supervision.charts import APPROVED, NEUTRAL, BarChart, Series, bar_chart, count_text, money_text

BUDGET = "#5f6368"
PAID = "#1e7b34"
FORECAST = "#a15c00"
INVITED = "#3d6fd6"
OPENED = "#7a4fc9"
APPLIED = "#a15c00"


def _budget_text(value) -> str:
    return _("no budget set") if value is None else money_text(value)


def budgets_chart(positions: Sequence[BudgetPosition], *, year: int) -> BarChart:
    return bar_chart(
        chart_id="budgets",
        title=_("Budgets of %(year)s: committed and paid, with the forecast") % {"year": year},
        description=_(
            "Per cash programme, all regions: the budget in force today; committed, the instalments of approved "
            "cases due in %(year)s, scheduled or sent to finance; paid, those sent to finance; forecast, the yearly "
            "cost of the registry persons found eligible who have not applied (the monthly amount times at most "
            "%(months)s months, or the one-off amount)."
        )
        % {"year": year, "months": FORECAST_MONTHS},
        category_heading=_("Programme"),
        series=[
            Series(_("Budget"), BUDGET),
            Series(_("Committed"), NEUTRAL),
            Series(_("Paid"), PAID),
            Series(_("Forecast"), FORECAST),
        ],
        rows=[(row.programme.title, [row.amount, row.committed, row.paid, row.forecast]) for row in positions],
        value_text=_budget_text,
    )


def funnel_chart(rows: Sequence[FunnelRow]) -> BarChart:
    return bar_chart(
        chart_id="funnel",
        title=_("From the registry to approval, per programme"),
        description=_(
            "All regions: registry persons found eligible by matching; invited; who opened the invitation; who "
            "applied from it; whose application was approved."
        ),
        category_heading=_("Programme"),
        series=[
            Series(_("Matched"), NEUTRAL),
            Series(_("Invited"), INVITED),
            Series(_("Opened"), OPENED),
            Series(_("Applied"), APPLIED),
            Series(_("Approved"), APPROVED),
        ],
        rows=[(row.programme.title, [row.matched, row.invited, row.opened, row.applied, row.approved]) for row in rows],
        value_text=count_text,
    )
