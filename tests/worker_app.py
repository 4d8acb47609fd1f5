"""The Celery app as a test's worker runs it (``celery -A tests.worker_app worker``).

The test settings run tasks in-process; a worker of a test on real Redis sends
the tasks it enqueues (the sweep's checks) through the broker, as in
production. With LINGHUO_TEST_CHECK_SECONDS set, each document check waits
that long after its claim: a test can kill the worker in the middle of one.
"""

import os
import time

from celery.signals import worker_ready

from portal.celery import app

app.conf.task_always_eager = False


@worker_ready.connect
def _slow_checks(**kwargs):
    delay = float(os.environ.get("LINGHUO_TEST_CHECK_SECONDS") or 0)
    if not delay:
        return
    from applications.services import documents

    real_check = documents.document_check

    def slow_check(**arguments):
        time.sleep(delay)
        return real_check(**arguments)

    documents.document_check = slow_check


__all__ = ["app"]
