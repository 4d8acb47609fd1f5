"""Date arithmetic with the exact semantics of the policy catalogue, section 1."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, keeping the day of month and
    clamping it to the last day of the target month (2022-08-31 + 6 months =
    2023-02-28).

    Dates beyond the calendar's range saturate at ``date.max`` / ``date.min``
    rather than raising, so that any date a client sends can be screened.
    """
    years, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + years
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """ "Within N years" is ``add_months(D, 12 * N)`` (catalogue, section 1)."""
    return add_months(day, 12 * years)


def age_on(birth_date: date, as_of: date) -> int:
    """Age in whole years on ``as_of``.

    A person born on 2000-03-01 is 24 on 2024-03-01 and 23 on 2024-02-29. A
    person born on 29 February completes a year on 1 March in years without a
    29 February: a whole year has not passed before the calendar reaches the
    day after 28 February.
    """
    had_birthday = (as_of.month, as_of.day) >= (birth_date.month, birth_date.day)
    return as_of.year - birth_date.year - (0 if had_birthday else 1)
