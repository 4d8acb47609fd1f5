"""Settings for `make demo` and a developer's laptop: DEBUG on, console e-mail."""

from django.core.management.utils import get_random_secret_key

from portal.settings.base import *  # noqa: F403
from portal.settings.base import VAR_DIR
from portal.settings.env import env_bool, env_str

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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# WhiteNoise looks for STATIC_ROOT at start-up; outside production nothing is collected there.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
