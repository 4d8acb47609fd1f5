"""Writes of the clocks: keeping a logged-in person's screening, and the reminders before a window closes
(a window to apply, or to ask for reconsideration of a refusal).

A reminder is recorded (``WindowReminder``) and written to the person's outbox
(``notify_person``) in one transaction; the unique constraint on the record makes a second
run of the same day, or two workers at once, send nothing more.
"""

import json
from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from applications.clocks.models import KeptScreening, WindowReminder
from applications.clocks.selectors import APPEAL, Window, reminders_due
from applications.models import Notification
from applications.services.notifications import notify_person
from eligibility.models import Programme

# templates/notifications/window_reminder/
REMINDER_EVENT = Notification.Event.WINDOW_REMINDER


@transaction.atomic
def screening_keep(*, person, facts: dict, screened_on: date) -> KeptScreening | None:
    """Keeps the answers of ``person``'s latest screening (wire facts), replacing earlier
    ones; nothing for an anonymous person or no answers. Returns the row kept."""
    if not getattr(person, "is_authenticated", False) or not facts:
        return None
    answers = json.dumps(facts, sort_keys=True, ensure_ascii=False)
    kept = KeptScreening.objects.select_for_update().filter(person=person).first()
    if kept is None:
        try:
            with transaction.atomic():
                return KeptScreening.objects.create(person=person, answers=answers, screened_on=screened_on)
        except IntegrityError:  # the same person's other tab kept theirs a moment ago
            kept = KeptScreening.objects.select_for_update().get(person=person)
    if kept.answers != answers or kept.screened_on != screened_on:
        kept.answers = answers
        kept.screened_on = screened_on
        kept.save(update_fields=["answers", "screened_on", "updated_at"])
    return kept


def screening_forget(*, person) -> int:
    """Deletes the kept screening of ``person`` (they started the screener again); how many rows."""
    if not getattr(person, "is_authenticated", False):
        return 0
    deleted, _ = KeptScreening.objects.filter(person=person).delete()
    return deleted


def _apply_path(window: Window) -> str:
    """Where the reminder sends the person: the refused case's request for reconsideration, the
    draft to finish, or the programme's application."""
    if window.kind == APPEAL:
        return reverse("applications:case", kwargs={"reference": window.application.reference}) + "#reconsideration"
    if window.application is not None:
        return reverse("applications:draft", kwargs={"pk": window.application.pk})
    return reverse("applications:new", kwargs={"slug": window.programme_slug})


@transaction.atomic
def window_reminder_send(
    *, person, window: Window, days_before: int, today: date, programme_id: int | None = None
) -> WindowReminder | None:
    """Records and sends one reminder that ``window`` closes; None when it was sent already."""
    if programme_id is None:
        programme_id = Programme.objects.only("pk").get(slug=window.programme_slug).pk
    try:
        with transaction.atomic():
            reminder = WindowReminder.objects.create(
                person=person,
                programme_id=programme_id,
                window=window.key,
                closes_on=window.closes_on,
                days_before=days_before,
                sent_on=today,
            )
    except IntegrityError:
        return None
    notify_person(
        person=person,
        event=REMINDER_EVENT,
        context={"window": window, "days_left": window.days_left, "apply_path": _apply_path(window)},
        # A reminder to ask for reconsideration is about the refused case: its page shows it too.
        application=window.application if window.kind == APPEAL else None,
    )
    return reminder


def window_reminders_send(*, today: date | None = None) -> int:
    """Sends every reminder due today (``reminders_due``); returns how many were sent."""
    today = today or timezone.localdate()
    programme_ids = dict(Programme.objects.values_list("slug", "pk"))
    sent = 0
    for due in reminders_due(today=today):
        reminder = window_reminder_send(
            person=due.person,
            window=due.window,
            days_before=due.days_before,
            today=today,
            programme_id=programme_ids.get(due.window.programme_slug),
        )
        sent += reminder is not None
    return sent
