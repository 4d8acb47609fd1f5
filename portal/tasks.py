from celery import shared_task


@shared_task(name="portal.ping")
def ping(token: str) -> dict:
    """Answers with the token it was sent: the health of the worker round trip."""
    return {"pong": token}
