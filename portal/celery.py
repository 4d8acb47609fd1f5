"""The Celery application, and the one way services hand work to it.

With REDIS_URL set, tasks go to Redis and a worker (`make worker`) runs them;
without it they run in-process as they are sent (settings
CELERY_TASK_ALWAYS_EAGER).

Services enqueue with ``enqueue_on_commit("app.task", ...)`` (or ``enqueue``
outside a transaction): nothing is sent for a transaction that rolls back, no
worker reads a row before it is committed, and an unreachable broker costs the
request well under a second and never an error. That is safe because what must
not be lost is already in the database (a document whose check is pending, a
message in the outbox) and beat's sweep sends it again (``applications.tasks``).
"""

import logging
import os
import threading
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")

app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks carry the id of the request that enqueued them into the worker's log lines.
import portal.request_id  # noqa: E402, F401  (connects the publish and prerun signals)

logger = logging.getLogger(__name__)

# After a failed publish this process does not try again for a few seconds: a
# submission that wakes three senders pays for one timeout, not three.
BROKER_RETRY_AFTER_SECONDS = 5.0
_broker_down_until = 0.0
_broker_lock = threading.Lock()


def broker_marked_down() -> bool:
    return time.monotonic() < _broker_down_until


def broker_mark_up() -> None:
    global _broker_down_until
    with _broker_lock:
        _broker_down_until = 0.0


def _broker_mark_down() -> None:
    global _broker_down_until
    with _broker_lock:
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS


def _registered(task_name: str):
    """The task by name, importing the apps' task modules first if needed (as a worker does)."""
    if task_name not in app.tasks:
        app.autodiscover_tasks(force=True)
    return app.tasks[task_name]


def enqueue(task_name: str, *args, **options) -> bool:
    """Sends the task ``task_name`` with ``args``; True if the broker took it.

    Never raises for a broker fault and never waits longer than the publish
    timeouts in settings (CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_TASK_PUBLISH_RETRY_POLICY). No result is kept: the database row is
    the result. In eager mode (no broker) the task runs here, and its errors
    propagate as they would in a worker's log.
    """
    if app.conf.task_always_eager:
        _registered(task_name).apply_async(args, ignore_result=True, **options)
        return True
    if broker_marked_down():
        logger.warning("Broker marked down; %s%s left for the sweep", task_name, args)
        return False
    try:
        app.send_task(task_name, args=args, ignore_result=True, **options)
    except Exception:  # any publish fault: the row in the database says what is due
        _broker_mark_down()
        logger.warning("Broker unreachable; %s%s left for the sweep", task_name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, *args, **options) -> None:
    """``enqueue`` once the current transaction commits (at once outside one)."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task_name, *args, **options))
