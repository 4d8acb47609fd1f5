"""Settings for `make demo` and a developer's laptop: DEBUG on, console e-mail."""

from django.core.management.utils import get_random_secret_key

from portal.settings.base import *  # noqa: F403
from portal.settings.base import STORAGES, VAR_DIR
from portal.settings.env import env_bool, env_str, local_key

DEBUG = env_bool("DEBUG", True)


def _local_secret_key() -> str:
    # No secret is written in code: a laptop gets its own random key, kept in
    # var/ (ignored by git) so that sessions survive a restart.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or _local_secret_key()
LINGHUO_DATA_KEYS = LINGHUO_DATA_KEYS or [local_key(VAR_DIR / "data_key")]
LINGHUO_HASH_KEY = LINGHUO_HASH_KEY or local_key(VAR_DIR / "hash_key")
# No clamd here: documents are not flagged "not scanned for viruses" (production flags them).
LINGHUO_VIRUS_SCAN_REQUIRED = env_bool("LINGHUO_VIRUS_SCAN_REQUIRED", False)
STORAGES = {
    "default": STORAGES["default"],  # the local folder, or the bucket with DOCUMENT_STORAGE=s3
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# WhiteNoise looks for STATIC_ROOT at start-up; outside production nothing is collected there.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
