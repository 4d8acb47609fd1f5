"""Checks of the services the portal depends on, for /healthz."""

from django.conf import settings
from django.db import connection


def database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; say which kind
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def broker_check() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "in-process"}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True, "mode": "redis"}


def health_report() -> dict:
    checks = {"database": database_check(), "broker": broker_check()}
    healthy = all(check["ok"] for check in checks.values())
    return {"status": "ok" if healthy else "unavailable", "checks": checks}
