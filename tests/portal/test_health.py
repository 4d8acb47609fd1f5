import pytest
from django.db.utils import OperationalError

from portal import health


@pytest.mark.django_db
def test_healthz_reports_database_and_in_process_broker(client, settings):
    settings.REDIS_URL = None
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "mode": "in-process"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/healthz/ready"])
def test_ready_stays_200_with_the_broker_degraded_when_redis_is_unreachable(client, settings, path):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(path)
    assert response.status_code == 200  # the pages work without Redis: keep sending people here
    body = response.json()
    assert (body["status"], body["broker"], body["database"]) == ("degraded", "degraded", "ok")
    assert body["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
def test_ready_answers_503_without_the_database(client, monkeypatch):
    class DeadConnection:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DeadConnection())
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["ready"]) == ("unavailable", "down", False)
    assert body["checks"]["database"]["error"] == "OperationalError"


@pytest.mark.django_db
def test_live_answers_200_whatever_the_services(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(health, "database_check", lambda: pytest.fail("live must not ask the database"))
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_pings_the_real_redis(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "mode": "redis"}
    assert response.json()["broker"] == "ok"


@pytest.mark.postgres
@pytest.mark.django_db
def test_healthz_on_postgres_names_the_vendor(client):
    assert client.get("/healthz").json()["checks"]["database"]["vendor"] == "postgresql"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/healthz/live", "/healthz/ready"])
def test_healthz_refuses_other_methods(client, path):
    assert client.post(path).status_code == 405
