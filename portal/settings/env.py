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


def env_mapping(name: str, default: dict[str, str] | None = None) -> dict[str, str]:
    """``name=value`` pairs separated by commas (``submitted=SMS_1,approved=SMS_2``)."""
    value = env_str(name)
    if value is None:
        return dict(default or {})
    pairs = {}
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, entry = item.partition("=")
        if not sep or not key.strip() or not entry.strip():
            raise ImproperlyConfigured(f"{name} must be name=value pairs separated by commas, not {item.strip()!r}")
        pairs[key.strip()] = entry.strip()
    return pairs


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


def parse_key(name: str, value: str) -> bytes:
    """A 32-byte key written in base64 (standard or URL-safe alphabet)."""
    import base64
    import binascii

    text = value.strip()
    try:
        key = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} must be base64-encoded 32-byte keys") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must hold 32-byte keys in base64, not {len(key)}-byte ones")
    return key


def env_keys(name: str) -> list[str]:
    """Comma-separated base64 32-byte keys, newest first; each is checked here so a typo stops start-up."""
    keys = env_list(name, [])
    for key in keys:
        parse_key(name, key)
    return keys


def local_key(path) -> str:
    """A random key kept in var/ (ignored by git) for a laptop or the test suite; never used in production."""
    import base64
    import secrets

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and linked into place: two processes starting together end up with one key.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()
