"""Bar charts drawn on the server as SVG, each with the table of its numbers.

A chart is a list of categories (a row of the table, a group of bars), each with
one value per series (a column of the table, a bar colour). The geometry is
computed here; ``templates/supervision/partials/chart.html`` draws the SVG and
the table from the same object, so they can never show different numbers.
Bars are horizontal with the category's label above them, so long programme
titles in either language fit.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.selectors_supervision import BacklogBucket, ProgrammeFigures, WeekDecisions

# Text is drawn at the body text size (static/css/portal.css: 1.0625rem, 17 px; never
# less than 16 px), and the SVG is never scaled down: each
# layout's width is at most the width its chart column has wherever that layout shows.
# The wide layout shows from Bootstrap's sm breakpoint (576 px viewport), where a chart
# card's body is about 482 px wide, the narrowest it gets from there (two columns on
# xl: about 512 px); the narrow one below, down to a 320 px phone (about 262 px).
# So a label is never rendered smaller than the body text, on a desktop or a phone.
FONT_SIZE = 17
WIDE_WIDTH = 480
NARROW_WIDTH = 260
LINE_HEIGHT = 22
BAR_HEIGHT = 20
BAR_GAP = 6
GROUP_GAP = 16
LEGEND_ROW = 28
SWATCH = 14
VALUE_GAP = 6
# A bar keeps at least this much room even beside a long value text.
MIN_BAR_ROOM = 60


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of the drawn width of ``text``: CJK characters are one em
    wide, Latin letters and digits at most 0.62 em in the portal's sans-serif fonts."""
    width = 0.0
    for character in text:
        if unicodedata.east_asian_width(character) in ("W", "F"):
            width += 1.0
        elif character in " .,:;'|!il()·":
            width += 0.34
        else:
            width += 0.62
    return width * size


_TOKENS = re.compile(r"\s+|[\u2e80-\uffff]|[^\s\u2e80-\uffff]+")


_CLOSING = set(")）]】」』》〉、。，．,.:;：；!！?？%％")


def wrap_text(text: str, width: float, size: float = FONT_SIZE) -> list[str]:
    """``text`` in lines no wider than ``width``: Latin words kept whole, CJK broken between characters."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        candidate = line + token
        # A closing mark never starts a line (it stays with the word before it).
        fits = text_width(candidate.rstrip(), size) <= width or token in _CLOSING
        if line and not token.isspace() and not fits:
            lines.append(line.rstrip())
            line = token
        else:
            line = candidate if (line or not token.isspace()) else ""
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


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
class LabelLine:
    text: str
    y: float


@dataclass(frozen=True)
class Category:
    label: str
    lines: list[LabelLine]
    bars: list[Bar]

    @property
    def values(self) -> list[str]:
        return [bar.value_text for bar in self.bars]


@dataclass(frozen=True)
class LegendEntry:
    series: Series
    x: float
    y: float

    @property
    def text_x(self) -> float:
        return self.x + SWATCH + 6

    @property
    def text_y(self) -> float:
        return self.y + SWATCH - 1


@dataclass(frozen=True)
class Layout:
    """One drawing of the chart, for one range of screen widths."""

    name: str  # "wide" or "narrow"
    width: int
    height: float
    categories: list[Category]
    legend: list[LegendEntry]
    font_size: int = FONT_SIZE
    bar_height: int = BAR_HEIGHT


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    category_heading: str
    series: list[Series]
    wide: Layout
    narrow: Layout

    @property
    def layouts(self) -> list[Layout]:
        return [self.wide, self.narrow]

    @property
    def categories(self) -> list[Category]:
        """The table's rows (the same in both layouts)."""
        return self.wide.categories


def _legend(series: Sequence[Series], width: int) -> tuple[list[LegendEntry], float]:
    if len(series) < 2:
        return [], 0.0
    entries, x, y = [], 0.0, 0.0
    for entry in series:
        room = SWATCH + 6 + text_width(entry.name) + 18
        if x and x + room > width:
            x, y = 0.0, y + LEGEND_ROW
        entries.append(LegendEntry(series=entry, x=x, y=y + 4))
        x += room
    return entries, y + LEGEND_ROW + 4


def _layout(name, width, series, rows, texts, scale_max) -> Layout:
    legend, y = _legend(series, width)
    value_room = max((text_width(text) for row in texts for text in row), default=0) + VALUE_GAP + 2
    usable = max(width - value_room, MIN_BAR_ROOM)
    categories = []
    for (label, values), row_texts in zip(rows, texts, strict=True):
        lines = []
        for line in wrap_text(label, width):
            lines.append(LabelLine(text=line, y=y + LINE_HEIGHT - 6))
            y += LINE_HEIGHT
        bars = []
        for entry, value, text in zip(series, values, row_texts, strict=True):
            length = usable * float(value) / float(scale_max) if value and scale_max else 0.0
            bars.append(
                Bar(
                    series=entry,
                    value_text=text,
                    y=y,
                    width=length,
                    text_x=length + VALUE_GAP,
                    text_y=y + BAR_HEIGHT - 5,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        categories.append(Category(label=label, lines=lines, bars=bars))
        y += GROUP_GAP
    return Layout(name=name, width=width, height=max(y, LINE_HEIGHT), categories=categories, legend=legend)


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
    """Lays out ``rows`` (label, one value per series) as grouped horizontal bars, twice:
    for wide and for narrow screens, labels wrapped to fit each.

    ``maximum`` is the value of a full-length bar (100 for percentages); by
    default the largest value. A value of None draws no bar and its text says so.
    """
    values = [value for _label, row in rows for value in row if value is not None]
    scale_max = maximum if maximum is not None else max(values, default=0)
    texts = [[value_text(value) for value in row] for _label, row in rows]
    return BarChart(
        id=chart_id,
        title=title,
        description=description,
        category_heading=category_heading,
        series=list(series),
        wide=_layout("wide", WIDE_WIDTH, series, rows, texts, scale_max),
        narrow=_layout("narrow", NARROW_WIDTH, series, rows, texts, scale_max),
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
