"""The one place that reads the environment.

Every setting that differs between a laptop, CI and production comes from here,
so a reader can see at a glance what an operator may set (the README lists the
same variables).
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(TRUE_WORDS | FALSE_WORDS)}, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "0.0.0.0"}  # noqa: S104 - names to refuse, not to bind


def env_public_url(name: str, default: str | None = None, *, allow_loopback: bool = True) -> str | None:
    """The portal's address as people reach it (``https://host[:port]``, no trailing slash).

    Links in e-mail, SMS and the inbox are built from it, never from the
    request's Host header. Production passes ``allow_loopback=False``: a link to
    127.0.0.1 in a message works for nobody.
    """
    from urllib.parse import urlsplit

    value = env_str(name, default)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name} must be an address like https://linghuo.example.cn, not {value!r}")
    if not allow_loopback and (parts.hostname in LOOPBACK_HOSTS or parts.hostname.startswith("127.")):
        raise ImproperlyConfigured(f"{name} must be the address people reach the portal at, not {value!r}")
    return value.rstrip("/")
