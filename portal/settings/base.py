"""Settings shared by every environment.

What differs by environment is read through ``portal.settings.env``; the
modules ``development``, ``production`` and ``test`` only set what is proper to
them.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.redis_connection import parse_sentinels, sentinel_urls
from portal.settings.env import env_bool, env_int, env_keys, env_list, env_mapping, env_public_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("LINGHUO_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY")
# Personal data at rest (applications/crypto.py): AES-256-GCM keys, newest first, and a separate
# key for the keyed hash that finds the same identity number twice. Production requires both.
LINGHUO_DATA_KEYS = env_keys("LINGHUO_DATA_KEYS")
LINGHUO_HASH_KEY = (env_keys("LINGHUO_HASH_KEY") or [None])[0]
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "portal.accounts",
    "eligibility",
    "applications",
    "eligibility.registry",
    "eligibility.matching",
    "applications.outreach",
    "applications.budgets",
    "applications.clocks",
    "applications.retention",
]

MIDDLEWARE = [
    # First: every log line of the request has its id (X-Request-ID), and its time is measured.
    "portal.request_id.RequestIdMiddleware",
    "portal.metrics.MetricsMiddleware",
    # Before anything reads the request: a null byte in the path, query or a header is a 400.
    "portal.middleware.NullByteMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so that static files keep their long cache lifetime.
    "portal.middleware.PersonalDataNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.accounts.middleware.SessionExpiryMiddleware",
    "portal.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://user@host:5432/name) in CI and
# production; without it the portal runs on an embedded SQLite file.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL is None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'linghuo.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A streaming replica (hot standby) of the same database: the reads that may lag a few seconds go
# there, and only those (portal.db_router: the supervision dashboard, the exports, the audit search).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
LINGHUO_READ_REPLICA = "replica" if DATABASE_REPLICA_URL else None
DATABASE_ROUTERS = ["portal.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "portal.accounts.backends.IdentifierBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = None  # show the "you are logged out" page
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day

# Lockout (django-axes, portal/accounts/lockout.py). 5 wrong passwords for one
# account stop a guesser long before a common-password list succeeds, yet leave
# a person who mistypes room; 20 from one address allow a family or an office
# behind one router to mistype, and still stop spraying many accounts. Both for
# 15 minutes after the last counted failure; an admin unlocks earlier (admin,
# or `manage.py axes_reset_username`), and resetting the password unlocks the account.
AXES_ACCOUNT_FAILURE_LIMIT = 5
AXES_ADDRESS_FAILURE_LIMIT = 20
AXES_FAILURE_LIMIT = AXES_ACCOUNT_FAILURE_LIMIT  # the handler maps the address count onto this one limit
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # order matters to portal.accounts.lockout
AXES_HANDLER = "portal.accounts.lockout.PortalLockoutHandler"
AXES_USERNAME_CALLABLE = "portal.accounts.lockout.account_key"
AXES_CLIENT_IP_CALLABLE = "portal.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "portal.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True  # the account's own count; the address count stays (see the handler)
# A guesser who keeps trying does not push the time shown to the locked-out person further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True  # who logged in when is in the audit log, not in a second table
AXES_SENSITIVE_PARAMETERS = ["password", "username", "identifier"]

# Second factor (django-otp): every staff role and the admin site (portal/accounts/two_factor.py).
OTP_TOTP_ISSUER = "Linghuo"
# Nobody, admins included, reads another person's TOTP key or QR code back from the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try: 1, 2, 4 … seconds

# Sessions (portal/accounts/middleware.py): staff 30 minutes idle and 12 hours in all, citizens 2 hours idle.
LINGHUO_STAFF_SESSION_IDLE = timedelta(minutes=30)
LINGHUO_STAFF_SESSION_MAX = timedelta(hours=12)
LINGHUO_CITIZEN_SESSION_IDLE = timedelta(hours=2)
SESSION_COOKIE_AGE = 60 * 60 * 12  # renewed while the person is active; the middleware ends idle sessions

# --- Language and time ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "linghuo_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ---------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    # Uploaded documents are never served from a public URL: MEDIA_URL is not
    # routed; a view checks who may see each file.
    # Files are encrypted by the portal, on disk (applications.storage) or in a bucket (applications.storage_s3).
    "default": {"BACKEND": "applications.storage.EncryptedFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Forms ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Messages out: e-mail and SMS ---------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds the mail server may take: a person waiting on a page for a code is told it failed, not left hanging.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Linghuo <no-reply@linghuo.invalid>")
SMS_BACKEND = env_str("SMS_BACKEND", "portal.sms.LoggingBackend")
# Alibaba Cloud SMS (SMS_BACKEND=portal.sms.AlibabaCloudSmsBackend): the approved signature and a
# template whose one variable (ALIBABA_SMS_TEMPLATE_PARAM) carries the text; seconds per request.
ALIBABA_SMS_ENDPOINT = env_str("ALIBABA_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIBABA_ACCESS_KEY_ID = env_str("ALIBABA_ACCESS_KEY_ID", "")
ALIBABA_ACCESS_KEY_SECRET = env_str("ALIBABA_ACCESS_KEY_SECRET", "")
ALIBABA_SMS_SIGN_NAME = env_str("ALIBABA_SMS_SIGN_NAME", "")
ALIBABA_SMS_TEMPLATE_CODE = env_str("ALIBABA_SMS_TEMPLATE_CODE", "")
# The approved template of each kind of message (templates/notifications/<kind>/sms.txt):
# "submitted=SMS_1,approved=SMS_2,…"; a kind not listed uses ALIBABA_SMS_TEMPLATE_CODE if set.
ALIBABA_SMS_TEMPLATE_CODES = env_mapping("ALIBABA_SMS_TEMPLATE_CODES")
# The token the provider's push of delivery reports carries (/sms/reports/alibaba/?token=…);
# without it the portal takes no pushed reports and asks for each (poll-sms-receipts).
ALIBABA_SMS_REPORT_TOKEN = env_str("ALIBABA_SMS_REPORT_TOKEN", "")
ALIBABA_SMS_TEMPLATE_PARAM = env_str("ALIBABA_SMS_TEMPLATE_PARAM", "content")
ALIBABA_SMS_TIMEOUT = env_int("ALIBABA_SMS_TIMEOUT", 5)

# --- Redis and Celery ------------------------------------------------------------------------
# With REDIS_URL, Celery sends tasks to Redis and a worker runs them. Without
# it (the demo on embedded defaults), tasks run in-process as they are sent.
REDIS_URL = env_str("REDIS_URL")
# Or through Sentinel (portal.redis_connection): the sentinels' host:port list and the name they know the
# master by; REDIS_DB, REDIS_PASSWORD (the master's) and REDIS_SENTINEL_PASSWORD (the sentinels') if any.
REDIS_SENTINELS = parse_sentinels("REDIS_SENTINELS", env_str("REDIS_SENTINELS"))
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER")
REDIS_DB = env_int("REDIS_DB", 0)
REDIS_PASSWORD = env_str("REDIS_PASSWORD")
REDIS_SENTINEL_KWARGS = {"password": env_str("REDIS_SENTINEL_PASSWORD")} if env_str("REDIS_SENTINEL_PASSWORD") else {}
if REDIS_SENTINELS and REDIS_URL:
    raise ImproperlyConfigured("Set REDIS_URL or REDIS_SENTINELS, not both.")
if REDIS_SENTINELS and not REDIS_SENTINEL_MASTER:
    raise ImproperlyConfigured("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER: the name the sentinels monitor.")
REDIS_LOCATION = sentinel_urls(REDIS_SENTINELS, db=REDIS_DB, password=REDIS_PASSWORD) if REDIS_SENTINELS else REDIS_URL
CELERY_BROKER_URL = REDIS_LOCATION or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_LOCATION
CELERY_TASK_ALWAYS_EAGER = REDIS_LOCATION is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 60 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that enqueues while Redis is down or frozen must fail fast, not
# hang: what must not be lost is written to the database first and resent by
# beat's sweep. One publish costs at most 2 x 0.4 s (portal.celery.enqueue).
CELERY_BROKER_CONNECTION_TIMEOUT = 0.4
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.4, "socket_timeout": 0.4, "max_retries": 1}
if REDIS_SENTINELS:
    _sentinel_options = {"master_name": REDIS_SENTINEL_MASTER, "sentinel_kwargs": REDIS_SENTINEL_KWARGS}
    CELERY_BROKER_TRANSPORT_OPTIONS |= _sentinel_options
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = dict(_sentinel_options)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 2
# A document still pending this long after its upload or its last claim by a
# worker (one that died, or a wake-up the broker never took) is sent again by
# the sweep. Above the check task's own time limit (applications.tasks).
LINGHUO_DOCUMENT_CHECK_STALE_SECONDS = env_int("DOCUMENT_CHECK_STALE_SECONDS", 60)
LINGHUO_SWEEP_SECONDS = env_int("SWEEP_SECONDS", 60)
# The supervisor dashboard's figures (applications.supervision.snapshot): counted by beat this often,
# and counted again by the page that finds them older than the maximum age (beat stopped).
LINGHUO_DASHBOARD_REFRESH_SECONDS = env_int("DASHBOARD_REFRESH_SECONDS", 300)
LINGHUO_DASHBOARD_MAX_AGE_SECONDS = env_int("DASHBOARD_MAX_AGE_SECONDS", 900)
# A message not sent this long after it was written is sent by the sweep.
LINGHUO_NOTIFICATION_PICKUP_SECONDS = env_int("NOTIFICATION_PICKUP_SECONDS", 30)
# One beat sends the schedule: the one holding this lock in Redis (portal.beat); a second beat
# started by mistake stands by. Every periodic task is idempotent besides (docs/DEPLOYMENT.md).
CELERY_BEAT_SCHEDULER = "portal.beat:SingleBeatScheduler"
LINGHUO_BEAT_LOCK_KEY = env_str("BEAT_LOCK_KEY", "linghuo:beat-lock")
LINGHUO_BEAT_LOCK_SECONDS = env_int("BEAT_LOCK_SECONDS", 60)
CELERY_BEAT_SCHEDULE: dict = {
    # Messages whose own task never ran (broker down when they were written).
    "send-due-notifications": {"task": "applications.send_due_notifications", "schedule": float(LINGHUO_SWEEP_SECONDS)},
    # SMS the provider took: its delivery reports asked for (applications.services.notifications).
    "poll-sms-receipts": {"task": "applications.poll_sms_receipts", "schedule": float(LINGHUO_SWEEP_SECONDS)},
    # Document checks that were never picked up or whose worker died.
    "resend-stale-checks": {"task": "applications.resend_stale_checks", "schedule": float(LINGHUO_SWEEP_SECONDS)},
    # The supervisor dashboard's figures of every region, counted again (applications.supervision.snapshot).
    "refresh-dashboards": {
        "task": "applications.refresh_dashboards",
        "schedule": float(LINGHUO_DASHBOARD_REFRESH_SECONDS),
    },
    # Cases past their decision date (review.sla_working_days); hourly, and flagging is idempotent.
    "flag-overdue-cases": {"task": "applications.flag_overdue_cases", "schedule": 60.0 * 60},
    # The queue's warning flags, recomputed: what two writers racing may have left (applications.case_flags).
    "refresh-case-flags": {"task": "applications.refresh_case_flags", "schedule": crontab(minute=15, hour=4)},
    # Reminders three days before a reply to a request for information is due; one per request,
    # sent in the morning rather than by night (the job catches up on a missed day).
    "remind-information-requests": {
        "task": "applications.remind_information_requests",
        "schedule": crontab(minute=0, hour=9),
    },
    # The registry matched against every programme (eligibility.matching), by night; the
    # invitations of the newly eligible are made at its end and sent in the morning.
    "match-registry": {"task": "matching.registry_match", "schedule": crontab(minute=0, hour=2)},
    # Invitations (applications.outreach): each person's waiting ones in one message, at most one a
    # week; in the morning, after the night's matching run. What a gateway refused is sent again by the sweep.
    "send-invitations": {"task": "outreach.send_invitations", "schedule": crontab(minute=30, hour=9)},
    "send-due-invitation-messages": {
        "task": "outreach.send_due_invitation_messages",
        "schedule": float(LINGHUO_SWEEP_SECONDS),
    },
    # Retention (applications.retention): closed cases anonymised by night; abandoned drafts removed
    # and their notices sent in the morning, rather than by night. Each job is idempotent and
    # catches up on a missed day.
    "retention-anonymise-closed-cases": {
        "task": "retention.anonymise_closed_cases",
        "schedule": crontab(minute=30, hour=3),
    },
    "retention-remove-abandoned-drafts": {
        "task": "retention.remove_abandoned_drafts",
        "schedule": crontab(minute=0, hour=8),
    },
    "retention-notify-inactive-drafts": {
        "task": "retention.notify_inactive_drafts",
        "schedule": crontab(minute=15, hour=9),
    },
    # Reminders 30 and 7 days before a window to apply closes (applications.clocks): once per window
    # and threshold, in the morning; a missed day is caught up the next.
    "remind-closing-windows": {"task": "clocks.send_window_reminders", "schedule": crontab(minute=15, hour=9)},
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Callers fall back when the cache fails (throttle, parameter sets); fail fast.
            "OPTIONS": {"socket_connect_timeout": 0.4, "socket_timeout": 0.4},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "linghuo"}
    )
}
if REDIS_SENTINELS:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"sentinel:{REDIS_SENTINEL_MASTER}/{REDIS_DB}",  # a name only: the pool asks the sentinels
        "OPTIONS": {
            "pool_class": "portal.redis_connection.SentinelConnectionPool",
            "sentinels": REDIS_SENTINELS,
            "service_name": REDIS_SENTINEL_MASTER,
            "sentinel_kwargs": REDIS_SENTINEL_KWARGS,
            "db": REDIS_DB,
            **({"password": REDIS_PASSWORD} if REDIS_PASSWORD else {}),
            "socket_connect_timeout": 0.4,
            "socket_timeout": 0.4,
        },
    }

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # How many proxies stand before the portal: the rate limit counts the
    # address they saw, and a client cannot escape it with X-Forwarded-For.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
LINGHUO_SCREENING_RATE = env_str("SCREENING_RATE_LIMIT", "300/min")  # per client address, e.g. "300/min"
SPECTACULAR_SETTINGS = {
    "TITLE": "Linghuo screening API",
    "DESCRIPTION": "Anonymous eligibility screening for flexible-employment subsidies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- The region this deployment serves ---------------------------------------------------------
LINGHUO_REGION_CODE = env_str("LINGHUO_REGION_CODE", "330800")
# The portal's address as people reach it, for every link in e-mail, SMS and the
# inbox (never the request's Host header). The default is for a laptop only:
# production requires the variable (portal/settings/production.py).
LINGHUO_PUBLIC_URL = env_public_url("LINGHUO_PUBLIC_URL", "http://127.0.0.1:8000")

# --- Headers -----------------------------------------------------------------------------------
# No 'unsafe-inline': styles and scripts come only from /static/ (templates carry no
# style="" or inline script). Document previews set their own, stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    }
}

# JSON lines with the request id (portal.request_id); plain lines with DEBUG (make demo) or LOG_FORMAT=plain.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "portal.request_id.JsonLinesFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Workers log through the same configuration (JSON lines, request ids), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# /metrics for a Prometheus scraper: Authorization: Bearer <token> (portal.metrics); unset, staff only.
LINGHUO_METRICS_TOKEN = env_str("LINGHUO_METRICS_TOKEN")

# A person's data as a PDF (applications.retention.pdf) needs a font with Chinese glyphs installed on
# the machine: "path" or "path#index" of a collection; empty, fontconfig finds one (fonts-noto-cjk).
LINGHUO_PDF_FONT = env_str("LINGHUO_PDF_FONT", "")

# --- Uploaded documents ----------------------------------------------------------------------------
LINGHUO_MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
LINGHUO_MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 25_000_000)  # a 25-megapixel photo is the most we decode
LINGHUO_MAX_PDF_PAGES = env_int("MAX_PDF_PAGES", 50)
LINGHUO_MAX_DOCUMENTS = env_int("MAX_DOCUMENTS_PER_APPLICATION", 20)
# The check parses untrusted files in a child process held to these limits.
LINGHUO_CHECK_CPU_SECONDS = env_int("CHECK_CPU_SECONDS", 10)
LINGHUO_CHECK_MEMORY_BYTES = env_int("CHECK_MEMORY_MB", 512) * 1024 * 1024
# Staff see a PDF as images of its first pages, drawn in that same limited child (applications.previews).
LINGHUO_PREVIEW_PAGES = env_int("PREVIEW_PAGES", 10)
LINGHUO_PREVIEW_DPI = env_int("PREVIEW_DPI", 110)  # an A4 page is about 910 × 1290 pixels: small print reads
# clamd for virus scans: tcp://host:3310 or unix:///run/clamav/clamd.ctl; unset, documents are
# flagged "not scanned for viruses" for the caseworker.
LINGHUO_CLAMD_ADDRESS = env_str("LINGHUO_CLAMD_ADDRESS")
LINGHUO_CLAMD_TIMEOUT = env_int("LINGHUO_CLAMD_TIMEOUT", 30)
LINGHUO_VIRUS_SCAN_REQUIRED = env_bool("LINGHUO_VIRUS_SCAN_REQUIRED", True)
# Uploaded files and their folders are for the portal's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Where documents are kept: "local" (MEDIA_ROOT, one machine or a shared volume) or "s3", a bucket of
# S3-compatible storage every web and worker machine shares (django-storages). Encrypted by the portal
# either way (applications.storage, applications.storage_s3); the bucket's own encryption is added below.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
DOCUMENT_STORAGE = env_str("DOCUMENT_STORAGE", "s3" if AWS_STORAGE_BUCKET_NAME else "local")
if DOCUMENT_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"DOCUMENT_STORAGE must be local or s3, not {DOCUMENT_STORAGE!r}")
if DOCUMENT_STORAGE == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("DOCUMENT_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket the documents go to.")
if DOCUMENT_STORAGE == "s3":
    STORAGES["default"] = {"BACKEND": "applications.storage_s3.EncryptedS3Storage"}
    # Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or the machine's role
    # (boto3 reads them itself). The endpoint of a storage other than AWS (MinIO, Ceph, OSS, COS).
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME")
    AWS_S3_ADDRESSING_STYLE = env_str("AWS_S3_ADDRESSING_STYLE")  # "path" for most self-hosted servers
    AWS_LOCATION = env_str("AWS_LOCATION", "")  # a folder in the bucket, if it is shared
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    # Server-side encryption of every stored object: "AES256" (S3-managed keys) or "aws:kms".
    AWS_S3_OBJECT_PARAMETERS = {"ServerSideEncryption": env_str("AWS_S3_ENCRYPTION", "AES256")}
    if env_str("AWS_S3_KMS_KEY_ID"):
        AWS_S3_OBJECT_PARAMETERS["SSEKMSKeyId"] = env_str("AWS_S3_KMS_KEY_ID")
