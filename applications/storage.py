"""Uploaded documents on the local disk, encrypted (applications.crypto) and readable by the portal's user only.

``open()`` gives the plain content, so a view or the check reads a document as
from any storage. Files are 0600 and their folders 0700 whatever the umask.
A file written before encryption was turned on is read as it is, and
``manage.py rotate_keys`` encrypts it.
"""

import io
import os
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

from applications import crypto

FILE_MODE = 0o600
FOLDER_MODE = 0o700


@deconstructible(path="applications.storage.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(FileSystemStorage):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("file_permissions_mode", FILE_MODE)
        kwargs.setdefault("directory_permissions_mode", FOLDER_MODE)
        super().__init__(*args, **kwargs)

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Encrypted documents are written with save(), not opened for writing.")
        with open(self.path(name), "rb") as handle:
            try:
                plain = crypto.decrypt_file(handle.read())
            except crypto.DecryptionFailed as exc:
                # Unreadable like a missing file: the check retries, then records that it gave up.
                raise OSError(f"{name} cannot be decrypted with the configured keys") from exc
        return File(io.BytesIO(plain), name=name)

    def _save(self, name, content):
        content.seek(0)
        sealed = crypto.encrypt_file(content.read())
        name = super()._save(name, File(io.BytesIO(sealed), name=name))
        self._lock_folders(name)
        return name

    def size(self, name):
        """The plain size, as the person uploaded it."""
        stored = super().size(name)
        with open(self.path(name), "rb") as handle:
            encrypted = crypto.is_encrypted_file(handle.read(len(crypto.FILE_MAGIC)))
        return stored - crypto.FILE_OVERHEAD if encrypted else stored

    def reencrypt(self, name) -> bool:
        """Writes the file again under the newest key (in place, atomically); True if it changed."""
        path = Path(self.path(name))
        blob = path.read_bytes()
        kid_start = len(crypto.FILE_MAGIC)
        if (
            crypto.is_encrypted_file(blob)
            and blob[kid_start : kid_start + crypto.KEY_ID_LENGTH].decode("ascii", errors="replace")
            == crypto.current_key_id()
            and path.stat().st_mode & 0o777 == FILE_MODE
        ):
            return False
        sealed = crypto.encrypt_file(crypto.decrypt_file(blob))
        draft = path.with_name(f".{path.name}.rotating")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(draft, FILE_MODE)
        os.replace(draft, path)
        self._lock_folders(name)
        return True

    def _lock_folders(self, name) -> None:
        """Folders made before this storage (or by another process's umask) are closed too."""
        root = Path(self.location).resolve()
        folder = Path(self.path(name)).resolve().parent
        folders = [root]
        while folder != root and root in folder.parents:
            folders.append(folder)
            folder = folder.parent
        for each in folders:
            status = each.stat()
            # A mounted volume owned by someone else keeps its mode; what is ours is closed.
            if status.st_mode & 0o777 != FOLDER_MODE and status.st_uid == os.getuid():
                each.chmod(FOLDER_MODE)
