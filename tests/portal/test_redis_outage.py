"""Redis is optional at run time (issue 11, item 2).

With Redis stopped, uploads, submissions, screening and the readiness check
answer at once; what was due (the document check, the messages) is in the
database and completes once Redis is back, by beat's sweep."""

import json
import os
import signal
import time
from datetime import date

import pytest
from django.conf import settings as django_settings

from applications.models import Document, Notification, Status
from portal.celery import broker_mark_up, broker_marked_down, enqueue
from tests.applications.files import pdf_bytes, upload
from tests.eligibility.test_api import CATALOGUE_EXAMPLE, SCREENINGS
from tests.factories import CitizenFactory, ready_to_submit
from tests.own_redis import own_redis  # noqa: F401 (fixture)

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def wait_for(predicate, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.4, "socket_timeout": 0.4},
        }
    }


@pytest.mark.django_db
def test_screening_answers_and_still_limits_when_the_cache_is_unreachable(client, settings, dead_cache):
    settings.LINGHUO_SCREENING_RATE = "3/min"
    answers = [
        client.post(SCREENINGS, json.dumps(CATALOGUE_EXAMPLE), content_type="application/json") for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]  # counted in this process
    assert "flexible-si-subsidy" in {result["program"] for result in answers[0].json()["results"]}


def test_the_session_does_not_live_in_redis():
    assert django_settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.signed_cookies",
    )


def test_the_broker_fails_fast_by_configuration():
    from portal.celery import app

    options = app.conf.broker_transport_options
    policy = app.conf.task_publish_retry_policy
    # One publish: at most (1 + retries) x socket timeout, well under a second.
    assert (1 + policy["max_retries"]) * max(options["socket_connect_timeout"], options["socket_timeout"]) < 1
    assert app.conf.broker_connection_timeout < 1


def test_enqueue_never_raises_and_gives_up_at_once_on_a_dead_broker(broker_down):
    broker_mark_up()
    _, first = timed(lambda: enqueue("portal.ping", "x"))
    assert broker_marked_down()
    sent, second = timed(lambda: enqueue("portal.ping", "y"))
    assert sent is False
    assert first < 1 and second < 0.05  # the second does not even try
    broker_mark_up()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enqueue_gives_up_within_a_second_on_a_frozen_redis(own_redis):  # noqa: F811
    os.kill(own_redis.process.pid, signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        sent, seconds = timed(lambda: enqueue("portal.ping", "x"))
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    print(f"\nenqueue on a frozen Redis gave up after {seconds:.2f} s")
    assert sent is False and seconds < 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upload_and_submission_answer_at_once_with_redis_stopped_and_complete_once_it_is_back(
    own_redis,  # noqa: F811
    settings,
    client,
):
    timing = {"DOCUMENT_CHECK_STALE_SECONDS": "3", "SWEEP_SECONDS": "2", "NOTIFICATION_PICKUP_SECONDS": "2"}
    own_redis.start_worker(beat=True, **timing)  # a worker and beat, as in docker-compose
    person = CitizenFactory(username="13900001111", email="wang@example.com")
    application = ready_to_submit(applicant=person)
    application.documents.update(check_status=Document.CheckStatus.PASSED)
    client.force_login(person)
    draft = f"/applications/drafts/{application.pk}"

    own_redis.stop()

    form = {"upload": "1", "kind": "identity_card", "file": upload("scan.pdf", pdf_bytes(2))}
    uploaded, upload_seconds = timed(lambda: client.post(f"{draft}/documents/", form))
    assert uploaded.status_code in (200, 302)
    document = application.documents.get(original_name="scan.pdf")
    assert document.check_status == Document.CheckStatus.PENDING  # recorded as due

    submitted, submit_seconds = timed(lambda: client.post(f"{draft}/check/", {"declaration": "on"}))
    assert submitted.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    waiting = Notification.objects.filter(application=application, state=Notification.State.QUEUED)
    assert set(waiting.values_list("channel", flat=True)) == {"email", "sms"}

    screening, screening_seconds = timed(
        lambda: client.post(SCREENINGS, json.dumps(CATALOGUE_EXAMPLE), content_type="application/json")
    )
    assert screening.status_code == 200
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json()["broker"] == "degraded"
    assert client.get("/healthz/live").status_code == 200
    print(
        f"\nRedis stopped: upload {upload_seconds:.2f} s, submission {submit_seconds:.2f} s, "
        f"screening {screening_seconds:.2f} s"
    )
    assert upload_seconds < 2 and submit_seconds < 2 and screening_seconds < 2

    own_redis.start()  # empty: whatever was queued before is gone
    back = time.monotonic()
    document_done = Document.objects.filter(pk=document.pk).exclude(check_status=Document.CheckStatus.PENDING)
    assert wait_for(document_done.exists, timeout=60), "the check did not complete after Redis came back"
    check_seconds = time.monotonic() - back
    assert wait_for(lambda: not waiting.exists(), timeout=60), list(waiting.values("channel", "attempts", "last_error"))
    messages_seconds = time.monotonic() - back
    print(f"after Redis is back: check done in {check_seconds:.1f} s, messages sent in {messages_seconds:.1f} s")

    document.refresh_from_db()
    assert document.check_status == Document.CheckStatus.PASSED and document.check_attempts == 1
    sent = Notification.objects.filter(application=application, state=Notification.State.DELIVERED)
    assert set(sent.exclude(channel="inbox").values_list("channel", "attempts")) == {("email", 1), ("sms", 1)}
    assert client.get("/healthz/ready").json()["broker"] == "ok"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_policy_change_while_the_cache_is_down_is_announced_once_it_is_back(settings, dead_cache):
    from django.db import transaction

    from eligibility import parameter_cache

    with transaction.atomic():
        parameter_cache.policy_version_bump()  # the commit must not fail because Redis is down
    assert parameter_cache._bump_owed
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "back"}}
    before = parameter_cache.policy_version()
    parameter_cache.parameters_in_force(date(2024, 3, 1))  # the next read pays the bump it owes
    assert not parameter_cache._bump_owed
    assert parameter_cache.policy_version() == before + 1
