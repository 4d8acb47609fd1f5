"""Redis by one address (``REDIS_URL``) or through Sentinel (``REDIS_SENTINELS``, ``REDIS_SENTINEL_MASTER``).

With Sentinel, every part of the portal that uses Redis asks the sentinels which server is the
master now and follows a failover: Celery's broker and result backend (kombu's and Celery's own
``sentinel://`` transports, ``portal.settings.base``), the cache (``SentinelConnectionPool`` below,
for Django's ``RedisCache``), and the few direct clients (the health check, the queue-length
metric, beat's lock) through ``redis_client``.
"""

from urllib.parse import quote

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.sentinel import Sentinel
from redis.sentinel import SentinelConnectionPool as _SentinelConnectionPool


def parse_sentinels(name: str, value: str | None) -> list[tuple[str, int]]:
    """``host:port,host:port`` as a list of (host, port); a clear error for anything else."""
    if not value or not value.strip():
        return []
    sentinels = []
    for item in value.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"{name} must be host:port pairs separated by commas, not {value!r}")
        sentinels.append((host.strip("[]"), int(port)))
    return sentinels


def sentinel_urls(sentinels: list[tuple[str, int]], *, db: int, password: str | None) -> str:
    """Celery's form of the sentinels: ``sentinel://:password@host:port/db;sentinel://…`` (the password
    is the master's; the sentinels' own goes in ``sentinel_kwargs``)."""
    auth = f":{quote(password, safe='')}@" if password else ""
    return ";".join(f"sentinel://{auth}{host}:{port}/{db}" for host, port in sentinels)


def redis_configured() -> bool:
    return bool(settings.REDIS_URL or settings.REDIS_SENTINELS)


def redis_client(*, timeout: float) -> redis.Redis | None:
    """A client of the Redis master, failing within ``timeout`` seconds; None when no Redis is configured."""
    if settings.REDIS_SENTINELS:
        sentinel = Sentinel(
            settings.REDIS_SENTINELS,
            sentinel_kwargs={**settings.REDIS_SENTINEL_KWARGS, "socket_timeout": timeout},
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        return sentinel.master_for(
            settings.REDIS_SENTINEL_MASTER, db=settings.REDIS_DB, password=settings.REDIS_PASSWORD or None
        )
    if settings.REDIS_URL:
        return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    return None


class SentinelConnectionPool(_SentinelConnectionPool):
    """For Django's ``RedisCache``: ``OPTIONS`` carry ``sentinels``, ``service_name`` and ``sentinel_kwargs``
    besides the connection's own options; ``LOCATION`` only names the master for a reader."""

    @classmethod
    def from_url(cls, url, **options):
        sentinels = options.pop("sentinels")
        service_name = options.pop("service_name")
        sentinel_kwargs = options.pop("sentinel_kwargs", None) or {}
        timeouts = {key: options[key] for key in ("socket_timeout", "socket_connect_timeout") if key in options}
        manager = Sentinel([tuple(each) for each in sentinels], sentinel_kwargs={**timeouts, **sentinel_kwargs})
        return cls(service_name, manager, **options)
