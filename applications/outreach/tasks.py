"""Background work of outreach. Each task calls one service."""

from celery import shared_task


@shared_task(name="outreach.send_invitations")
def send_invitations() -> dict:
    from applications.outreach.services import invitations_send

    return {"messages": invitations_send()}


@shared_task(name="outreach.deliver_invitation_message", acks_late=True)
def deliver_invitation_message(message_id: int) -> dict:
    from applications.outreach.services import invitation_message_deliver

    message = invitation_message_deliver(message_id=message_id)
    return {"message": message_id, "state": message.state if message else "not pending"}


@shared_task(name="outreach.send_due_invitation_messages")
def send_due_invitation_messages() -> dict:
    from applications.outreach.services import invitation_messages_send_due

    return {"sent": invitation_messages_send_due()}
