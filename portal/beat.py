"""Celery beat as a single instance: only the beat that holds a lock in Redis sends anything.

Run one beat. Should a second one start by mistake (a deployment that scaled beat, a node that
came back), it finds the lock taken and stands by, sending nothing; it takes over within
``BEAT_LOCK_SECONDS`` when the first one stops (at once when it stops cleanly: the lock is given
back). The holder renews the lock at least every third of that time, and a beat that finds the lock
held by another, or Redis unreachable (nothing could be sent then anyway), stops sending.

The lock is the first protection, not the only one: every periodic task is idempotent in the
database (row locks with ``SKIP LOCKED``, conditional updates, unique constraints; see
docs/DEPLOYMENT.md), because a lock in Redis can be lost for a moment (a Sentinel failover before
the key was replicated, a beat frozen longer than the lock). A beat that takes over runs at once,
once, each job whose time it has seen pass since it started, whoever ran it; a job run again finds
nothing more to do.

Chosen by ``CELERY_BEAT_SCHEDULER``; the lock's key is ``LINGHUO_BEAT_LOCK_KEY``. Without Redis
(the demo's in-process tasks) there is nothing to share, and no lock.
"""

import logging
import os
import socket
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

from portal.redis_connection import redis_client

logger = logging.getLogger(__name__)

# Sets the lock's time again only while this beat still holds it.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
# Gives it back only if it is still this beat's.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class SingleBeatScheduler(PersistentScheduler):
    """``PersistentScheduler`` (the schedule file) that sends only while it holds the lock."""

    def __init__(self, *args, **kwargs):
        self.lock_key = settings.LINGHUO_BEAT_LOCK_KEY
        self.lock_seconds = max(3, settings.LINGHUO_BEAT_LOCK_SECONDS)
        self.lock_token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.holding = False
        self._client = None
        super().__init__(*args, **kwargs)

    @property
    def renew_every(self) -> float:
        return self.lock_seconds / 3

    def _redis(self):
        if self._client is None:
            self._client = redis_client(timeout=2)
        return self._client

    def hold_lock(self) -> bool:
        """True while this beat holds the lock (taking it if it is free); True without Redis."""
        client = self._redis()
        if client is None:
            return True
        ttl = int(self.lock_seconds * 1000)
        try:
            if self.holding and client.eval(_RENEW, 1, self.lock_key, self.lock_token, ttl):
                return True
            if self.holding:
                logger.warning("Beat %s lost its lock %s: standing by, sending nothing", self.lock_token, self.lock_key)
                self.holding = False
            if client.set(self.lock_key, self.lock_token, nx=True, px=ttl):
                logger.info("Beat %s holds the lock %s: sending the schedule", self.lock_token, self.lock_key)
                self.holding = True
        except redis.RedisError as exc:
            if self.holding:
                logger.warning("Beat %s cannot reach Redis (%s): standing by", self.lock_token, type(exc).__name__)
            self.holding = False
        return self.holding

    def tick(self, *args, **kwargs):
        if not self.hold_lock():
            logger.debug("Beat %s standing by: another beat holds %s", self.lock_token, self.lock_key)
            return self.renew_every
        return min(super().tick(*args, **kwargs), self.renew_every)

    def close(self):
        client = self._client
        if self.holding and client is not None:
            try:
                client.eval(_RELEASE, 1, self.lock_key, self.lock_token)
                logger.info("Beat %s gave back the lock %s", self.lock_token, self.lock_key)
            except redis.RedisError:
                pass  # it expires by itself
            self.holding = False
        super().close()
