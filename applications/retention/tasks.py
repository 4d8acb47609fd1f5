"""Retention's daily jobs (beat). Each calls one service; each service is idempotent."""

from celery import shared_task


@shared_task(name="retention.notify_inactive_drafts")
def notify_inactive_drafts() -> dict:
    from applications.retention.services import drafts_notify_inactive

    return {"notices": drafts_notify_inactive()}


@shared_task(name="retention.remove_abandoned_drafts")
def remove_abandoned_drafts() -> dict:
    from applications.retention.services import drafts_remove_abandoned

    return {"removed": drafts_remove_abandoned()}


@shared_task(name="retention.anonymise_closed_cases")
def anonymise_closed_cases() -> dict:
    from applications.retention.services import closed_cases_anonymise

    return {"anonymised": closed_cases_anonymise()}
