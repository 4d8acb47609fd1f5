"""Checks of the services the portal depends on, for /healthz/live and /healthz/ready.

Only the database is needed to serve people: without Redis, tasks wait in the
database for the sweep, the screening throttle counts in each process and the
parameter sets are read from the database. So a web node without Redis is
ready (broker "degraded"); without its database it is not (503).
"""

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
    import redis

    from portal.redis_connection import redis_client

    client = redis_client(timeout=0.5)  # by REDIS_URL or through Sentinel
    if client is None:
        return {"ok": True, "mode": "in-process"}
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True, "mode": "redis"}


def health_report() -> dict:
    """``status``: "ok", "degraded" (Redis unreachable: the portal works, background
    work waits) or "unavailable" (no database); ``ready`` says whether a load
    balancer should send requests here."""
    database, broker = database_check(), broker_check()
    if not database["ok"]:
        status = "unavailable"
    elif not broker["ok"]:
        status = "degraded"
    else:
        status = "ok"
    return {
        "status": status,
        "ready": database["ok"],
        "database": "ok" if database["ok"] else "down",
        "broker": "degraded" if not broker["ok"] else ("in-process" if broker["mode"] == "in-process" else "ok"),
        "checks": {"database": database, "broker": broker},
    }
