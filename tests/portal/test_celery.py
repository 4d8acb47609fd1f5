import uuid

import pytest
from django.db import transaction

from portal.tasks import ping


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_makes_a_round_trip_through_redis_to_a_real_worker(celery_worker_process):
    token = uuid.uuid4().hex
    result = ping.delay(token)
    assert result.get(timeout=30) == {"pong": token}
    assert result.successful()


def test_celery_configuration_is_safe_for_lost_workers():
    from portal.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tasks_are_sent_only_after_the_transaction_commits(monkeypatch):
    sent = []
    monkeypatch.setattr(ping, "apply_async", lambda *a, **kw: sent.append(a))
    with transaction.atomic():
        ping.delay_on_commit("kept")
        assert sent == []  # not while the transaction is open
    assert len(sent) == 1
    try:
        with transaction.atomic():
            ping.delay_on_commit("rolled back")
            raise RuntimeError
    except RuntimeError:
        pass
    assert len(sent) == 1  # nothing sent for a transaction that rolled back
