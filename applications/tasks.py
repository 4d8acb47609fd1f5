"""Background work for applications. Each task loads rows by primary key and calls one service.

The broker only carries wake-up calls: what is due is in the database (a
document with a pending check, a message in the outbox), and beat's sweeps
(``resend_stale_checks``, ``send_due_notifications``, every minute) send again
what the broker lost or a dead worker left. A check completes once however often
it is delivered: each run claims the document first (``document_check_claim``).
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from applications.services import documents
from portal.celery import enqueue

CHECK_MAX_RETRIES = 5
# A file whose check kills its worker every time is given up after this many
# runs, where staff see it, rather than tried for ever.
CHECK_MAX_CLAIMS = 8
# Below LINGHUO_DOCUMENT_CHECK_STALE_SECONDS (60 s): a claim is taken over only
# once its run cannot still be alive.
CHECK_SOFT_TIME_LIMIT = 45
CHECK_TIME_LIMIT = 55


@shared_task(
    bind=True,
    name="applications.check_document",
    max_retries=CHECK_MAX_RETRIES,
    soft_time_limit=CHECK_SOFT_TIME_LIMIT,
    time_limit=CHECK_TIME_LIMIT,
)
def check_document(self, document_id: int) -> dict:
    claim = documents.document_check_claim(document_id=document_id)
    if claim is None:  # checked already, removed, or being checked by a live run
        return {"document": document_id, "status": "not claimed"}
    if claim > CHECK_MAX_CLAIMS:
        documents.document_check_failed(document_id=document_id, error="TooManyAttempts", claim=claim)
        return {"document": document_id, "status": "failed"}
    try:
        document = documents.document_check(document_id=document_id, claim=claim)
    except SoftTimeLimitExceeded:
        documents.document_check_failed(document_id=document_id, error="TimeLimitExceeded", claim=claim)
        return {"document": document_id, "status": "failed"}
    except OSError as exc:  # storage not reachable: try again later, then give up where staff see it
        if self.request.retries >= CHECK_MAX_RETRIES:
            documents.document_check_failed(document_id=document_id, error=type(exc).__name__, claim=claim)
            return {"document": document_id, "status": "failed"}
        documents.document_check_release(document_id=document_id, claim=claim)
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
    if document is None:  # removed meanwhile, or the claim was taken over
        return {"document": document_id, "status": "not recorded"}
    return {"document": document_id, "status": document.check_status, "attempt": claim}


@shared_task(name="applications.resend_stale_checks")
def resend_stale_checks() -> dict:
    """Beat's sweep: sends again the checks still pending past their time."""
    stale = documents.documents_check_stale()
    sent = sum(enqueue("applications.check_document", document_id) for document_id in stale)
    return {"stale": len(stale), "sent": sent}


@shared_task(name="applications.deliver_notification", acks_late=True)
def deliver_notification(notification_id: int) -> dict:
    from applications.services.notifications import notification_deliver

    notification = notification_deliver(notification_id=notification_id)
    return {"notification": notification_id, "state": notification.state if notification else "not pending"}


@shared_task(name="applications.send_due_notifications")
def send_due_notifications() -> dict:
    from applications.services.notifications import notifications_send_due

    return {"sent": notifications_send_due()}


@shared_task(name="applications.poll_sms_receipts")
def poll_sms_receipts() -> dict:
    """Beat's job: the SMS provider's delivery reports on the messages it took, of every outbox."""
    from applications.services.sms_reports import sms_receipts_poll_all

    return {"settled": sms_receipts_poll_all()}


@shared_task(name="applications.flag_overdue_cases")
def flag_overdue_cases() -> dict:
    from applications.services.sla import sla_flag_overdue

    return {"flagged": sla_flag_overdue()}


@shared_task(name="applications.remind_information_requests")
def remind_information_requests() -> dict:
    from applications.services.follow_up import information_request_reminders_send

    return {"reminded": information_request_reminders_send()}


@shared_task(name="applications.refresh_case_flags")
def refresh_case_flags() -> dict:
    """Beat's nightly check of the queue's warning flags: each set to what its definition says now."""
    from applications.case_flags import refresh_all_exclusive

    return {"corrected": refresh_all_exclusive()}


@shared_task(name="applications.refresh_dashboards")
def refresh_dashboards() -> dict:
    from applications.supervision.snapshot import snapshots_refresh

    return snapshots_refresh()
