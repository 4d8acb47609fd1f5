"""Prometheus metrics at ``/metrics`` for operators (issue 15, item 5).

- Request latency and counts per route, method and status class, measured by
  ``MetricsMiddleware`` (second in the stack, after the request id).
- Read from the database when scraped (``BacklogCollector``): documents waiting
  for their check and the age of the oldest (the check queue's lag), outbox
  messages waiting and failed and the age of the oldest waiting, open cases past
  their decision date (SLA breaches), and with a Redis broker the length of the
  Celery queue.

Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty folder (emptied at each start) so that every worker's counts are added up
(prometheus_client's multiprocess mode); without it each worker answers its own.

Who may read it: a supervisor (or superuser) signed in with the second factor,
or a scraper sending ``Authorization: Bearer <LINGHUO_METRICS_TOKEN>``. Anyone
else gets the login page or 403; docs/DEPLOYMENT.md adds a network rule.
"""

import hmac
import os
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_SECONDS = Histogram(
    "linghuo_http_request_duration_seconds",
    "Time from the request reaching the portal to its answer.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter("linghuo_http_requests", "Requests answered.", ["method", "route", "status"])
# Methods outside this set are counted as "other", so that a scanner cannot add label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match and match.view_name else "unmatched"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        route = _route(request)
        REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, f"{response.status_code // 100}xx").inc()
        return response


class BacklogCollector:
    """Gauges read from the database (and the broker) when Prometheus scrapes."""

    def collect(self):
        from applications.models import Application, Document, Notification
        from applications.services.sla import CLOCK_RUNNING_STATUSES

        now = timezone.now()
        pending = Document.objects.filter(check_status=Document.CheckStatus.PENDING).aggregate(
            count=Count("id"), oldest=Min("uploaded_at")
        )
        yield _gauge("linghuo_document_checks_waiting", "Documents waiting for their check.", pending["count"])
        yield _gauge(
            "linghuo_document_check_lag_seconds",
            "Age of the oldest document waiting for its check (0 when none waits).",
            _age(now, pending["oldest"]),
        )
        waiting_states = (Notification.State.QUEUED, Notification.State.TEMPORARY_FAILURE)
        waiting = Notification.objects.filter(state__in=waiting_states).aggregate(
            count=Count("id"), oldest=Min("created_at")
        )
        yield _gauge("linghuo_outbox_waiting", "Messages in the outbox not sent yet.", waiting["count"])
        yield _gauge(
            "linghuo_outbox_oldest_waiting_seconds",
            "Age of the oldest message not sent yet (0 when none waits).",
            _age(now, waiting["oldest"]),
        )
        failed = Notification.objects.filter(
            state=Notification.State.PERMANENT_FAILURE, created_at__gte=now - timedelta(days=7)
        ).count()
        yield _gauge("linghuo_outbox_failed_last_week", "Messages that could not be sent, created in 7 days.", failed)
        today = timezone.localdate()
        breaches = Application.objects.filter(status__in=CLOCK_RUNNING_STATUSES, sla_due_on__lt=today).count()
        yield _gauge("linghuo_sla_breaches", "Open cases whose decision was due before today.", breaches)
        length = _celery_queue_length()
        if length is not None:
            family = GaugeMetricFamily("linghuo_celery_queue_length", "Tasks waiting in the broker.", labels=["queue"])
            family.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], length)
            yield family


def _gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value or 0))


def _age(now, moment) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


def _celery_queue_length() -> int | None:
    import redis

    from portal.redis_connection import redis_client

    try:
        client = redis_client(timeout=0.4)  # the broker's Redis, by REDIS_URL or through Sentinel
        if client is None:
            return None
        return int(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE))
    except redis.RedisError:
        return None


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(BacklogCollector())
    return registry


class _Forward:
    """The process's own counters and histograms, inside a registry made per scrape."""

    def __init__(self, source: CollectorRegistry):
        self.source = source

    def collect(self):
        yield from self.source.collect()


def _may_read(request) -> bool:
    token = settings.LINGHUO_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[len("Bearer ") :], token):
        return True
    user = request.user
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_supervisor)


def metrics_view(request):
    if not _may_read(request):
        if not request.user.is_authenticated and not request.META.get("HTTP_AUTHORIZATION"):
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
