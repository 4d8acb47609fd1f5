"""Redis through Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER): the broker, the result backend,
the cache and the health check find the master by asking the sentinels, and follow a failover.

A real master, a replica and a sentinel (``redis-server --sentinel``) of the test's own, on free
ports; the portal's settings are read from the environment in a process of their own, as a
deployment reads them, and a real Celery worker answers through the same sentinels.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured

from portal.redis_connection import parse_sentinels, sentinel_urls
from tests.conftest import REPO
from tests.own_redis import free_port

MASTER_NAME = "linghuo"

# Run in a process of its own with the sentinel settings: prints one JSON line of what it saw.
CLIENT = textwrap.dedent(
    """
    import json, sys, time
    import django
    django.setup()
    import redis
    from django.conf import settings
    from django.core.cache import cache
    from redis.sentinel import Sentinel
    from portal.celery import app
    from portal.health import health_report

    sentinel = Sentinel([("127.0.0.1", int(sys.argv[1]))], socket_timeout=1)
    worker = sys.argv[2]
    seen = {"broker_url": app.conf.broker_url, "cache_location": settings.CACHES["default"]["LOCATION"]}

    def wait_for_worker():
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if app.control.ping(destination=[worker], timeout=0.5):
                    return True
            except Exception:
                pass
            time.sleep(0.3)
        return False

    def round_trip(label):
        seen[label + "_worker"] = wait_for_worker()
        # celery.accumulate is Celery's own task: it gives its arguments back, through the result backend.
        seen[label + "_task"] = list(app.send_task("celery.accumulate", args=[label, 2]).get(timeout=30))
        cache.set("sentinel-test", label, 60)
        seen[label + "_cache"] = cache.get("sentinel-test")
        seen[label + "_master"] = sentinel.discover_master(sys.argv[3])[1]
        seen[label + "_health"] = health_report()["broker"]

    round_trip("before")
    first = seen["before_master"]
    redis.Redis(port=int(sys.argv[1])).execute_command("SENTINEL", "FAILOVER", sys.argv[3])
    deadline = time.monotonic() + 30
    while sentinel.discover_master(sys.argv[3])[1] == first and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # the old master is made a replica of the new one
    round_trip("after")
    seen["after_on_new_master"] = redis.Redis(port=seen["after_master"]).get(":1:sentinel-test") is not None
    print("RESULT " + json.dumps(seen))
    """
)


def test_sentinel_addresses_are_read_and_refused_clearly():
    assert parse_sentinels("REDIS_SENTINELS", "10.0.0.1:26379, sentinel-2:26380") == [
        ("10.0.0.1", 26379),
        ("sentinel-2", 26380),
    ]
    assert parse_sentinels("REDIS_SENTINELS", "") == []
    for wrong in ("sentinel-1", "sentinel-1:port", ":26379", "host:70000"):
        with pytest.raises(ImproperlyConfigured, match="host:port pairs"):
            parse_sentinels("REDIS_SENTINELS", wrong)
    assert (
        sentinel_urls([("a", 1), ("b", 2)], db=3, password="p@ss")
        == "sentinel://:p%40ss@a:1/3;sentinel://:p%40ss@b:2/3"
    )


def _settings_error(**env) -> str:
    """What the settings say when read with ``env`` (a process of its own)."""
    environment = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    environment |= {"DJANGO_SETTINGS_MODULE": "portal.settings.test", **env}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stderr


def test_sentinels_without_a_master_name_or_beside_redis_url_stop_start_up():
    assert "needs REDIS_SENTINEL_MASTER" in _settings_error(REDIS_SENTINELS="127.0.0.1:26379")
    both = _settings_error(REDIS_SENTINELS="127.0.0.1:26379", REDIS_SENTINEL_MASTER="m", REDIS_URL="redis://x:1/0")
    assert "not both" in both


def _start(command: list[str], folder: str) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(check, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {timeout} s")


@pytest.fixture
def sentinel_group():
    """A master, its replica and one sentinel watching them (quorum 1), each on a free port."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    folder = tempfile.mkdtemp(prefix="linghuo-sentinel-")
    master_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = [_start(["redis-server", "--port", str(master_port), *common], folder)]
    processes.append(
        _start(
            ["redis-server", "--port", str(replica_port), "--replicaof", "127.0.0.1", str(master_port), *common], folder
        )
    )
    config = os.path.join(folder, "sentinel.conf")
    with open(config, "w") as handle:
        handle.write(
            f"port {sentinel_port}\nbind 127.0.0.1\ndir {folder}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 2000\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
        )
    processes.append(_start(["redis-server", config, "--sentinel"], folder))
    sentinel = redis.Redis(port=sentinel_port, socket_timeout=1)
    try:
        _wait(lambda: redis.Redis(port=replica_port).info("replication")["master_link_status"] == "up", "replication")
        _wait(lambda: sentinel.sentinel_slaves(MASTER_NAME), "the sentinel finding the replica")
        yield {"sentinel": sentinel_port, "master": master_port, "replica": replica_port}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.redis
def test_broker_results_cache_and_health_go_through_sentinel_and_follow_a_failover(sentinel_group, tmp_path):
    queue = f"sentinel-{uuid.uuid4().hex[:10]}"
    worker_name = f"{queue}@{os.uname().nodename}"
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.development",
            "LINGHUO_VAR_DIR": str(tmp_path),
            "REDIS_SENTINELS": f"127.0.0.1:{sentinel_group['sentinel']}",
            "REDIS_SENTINEL_MASTER": MASTER_NAME,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "LOG_FORMAT": "plain",
        }
    )
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-gossip"]
    command += ["--without-mingle", "-Q", queue, "-n", worker_name, "--loglevel=WARNING"]
    worker = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", CLIENT, str(sentinel_group["sentinel"]), worker_name, MASTER_NAME],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
        )
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"client failed:\n{done.stdout}\n{done.stderr}\nworker:\n{output}"
    seen = json.loads(lines[-1][len("RESULT ") :])
    assert seen["broker_url"] == f"sentinel://127.0.0.1:{sentinel_group['sentinel']}/0"
    assert seen["before_master"] == sentinel_group["master"]
    assert seen["before_worker"] and seen["before_task"] == ["before", 2]
    assert seen["before_cache"] == "before" and seen["before_health"] == "ok"
    # After the failover the replica is the master: everything found it, nothing was reconfigured.
    assert seen["after_master"] == sentinel_group["replica"]
    assert seen["after_worker"] and seen["after_task"] == ["after", 2]
    assert seen["after_cache"] == "after" and seen["after_on_new_master"]
    assert seen["after_health"] == "ok"
