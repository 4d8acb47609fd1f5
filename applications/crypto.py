"""Personal data at rest: AES-256-GCM with keys from the environment, and a keyed hash for look-ups.

``LINGHUO_DATA_KEYS`` holds base64 32-byte keys, newest first. Everything is
encrypted with the newest; anything is decrypted with whichever key its key id
names, so a new key can be put in front, ``manage.py rotate_keys`` run, and the
old key dropped. Each ciphertext is bound to what it is (``context``: the model
field, or "document" for files) so a value copied into another column does not
decrypt there.

Identity numbers are also kept as an HMAC-SHA256 under ``LINGHUO_HASH_KEY``: a
random nonce makes equal numbers encrypt differently, and the keyed hash is
what finds the same number on two applications without decrypting every row.
"""

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact

from portal.settings.env import parse_key

TEXT_PREFIX = "enc1:"
FILE_MAGIC = b"LHENC1\n"
KEY_ID_LENGTH = 8
NONCE_LENGTH = 12
TAG_LENGTH = 16
FILE_OVERHEAD = len(FILE_MAGIC) + KEY_ID_LENGTH + NONCE_LENGTH + TAG_LENGTH


class DecryptionFailed(Exception):
    """A value or file could not be decrypted: its key is not configured, or it was changed."""


def key_id(key: bytes) -> str:
    """A short name for a key that says nothing about the key itself."""
    return hashlib.sha256(b"linghuo data key id:" + key).hexdigest()[:KEY_ID_LENGTH]


@lru_cache(maxsize=4)
def _keyring(encoded: tuple[str, ...]) -> tuple[tuple[str, AESGCM], ...]:
    if not encoded:
        raise ImproperlyConfigured("LINGHUO_DATA_KEYS is not set: personal data cannot be encrypted.")
    keys = [parse_key("LINGHUO_DATA_KEYS", value) for value in encoded]
    return tuple((key_id(key), AESGCM(key)) for key in keys)


def keyring() -> tuple[tuple[str, AESGCM], ...]:
    """(key id, cipher) of every configured key, newest first."""
    return _keyring(tuple(settings.LINGHUO_DATA_KEYS))


def current_key_id() -> str:
    return keyring()[0][0]


def _cipher_for(kid: str) -> AESGCM:
    for candidate, cipher in keyring():
        if candidate == kid:
            return cipher
    raise DecryptionFailed(f"no configured key has the id {kid}")


def encrypt_bytes(data: bytes, *, context: str) -> tuple[str, bytes]:
    """(key id, nonce + ciphertext and tag) of ``data`` under the newest key."""
    kid, cipher = keyring()[0]
    nonce = os.urandom(NONCE_LENGTH)
    return kid, nonce + cipher.encrypt(nonce, data, context.encode())


def decrypt_bytes(kid: str, sealed: bytes, *, context: str) -> bytes:
    cipher = _cipher_for(kid)
    try:
        return cipher.decrypt(sealed[:NONCE_LENGTH], sealed[NONCE_LENGTH:], context.encode())
    except InvalidTag as exc:
        raise DecryptionFailed(f"the value does not decrypt as {context} with key {kid}") from exc


def is_encrypted_text(value) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def encrypt_text(value: str, *, context: str) -> str:
    """``enc1:<key id>:<base64 of nonce, ciphertext and tag>``."""
    kid, sealed = encrypt_bytes(value.encode(), context=context)
    return f"{TEXT_PREFIX}{kid}:{base64.urlsafe_b64encode(sealed).decode()}"


def decrypt_text(token: str, *, context: str) -> str:
    try:
        kid, body = token[len(TEXT_PREFIX) :].split(":", 1)
        sealed = base64.urlsafe_b64decode(body.encode())
    except (ValueError, binascii.Error) as exc:
        raise DecryptionFailed("the value is not in the encrypted form") from exc
    return decrypt_bytes(kid, sealed, context=context).decode()


def text_key_id(token: str) -> str | None:
    """The id of the key a stored value was encrypted with; None for a value still in plain text."""
    if not is_encrypted_text(token):
        return None
    return token[len(TEXT_PREFIX) :].split(":", 1)[0]


def encrypt_file(data: bytes, *, context: str = "document") -> bytes:
    kid, sealed = encrypt_bytes(data, context=context)
    return FILE_MAGIC + kid.encode() + sealed


def is_encrypted_file(head: bytes) -> bool:
    return head.startswith(FILE_MAGIC)


def decrypt_file(blob: bytes, *, context: str = "document") -> bytes:
    """The file's plain content; a file written before encryption was turned on is returned as it is."""
    if not is_encrypted_file(blob):
        return blob
    start = len(FILE_MAGIC)
    kid = blob[start : start + KEY_ID_LENGTH].decode("ascii", errors="replace")
    return decrypt_bytes(kid, blob[start + KEY_ID_LENGTH :], context=context)


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value (spaces removed, upper case: ``x`` and ``X`` are one check digit)."""
    if not settings.LINGHUO_HASH_KEY:
        raise ImproperlyConfigured("LINGHUO_HASH_KEY is not set: identity numbers cannot be compared.")
    normalised = "".join((value or "").split()).upper()
    if not normalised:
        return ""
    key = parse_key("LINGHUO_HASH_KEY", settings.LINGHUO_HASH_KEY)
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database and read back in plain: ``application.id_number`` still
    works. An empty value stays empty, so "has this been filled in" needs no key. Nothing can be
    looked up by value (each encryption differs): compare through a ``KeyedHashField``."""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.encryption_context = f"{cls._meta.app_label}.{cls._meta.object_name}.{name}"

    def from_db_value(self, value, expression, connection):
        if is_encrypted_text(value):
            return decrypt_text(value, context=self.encryption_context)
        return value  # empty, or a row from before encryption (the migration encrypts those)

    def to_python(self, value):
        if is_encrypted_text(value):
            return decrypt_text(value, context=self.encryption_context)
        return super().to_python(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or is_encrypted_text(value):
            return value
        return encrypt_text(value, context=self.encryption_context)

    def formfield(self, **kwargs):
        # A one-line input like the CharField it replaces, not a text area.
        return models.Field.formfield(self, **{"max_length": self.max_length, **kwargs})

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name != "isnull":
            return None  # "Unsupported lookup": a look-up by value would silently match nothing
        return super().get_lookup(lookup_name)


class EmptyOnlyExact(Exact):
    """``field=""`` works (an empty value is stored empty); ``field="3308…"`` would silently match
    nothing, since each encryption differs, and is refused."""

    def get_prep_lookup(self):
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.field.name} is encrypted and can only be compared with an empty value; "
                "compare its keyed hash instead"
            )
        return super().get_prep_lookup()


class KeyedHashField(models.CharField):
    """The keyed hash of another field of the row, kept up to date whenever the row is saved with it."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = keyed_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
