"""Document checks complete exactly once: claims, the sweep, and a worker killed mid-check."""

import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Document
from applications.services.documents import (
    document_attach,
    document_check,
    document_check_claim,
    documents_check_stale,
)
from applications.tasks import CHECK_MAX_CLAIMS, CHECK_TIME_LIMIT, check_document, resend_stale_checks
from tests.applications.files import pdf_bytes, upload
from tests.factories import ApplicationFactory
from tests.own_redis import own_redis  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def pending_document(**fields) -> Document:
    application = ApplicationFactory()
    document = document_attach(
        application=application,
        kind="identity_card",
        uploaded=upload("scan.pdf", pdf_bytes(1)),
        acting_user=application.applicant,
    )  # no commit in a test transaction: the check is not sent
    Document.objects.filter(pk=document.pk).update(**fields)
    document.refresh_from_db()
    return document


def test_two_runs_cannot_both_claim_a_check():
    document = pending_document()
    assert document_check_claim(document_id=document.pk) == 1
    assert document_check_claim(document_id=document.pk) is None  # held by a live run
    assert check_document.apply(args=(document.pk,)).get() == {"document": document.pk, "status": "not claimed"}
    document.refresh_from_db()
    assert (document.check_status, document.check_attempts) == ("pending", 1)


def test_a_stale_claim_is_taken_over_and_the_old_run_records_nothing(settings):
    document = pending_document()
    old = document_check_claim(document_id=document.pk, now=timezone.now() - timedelta(minutes=5))
    new = document_check_claim(document_id=document.pk)
    assert (old, new) == (1, 2)
    assert document_check(document_id=document.pk, claim=old) is None  # the dead run came back: ignored
    document.refresh_from_db()
    assert document.check_status == "pending" and document.check_results == {}
    checked = document_check(document_id=document.pk, claim=new)
    assert checked.check_status == "passed" and checked.check_attempts == 2
    # Whatever the broker delivers afterwards (the message unacked by the dead worker) changes nothing.
    assert check_document.apply(args=(document.pk,)).get()["status"] == "not claimed"
    assert document_check(document_id=document.pk, claim=new) is None
    document.refresh_from_db()
    assert (document.check_attempts, document.checked_at) == (2, checked.checked_at)


def test_the_sweep_finds_what_is_pending_and_stale(settings):
    settings.LINGHUO_DOCUMENT_CHECK_STALE_SECONDS = 60
    long_ago = timezone.now() - timedelta(minutes=5)
    never_sent = pending_document(uploaded_at=long_ago)
    dead_claim = pending_document(uploaded_at=long_ago, check_attempts=1, checked_at=long_ago)
    live_claim = pending_document(uploaded_at=long_ago, check_attempts=1, checked_at=timezone.now())
    fresh = pending_document()
    done = pending_document(uploaded_at=long_ago, check_status="passed")
    stale = documents_check_stale()
    assert stale == [never_sent.pk, dead_claim.pk]
    assert {live_claim.pk, fresh.pk, done.pk}.isdisjoint(stale)
    # In-process (no broker) the sweep runs the checks it sends.
    assert resend_stale_checks.apply().get() == {"stale": 2, "sent": 2}
    assert not Document.objects.filter(pk__in=stale, check_status="pending").exists()
    assert documents_check_stale() == []


def test_a_file_that_keeps_killing_its_worker_is_given_up_where_staff_see_it():
    document = pending_document(check_attempts=CHECK_MAX_CLAIMS)
    assert check_document.apply(args=(document.pk,)).get()["status"] == "failed"
    document.refresh_from_db()
    assert document.check_status == "failed" and document.check_results["problems"] == ["check_failed"]


def test_a_live_check_is_never_taken_over(settings):
    # The task's hard time limit ends a run before its claim may be taken over.
    assert CHECK_TIME_LIMIT < settings.LINGHUO_DOCUMENT_CHECK_STALE_SECONDS
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule[resend_stale_checks.name] == 60.0


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_check_is_replaced_within_the_sweep_interval(own_redis, settings):  # noqa: F811
    stale, sweep = 3, 2  # seconds; in production 60 and 60
    settings.LINGHUO_DOCUMENT_CHECK_STALE_SECONDS = stale
    timing = {"DOCUMENT_CHECK_STALE_SECONDS": str(stale), "SWEEP_SECONDS": str(sweep)}
    doomed = own_redis.start_worker(LINGHUO_TEST_CHECK_SECONDS="60", **timing)  # a check that takes a minute
    application = ApplicationFactory()
    document = document_attach(
        application=application,
        kind="identity_card",
        uploaded=upload("scan.pdf", pdf_bytes(3)),
        acting_user=application.applicant,
    )
    claimed = Document.objects.filter(pk=document.pk, check_attempts=1, check_status="pending")
    assert wait_for(claimed.exists, timeout=20), "the first worker never claimed the check"

    doomed.send_signal(signal.SIGKILL)  # mid-check: its message stays unacked in Redis (visibility timeout 1 h)
    doomed.wait(timeout=10)
    killed_at = time.monotonic()
    own_redis.start_worker(beat=True, **timing)  # another worker, with beat's sweep
    done = Document.objects.filter(pk=document.pk).exclude(check_status="pending")
    assert wait_for(done.exists, timeout=30), "the check was not redone"
    recovered = time.monotonic() - killed_at
    print(f"\ncheck completed {recovered:.1f} s after its worker was killed (stale {stale} s, sweep {sweep} s)")

    document.refresh_from_db()
    assert document.check_status == "passed" and document.page_count == 3
    assert document.check_attempts == 2  # the killed run's claim, and the one that completed
    assert recovered < 20  # start of the second worker + stale + one sweep interval, far below one hour
    # The killed run's message, when Redis hands it out again, finds nothing to do.
    first_result = (document.checked_at, dict(document.check_results))
    assert check_document.apply(args=(document.pk,)).get()["status"] == "not claimed"
    time.sleep(stale + sweep)  # more sweeps: nothing is redone
    document.refresh_from_db()
    assert (document.checked_at, document.check_results, document.check_attempts) == (*first_result, 2)
