"""The service level of the review: working days, the decision due date, overdue cases.

Catalogue section 3, ``review.sla_working_days`` (local default 15): a submitted
application is decided within that many working days of its submission date,
using the value in force on that date. The clock stops while the applicant is
asked for more information (``info_requested``); when they answer, the due date
moves on by the working days it stood still. A reconsideration is due that many
working days after it was asked for. Dates are in Asia/Shanghai.

A working day is Monday to Friday, except public holidays, plus the weekend days
the State Council makes working days (调休). The calendar is in
``applications/public_holidays.toml``, with the notice each year comes from.
"""

import logging
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from applications.models import Application, Notification, Status
from applications.services import notifications
from eligibility.parameter_cache import parameters_in_force
from portal.accounts.roles import Role

logger = logging.getLogger(__name__)

HOLIDAY_FILE = Path(__file__).resolve().parent.parent / "public_holidays.toml"
SLA_PARAMETER = "review.sla_working_days"
# Cases whose clock runs. ``info_requested`` is not here: its clock is stopped.
CLOCK_RUNNING_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.PENDING_APPROVAL, Status.RECONSIDERATION)


# --- The calendar -------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayCalendar:
    days_off: frozenset[date]
    working_weekends: frozenset[date]
    years: frozenset[int]

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            _warn_uncovered_year(day.year)
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off


def calendar_parse(data: dict) -> HolidayCalendar:
    """Reads the calendar file's content; a date out of place is a configuration error."""
    days_off: set[date] = set()
    working_weekends: set[date] = set()
    years: set[int] = set()
    for year_key, year in data.get("years", {}).items():
        year_number = int(year_key)
        years.add(year_number)
        for holiday in year.get("holidays", []):
            first, last = holiday["from"], holiday["to"]
            if not (isinstance(first, date) and isinstance(last, date) and first <= last):
                raise ValueError(f"{year_key}: holiday {holiday.get('name')!r} has no valid from/to dates")
            day = first
            while day <= last:
                days_off.add(day)
                day += timedelta(days=1)
        for day in year.get("working_weekends", []):
            if not isinstance(day, date) or day.weekday() < 5:
                raise ValueError(f"{year_key}: working weekend day {day} is not a Saturday or Sunday")
            working_weekends.add(day)
    overlap = days_off & working_weekends
    if overlap:
        raise ValueError(f"Days both off and working: {sorted(overlap)}")
    return HolidayCalendar(frozenset(days_off), frozenset(working_weekends), frozenset(years))


@cache
def holiday_calendar() -> HolidayCalendar:
    with HOLIDAY_FILE.open("rb") as file:
        return calendar_parse(tomllib.load(file))


@cache
def _warn_uncovered_year(year: int) -> None:
    # Once per year and process: without the notice, only weekends are days off.
    logger.warning(
        "The holiday calendar (%s) does not cover %s: counting Monday to Friday as working days. "
        "Add the State Council's notice for that year.",
        HOLIDAY_FILE.name,
        year,
    )


def is_working_day(day: date) -> bool:
    return holiday_calendar().is_working_day(day)


def working_days_add(start: date, n: int) -> date:
    """The day that is ``n`` working days after ``start``; ``start`` itself does not count.

    From a Friday, one working day on is the next Monday (when it is not a holiday).
    """
    if n < 0:
        raise ValueError("Count working days forward only.")
    calendar = holiday_calendar()
    day = start
    while n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """The working days after ``a`` up to and including ``b``; 0 when ``b`` is not after ``a``.

    ``working_days_add(a, working_days_between(a, b)) == b`` whenever ``b`` is a working day.
    """
    calendar = holiday_calendar()
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


# --- The clock of one application ----------------------------------------------------


def sla_due_date(*, submitted_on: date) -> date:
    """The date a decision on an application submitted on ``submitted_on`` is due."""
    working_days = parameters_in_force(submitted_on).value(SLA_PARAMETER)
    return working_days_add(submitted_on, int(working_days))


def sla_on_transition(*, application: Application, from_status: str, to_status: str, today: date) -> tuple[str, ...]:
    """Keeps the clock of ``application`` for a move from ``from_status`` to ``to_status``.

    Called by ``application_transition`` on the locked row, in its transaction.
    Changes the SLA fields of ``application`` in memory and returns the names of
    the fields it changed, for the caller to save.
    """
    if from_status == Status.DRAFT and to_status == Status.SUBMITTED:
        application.sla_due_on = sla_due_date(submitted_on=application.submitted_on or today)
        application.sla_paused_on = None
        application.overdue_flagged_at = None
        return ("sla_due_on", "sla_paused_on", "overdue_flagged_at")
    if from_status == Status.REJECTED and to_status == Status.RECONSIDERATION:
        # A reconsideration is decided within the same number of working days of its request.
        application.sla_due_on = sla_due_date(submitted_on=today)
        application.sla_paused_on = None
        application.overdue_flagged_at = None
        return ("sla_due_on", "sla_paused_on", "overdue_flagged_at")
    if to_status == Status.INFO_REQUESTED:
        application.sla_paused_on = today
        return ("sla_paused_on",)
    if from_status == Status.INFO_REQUESTED and application.sla_paused_on is not None:
        # The answer came in (→ submitted) or the case ended (→ withdrawn): the clock runs again.
        stood_still = working_days_between(application.sla_paused_on, today)
        changed = ["sla_paused_on"]
        if application.sla_due_on is not None and stood_still:
            application.sla_due_on = working_days_add(application.sla_due_on, stood_still)
            changed.append("sla_due_on")
        application.sla_paused_on = None
        if application.overdue_flagged_at is not None and application.sla_due_on and application.sla_due_on >= today:
            # No longer overdue: should it fall behind again, supervisors are told again.
            application.overdue_flagged_at = None
            changed.append("overdue_flagged_at")
        return tuple(changed)
    return ()


# --- Overdue cases -------------------------------------------------------------------


def sla_overdue_cases(*, today: date) -> QuerySet[Application]:
    """Open cases whose clock runs and whose decision was due before ``today``."""
    return Application.objects.filter(
        status__in=CLOCK_RUNNING_STATUSES, sla_due_on__lt=today, overdue_flagged_at__isnull=True
    )


@transaction.atomic
def sla_flag_overdue(*, today: date | None = None) -> int:
    """Flags the cases newly past their due date and tells their region's supervisors.

    Returns how many cases it flagged. A flagged case is not flagged or reported
    again, so running this twice flags and notifies once. Each supervisor gets one
    message per run listing their region's newly overdue cases.
    """
    today = today or timezone.localdate()
    cases = list(
        sla_overdue_cases(today=today)
        # A case being moved right now is left for the next run.
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("programme")
        .order_by("region", "sla_due_on", "pk")
    )
    if not cases:
        return 0
    Application.objects.filter(pk__in=[case.pk for case in cases], overdue_flagged_at__isnull=True).update(
        overdue_flagged_at=timezone.now()
    )
    by_region: dict[str, list[Application]] = defaultdict(list)
    for case in cases:
        by_region[case.region].append(case)
    supervisors = (
        get_user_model()
        .objects.filter(groups__name=Role.SUPERVISOR, region__in=list(by_region), is_active=True)
        .distinct()
        .order_by("pk")
    )
    told: set[str] = set()
    for supervisor in supervisors:
        _notify_supervisor(supervisor=supervisor, cases=by_region[supervisor.region], today=today)
        told.add(supervisor.region)
    for region in set(by_region) - told:
        logger.warning(
            "%s overdue case(s) in region %s, which has no active supervisor", len(by_region[region]), region
        )
    return len(cases)


def _notify_supervisor(*, supervisor, cases: list[Application], today: date) -> list[Notification]:
    """Writes the overdue report for one supervisor to the outbox, in their language."""
    return notifications.notify_person(
        person=supervisor,
        event=Notification.Event.SLA_OVERDUE,
        context={
            "cases": [
                {"application": case, "days_late": working_days_between(case.sla_due_on, today)} for case in cases
            ],
            "count": len(cases),
            "region": supervisor.region,
        },
        # Never tied to a case: its inbox messages show on the applicant's case page.
        application=None,
    )
