"""There is no Docker engine here: the compose file and Dockerfile are checked as data."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_compose_has_the_production_services_each_with_a_health_check():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "lb", "worker", "beat"}
    for name, service in services.items():
        if name == "migrate":  # a one-shot job: it exits, the others wait for it to succeed
            continue
        assert "healthcheck" in service, name
        assert service["healthcheck"]["test"], name


def test_compose_commands_run_gunicorn_the_worker_and_beat():
    services = compose()["services"]
    assert "gunicorn portal.wsgi:application" in command_text(services["web"])
    assert "migrate" in command_text(services["migrate"]) and "migrate" not in command_text(services["web"])
    assert re.search(r"celery -A portal worker", command_text(services["worker"]))
    assert re.search(r"celery -A portal beat", command_text(services["beat"]))
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_wires_the_app_to_postgres_and_redis_with_production_settings():
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
        assert "SECRET_KEY" in env and "?" in env["SECRET_KEY"]  # required, never a default
        assert services[name].get("build") == "."


def test_dockerfile_builds_python_311_and_runs_gunicorn_unprivileged():
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert "pip install -r requirements.txt" in text
    assert "collectstatic" in text
    assert re.search(r"^USER \w+", text, re.M)
    assert '"gunicorn", "portal.wsgi:application"' in text


def test_makefile_has_the_documented_targets():
    text = (REPO / "Makefile").read_text()
    for target in ("demo", "test", "lint", "run", "worker", "beat"):
        assert re.search(rf"^{target}:", text, re.M), target


def test_readme_gives_the_two_commands_and_every_environment_variable():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"):
        assert f"`{variable}`" in readme, variable
