"""Request ids on log lines and in tasks, and the metrics operators read (issue 15, item 5)."""

import io
import json
import logging
import re
import time

import pytest
from django.test import RequestFactory

from applications.models import Application, Document, Notification, Status
from portal.celery import enqueue
from portal.request_id import JsonLinesFormatter, RequestIdFilter, RequestIdMiddleware
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory
from tests.own_redis import own_redis  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The root logger's records as the portal's JSON lines, in a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_every_answer_has_a_request_id_and_a_sound_one_given_is_kept(client):
    made = client.get("/healthz/live")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz/live")["X-Request-ID"] != made
    assert client.get("/healthz/live", HTTP_X_REQUEST_ID="lb-1234_abc")["X-Request-ID"] == "lb-1234_abc"
    for bad in ("x" * 65, "two words", "a\nb", ""):
        kept = client.get("/healthz/live", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", kept), bad


def test_a_log_line_of_a_request_is_json_with_its_request_id(client, json_log):
    response = client.post("/api/v1/screenings", "not json", content_type="application/json")
    assert response.status_code == 400
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines, "Django logs a bad request"
    assert lines[-1]["request_id"] == response["X-Request-ID"]
    assert lines[-1]["level"] == "WARNING"
    assert "Bad Request" in lines[-1]["message"]
    assert re.match(r"\d{4}-\d\d-\d\dT", lines[-1]["time"])


def test_outside_a_request_the_id_is_a_dash(json_log):
    logging.getLogger("linghuo.test").warning("no request here")
    assert json_log()[-1]["request_id"] == "-"


def _in_a_request(function, request_id: str):
    """Runs ``function`` inside the request-id middleware, as a view would."""

    def view(request):
        from django.http import HttpResponse

        function()
        return HttpResponse("done")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=request_id)
    return RequestIdMiddleware(view)(request)


def test_an_eager_task_logs_with_the_request_that_enqueued_it(json_log):
    citizen = CitizenFactory()
    notification = Notification.objects.create(
        recipient=citizen,
        event=Notification.Event.SUBMITTED,
        channel=Notification.Channel.INBOX,
        language="en",
        body="Received.",
    )
    _in_a_request(lambda: enqueue("applications.deliver_notification", notification.pk), "req-eager-1")
    started = [line for line in json_log() if line["logger"] == "portal.tasks"]
    assert started and started[-1]["request_id"] == "req-eager-1"
    assert "applications.deliver_notification" in started[-1]["message"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_logs_the_task_with_the_id_of_the_request_that_sent_it(own_redis):  # noqa: F811
    citizen = CitizenFactory()
    notification = Notification.objects.create(
        recipient=citizen,
        event=Notification.Event.SUBMITTED,
        channel=Notification.Channel.EMAIL,
        language="en",
        address="citizen@example.org",
        subject="Received",
        body="Received.",
    )
    _in_a_request(lambda: enqueue("applications.deliver_notification", notification.pk), "req-worker-7")
    worker = own_redis.start_worker(loglevel="INFO", LOG_LEVEL="INFO", LOG_FORMAT="json")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.state == Notification.State.DELIVERED:
            break
        time.sleep(0.2)
    assert notification.state == Notification.State.DELIVERED
    own_redis.close()
    output = worker.stdout.read()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    started = [line for line in lines if line.get("logger") == "portal.tasks"]
    assert any(
        line["request_id"] == "req-worker-7" and "applications.deliver_notification" in line["message"]
        for line in started
    ), output[-6000:]


# --- /metrics ----------------------------------------------------------------------------------


def test_metrics_are_for_supervisors_or_a_scraper_with_the_token(client, settings):
    assert client.get("/metrics").status_code == 302  # to the login
    client.force_login(CaseworkerFactory())
    assert client.get("/metrics").status_code == 403
    client.logout()
    settings.LINGHUO_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    settings.LINGHUO_METRICS_TOKEN = None
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def _value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


def test_metrics_give_latency_per_route_and_the_backlogs(client, settings):
    settings.LINGHUO_METRICS_TOKEN = "t0ken"
    bearer = {"HTTP_AUTHORIZATION": "Bearer t0ken"}
    before = client.get("/metrics", **bearer).content.decode()
    count_name = "linghuo_http_request_duration_seconds_count"
    labels = '{method="GET",route="healthz_live"}'
    earlier = _value(before, count_name, labels) if f"{count_name}{labels}" in before else 0
    for _ in range(3):
        client.get("/healthz/live")
    Notification.objects.create(
        recipient=CitizenFactory(),
        event=Notification.Event.SUBMITTED,
        channel=Notification.Channel.EMAIL,
        language="en",
        address="a@example.org",
        body="Received.",
    )
    overdue = ApplicationFactory(status=Status.IN_REVIEW)
    Application.objects.filter(pk=overdue.pk).update(sla_due_on="2020-01-02")
    text = client.get("/metrics", **bearer).content.decode()
    assert _value(text, count_name, labels) == earlier + 3
    assert _value(text, "linghuo_http_requests_total", '{method="GET",route="healthz_live",status="2xx"}') >= 3
    assert _value(text, "linghuo_outbox_waiting") == Notification.objects.filter(state="queued").count() >= 1
    assert _value(text, "linghuo_sla_breaches") == 1
    assert _value(text, "linghuo_document_checks_waiting") == Document.objects.filter(check_status="pending").count()
