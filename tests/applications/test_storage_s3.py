"""Documents in S3-compatible storage (DOCUMENT_STORAGE=s3): encrypted by the portal before they
leave it, read back in plain, rotated to a new key, and a storage fault is an OSError the check
retries on.

Against a real S3 API: moto's server (``python -m moto.server``, from requirements.txt), an HTTP
server of the test's own on a loopback port, driven by boto3 exactly as a bucket in the cloud is.
"""

import base64
import os
import subprocess
import sys
import time
import uuid
from io import StringIO

import boto3
import pytest
import requests
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from applications import crypto
from applications.models import Document, Status
from applications.services.documents import document_attach, document_check
from applications.storage_s3 import CIPHERTEXT_TYPE, EncryptedS3Storage
from tests.applications.files import pdf_bytes, upload
from tests.conftest import REPO, _skip_or_fail
from tests.factories import ApplicationFactory
from tests.own_redis import free_port

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

CREDENTIALS = {"access_key": "linghuo-test", "secret_key": "linghuo-test-secret", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free loopback port, for this module."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        _skip_or_fail("needs moto[server] (requirements.txt): a local S3 server")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(endpoint, timeout=0.5)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the S3 server did not start") from None
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


def client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        region_name=CREDENTIALS["region_name"],
    )


def storage_options(endpoint: str, bucket: str) -> dict:
    """What settings give the storage with DOCUMENT_STORAGE=s3 (portal.settings.base)."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "addressing_style": "path",
        "default_acl": None,
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": "AES256"},
        **CREDENTIALS,
    }


@pytest.fixture
def bucket(s3_endpoint):
    name = f"linghuo-{uuid.uuid4().hex[:12]}"
    client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def storage(s3_endpoint, bucket):
    return EncryptedS3Storage(**storage_options(s3_endpoint, bucket))


@pytest.fixture
def documents_on_s3(settings, s3_endpoint, bucket):
    """The portal's default storage is the bucket, as in production with DOCUMENT_STORAGE=s3."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "applications.storage_s3.EncryptedS3Storage",
            "OPTIONS": storage_options(s3_endpoint, bucket),
        },
    }
    return bucket


def stored_object(endpoint: str, bucket: str, name: str) -> tuple[bytes, dict]:
    answer = client(endpoint).get_object(Bucket=bucket, Key=name)
    return answer["Body"].read(), answer


def test_the_object_in_the_bucket_is_ciphertext_and_reads_back_in_plain(storage, s3_endpoint, bucket):
    data = pdf_bytes(2)
    name = storage.save("documents/1/upload.pdf", ContentFile(data))
    stored, answer = stored_object(s3_endpoint, bucket, name)
    assert stored.startswith(crypto.FILE_MAGIC)
    assert b"%PDF" not in stored and data[100:140] not in stored
    assert answer["ContentType"] == CIPHERTEXT_TYPE  # it says nothing of what the person sent
    assert answer["ServerSideEncryption"] == "AES256"  # and the bucket encrypts it once more
    with storage.open(name) as handle:
        assert handle.read() == data
    assert storage.size(name) == len(data)
    assert storage.exists(name)
    # Two documents of the same name never overwrite each other.
    assert storage.save("documents/1/upload.pdf", ContentFile(b"%PDF-1.4 other")) != name
    storage.delete(name)
    assert not storage.exists(name)


def test_a_document_is_uploaded_checked_and_rotated_through_the_bucket(documents_on_s3, settings, s3_endpoint):
    data = pdf_bytes(1)
    application = ApplicationFactory(status=Status.DRAFT)
    uploaded = upload("id.pdf", data)
    person = application.applicant
    document = document_attach(application=application, kind="identity_card", uploaded=uploaded, acting_user=person)
    stored, _answer = stored_object(s3_endpoint, documents_on_s3, document.file.name)
    assert crypto.is_encrypted_file(stored)
    checked = document_check(document_id=document.pk)
    assert checked.check_status == Document.CheckStatus.PASSED, checked.check_results
    assert checked.check_results["page_count"] == 1

    old = list(settings.LINGHUO_DATA_KEYS)
    newest = base64.b64encode(os.urandom(32)).decode()
    settings.LINGHUO_DATA_KEYS = [newest, *old]
    output = StringIO()
    call_command("rotate_keys", stdout=output)
    assert "documents: 1 files encrypted" in output.getvalue()
    settings.LINGHUO_DATA_KEYS = [newest]  # the old key gone: the object was written again under the new one
    stored, _answer = stored_object(s3_endpoint, documents_on_s3, document.file.name)
    start = len(crypto.FILE_MAGIC)
    assert stored[start : start + crypto.KEY_ID_LENGTH].decode() == crypto.key_id(crypto.parse_key("k", newest))
    with Document.objects.get(pk=document.pk).file.open("rb") as handle:
        assert handle.read() == data
    assert default_storage.reencrypt(document.file.name) is False  # nothing left to do


def test_an_object_under_a_key_no_longer_configured_is_unreadable(storage, settings):
    name = storage.save("documents/2/upload.pdf", ContentFile(pdf_bytes(1)))
    settings.LINGHUO_DATA_KEYS = [base64.b64encode(os.urandom(32)).decode()]
    with pytest.raises(OSError, match="cannot be decrypted"):
        storage.open(name)


def test_a_storage_that_cannot_be_reached_is_an_oserror_the_check_retries_on(bucket):
    unreachable = EncryptedS3Storage(**storage_options(f"http://127.0.0.1:{free_port()}", bucket))
    with pytest.raises(OSError, match="cannot be read from the bucket"):
        unreachable.open("documents/3/upload.pdf")
    with pytest.raises(OSError, match="cannot be reached"):
        unreachable.save("documents/3/upload.pdf", ContentFile(b"%PDF-1.4"))


def test_a_missing_object_is_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("documents/4/nothing.pdf")


def _settings_probe(**env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    environment |= {"DJANGO_SETTINGS_MODULE": "portal.settings.development", **env}
    probe = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"
    return subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_document_storage_chooses_the_bucket_and_refuses_what_it_cannot_use():
    chosen = _settings_probe(DOCUMENT_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="linghuo-documents")
    assert chosen.stdout.strip() == "applications.storage_s3.EncryptedS3Storage", chosen.stderr
    assert _settings_probe().stdout.strip() == "applications.storage.EncryptedFileSystemStorage"
    assert "needs AWS_STORAGE_BUCKET_NAME" in _settings_probe(DOCUMENT_STORAGE="s3").stderr
    assert "must be local or s3" in _settings_probe(DOCUMENT_STORAGE="ftp").stderr
