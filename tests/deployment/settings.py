"""Settings of the processes a deployment test starts: web on gunicorn, Celery workers and beat.

The test settings, with what processes on several machines share: one secret key (sessions and
CSRF tokens made by one web process are read by the other), one database and one Redis (from the
environment), tasks sent through the broker, and e-mail and SMS recorded in files that every
process appends to (``tests.deployment.recorders``), so that the test counts what all of them sent.
"""

import os

from portal.settings.test import *  # noqa: F403
from portal.settings.test import REDIS_URL

SECRET_KEY = os.environ["LINGHUO_TEST_SECRET_KEY"]
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["LINGHUO_TEST_MAIL_DIR"]
SMS_BACKEND = "tests.deployment.recorders.FileSmsBackend"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.4, "socket_timeout": 0.4},
    }
}
LOG_FORMAT = "plain"
