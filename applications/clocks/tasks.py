"""Background work of the clocks. Each task calls one service."""

from celery import shared_task


@shared_task(name="clocks.send_window_reminders")
def send_window_reminders() -> dict:
    """Beat, every morning: the reminders 30 and 7 days before a window to apply closes."""
    from applications.clocks.services import window_reminders_send

    return {"sent": window_reminders_send()}
