"""Bar charts drawn on the server as SVG, each with the table of its numbers.

A chart is a list of categories (a row of the table, a group of bars), each with
one value per series (a column of the table, a bar colour). The geometry is
computed here; ``templates/supervision/partials/chart.html`` draws the SVG and
the table from the same object, so they can never show different numbers.
Bars are horizontal with the category's label above them, so long programme
titles in either language fit.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.selectors_supervision import BacklogBucket, ProgrammeFigures, WeekDecisions

WIDTH = 640
LABEL_HEIGHT = 20
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 14
LEGEND_HEIGHT = 26
# Room to the right of the longest bar for its value.
VALUE_ROOM = 130


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


@dataclass(frozen=True)
class Bar:
    series: Series
    value_text: str
    y: float
    width: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Category:
    label: str
    label_y: float
    bars: list[Bar]

    @property
    def values(self) -> list[str]:
        return [bar.value_text for bar in self.bars]


@dataclass(frozen=True)
class LegendEntry:
    series: Series
    x: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    category_heading: str
    series: list[Series]
    categories: list[Category]
    legend: list[LegendEntry]
    width: int
    height: float
    bar_height: int = BAR_HEIGHT


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    category_heading: str,
    series: Sequence[Series],
    rows: Sequence[tuple[str, Sequence[Decimal | int | None]]],
    value_text: Callable[[Decimal | int | None], str],
    maximum: Decimal | int | None = None,
) -> BarChart:
    """Lays out ``rows`` (label, one value per series) as grouped horizontal bars.

    ``maximum`` is the value of a full-length bar (100 for percentages); by
    default the largest value. A value of None draws no bar and its text says so.
    """
    values = [value for _label, row in rows for value in row if value is not None]
    scale_max = maximum if maximum is not None else max(values, default=0)
    usable = WIDTH - VALUE_ROOM
    legend = []
    y = 0.0
    if len(series) > 1:
        legend = [LegendEntry(series=entry, x=index * 160) for index, entry in enumerate(series)]
        y = LEGEND_HEIGHT
    categories = []
    for label, row in rows:
        label_y = y + LABEL_HEIGHT - 6
        y += LABEL_HEIGHT
        bars = []
        for entry, value in zip(series, row, strict=True):
            length = float(usable * value / scale_max) if value and scale_max else 0.0
            bars.append(
                Bar(
                    series=entry,
                    value_text=value_text(value),
                    y=y,
                    width=length,
                    text_x=length + 6,
                    text_y=y + BAR_HEIGHT - 4,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        categories.append(Category(label=label, label_y=label_y, bars=bars))
        y += GROUP_GAP
    return BarChart(
        id=chart_id,
        title=title,
        description=description,
        category_heading=category_heading,
        series=list(series),
        categories=categories,
        legend=legend,
        width=WIDTH,
        height=max(y, LABEL_HEIGHT),
    )


def count_text(value: int | None) -> str:
    return formats.number_format(value or 0, force_grouping=True)


def percent_text(value: Decimal | None) -> str:
    if value is None:
        return _("no decisions yet")
    return _("%(rate)s%%") % {"rate": formats.number_format(value, decimal_pos=1)}


def money_text(value: Decimal | None) -> str:
    return _("%(amount)s yuan") % {"amount": formats.number_format(value or 0, decimal_pos=2, force_grouping=True)}


APPROVED = "#1e7b34"
REJECTED = "#b3261e"
NEUTRAL = "#0b57d0"


def _age_label(bucket: BacklogBucket) -> str:
    if bucket.max_days is None:
        return _("More than %(days)s days") % {"days": bucket.min_days - 1}
    return _("%(min)s–%(max)s days") % {"min": bucket.min_days, "max": bucket.max_days}


def backlog_chart(buckets: Sequence[BacklogBucket]) -> BarChart:
    return bar_chart(
        chart_id="backlog",
        title=_("Cases awaiting a decision, by days since submission"),
        description=_("Submitted, in review, waiting for the applicant, or waiting for a second approval."),
        category_heading=_("Days since submission"),
        series=[Series(_("Cases"), NEUTRAL)],
        rows=[(_age_label(bucket), [bucket.count]) for bucket in buckets],
        value_text=count_text,
    )


def _week_label(week: WeekDecisions) -> str:
    return _("Week %(week)s of %(year)s (from %(monday)s)") % {
        "week": week.iso_week,
        "year": week.iso_year,
        "monday": date_format(week.week_start, "MONTH_DAY_FORMAT"),
    }


def decisions_chart(weeks: Sequence[WeekDecisions]) -> BarChart:
    return bar_chart(
        chart_id="decisions",
        title=_("Decisions per week"),
        description=_("Applications approved and rejected in each of the last %(count)s weeks, oldest first.")
        % {"count": len(weeks)},
        category_heading=_("Week"),
        series=[Series(_("Approved"), APPROVED), Series(_("Rejected"), REJECTED)],
        rows=[(_week_label(week), [week.approved, week.rejected]) for week in weeks],
        value_text=count_text,
    )


def approval_rate_chart(figures: Sequence[ProgrammeFigures]) -> BarChart:
    return bar_chart(
        chart_id="approval-rate",
        title=_("Approval rate per programme"),
        description=_("Applications approved as a share of those decided (approved or rejected), to date."),
        category_heading=_("Programme"),
        series=[Series(_("Approval rate"), APPROVED)],
        rows=[(row.programme.title, [row.approval_rate]) for row in figures],
        value_text=percent_text,
        maximum=100,
    )


def committed_chart(figures: Sequence[ProgrammeFigures]) -> BarChart:
    return bar_chart(
        chart_id="committed",
        title=_("Amounts committed per cash programme"),
        description=_(
            "The total that approved applications will receive: the monthly amount times the months approved, "
            "or the one-off amount. Guaranteed loans are not included: the bank lends that money."
        ),
        category_heading=_("Programme"),
        series=[Series(_("Committed"), NEUTRAL)],
        rows=[(row.programme.title, [row.committed]) for row in figures if row.pays_cash],
        value_text=money_text,
    )
