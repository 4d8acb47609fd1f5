"""Which database a query goes to: the primary, or a streaming replica for the reads that may lag.

With ``DATABASE_REPLICA_URL`` set, settings add a second alias (``replica``, a PostgreSQL hot
standby) and name it in ``LINGHUO_READ_REPLICA``. Nothing goes there by default: a citizen must
read what they have just written, a caseworker the case they have just claimed. Only code that
says so reads from it, with ``reading_from_replica()`` (a context manager and a view decorator):
the supervision dashboard, the payments and referrals exports and the audit search, heavy reads
for which a few seconds of replication lag are harmless.

Inside that scope, still on the primary:

- every write (``db_for_write``), and every read inside a transaction on the primary (a service
  that reads, locks and writes: the audit chain's head, ``select_for_update``), so that a read
  never decides a write on data that may be behind;
- the session and the signed-in user, which the middleware and the permission decorators load
  before the view: put the decorator next to the view function, under ``login_required``.

Without a replica configured every query goes to ``default``. Migrations run on the primary only.
"""

import contextlib
import contextvars
import functools

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_replica_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("linghuo_reading_from_replica", default=False)


def replica_alias() -> str | None:
    """The alias reads may go to, if one is configured (``LINGHUO_READ_REPLICA``)."""
    alias = getattr(settings, "LINGHUO_READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES and alias != DEFAULT_DB_ALIAS else None


def replica_in_use() -> bool:
    """True where a read now would go to the replica (the scope is open and a replica configured)."""
    return _replica_wanted.get() and replica_alias() is not None


class ReadingFromReplica(contextlib.ContextDecorator):
    """``with reading_from_replica():`` or ``@reading_from_replica()``: reads in the scope may lag."""

    def __enter__(self):
        self._token = _replica_wanted.set(True)
        return self

    def __exit__(self, *exc):
        _replica_wanted.reset(self._token)
        return False

    def __call__(self, function):
        # A fresh scope for every call (and every thread), not one shared token.
        @functools.wraps(function)
        def inner(*args, **kwargs):
            with ReadingFromReplica():
                return function(*args, **kwargs)

        return inner


def reading_from_replica() -> ReadingFromReplica:
    return ReadingFromReplica()


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: see the module's docstring."""

    def db_for_read(self, model, **hints):
        alias = replica_alias()
        if alias is None or not _replica_wanted.get():
            return None  # the default: the primary
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: a row read from the replica may be linked to one from the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
