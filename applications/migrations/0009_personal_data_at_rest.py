"""Identity and bank numbers, mobile and address encrypted in the database; files encrypted on disk.

1. The four columns become text holding ``enc1:<key id>:<ciphertext>``
   (``applications.crypto.EncryptedTextField``); the index on the identity
   number goes, since a ciphertext is never looked up.
2. ``id_number_hash``: the keyed hash (HMAC-SHA256 under ``LINGHUO_HASH_KEY``)
   that finds the same identity number on two applications, indexed.
3. Every existing row is encrypted with the newest of ``LINGHUO_DATA_KEYS`` and
   its hash filled in. Every existing document on the local encrypted storage
   is encrypted in place, 0600 in 0700 folders (on S3 the bucket encrypts).

Backwards, the rows are decrypted to plain text again before the columns go
back to their old types (files stay encrypted; the storage reads both).
"""

from django.core.files.storage import default_storage
from django.db import migrations

import applications.crypto
from applications.crypto import keyed_hash

PERSONAL = ("id_number", "mobile", "address", "bank_account")


def encrypt_existing_rows(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    rows = Application.objects.using(schema_editor.connection.alias).only("pk", *PERSONAL)
    for row in rows.iterator(chunk_size=500):
        # Read as plain text (a row from before is plain already); written back, each value is encrypted.
        values = {name: getattr(row, name) for name in PERSONAL}
        Application.objects.using(schema_editor.connection.alias).filter(pk=row.pk).update(
            **values, id_number_hash=keyed_hash(values["id_number"])
        )
    from applications.storage import EncryptedFileSystemStorage

    if not isinstance(default_storage, EncryptedFileSystemStorage):
        return
    Document = apps.get_model("applications", "Document")
    for name in Document.objects.using(schema_editor.connection.alias).values_list("file", flat=True).iterator():
        if name and default_storage.exists(name):
            default_storage.reencrypt(name)


def decrypt_rows(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    connection = schema_editor.connection
    table = connection.ops.quote_name(Application._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in PERSONAL)
    rows = Application.objects.using(connection.alias).only("pk", *PERSONAL)
    with connection.cursor() as cursor:
        for row in rows.iterator(chunk_size=500):
            cursor.execute(
                f"UPDATE {table} SET {columns} WHERE id = %s",  # noqa: S608 - names quoted, values bound
                [*(getattr(row, name) for name in PERSONAL), row.pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0008_access_and_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="id_number_hash",
            field=applications.crypto.KeyedHashField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                max_length=64,
                source="id_number",
                verbose_name="identity number hash",
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="address",
            field=applications.crypto.EncryptedTextField(blank=True, max_length=300, verbose_name="address"),
        ),
        migrations.AlterField(
            model_name="application",
            name="bank_account",
            field=applications.crypto.EncryptedTextField(blank=True, max_length=32, verbose_name="bank account number"),
        ),
        migrations.AlterField(
            model_name="application",
            name="id_number",
            field=applications.crypto.EncryptedTextField(
                blank=True, max_length=18, verbose_name="resident identity number"
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="mobile",
            field=applications.crypto.EncryptedTextField(blank=True, max_length=11, verbose_name="mobile number"),
        ),
        migrations.RunPython(encrypt_existing_rows, decrypt_rows, elidable=False),
    ]
