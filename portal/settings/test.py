"""Settings for the test suite. DATABASE_URL and REDIS_URL still come from the
environment, so CI runs the same tests on PostgreSQL and Redis."""

import os

from django.core.management.utils import get_random_secret_key

from portal.settings.base import *  # noqa: F403
from portal.settings.base import DATABASES, VAR_DIR
from portal.settings.env import local_key

SECRET_KEY = get_random_secret_key()
# Kept in var/ rather than made per process: a worker started by a test reads what the test wrote.
LINGHUO_DATA_KEYS = LINGHUO_DATA_KEYS or [local_key(VAR_DIR / "data_key")]
LINGHUO_HASH_KEY = LINGHUO_HASH_KEY or local_key(VAR_DIR / "hash_key")
# No clamd in the test run; tests that scan start a clamd of their own (tests/applications/test_upload_checks.py).
LINGHUO_VIRUS_SCAN_REQUIRED = False
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "portal.sms.RecordingBackend"
STORAGES = {
    "default": {"BACKEND": "applications.storage.EncryptedFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run tasks in-process unless a test starts a real worker (see
# tests/conftest.py, fixture `celery_worker_process`).
CELERY_TASK_ALWAYS_EAGER = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # One test database per run, so that runs side by side do not share one.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so that a worker process can share the test database;
    # one per run, so that runs side by side do not share one.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
# A second alias on the test database itself (a TEST MIRROR), so that a test can show which reads
# go to the replica (portal.db_router); none goes there unless the test names it in LINGHUO_READ_REPLICA.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
LINGHUO_READ_REPLICA = None
LANGUAGE_COOKIE_SECURE = False
# Per-process cache so that tests do not see each other's rate-limit counters.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "linghuo-test"}}

# WhiteNoise looks for STATIC_ROOT at start-up; outside production nothing is collected there.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files of the test run, apart from the demo's.
MEDIA_ROOT = BASE_DIR / "var" / "test-media"

# Every dashboard view counts its figures live (tests/applications/test_dashboard_snapshot.py sets an age).
LINGHUO_DASHBOARD_MAX_AGE_SECONDS = 0
