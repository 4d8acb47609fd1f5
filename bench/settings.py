"""Settings of the portal under ``make bench`` (bench/http.py): the portal's own
(``portal.settings.base``: DATABASE_URL, REDIS_URL, the same middleware), plus a
trivial JSON view at ``/bench/trivial`` that production never routes.

The screening rate limit is off: every request of the load generator comes from
one address, which the limit (300 a minute) would stop within a second.
"""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import STATIC_ROOT

DEBUG = False
ROOT_URLCONF = "bench.urls"
LINGHUO_SCREENING_RATE = None
# Page templates name static files; collectstatic is not run for the bench.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
