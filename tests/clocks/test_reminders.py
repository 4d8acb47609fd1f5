"""Reminders 30 and 7 days before a window closes, through the outbox, once per window and threshold."""

import threading
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from applications.clocks.models import WindowReminder
from applications.clocks.selectors import reminder_threshold
from applications.clocks.services import REMINDER_EVENT, screening_keep, window_reminders_send
from applications.clocks.tasks import send_window_reminders
from applications.models import Notification, Status
from eligibility.dates import add_months
from tests.applications.test_payments import decided_application
from tests.factories import GRADUATE_FACTS, ApplicationFactory, CitizenFactory

pytestmark = pytest.mark.django_db

SI = "flexible-si-subsidy"
CLOSES = date(2027, 6, 30)  # graduated 2025-06-30, si.graduate_window_months = 24


def screened(*, language: str = "en", facts: dict | None = None, **fields):
    person = CitizenFactory(preferred_language=language, **fields)
    screening_keep(person=person, facts=dict(facts or GRADUATE_FACTS), screened_on=date(2027, 1, 4))
    return person


def reminders(person) -> list[tuple[str, date, int, date]]:
    return list(
        WindowReminder.objects.filter(person=person)
        .order_by("id")
        .values_list("programme__slug", "closes_on", "days_before", "sent_on")
    )


def inbox(person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person, event=REMINDER_EVENT, channel=Notification.Channel.INBOX))


@pytest.mark.parametrize(
    ("days_left", "due"),
    [(31, None), (30, 30), (29, 30), (8, 30), (7, 7), (6, 7), (1, 7), (0, 7), (-1, None)],
)
def test_the_reminder_due_for_the_days_left(days_left, due):
    assert reminder_threshold(days_left) == due


def test_a_reminder_goes_out_30_and_7_days_before_and_never_twice():
    person = screened()
    sent_on = {}
    for days_left in range(40, -3, -1):  # the daily job, every day until after the window closed
        today = CLOSES - timedelta(days=days_left)
        if window_reminders_send(today=today):
            sent_on[days_left] = today
        window_reminders_send(today=today)  # run twice the same day: nothing more
    assert sorted(sent_on, reverse=True) == [30, 7]
    assert reminders(person) == [
        (SI, CLOSES, 30, CLOSES - timedelta(days=30)),
        (SI, CLOSES, 7, CLOSES - timedelta(days=7)),
    ]
    assert len(inbox(person)) == 2


def test_the_day_before_the_30_day_mark_nothing_is_sent():
    person = screened()
    assert window_reminders_send(today=CLOSES - timedelta(days=31)) == 0
    assert reminders(person) == []


def test_a_missed_day_is_caught_up_but_a_passed_reminder_is_not_sent_late():
    late = screened()
    assert window_reminders_send(today=CLOSES - timedelta(days=5)) == 1
    assert [days for _, _, days, _ in reminders(late)] == [7]  # not the 30-day one, 25 days late


def test_the_message_is_in_the_persons_language_on_every_channel():
    chinese = screened(language="zh-hans", username="13900000001")
    english = screened(language="en", username="li@example.com")
    window_reminders_send(today=CLOSES - timedelta(days=30))
    zh = {n.channel: n for n in Notification.objects.filter(recipient=chinese, event=REMINDER_EVENT)}
    assert set(zh) == {Notification.Channel.INBOX, Notification.Channel.SMS}
    assert zh[Notification.Channel.INBOX].subject == "提醒：请在2027年6月30日前申请“灵活就业社会保险补贴”"
    assert "距今还有 30 天。" in zh[Notification.Channel.INBOX].body
    assert "您于2025年6月30日毕业后24 个月内" in zh[Notification.Channel.INBOX].body
    assert zh[Notification.Channel.SMS].body.startswith("【灵活就业服务】提醒：您可以在2027年6月30日前申请")
    assert zh[Notification.Channel.SMS].language == "zh-hans"
    en = {n.channel: n for n in Notification.objects.filter(recipient=english, event=REMINDER_EVENT)}
    assert set(en) == {Notification.Channel.INBOX, Notification.Channel.EMAIL}
    email = en[Notification.Channel.EMAIL]
    assert email.address == "li@example.com"
    assert email.subject == "Reminder: apply for “Social insurance subsidy for flexible employment” by 30 Jun 2027"
    assert "That is 30 days from today." in email.body
    assert "/applications/new/flexible-si-subsidy/" in email.body


def test_the_last_day_says_so():
    person = screened()
    window_reminders_send(today=CLOSES)
    assert "Today is the last day." in inbox(person)[0].body


def test_nobody_who_applied_is_reminded():
    person = screened()
    decided_application(SI, status=Status.SUBMITTED, applicant=person)
    assert window_reminders_send(today=CLOSES - timedelta(days=30)) == 0


def test_a_refused_application_counts_as_applied():
    person = screened()
    decided_application(SI, status=Status.REJECTED, applicant=person)
    assert window_reminders_send(today=CLOSES - timedelta(days=7)) == 0


def test_a_draft_is_reminded_to_be_sent_with_a_link_to_it():
    person = CitizenFactory(preferred_language="en")
    draft = ApplicationFactory(applicant=person, facts=dict(GRADUATE_FACTS))
    assert window_reminders_send(today=CLOSES - timedelta(days=7)) == 1
    [message] = inbox(person)
    assert f"/applications/drafts/{draft.pk}/" in message.body
    assert "Finish and send your application:" in message.body


def test_someone_not_eligible_is_not_reminded():
    screened(facts={**GRADUATE_FACTS, "pays_flexible_pension": False})  # not insured: not eligible
    assert window_reminders_send(today=CLOSES - timedelta(days=30)) == 0


def test_someone_who_still_needs_to_answer_is_not_reminded():
    screened(facts={k: v for k, v in GRADUATE_FACTS.items() if k != "employed_since_graduation"})
    assert window_reminders_send(today=CLOSES - timedelta(days=30)) == 0


def test_an_inactive_account_is_not_reminded():
    screened(is_active=False)
    assert window_reminders_send(today=CLOSES - timedelta(days=30)) == 0


def test_a_new_graduation_date_is_a_new_window_with_its_own_reminders():
    person = screened()
    window_reminders_send(today=CLOSES - timedelta(days=30))
    screening_keep(
        person=person, facts={**GRADUATE_FACTS, "graduation_date": "2025-07-31"}, screened_on=date(2027, 6, 1)
    )
    assert window_reminders_send(today=date(2027, 7, 1)) == 1  # closes 2027-07-31: 30 days
    assert [(closes, days) for _, closes, days, _ in reminders(person)] == [(CLOSES, 30), (date(2027, 7, 31), 30)]


def test_the_daily_task_is_on_the_beat_schedule_and_sends_what_is_due_today():
    entry = settings.CELERY_BEAT_SCHEDULE["remind-closing-windows"]
    assert entry["task"] == send_window_reminders.name == "clocks.send_window_reminders"
    today = timezone.localdate()
    graduated = add_months(today + timedelta(days=7), -24)
    person = screened(facts={**GRADUATE_FACTS, "graduation_date": graduated.isoformat()})
    assert send_window_reminders.apply().get() == {"sent": 1}
    assert send_window_reminders.apply().get() == {"sent": 0}
    assert [days for _, _, days, _ in reminders(person)] == [7]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_send_one_reminder():
    person = screened()
    today = CLOSES - timedelta(days=30)
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            counts.append(window_reminders_send(today=today))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(counts) == [0, 1]
    assert len(reminders(person)) == 1
    assert len(inbox(person)) == 1
