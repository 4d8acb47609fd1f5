"""Settings for production (gunicorn behind a TLS-terminating load balancer)."""

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403
from portal.settings.env import env_bool, env_int, env_public_url, env_str

MIN_SECRET_KEY_LENGTH = 50  # what Django's check --deploy asks for (security.W009)

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production (it signs sessions and "
        f"reset links); this one has {len(SECRET_KEY)}. Make one with: "
        "python -c 'from django.core.management.utils import get_random_secret_key as k; print(k())'"
    )
LINGHUO_PUBLIC_URL = env_public_url("LINGHUO_PUBLIC_URL", allow_loopback=False)
if not LINGHUO_PUBLIC_URL:
    raise ImproperlyConfigured("LINGHUO_PUBLIC_URL must be set in production: the address links in messages point to.")
if not LINGHUO_DATA_KEYS or not LINGHUO_HASH_KEY:
    raise ImproperlyConfigured(
        "LINGHUO_DATA_KEYS and LINGHUO_HASH_KEY must be set in production (base64 32-byte keys; "
        "make one with: python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')."
    )

# The logging SMS backend writes to the log instead of sending: in production a
# person would never get their code. Only an operator who says so may run it.
SMS_BACKEND = env_str("SMS_BACKEND", "portal.sms.LoggingBackend")
if SMS_BACKEND == "portal.sms.LoggingBackend" and not env_bool("LINGHUO_ALLOW_LOGGING_SMS", False):
    raise ImproperlyConfigured(
        "SMS_BACKEND is the logging backend, which sends no SMS. Set SMS_BACKEND to your SMS gateway's backend, "
        "or LINGHUO_ALLOW_LOGGING_SMS=1 to run without sending SMS."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# The load balancer probes /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
