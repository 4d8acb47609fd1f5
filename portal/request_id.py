"""A request id on every log line, carried into the tasks a request enqueues (issue 15, item 5).

``RequestIdMiddleware`` takes the id a load balancer sent (``X-Request-ID``, when
it is a plain token of at most 64 letters, digits, ``-`` or ``_``) or makes one,
answers it in the same header, and keeps it in a context variable for the
request. ``portal.celery.enqueue`` sends it with each task as the message header
``request_id``; a worker sets it again while the task runs (``task_prerun``), so
the worker's log lines carry the id of the request that asked for the work.
A beat task has none of its own and gets a fresh one.

``RequestIdFilter`` puts the id (``-`` outside a request or task) on every log
record, for the JSON lines of ``JsonLinesFormatter``: one object per line with
the time, level, logger, message, request id, any ``extra`` fields and, where
given, the exception. A worker logs the start of every task with its id.
"""

import logging
import re
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NONE = "-"

logger = logging.getLogger("portal.tasks")

_current: ContextVar[str | None] = ContextVar("linghuo_request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the stack, so that every later middleware's log lines have the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get(_META_KEY, "")
        request_id = given if _ACCEPTED.fullmatch(given) else new_request_id()
        request.request_id = request_id
        # Kept until the answer is closed (``request_finished``): Django logs an error
        # answer after the middleware has returned, and that line needs the id too.
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


@receiver(request_finished)
def _request_done(**kwargs):
    _current.set(None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or NONE
        return True


class JsonLinesFormatter(JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)


# --- Celery: the id travels in the message's headers ------------------------------------------------


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    """Every task published while a request (or a task) runs carries its id."""
    request_id = _current.get()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


_task_tokens: dict[str, object] = {}


@task_prerun.connect
def _receive_request_id(task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    given = getattr(request, "request_id", None) or ((getattr(request, "headers", None) or {}).get("request_id"))
    if not (isinstance(given, str) and _ACCEPTED.fullmatch(given)):
        given = _current.get() or new_request_id()  # eager: the request's own; beat: a fresh one
    _task_tokens[task_id] = _current.set(given)
    logger.info("Task %s started", getattr(task, "name", "?"), extra={"task_id": task_id})


@task_postrun.connect
def _forget_request_id(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)
