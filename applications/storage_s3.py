"""Uploaded documents in S3-compatible storage (``DOCUMENT_STORAGE=s3``), encrypted by the portal as on disk.

Several web and worker machines share one bucket instead of one folder. The files stay encrypted
with ``LINGHUO_DATA_KEYS`` (``applications.crypto``, as ``applications.storage`` does on disk):
whoever reads the bucket (its operator, a leaked access key, a backup) reads ciphertext; the
bucket's own server-side encryption (``AWS_S3_ENCRYPTION``) is a second layer, not the only one.
``open()`` gives the plain content, ``size()`` the plain size, and ``manage.py rotate_keys`` writes
each object again under the newest key (``reencrypt``).

A fault of the storage service (unreachable, refused) is raised as ``OSError``, like a disk's: the
document check tries again later, then records where staff see it that it gave up.
"""

import io

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from applications import crypto

CIPHERTEXT_TYPE = "application/octet-stream"  # what is stored, whatever the document was


def _missing(error: ClientError) -> bool:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


@deconstructible(path="applications.storage_s3.EncryptedS3Storage")
class EncryptedS3Storage(S3Storage):
    def _read_stored(self, name: str, *, head: int | None = None) -> bytes:
        key = self._normalize_name(clean_name(name))
        arguments = {"Range": f"bytes=0-{head - 1}"} if head else {}
        try:
            return self.bucket.Object(key).get(**arguments)["Body"].read()
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(f"{name} is not in the bucket") from exc
            raise OSError(f"{name} cannot be read from the bucket: {exc}") from exc
        except BotoCoreError as exc:
            raise OSError(f"{name} cannot be read from the bucket: {exc}") from exc

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Encrypted documents are written with save(), not opened for writing.")
        try:
            plain = crypto.decrypt_file(self._read_stored(name))
        except crypto.DecryptionFailed as exc:
            # Unreadable like a missing file: the check retries, then records that it gave up.
            raise OSError(f"{name} cannot be decrypted with the configured keys") from exc
        return File(io.BytesIO(plain), name=name)

    def _write_sealed(self, name: str, sealed: bytes) -> str:
        try:
            return super()._save(name, ContentFile(sealed, name=name))
        except (BotoCoreError, ClientError) as exc:
            raise OSError(f"{name} cannot be written to the bucket: {exc}") from exc

    def _save(self, name, content):
        content.seek(0)
        return self._write_sealed(name, crypto.encrypt_file(content.read()))

    def exists(self, name):
        try:
            return super().exists(name)
        except (BotoCoreError, ClientError) as exc:
            raise OSError(f"the bucket cannot be reached to look for {name}: {exc}") from exc

    def delete(self, name):
        try:
            super().delete(name)
        except (BotoCoreError, ClientError) as exc:
            raise OSError(f"{name} cannot be deleted from the bucket: {exc}") from exc

    def _get_write_parameters(self, name, content=None):
        return {**super()._get_write_parameters(name, content), "ContentType": CIPHERTEXT_TYPE}

    def size(self, name):
        """The plain size, as the person uploaded it."""
        try:
            stored = super().size(name)
        except (BotoCoreError, ClientError) as exc:
            raise OSError(f"the size of {name} cannot be read from the bucket: {exc}") from exc
        encrypted = stored >= len(crypto.FILE_MAGIC) and crypto.is_encrypted_file(
            self._read_stored(name, head=len(crypto.FILE_MAGIC))
        )
        return stored - crypto.FILE_OVERHEAD if encrypted else stored

    def reencrypt(self, name) -> bool:
        """Writes the object again under the newest key, under the same name; True if it changed."""
        blob = self._read_stored(name)
        kid_start = len(crypto.FILE_MAGIC)
        if (
            crypto.is_encrypted_file(blob)
            and blob[kid_start : kid_start + crypto.KEY_ID_LENGTH].decode("ascii", errors="replace")
            == crypto.current_key_id()
        ):
            return False
        self._write_sealed(name, crypto.encrypt_file(crypto.decrypt_file(blob)))
        return True
