"""The parameter set in force on a date, built once and reused until the policy changes.

A *policy version* lives in the shared cache (Django's ``default`` cache: Redis
when ``REDIS_URL`` is set, so all web processes share it; process memory
otherwise). ``parameters_in_force(as_of)`` reads the version (one cache
round-trip, no SQL) and returns the set built for ``(version, as_of)``: from
this process's memory, else from the shared cache, else from the database
(``ParameterSet.in_force``, two queries), then kept in both.

Every write of a programme, a parameter or a parameter value calls
``policy_version_bump()`` inside the transaction that makes the change. The
write paths are:

- ``eligibility.history.value_add`` / ``value_change`` / ``value_delete`` (the only
  writers of ``ParameterValue``; used by ``eligibility.services`` — hence the
  admin — and by the policy file import);
- ``eligibility.policy_file._apply`` (creates and updates ``Programme`` and
  ``Parameter`` rows: the import, ``import_policy`` and the catalogue migration);
- ``eligibility.admin.ProgrammeAdmin.save_model`` (titles, summaries and sources).

The bump is registered with ``transaction.on_commit``: the version changes if
and only if the change commits, and right after it, so no process can cache a
set read before the commit under the new version. Until the commit, the writing
connection itself bypasses the cache (it must see its own change; nothing read
inside an uncommitted transaction is ever cached). Every other process sees the
new version on its next request.

Reading the version: with Redis, one GET on a connection kept by each thread
(Django's cache layer, and even a redis-py client, cost more than the round trip); a view wrapped in
``policy_version_per_request`` reads it at most once per request, so that the
parameter set and the screening of one request agree, and the next request
reads it afresh.

Code that writes these rows by another path (a shell, a test using the ORM
directly) must call ``policy_version_bump()`` too, or read ``ParameterSet.in_force``.
Sets are shared between requests: do not change them.
"""

import functools
import logging
import os
import threading
import time
from contextvars import ContextVar
from datetime import date

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction

from eligibility.parameter_set import ParameterSet

VERSION_KEY = "linghuo:policy-version"
SET_KEY = "linghuo:parameter-set:{version}:{as_of}"
SET_SECONDS = 24 * 3600  # an unused set leaves the shared cache after a day
LOCAL_LIMIT = 64  # dates kept in this process for the current version

_local: dict[tuple[int, date], ParameterSet] = {}
_local_lock = threading.Lock()
# A bump that could not reach the shared cache (Redis down): paid by this process
# as soon as the cache answers again.
_bump_owed = False

logger = logging.getLogger(__name__)


def _new_version() -> int:
    """A starting version that no earlier one can equal, should the cache lose the key."""
    return time.time_ns()


# The version read in the current request (``policy_version_per_request``): a
# one-entry list while a wrapped view runs, None outside one.
_request_version: ContextVar[list[int] | None] = ContextVar("linghuo_policy_version", default=None)
# (backend, Redis client, key): the raw reader of this thread's default cache.
_raw_reader: threading.local = threading.local()


def policy_version_per_request(view):
    """Wraps a view so that the policy version is read at most once while it runs."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        token = _request_version.set([])
        try:
            return view(*args, **kwargs)
        finally:
            _request_version.reset(token)

    return wrapped


def _read_version() -> int | None:
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend.get(VERSION_KEY)
    reader = getattr(_raw_reader, "value", None)
    if reader is None or reader[0] is not backend or reader[3] != os.getpid():
        # A connection of this thread's own, made with the cache's settings (address,
        # database, password, timeouts) and kept: one GET is then one write and one
        # read on its socket, without a trip through the client and its pool.
        pool = backend._cache.get_client(write=False).connection_pool
        link = pool.connection_class(**pool.connection_kwargs)
        packed = link.pack_command("GET", backend.make_and_validate_key(VERSION_KEY))
        reader = _raw_reader.value = (backend, link, packed, os.getpid())
    link = reader[1]
    try:
        link.send_packed_command(reader[2], check_health=False)
        raw = link.read_response()
    except BaseException:
        # Whatever went wrong (Redis gone, a timeout), the next read starts on a new connection.
        _raw_reader.value = None
        link.disconnect()
        raise
    return None if raw is None else backend._cache._serializer.loads(raw)


def policy_version() -> int:
    """The current policy version from the shared cache (one round-trip; none when
    already read in this request)."""
    held = _request_version.get()
    if held:
        return held[0]
    version = _read_version()
    if version is None:
        cache.add(VERSION_KEY, _new_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    version = int(version)
    if held is not None:
        held.append(version)
    return version


def _bump() -> None:
    global _bump_owed
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # the key is gone (evicted, cache cleared): start afresh
            cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:  # the shared cache is unreachable; the change itself has committed
        _bump_owed = True
        logger.error("Policy version not bumped (shared cache unreachable); will retry", exc_info=True)
        return
    _bump_owed = False


def _pending_marker() -> None:
    """Registered with on_commit next to the bump: its presence means that this
    connection's open transaction has changed the policy."""


def policy_version_bump() -> None:
    """Call in the transaction that changes a programme, a parameter or a parameter value."""
    transaction.on_commit(_bump)
    if connection.in_atomic_block:
        transaction.on_commit(_pending_marker)


def _change_pending() -> bool:
    return connection.in_atomic_block and any(entry[1] is _pending_marker for entry in connection.run_on_commit)


def parameters_in_force(as_of: date) -> ParameterSet:
    """The parameters and programmes in force on ``as_of``; no SQL once warm."""
    if _change_pending():
        return ParameterSet.in_force(as_of)
    try:
        if _bump_owed:
            _bump()
        version = policy_version()
    except Exception:  # the shared cache (Redis) is unreachable: the database answers
        logger.warning("Parameter cache unreachable; reading parameters from the database", exc_info=True)
        return ParameterSet.in_force(as_of)
    key = (version, as_of)
    found = _local.get(key)
    if found is not None:
        return found
    shared_key = SET_KEY.format(version=version, as_of=as_of.isoformat())
    try:
        found = cache.get(shared_key)
    except Exception:  # lost between two round-trips: build it here
        found = None
    if found is None:
        found = ParameterSet.in_force(as_of)
        try:
            cache.set(shared_key, found, timeout=SET_SECONDS)
        except Exception:  # kept in this process only
            logger.warning("Parameter set not shared (cache unreachable)", exc_info=True)
    with _local_lock:
        for stale in [entry for entry in _local if entry[0] != version]:
            del _local[stale]
        if len(_local) >= LOCAL_LIMIT:
            _local.pop(next(iter(_local)))
        _local[key] = found
    return found


def forget_local() -> None:
    """Empties this process's copies (tests use it to play a second process)."""
    with _local_lock:
        _local.clear()
