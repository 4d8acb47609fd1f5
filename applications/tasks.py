"""Background work for applications. Each task loads rows by primary key and calls one service."""

from celery import shared_task

from applications.services import documents

CHECK_MAX_RETRIES = 5


@shared_task(bind=True, name="applications.check_document", max_retries=CHECK_MAX_RETRIES)
def check_document(self, document_id: int) -> dict:
    try:
        document = documents.document_check(document_id=document_id)
    except OSError as exc:  # storage not reachable: try again later, then give up where staff see it
        if self.request.retries >= CHECK_MAX_RETRIES:
            documents.document_check_failed(document_id=document_id, error=type(exc).__name__)
            return {"document": document_id, "status": "failed"}
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
    if document is None:
        return {"document": document_id, "status": "gone"}
    return {"document": document_id, "status": document.check_status}


@shared_task(name="applications.deliver_notification", acks_late=True)
def deliver_notification(notification_id: int) -> dict:
    from applications.services.notifications import notification_deliver

    notification = notification_deliver(notification_id=notification_id)
    return {"notification": notification_id, "state": notification.state if notification else "not pending"}


@shared_task(name="applications.send_due_notifications")
def send_due_notifications() -> dict:
    from applications.services.notifications import notifications_send_due

    return {"sent": notifications_send_due()}


@shared_task(name="applications.flag_overdue_cases")
def flag_overdue_cases() -> dict:
    from applications.services.sla import sla_flag_overdue

    return {"flagged": sla_flag_overdue()}


@shared_task(name="applications.remind_information_requests")
def remind_information_requests() -> dict:
    from applications.services.follow_up import information_request_reminders_send

    return {"reminded": information_request_reminders_send()}
