"""``manage.py rotate_keys``: everything encrypted again under the newest key, every keyed hash made again.

To change keys: put the new key first in ``LINGHUO_DATA_KEYS`` (keep the old
ones after it), restart, run this command, then remove the old keys. To change
``LINGHUO_HASH_KEY``, run it right after the change: until then the same
identity number on an old and a new application is not recognised.
"""

from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import transaction

from applications import crypto

CHUNK = 500


def _encrypted_models():
    for model in apps.get_models():
        encrypted = [f.name for f in model._meta.concrete_fields if isinstance(f, crypto.EncryptedTextField)]
        hashes = [f for f in model._meta.concrete_fields if isinstance(f, crypto.KeyedHashField)]
        if encrypted or hashes:
            yield model, encrypted, hashes


class Command(BaseCommand):
    help = "Re-encrypts personal data and stored documents with the newest of LINGHUO_DATA_KEYS."

    def handle(self, *args, **options):
        key = crypto.current_key_id()
        for model, encrypted, hashes in _encrypted_models():
            count = self._rotate_rows(model, encrypted, hashes)
            self.stdout.write(f"{model._meta.label}: {count} rows encrypted with key {key}")
        # The portal's encrypted storages, on disk (applications.storage) or in a bucket (applications.storage_s3).
        if hasattr(default_storage, "reencrypt"):
            changed, missing = self._rotate_files()
            self.stdout.write(f"documents: {changed} files encrypted with key {key}, {missing} missing in storage")
        else:
            self.stdout.write("documents: not on an encrypted storage of the portal's")

    def _rotate_rows(self, model, encrypted: list[str], hashes) -> int:
        sources = {field.source for field in hashes}
        names = sorted({*encrypted, *sources, *(field.attname for field in hashes)})
        count = 0
        pks = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), CHUNK):
            with transaction.atomic():
                rows = model._base_manager.select_for_update().filter(pk__in=pks[start : start + CHUNK])
                for row in rows.only("pk", *names):
                    # Read in plain text with any configured key; update() encrypts with the newest.
                    values = {name: getattr(row, name) for name in encrypted}
                    # A hash without its source (an anonymised case keeps only the hash) stays as it is.
                    values |= {
                        field.attname: crypto.keyed_hash(getattr(row, field.source))
                        if getattr(row, field.source)
                        else getattr(row, field.attname)
                        for field in hashes
                    }
                    model._base_manager.filter(pk=row.pk).update(**values)
                    count += 1
        return count

    def _rotate_files(self) -> tuple[int, int]:
        from applications.models import Document

        changed = missing = 0
        for name in Document.objects.order_by("pk").values_list("file", flat=True).iterator():
            if not name or not default_storage.exists(name):
                missing += 1
                continue
            changed += default_storage.reencrypt(name)
        return changed, missing
