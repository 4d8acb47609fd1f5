"""Two machines' worth of processes on one database and one broker, for tests/deployment.

``Machines`` starts, on loopback ports, what two machines of a deployment run: two web processes
(gunicorn, two workers each), two Celery workers (two child processes each) and, when asked, Celery
beat, all on the test database (PostgreSQL) and a Redis of the test's own (``tests.own_redis``),
with the settings of ``tests.deployment.settings``. ``Browser`` is a person's browser over HTTP
(requests, its cookies), signing in as the login form asks, second factor included.
"""

import io
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from tests.conftest import REPO, _wait_for_worker, _worker_environment, totp_code
from tests.factories import PASSWORD
from tests.own_redis import OwnRedis, free_port


class Machines:
    def __init__(self):
        self.redis = OwnRedis()
        self.folder = Path(tempfile.mkdtemp(prefix="linghuo-machines-"))
        self.mail_dir = self.folder / "mail"
        self.mail_dir.mkdir()
        self.sms_file = str(self.folder / "sms.jsonl")
        self.queue = f"machines-{uuid.uuid4().hex[:10]}"
        self.web_urls: list[str] = []
        self.worker_names: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.beats: list[tuple[subprocess.Popen, Path]] = []
        self.secret_key = secrets.token_urlsafe(50)

    def environment(self, **extra) -> dict:
        env = _worker_environment()  # the test database
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.deployment.settings",
                "REDIS_URL": self.redis.url,
                "CELERY_TASK_DEFAULT_QUEUE": self.queue,
                "LINGHUO_TEST_SECRET_KEY": self.secret_key,
                "LINGHUO_TEST_MAIL_DIR": str(self.mail_dir),
                "LINGHUO_TEST_SMS_FILE": self.sms_file,
                "BEAT_LOCK_KEY": f"linghuo:beat-lock:{self.queue}",
                **extra,
            }
        )
        return env

    def _spawn(self, command: list[str], log_name: str, **env) -> subprocess.Popen:
        log = open(self.folder / log_name, "w")  # noqa: SIM115 - kept open for the process's life
        process = subprocess.Popen(
            command, cwd=REPO, env=self.environment(**env), stdout=log, stderr=subprocess.STDOUT, text=True
        )
        self.processes.append(process)
        return process

    def start(self, *, webs: int = 2, workers: int = 2) -> None:
        """Starts the processes (Redis is started first, and this process's Celery app pointed at it)."""
        starting = []
        for number in range(webs):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            command += ["--workers", "2", "--timeout", "60", "--graceful-timeout", "5"]
            starting.append(("web", self._spawn(command, f"web-{number}.log"), f"http://127.0.0.1:{port}"))
        for number in range(workers):
            name = f"{self.queue}-{number}@{os.uname().nodename}"
            command = [sys.executable, "-m", "celery", "-A", "tests.worker_app", "worker", "--pool=prefork"]
            command += ["--concurrency=2", "--without-gossip", "--without-mingle", "-Q", self.queue, "-n", name]
            command += ["--loglevel=WARNING"]
            # A message not sent at once is the sweep's at once too: the sweep and the sender race.
            worker = self._spawn(command, f"worker-{number}.log", NOTIFICATION_PICKUP_SECONDS="0")
            starting.append(("worker", worker, name))
        for kind, process, address in starting:
            if kind == "web":
                self._wait_for_web(address, process)
                self.web_urls.append(address)
            else:
                from portal.celery import app

                _wait_for_worker(app, address, _LogView(process, self.folder), timeout=60)
                self.worker_names.append(address)

    def _wait_for_web(self, url: str, process: subprocess.Popen, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{self.logs()}")
            try:
                if requests.get(f"{url}/healthz/live", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn at {url} did not answer within {timeout} s:\n{self.logs()}")

    def start_beat(self, number: int, **env) -> tuple[subprocess.Popen, Path]:
        log = self.folder / f"beat-{number}.log"
        command = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO"]
        command += ["--schedule", str(self.folder / f"beat-{number}-schedule")]
        process = self._spawn(command, log.name, **env)
        self.beats.append((process, log))
        return process, log

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.folder.glob("*.log")))

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            self.stop(process)
        self.redis.stop()


class _LogView:
    """What ``_wait_for_worker`` reads of a process whose output goes to a file: the logs, should it exit."""

    def __init__(self, process: subprocess.Popen, folder: Path):
        self.process, self.folder = process, folder

    @property
    def stdout(self):
        return io.StringIO("\n".join(path.read_text()[-3000:] for path in sorted(self.folder.glob("*.log"))))

    def poll(self):
        return self.process.poll()

    @property
    def returncode(self):
        return self.process.returncode


class Browser:
    """One person's browser: its cookies, sent to whichever web process it talks to next."""

    def __init__(self, web_urls: list[str], *, start: int = 0):
        self.session = requests.Session()
        self.web_urls = web_urls
        self.turn = start
        self.served_by: list[str] = []

    def _next_url(self, path: str) -> str:
        base = self.web_urls[self.turn % len(self.web_urls)]
        self.turn += 1
        self.served_by.append(base)
        return base + path

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(self._next_url(path), params=params, allow_redirects=False, timeout=60)

    def post(self, path: str, data: dict | None = None, files: dict | None = None) -> requests.Response:
        form = {**(data or {}), "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", "")}
        return self.session.post(self._next_url(path), data=form, files=files, allow_redirects=False, timeout=60)

    def log_in(self, user, device=None) -> None:
        """The login form, then (staff) the code of the authenticator ``device``."""
        assert self.get("/accounts/login/").status_code == 200
        answer = self.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert answer.status_code == 302, answer.text[:2000]
        if device is not None:
            assert answer.headers["Location"].startswith("/accounts/two-factor/"), answer.headers["Location"]
            answer = self.post("/accounts/two-factor/", {"code": totp_code(device)})
            assert answer.status_code == 302, answer.text[:2000]
