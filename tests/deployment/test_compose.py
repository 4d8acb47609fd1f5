"""docker-compose.yml runs with `docker compose up --scale web=3 --scale worker=3` (issue 15, item 4).

There is no Docker engine here: the file is checked as data, and by the compose CLI's own
`config` where one is installed (it needs no engine).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
SCALED = ("web", "worker")
REQUIRED_ENV = {
    "SECRET_KEY": "s" * 60,
    "LINGHUO_DATA_KEYS": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "LINGHUO_HASH_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "LINGHUO_PUBLIC_URL": "https://linghuo.example.cn",
    "POSTGRES_PASSWORD": "p",
    "LINGHUO_DB_PASSWORD": "q",
}


def services() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def nginx_conf() -> str:
    return (REPO / "docker" / "nginx" / "linghuo.conf").read_text()


def test_scaled_services_have_no_container_name_and_no_host_port():
    found = services()
    for name in SCALED:
        assert "container_name" not in found[name], name
        assert "ports" not in found[name], f"{name} would take the same host port in every replica"
    assert [name for name, service in found.items() if "ports" in service] == ["lb"]
    assert not any("container_name" in service for service in found.values())


def test_migrations_run_once_in_a_job_the_others_wait_for():
    found = services()
    assert found["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert found["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert "migrate" not in str(found[name].get("command", "")), f"{name} must not migrate on start"
        assert found[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_the_load_balancer_is_nginx_from_its_official_image_in_front_of_web():
    lb = services()["lb"]
    assert re.fullmatch(r"nginx:[\w.\-]+", lb["image"])
    assert "./docker/nginx/linghuo.conf:/etc/nginx/conf.d/default.conf:ro" in lb["volumes"]
    assert lb["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "healthz" in " ".join(lb["healthcheck"]["test"])
    conf = nginx_conf()
    # Every replica behind one name, looked up again as replicas come and go.
    assert re.search(r"server web:8000 resolve", conf) and "resolver 127.0.0.11" in conf
    assert "proxy_pass http://linghuo_web;" in conf
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Request-ID $request_id", "Host $host"):
        assert f"proxy_set_header {header};" in conf, header
    body = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert body * 1024 * 1024 > settings.LINGHUO_MAX_UPLOAD_BYTES
    assert services()["web"]["environment"]["NUM_PROXIES"] == "${NUM_PROXIES:-1}"  # nginx is that proxy


def test_every_long_running_service_has_a_health_check_and_beat_is_one():
    found = services()
    for name, service in found.items():
        if name != "migrate":
            assert service["healthcheck"]["test"], name
    assert "deploy" not in found["beat"] and "scale" not in found["beat"]


def _compose_cli() -> list[str] | None:
    if shutil.which("docker"):
        done = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_the_compose_cli_accepts_the_file(tmp_path):
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no compose CLI installed (docker compose or docker-compose); the file is checked as data above")
    shutil.copy(REPO / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("".join(f"{key}={value}\n" for key, value in REQUIRED_ENV.items()))
    done = subprocess.run([*cli, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    names = subprocess.run([*cli, "config", "--services"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert set(names.stdout.split()) == {"postgres", "redis", "migrate", "web", "lb", "worker", "beat"}
