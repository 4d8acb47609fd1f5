from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import Application, Notification, Status
from applications.services.intake import application_submit
from applications.services.sla import (
    calendar_parse,
    holiday_calendar,
    is_working_day,
    sla_due_date,
    sla_flag_overdue,
    sla_on_transition,
    working_days_add,
    working_days_between,
)
from applications.services.transitions import application_transition
from applications.tasks import flag_overdue_cases
from eligibility.models import Parameter, ParameterValue
from tests.factories import ApplicationFactory, CaseworkerFactory, SupervisorFactory, ready_to_submit

# --- Working days -----------------------------------------------------------------------


def test_a_weekend_is_skipped():
    assert working_days_add(date(2025, 3, 7), 1) == date(2025, 3, 10)  # Friday → Monday
    assert working_days_add(date(2025, 3, 8), 1) == date(2025, 3, 10)  # from a Saturday
    assert working_days_between(date(2025, 3, 7), date(2025, 3, 10)) == 1


def test_a_public_holiday_is_skipped():
    # Qingming 2025: Friday 4 April is off, then the weekend.
    assert not is_working_day(date(2025, 4, 4))
    assert working_days_add(date(2025, 4, 3), 1) == date(2025, 4, 7)
    # National Day 2025: 1–8 October off.
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 10)) == 2


def test_an_adjusted_working_weekend_day_counts():
    # 调休: Sunday 27 April 2025 and Saturday 11 October 2025 are working days.
    assert is_working_day(date(2025, 4, 27)) and is_working_day(date(2025, 10, 11))
    assert working_days_add(date(2025, 4, 25), 1) == date(2025, 4, 27)
    # Spring Festival 2026: Saturday 14 February is worked, then 15–23 February are off.
    assert working_days_add(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert working_days_add(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_between_counts_after_the_first_day_up_to_the_last():
    monday = date(2025, 3, 3)
    assert working_days_between(monday, monday) == 0
    assert working_days_between(monday, monday - timedelta(days=3)) == 0
    assert working_days_between(monday, date(2025, 3, 7)) == 4
    assert working_days_add(monday, 0) == monday
    with pytest.raises(ValueError):
        working_days_add(monday, -1)


def test_add_and_between_agree_over_the_calendar_years():
    start = date(2025, 1, 1)
    for offset in range(0, 730, 3):
        end = start + timedelta(days=offset)
        if is_working_day(end):
            assert working_days_add(start, working_days_between(start, end)) == end


def test_the_calendar_holds_the_notices_of_2025_and_2026():
    calendar = holiday_calendar()
    assert {2025, 2026} <= calendar.years
    # The notices' totals of days off: 2025 has 28, 2026 has 33 (each holiday period counted whole).
    assert len([day for day in calendar.days_off if day.year == 2025]) == 1 + 8 + 3 + 5 + 3 + 8
    assert len([day for day in calendar.days_off if day.year == 2026]) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert all(day.weekday() >= 5 for day in calendar.working_weekends)


def test_a_calendar_with_a_weekday_as_working_weekend_is_refused():
    with pytest.raises(ValueError):
        calendar_parse({"years": {"2025": {"holidays": [], "working_weekends": [date(2025, 3, 5)]}}})


def test_a_year_outside_the_calendar_counts_weekdays_and_warns(caplog):
    assert working_days_add(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday → Monday
    assert "does not cover 2099" in caplog.text


# --- The clock of an application --------------------------------------------------------


@pytest.mark.django_db
def test_submission_sets_the_due_date_from_the_parameter_in_force_that_day():
    application = ApplicationFactory(submitted_on=date(2025, 9, 26))  # a Friday before National Day
    application_transition(application=application, to_status=Status.SUBMITTED)
    application.refresh_from_db()
    # 15 working days: Sun 28 Sep (调休), 29, 30 Sep, 9, 10, Sat 11 (调休), 13–17, 20–23 Oct.
    assert application.sla_due_on == date(2025, 10, 23)
    assert application.sla_paused_on is None


@pytest.mark.django_db
def test_a_later_parameter_value_applies_only_to_later_submissions():
    parameter = Parameter.objects.get(key="review.sla_working_days")
    ParameterValue.objects.create(parameter=parameter, valid_from=date(2025, 10, 1), value="10")
    assert sla_due_date(submitted_on=date(2025, 9, 26)) == date(2025, 10, 23)  # still 15
    assert sla_due_date(submitted_on=date(2025, 10, 9)) == date(2025, 10, 22)  # 10 from then on


@pytest.mark.django_db
def test_a_submitted_application_is_due_fifteen_working_days_after_today():
    application = ready_to_submit()
    application_submit(application=application, acting_user=application.applicant, declaration=True)
    application.refresh_from_db()
    today = timezone.localdate()
    assert application.submitted_on == today
    assert is_working_day(application.sla_due_on)
    assert working_days_between(today, application.sla_due_on) == 15


def test_the_clock_stops_while_information_is_asked_for_and_the_due_date_moves_on():
    application = Application(status=Status.IN_REVIEW, sla_due_on=date(2025, 10, 23))
    changed = sla_on_transition(
        application=application, from_status=Status.IN_REVIEW, to_status=Status.INFO_REQUESTED, today=date(2025, 10, 10)
    )
    assert changed == ("sla_paused_on",)
    assert application.sla_paused_on == date(2025, 10, 10)
    changed = sla_on_transition(
        application=application,
        from_status=Status.INFO_REQUESTED,
        to_status=Status.SUBMITTED,
        today=date(2025, 10, 16),
    )
    # Stood still for Sat 11 (调休), Mon 13 to Thu 16 October: 5 working days.
    assert application.sla_due_on == date(2025, 10, 30)
    assert application.sla_paused_on is None
    assert set(changed) == {"sla_due_on", "sla_paused_on"}


def test_an_answer_the_same_day_leaves_the_due_date():
    application = Application(
        status=Status.INFO_REQUESTED, sla_due_on=date(2025, 10, 23), sla_paused_on=date(2025, 10, 10)
    )
    sla_on_transition(
        application=application, from_status=Status.INFO_REQUESTED, to_status=Status.SUBMITTED, today=date(2025, 10, 10)
    )
    assert application.sla_due_on == date(2025, 10, 23)


def test_an_overdue_flag_is_cleared_when_the_pause_brings_the_case_back_in_time():
    flagged = timezone.now()
    application = Application(
        status=Status.INFO_REQUESTED,
        sla_due_on=date(2025, 10, 13),
        sla_paused_on=date(2025, 10, 10),
        overdue_flagged_at=flagged,
    )
    changed = sla_on_transition(
        application=application, from_status=Status.INFO_REQUESTED, to_status=Status.SUBMITTED, today=date(2025, 10, 14)
    )
    assert application.sla_due_on == date(2025, 10, 16)
    assert application.overdue_flagged_at is None and "overdue_flagged_at" in changed


def test_other_moves_leave_the_clock_alone():
    application = Application(status=Status.IN_REVIEW, sla_due_on=date(2025, 10, 23))
    assert (
        sla_on_transition(
            application=application, from_status=Status.IN_REVIEW, to_status=Status.SUBMITTED, today=date(2025, 10, 14)
        )
        == ()
    )
    assert application.sla_due_on == date(2025, 10, 23)


@pytest.mark.django_db
def test_the_transition_pauses_and_resumes_the_clock_of_the_stored_case():
    worker = CaseworkerFactory()
    due = timezone.localdate() + timedelta(days=5)
    application = ApplicationFactory(status=Status.IN_REVIEW, submitted_on=timezone.localdate(), sla_due_on=due)
    application_transition(application=application, to_status=Status.INFO_REQUESTED, actor=worker)
    application.refresh_from_db()
    assert application.sla_paused_on == timezone.localdate()
    # The applicant answers three weeks later.
    paused_on = timezone.localdate() - timedelta(days=21)
    Application.objects.filter(pk=application.pk).update(sla_paused_on=paused_on)
    stale = Application.objects.get(pk=application.pk)
    application_transition(application=stale, to_status=Status.SUBMITTED, actor=application.applicant)
    application.refresh_from_db()
    stood_still = working_days_between(paused_on, timezone.localdate())
    assert stood_still >= 10
    assert application.sla_due_on == working_days_add(due, stood_still)
    assert application.sla_paused_on is None
    assert application.status == Status.SUBMITTED


# --- Overdue cases ----------------------------------------------------------------------

TODAY = date(2025, 11, 20)
LATE = date(2025, 11, 10)


def _case(region="330800", status=Status.IN_REVIEW, due=LATE, reference=None):
    return ApplicationFactory(
        status=status, region=region, sla_due_on=due, reference=reference, submitted_on=date(2025, 10, 1)
    )


@pytest.mark.django_db
def test_overdue_cases_are_flagged_and_their_supervisors_told_once(django_capture_on_commit_callbacks, sms_outbox):
    english = SupervisorFactory(username="lead@example.com", preferred_language="en")
    chinese = SupervisorFactory(username="13900002222", preferred_language="zh-hans")
    elsewhere = SupervisorFactory(username="other@example.com", region="330900")
    CaseworkerFactory(username="worker@example.com")
    in_review = _case(reference="LH-2025-000001")
    submitted = _case(status=Status.SUBMITTED, reference="LH-2025-000002")
    awaiting_approval = _case(status=Status.PENDING_APPROVAL, reference="LH-2025-000003")
    waiting_for_applicant = _case(status=Status.INFO_REQUESTED)
    due_today = _case(due=TODAY, reference="LH-2025-000005")
    decided = _case(status=Status.APPROVED)
    other_region = _case(region="330900", reference="LH-2025-000004")

    with django_capture_on_commit_callbacks(execute=True):
        assert sla_flag_overdue(today=TODAY) == 4

    flagged = set(Application.objects.filter(overdue_flagged_at__isnull=False).values_list("pk", flat=True))
    assert flagged == {in_review.pk, submitted.pk, awaiting_approval.pk, other_region.pk}
    assert not {waiting_for_applicant.pk, due_today.pk, decided.pk} & flagged

    rows = Notification.objects.filter(event=Notification.Event.SLA_OVERDUE)
    assert set(rows.values_list("recipient__username", "channel")) == {
        (english.username, "inbox"),
        (english.username, "email"),
        (chinese.username, "inbox"),
        (chinese.username, "sms"),
        (elsewhere.username, "inbox"),
        (elsewhere.username, "email"),
    }
    assert not rows.exclude(application=None).exists()  # never shown on an applicant's case page
    report = rows.get(recipient=english, channel="inbox")
    assert report.language == "en"
    assert "3 applications are past their decision date" in report.subject
    assert "LH-2025-000001" in report.body and "LH-2025-000003" in report.body
    assert "LH-2025-000004" not in report.body
    assert rows.get(recipient=chinese, channel="inbox").language == "zh-hans"
    assert sorted(message.to[0] for message in mail.outbox) == ["lead@example.com", "other@example.com"]
    assert [message.to for message in sms_outbox] == ["13900002222"]

    # A second run the same day flags and tells nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_flag_overdue(today=TODAY) == 0
    assert rows.count() == 6
    assert len(mail.outbox) == 2

    # The next day the case due today is late too: it alone is reported.
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_flag_overdue(today=TODAY + timedelta(days=1)) == 1
    latest = rows.filter(recipient=english, channel="inbox").order_by("-pk").first()
    assert "LH-2025-000005" in latest.body and "LH-2025-000001" not in latest.body
    assert rows.filter(recipient=elsewhere).count() == 2


@pytest.mark.django_db
def test_the_task_flags_overdue_cases(django_capture_on_commit_callbacks):
    SupervisorFactory()
    case = _case(due=timezone.localdate() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_overdue_cases.delay().get(timeout=10) == {"flagged": 1}
        assert flag_overdue_cases.delay().get(timeout=10) == {"flagged": 0}
    case.refresh_from_db()
    assert case.overdue_flagged_at is not None


def test_beat_runs_the_overdue_check(settings):
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == flag_overdue_cases.name]
    assert len(entries) == 1
    assert entries[0]["schedule"] <= 24 * 60 * 60  # at least daily


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_flags_overdue_cases(celery_worker_process):
    SupervisorFactory()
    case = _case(due=timezone.localdate() - timedelta(days=30))
    assert flag_overdue_cases.delay().get(timeout=30) == {"flagged": 1}
    case.refresh_from_db()
    assert case.overdue_flagged_at is not None
    assert Notification.objects.filter(event="sla_overdue", channel="inbox").count() == 1
