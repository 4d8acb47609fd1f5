"""Settings come from the environment (each case imports the settings in a fresh process)."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "debug": settings.DEBUG, "allowed_hosts": settings.ALLOWED_HOSTS,
    "broker": settings.CELERY_BROKER_URL, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "cache": settings.CACHES["default"]["BACKEND"], "time_zone": settings.TIME_ZONE,
    "language": settings.LANGUAGE_CODE, "languages": [c for c, _ in settings.LANGUAGES],
    "secret_len": len(settings.SECRET_KEY),
}))
"""


def settings_under(env: dict, module: str = "portal.settings.base") -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "LINGHUO_PUBLIC_URL"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE=module, LINGHUO_VAR_DIR=str(REPO / "var" / "settings-probe"))
    return subprocess.run([sys.executable, "-c", PROBE], env=clean, cwd=REPO, capture_output=True, text=True)


def read(env: dict, module: str = "portal.settings.base") -> dict:
    result = settings_under(env, module)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_defaults_are_sqlite_and_in_process_tasks():
    values = read({"SECRET_KEY": "x" * 50})
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("linghuo.sqlite3")
    assert values["eager"] is True
    assert values["broker"] == "memory://localhost/"
    assert values["cache"].endswith("LocMemCache")
    assert values["debug"] is False
    assert values["time_zone"] == "Asia/Shanghai"
    assert values["language"] == "zh-hans"
    assert values["languages"] == ["zh-hans", "en"]


def test_database_and_redis_urls_select_postgres_and_a_real_broker():
    values = read(
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://portal:pw@db.internal:5433/linghuo",
            "REDIS_URL": "redis://cache.internal:6379/2",
        }
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "linghuo"
    assert values["host"] == "db.internal"
    assert values["broker"] == "redis://cache.internal:6379/2"
    assert values["eager"] is False
    assert values["cache"].endswith("RedisCache")


def test_debug_and_allowed_hosts_are_read():
    values = read({"SECRET_KEY": "x" * 50, "DEBUG": "true", "ALLOWED_HOSTS": "linghuo.example.cn, www.example.cn"})
    assert values["debug"] is True
    assert values["allowed_hosts"] == ["linghuo.example.cn", "www.example.cn"]


def test_a_misspelt_debug_value_is_refused_with_a_clear_message():
    result = settings_under({"SECRET_KEY": "x" * 50, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = settings_under({}, module="portal.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


PUBLIC_URL = "https://linghuo.example.cn"
# Keys for personal data at rest, which production requires (applications/crypto.py).
DATA_KEYS = {
    "LINGHUO_DATA_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "LINGHUO_HASH_KEY": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
}


def test_production_takes_the_secret_key_from_the_environment():
    values = read(
        {"SECRET_KEY": "k" * 64, "LINGHUO_PUBLIC_URL": PUBLIC_URL, "LINGHUO_ALLOW_LOGGING_SMS": "1", **DATA_KEYS},
        module="portal.settings.production",
    )
    assert values["secret_len"] == 64
    assert values["debug"] is False


def test_check_deploy_reports_no_warnings_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY="a-production-like-secret-key-with-enough-length-and-variety-0123456789",
        ALLOWED_HOSTS="linghuo.example.cn",
        LINGHUO_PUBLIC_URL=PUBLIC_URL,
        LINGHUO_ALLOW_LOGGING_SMS="1",
        LINGHUO_VAR_DIR=str(REPO / "var" / "settings-probe"),
        **DATA_KEYS,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_secret_key_shorter_than_fifty_characters():
    result = settings_under({"SECRET_KEY": "x", "LINGHUO_PUBLIC_URL": PUBLIC_URL}, module="portal.settings.production")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be at least 50 characters in production" in result.stderr
    assert "this one has 1" in result.stderr
    result = settings_under(
        {"SECRET_KEY": "k" * 49, "LINGHUO_PUBLIC_URL": PUBLIC_URL}, module="portal.settings.production"
    )
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_production_refuses_the_logging_sms_backend_unless_allowed():
    key = base64.b64encode(bytes(range(32))).decode()
    base = {"SECRET_KEY": "k" * 64, "LINGHUO_PUBLIC_URL": PUBLIC_URL, "LINGHUO_DATA_KEYS": key, "LINGHUO_HASH_KEY": key}
    refused = settings_under(base, module="portal.settings.production")
    assert refused.returncode != 0
    assert "SMS_BACKEND is the logging backend" in refused.stderr
    named = settings_under({**base, "SMS_BACKEND": "portal.sms.LoggingBackend"}, module="portal.settings.production")
    assert "SMS_BACKEND is the logging backend" in named.stderr
    allowed = settings_under({**base, "LINGHUO_ALLOW_LOGGING_SMS": "1"}, module="portal.settings.production")
    assert "SMS_BACKEND is the logging backend" not in allowed.stderr
    gateway = settings_under({**base, "SMS_BACKEND": "example.gateway.Backend"}, module="portal.settings.production")
    assert "SMS_BACKEND is the logging backend" not in gateway.stderr
