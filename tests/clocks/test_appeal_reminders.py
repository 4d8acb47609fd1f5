"""The window to ask for reconsideration of a refusal (``review.appeal_window_days``): shown with the
person's other windows and on the case page, and reminded of 30 and 7 days before it closes, once."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from applications.clocks.models import WindowReminder
from applications.clocks.selectors import APPEAL, person_windows, reminders_due
from applications.clocks.services import REMINDER_EVENT, window_reminders_send
from applications.clocks.tasks import send_window_reminders
from applications.models import Notification, Reconsideration, Status
from tests.applications.test_payments import decided_application
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SI = "flexible-si-subsidy"
REFUSED_ON = date(2027, 3, 1)
CLOSES = date(2027, 4, 30)  # review.appeal_window_days = 60: the refusal day is day 0


def refused(person=None, *, on: date = REFUSED_ON, **fields):
    person = person or CitizenFactory(preferred_language="en", username="li@example.com")
    application = decided_application(
        SI,
        status=Status.REJECTED,
        applicant=person,
        decided_at=datetime(on.year, on.month, on.day, 10, 0, tzinfo=SHANGHAI),
        **fields,
    )
    application.reference = f"LH-2027-{application.pk:06d}"
    application.save(update_fields=["reference"])
    return application


def reminders(person) -> list[tuple[date, int, date]]:
    return list(
        WindowReminder.objects.filter(person=person).order_by("id").values_list("closes_on", "days_before", "sent_on")
    )


def inbox(person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person, event=REMINDER_EVENT, channel=Notification.Channel.INBOX))


def test_the_appeal_window_is_reminded_30_and_7_days_before_it_closes_and_never_twice():
    application = refused()
    person = application.applicant
    sent_on = []
    for days_left in range(40, -3, -1):  # beat's daily job, every day until after the window closed
        today = CLOSES - timedelta(days=days_left)
        if window_reminders_send(today=today):
            sent_on.append(days_left)
        assert window_reminders_send(today=today) == 0  # the same day again: nothing more
    assert sent_on == [30, 7]
    assert reminders(person) == [(CLOSES, 30, CLOSES - timedelta(days=30)), (CLOSES, 7, CLOSES - timedelta(days=7))]
    messages = inbox(person)
    assert len(messages) == 2
    # The reminder is about the refused case: its page lists it with the case's other messages.
    assert {message.application for message in messages} == {application}


def test_the_reminder_says_until_when_and_links_to_the_request_for_reconsideration():
    application = refused()
    window_reminders_send(today=CLOSES - timedelta(days=7))
    email = Notification.objects.get(recipient=application.applicant, event=REMINDER_EVENT, channel="email")
    assert (
        email.subject
        == "Reminder: ask for “Social insurance subsidy for flexible employment” to be reconsidered by 30 Apr 2027"
    )
    assert f"Your application {application.reference} for" in email.body
    assert "ask for it to be reconsidered until 30 Apr 2027. That is 7 days from today." in email.body
    assert "after the refusal on 1 Mar 2027" in email.body
    assert reverse("applications:case", args=[application.reference]) + "#reconsideration" in email.body


def test_in_chinese_by_sms():
    person = CitizenFactory(preferred_language="zh-hans", username="13900000001")
    application = refused(person)
    window_reminders_send(today=CLOSES - timedelta(days=30))
    sms = Notification.objects.get(recipient=person, event=REMINDER_EVENT, channel="sms")
    assert sms.body.startswith("【灵活就业服务】提醒：")
    assert application.reference in sms.body and "2027年4月30日" in sms.body and "复查" in sms.body
    inbox_copy = Notification.objects.get(recipient=person, event=REMINDER_EVENT, channel="inbox")
    assert "复查" in inbox_copy.subject and "未予批准" in inbox_copy.body


def test_once_reconsideration_is_asked_for_no_reminder_follows():
    application = refused()
    Reconsideration.objects.create(
        application=application,
        grounds="counted twice",
        requested_by=application.applicant,
        rejected_at=application.decided_at,
    )
    assert window_reminders_send(today=CLOSES - timedelta(days=7)) == 0
    assert [
        w for w in person_windows(application.applicant, today=CLOSES - timedelta(days=7)) if w.kind == APPEAL
    ] == []


def test_two_refusals_are_two_windows_each_with_its_reminders():
    first = refused()
    second = refused(first.applicant, on=REFUSED_ON, value="500.00")
    assert window_reminders_send(today=CLOSES - timedelta(days=30)) == 2
    assert {message.application for message in inbox(first.applicant)} == {first, second}


def test_a_refusal_older_than_any_appeal_window_is_not_looked_at(django_assert_max_num_queries):
    refused(on=date(2026, 1, 5))  # long closed by the spring of 2027
    with django_assert_max_num_queries(4):
        assert list(reminders_due(today=CLOSES - timedelta(days=7))) == []


def test_beat_sends_what_is_due_today_once_however_often_it_runs():
    application = refused(on=timezone.localdate() - timedelta(days=53))  # 7 days left
    assert send_window_reminders.apply().get() == {"sent": 1}
    assert send_window_reminders.apply().get() == {"sent": 0}
    assert [days for _closes, days, _sent in reminders(application.applicant)] == [7]


def test_the_case_page_and_the_applications_page_show_until_when(client):
    application = refused(on=timezone.localdate() - timedelta(days=20))
    client.force_login(application.applicant)
    client.cookies["linghuo_language"] = "en"
    closes = timezone.localdate() + timedelta(days=40)
    listing = client.get(reverse("applications:list")).content.decode()
    assert f'data-window-kind="appeal" data-closes-on="{closes.isoformat()}"' in listing
    assert "40 days left" in listing
    case = client.get(reverse("applications:case", args=[application.reference])).content.decode()
    assert "data-reconsider-by" in case


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_send_one_appeal_reminder():
    application = refused()
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
    assert len(reminders(application.applicant)) == 1
    assert len(inbox(application.applicant)) == 1
