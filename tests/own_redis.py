"""A Redis of the test's own, that it may stop and start, and Celery workers on it.

Used by tests/portal/test_redis_outage.py and tests/applications/test_check_sweep.py.
The application under test (this process) and every worker started here use
that Redis for the broker and the cache; nothing is mocked.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import redis

from tests.conftest import REPO, _wait_for_worker, _worker_environment, repoint_broker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.process: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.folder = tempfile.mkdtemp(prefix="linghuo-redis-")

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def start_worker(self, *, beat: bool = False, loglevel: str = "WARNING", **env) -> subprocess.Popen:
        """A worker (tests/worker_app.py) on this Redis and this test's queue;
        ``env`` adds settings read from the environment (e.g. SWEEP_SECONDS)."""
        from portal.celery import app

        worker_env = _worker_environment()
        worker_env.update({"REDIS_URL": self.url, "CELERY_TASK_DEFAULT_QUEUE": self.queue, **env})
        name = f"{self.queue}-{len(self.workers)}"
        command = [sys.executable, "-m", "celery", "-A", "tests.worker_app", "worker", "--pool=solo"]
        command += ["--without-gossip", "--without-mingle", "-Q", self.queue, "-n", f"{name}@%h"]
        command += [f"--loglevel={loglevel}"]
        if beat:
            command += ["-B", "--schedule", os.path.join(self.folder, f"beat-{name}")]
        process = subprocess.Popen(
            command, cwd=REPO, env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.workers.append(process)
        _wait_for_worker(app, f"{name}@{os.uname().nodename}", process)
        return process

    def close(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.stop()


@pytest.fixture
def own_redis(settings, transactional_db):
    """Points this process's Celery app and Django cache at a Redis of the test's own."""
    from portal.celery import app, broker_mark_up

    server = OwnRedis()
    server.start()
    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue)
    repoint_broker(app, server.url)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = server.queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.4, "socket_timeout": 0.4},
        }
    }
    broker_mark_up()
    try:
        yield server
    finally:
        server.close()
        repoint_broker(app, previous[0])
        app.conf.task_always_eager, app.conf.task_default_queue = previous[1], previous[2]
        broker_mark_up()
