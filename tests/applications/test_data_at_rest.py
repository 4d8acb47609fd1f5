"""Personal data at rest: what the database and the disk hold is ciphertext, the portal reads it in
plain, keys rotate, and the same identity number is still found through its keyed hash."""

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.exceptions import FieldError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from applications import crypto
from applications.models import Application, Status
from applications.selectors_staff import case_duplicates, staff_queue
from applications.services.documents import document_attach
from applications.storage import EncryptedFileSystemStorage
from tests.applications.files import pdf_bytes, upload
from tests.factories import VALID_ID_NUMBER, ApplicationFactory, CaseworkerFactory

pytestmark = pytest.mark.django_db

PERSONAL = ("id_number", "mobile", "address", "bank_account")


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def raw_row(application) -> dict:
    table = connection.ops.quote_name(Application._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id_number, mobile, address, bank_account, id_number_hash FROM {table} WHERE id = %s",  # noqa: S608 - the table name is quoted
            [application.pk],
        )
        return dict(zip([*PERSONAL, "id_number_hash"], cursor.fetchone(), strict=True))


def attach_pdf(application, data: bytes):
    return document_attach(
        application=application,
        kind="identity_card",
        uploaded=upload("id.pdf", data),
        acting_user=application.applicant,
    )


def test_the_database_row_holds_no_plaintext():
    application = ApplicationFactory()
    row = raw_row(application)
    for name in PERSONAL:
        plain = getattr(application, name)
        assert row[name].startswith("enc1:")
        assert plain not in row[name]
        assert plain[-4:] not in row[name]
    assert row["id_number_hash"] == crypto.keyed_hash(VALID_ID_NUMBER)
    again = Application.objects.get(pk=application.pk)
    assert again.id_number == VALID_ID_NUMBER  # code that reads the field keeps working
    assert again.address == "浙江省衢州市柯城区荷花街道 1 号"
    # the same number encrypts differently each time: the ciphertext cannot be matched across rows
    assert raw_row(ApplicationFactory())["id_number"] != row["id_number"]


def test_a_value_copied_into_another_column_does_not_decrypt_there():
    application = ApplicationFactory()
    row = raw_row(application)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(row["bank_account"], context="applications.Application.id_number")


def test_personal_fields_cannot_be_looked_up_by_value():
    with pytest.raises(FieldError):
        list(Application.objects.filter(id_number=VALID_ID_NUMBER))
    with pytest.raises(FieldError):
        list(Application.objects.exclude(mobile__startswith="139"))
    # "is it filled in" still works: an empty value is stored empty
    ApplicationFactory(bank_account="")
    assert Application.objects.filter(bank_account="").count() == 1
    assert Application.objects.exclude(bank_account="").count() == 0


def test_the_file_on_disk_is_encrypted_and_for_the_portal_only(client):
    data = pdf_bytes(2)
    application = ApplicationFactory(status=Status.DRAFT)
    document = attach_pdf(application, data)
    path = Path(default_storage.path(document.file.name))
    stored = path.read_bytes()
    assert stored.startswith(crypto.FILE_MAGIC)
    assert b"%PDF" not in stored and data[100:140] not in stored
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # documents/<application>/
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700  # documents/
    # the storage reads it back in plain: the view and the check need no change
    with document.file.open("rb") as handle:
        assert handle.read() == data
    assert default_storage.size(document.file.name) == len(data)
    client.force_login(application.applicant)
    response = client.get(document_url(document))
    assert b"".join(response.streaming_content) == data


def document_url(document) -> str:
    token = getattr(document, "token", None)
    return f"/documents/{token or document.pk}/"


def test_rotation_reencrypts_rows_and_files_so_the_old_key_can_go(settings):
    old = list(settings.LINGHUO_DATA_KEYS)
    application = ApplicationFactory()
    data = pdf_bytes(1)
    document = attach_pdf(application, data)
    newest = new_key()
    settings.LINGHUO_DATA_KEYS = [newest, *old]
    call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.LINGHUO_DATA_KEYS = [newest]  # the old key removed
    newest_id = crypto.key_id(crypto.parse_key("test", newest))
    assert crypto.text_key_id(raw_row(application)["id_number"]) == newest_id
    again = Application.objects.get(pk=application.pk)
    assert [getattr(again, name) for name in PERSONAL] == [getattr(application, name) for name in PERSONAL]
    with default_storage.open(document.file.name) as handle:
        assert handle.read() == data


def test_without_rotation_a_removed_key_leaves_data_unreadable(settings):
    application = ApplicationFactory()
    settings.LINGHUO_DATA_KEYS = [new_key()]
    with pytest.raises(crypto.DecryptionFailed):
        Application.objects.get(pk=application.pk)


def test_rotation_of_the_hash_key_keeps_duplicates_found(settings):
    first = ApplicationFactory(status=Status.SUBMITTED, reference="LH-2026-900001")
    second = ApplicationFactory(status=Status.SUBMITTED, reference="LH-2026-900002")
    settings.LINGHUO_HASH_KEY = new_key()
    call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert raw_row(first)["id_number_hash"] == crypto.keyed_hash(VALID_ID_NUMBER) == raw_row(second)["id_number_hash"]


def test_the_same_identity_number_is_found_through_the_keyed_hash():
    worker = CaseworkerFactory(region="330800")
    mine = ApplicationFactory(status=Status.SUBMITTED, reference="LH-2026-900011", region="330800")
    other = ApplicationFactory(status=Status.SUBMITTED, reference="LH-2026-900012", region="330800")
    unrelated = ApplicationFactory(
        status=Status.SUBMITTED, reference="LH-2026-900013", region="330800", id_number="33080219900307001X"
    )
    flags = {row.reference: row.flag_duplicate_identity for row in staff_queue(user=worker)}
    assert flags == {mine.reference: True, other.reference: True, unrelated.reference: False}
    assert [case.reference for case in case_duplicates(application=mine, viewer=worker).same_identity] == [
        other.reference
    ]
    # the hash is keyed: without the key, hashing the number does not give the stored value
    import hashlib

    assert raw_row(mine)["id_number_hash"] != hashlib.sha256(VALID_ID_NUMBER.encode()).hexdigest()


def test_the_migration_encrypts_rows_written_before_it(settings):
    from importlib import import_module

    migration = import_module("applications.migrations.0009_personal_data_at_rest")
    application = ApplicationFactory()
    table = connection.ops.quote_name(Application._meta.db_table)
    with connection.cursor() as cursor:  # a row as release 2 wrote it: plain text, no hash
        cursor.execute(
            f"UPDATE {table} SET id_number = %s, mobile = %s, address = %s, bank_account = %s, id_number_hash = ''"  # noqa: S608
            " WHERE id = %s",
            [VALID_ID_NUMBER, "13912345678", "衢州市", "6222021234567890123", application.pk],
        )
    assert Application.objects.get(pk=application.pk).mobile == "13912345678"  # still readable meanwhile

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.encrypt_existing_rows(django_apps, editor)
    row = raw_row(application)
    assert all(row[name].startswith("enc1:") for name in PERSONAL)
    assert row["id_number_hash"] == crypto.keyed_hash(VALID_ID_NUMBER)
    assert Application.objects.get(pk=application.pk).address == "衢州市"
    # backwards, the rows are plain text again, ready for the old column types
    migration.decrypt_rows(django_apps, editor)
    assert raw_row(application)["id_number"] == VALID_ID_NUMBER
    assert raw_row(application)["address"] == "衢州市"


def test_a_file_stored_before_encryption_is_read_and_then_encrypted_by_rotation():
    application = ApplicationFactory(status=Status.DRAFT)
    data = pdf_bytes(1)
    document = attach_pdf(application, data)
    path = Path(default_storage.path(document.file.name))
    path.write_bytes(data)  # as release 2 left it
    path.chmod(0o644)
    assert isinstance(default_storage, EncryptedFileSystemStorage)
    with default_storage.open(document.file.name) as handle:
        assert handle.read() == data
    call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert path.read_bytes().startswith(crypto.FILE_MAGIC)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_uploads_are_0600_in_0700_folders_by_setting():
    assert django_settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert django_settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "LINGHUO_DATA_KEYS and LINGHUO_HASH_KEY must be set in production"),
        ({"LINGHUO_DATA_KEYS": "c2hvcnQ=", "LINGHUO_HASH_KEY": new_key()}, "32-byte keys"),
    ],
)
def test_production_refuses_to_start_without_proper_keys(keys, message):
    environment = {
        key: value for key, value in os.environ.items() if key not in ("LINGHUO_DATA_KEYS", "LINGHUO_HASH_KEY")
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "x" * 60,
        "LINGHUO_PUBLIC_URL": "https://linghuo.example.cn",
        "LINGHUO_ALLOW_LOGGING_SMS": "1",
        **keys,
    }
    finished = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.SECRET_KEY"],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode != 0
    assert message in finished.stderr


def test_on_s3_every_document_is_encrypted_by_the_portal_and_the_bucket():
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    environment |= {"DJANGO_SETTINGS_MODULE": "portal.settings.base", "AWS_STORAGE_BUCKET_NAME": "linghuo-documents"}
    probe = (
        "from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'], settings.AWS_S3_OBJECT_PARAMETERS['ServerSideEncryption'])"
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert finished.stdout.split() == ["applications.storage_s3.EncryptedS3Storage", "AES256"]
