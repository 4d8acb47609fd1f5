"""Shared fixtures.

Tests that need PostgreSQL, Redis or a browser are marked; without the service
they are skipped with a reason, except in CI (LINGHUO_REQUIRE_SERVICES=1),
where such a skip is a failure.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

from portal import sms

REPO = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("LINGHUO_REQUIRE_SERVICES") == "1"

# In CI, hypothesis draws its examples from a fixed seed, so that a submission is
# judged on the same inputs each time; on a developer's machine they vary, to explore.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def _skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (LINGHUO_REQUIRE_SERVICES=1: this test must run here)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _service_marks(request):
    if request.node.get_closest_marker("postgres") and not settings.DATABASES["default"]["ENGINE"].endswith(
        "postgresql"
    ):
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        _skip_or_fail("needs Redis: set REDIS_URL=redis://…")
    if request.node.get_closest_marker("browser") and not shutil.which("chromium"):
        _skip_or_fail("needs Debian's chromium (apt-get install chromium)")


@pytest.fixture(autouse=True)
def _fresh_parameter_cache():
    """Each test's database is rolled back: parameter sets cached by an earlier test are not its own."""
    from django.core.cache import cache

    from eligibility.parameter_cache import forget_local

    cache.clear()
    forget_local()
    yield
    forget_local()


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def sms_outbox():
    return sms.outbox


def _worker_environment() -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        # The worker must read the test database that pytest-django created.
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or ''}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    return env


@pytest.fixture
def celery_worker_process(settings, transactional_db):
    """A real Celery worker process consuming a queue of its own on real Redis.

    Tasks sent during the test go to that queue (not run in-process), so the
    test sees the full trip: broker, worker, result backend.
    """
    from portal.celery import app

    if not settings.REDIS_URL:
        _skip_or_fail("needs Redis: set REDIS_URL=redis://…")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    hostname = f"{queue}@%h"
    previous = {
        "task_always_eager": app.conf.task_always_eager,
        "task_default_queue": app.conf.task_default_queue,
    }
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker_env = _worker_environment()
    worker_env["CELERY_TASK_DEFAULT_QUEUE"] = queue
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "-n",
            hostname,
            "--loglevel=WARNING",
        ],
        cwd=REPO,
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_worker(app, hostname.replace("%h", os.uname().nodename), process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        app.conf.task_always_eager = previous["task_always_eager"]
        app.conf.task_default_queue = previous["task_default_queue"]


def _wait_for_worker(app, hostname: str, process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"Celery worker exited with {process.returncode}:\n{output}")
        replies = app.control.ping(destination=[hostname], timeout=0.5)
        if replies:
            return
        time.sleep(0.2)
    raise RuntimeError(f"Celery worker did not answer within {timeout} seconds")


@pytest.fixture
def english(client):
    """The client has chosen English (as the language switch does)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def broker_down(settings):
    """The broker is unreachable: Celery is pointed at a port where nothing listens.

    The application really tries to publish and really fails, as it would while
    Redis is down; nothing is mocked.
    """
    from portal.celery import app

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    repoint_broker(app, DEAD_BROKER_URL)
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    repoint_broker(app, previous[0])
    app.conf.task_always_eager = previous[1]


DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def repoint_broker(app, url: str) -> None:
    """Points a live Celery app at another broker. Celery keeps a connection
    pool and a producer pool bound to the old URL; both are dropped."""
    from celery._state import _register_app

    app.close()
    _register_app(app)  # close() forgets the app: shared tasks imported later would not bind to it
    app.amqp._producer_pool = None
    app.conf.broker_url = url


# --- Staff second factor in Django test-client tests ------------------------------------


def verified_login(client, user):
    """Logs ``user`` in on ``client`` as a finished login: the password step
    skipped as ``force_login`` skips it, and, for staff, the second factor as
    passed with a confirmed authenticator (made if the user has none)."""
    Client.force_login(client, user)
    from portal.accounts.middleware import session_started
    from portal.accounts.two_factor import authenticator_for, mark_verified, two_factor_required

    session = client.session
    session_started(session)  # as the login page does
    session.save()
    if two_factor_required(user):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = authenticator_for(user) or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        mark_verified(session, device)
        session.save()
    return client


class PortalTestClient(Client):
    """``force_login`` stands for a login that went all the way through, as it did
    before staff had a second factor; tests of the second factor itself log in
    through the form (tests/portal/test_two_factor.py)."""

    def force_login(self, user, backend=None):
        if backend is not None:
            return super().force_login(user, backend)
        return verified_login(self, user)


@pytest.fixture
def client():
    """pytest-django's ``client``, whose ``force_login`` also passes the staff second factor."""
    return PortalTestClient()


def totp_code(device) -> str:
    """The code ``device`` (a TOTPDevice) accepts now, as an authenticator app
    would show it: a code already used in this 30-second step is refused, so
    a second login within the step takes the next step's code (within the
    device's tolerance of one step)."""
    from django_otp.oath import totp

    device.refresh_from_db()
    step_now = (int(time.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - step_now)
    if ahead > device.tolerance:
        time.sleep(device.step * (ahead - device.tolerance))
        return totp_code(device)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + ahead)
    return f"{code:0{device.digits}d}"
