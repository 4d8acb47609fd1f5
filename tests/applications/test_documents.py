"""Uploads: what is accepted, what is refused, what the background check finds, who may see a file."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import Application, Document, Status
from applications.services.documents import document_attach, document_check
from tests.applications.files import (
    bomb_png_bytes,
    broken_pdf_bytes,
    broken_png_bytes,
    encrypted_pdf_bytes,
    image_bytes,
    pdf_bytes,
    upload,
)
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory

pytestmark = pytest.mark.django_db


def attach(application, name, data, kind="identity_card", capture=None):
    file = upload(name, data)
    if capture is None:
        return document_attach(application=application, kind=kind, uploaded=file, acting_user=application.applicant)
    with capture(execute=True):
        document = document_attach(application=application, kind=kind, uploaded=file, acting_user=application.applicant)
    document.refresh_from_db()
    return document


@pytest.mark.parametrize(
    ("name", "data", "content_type", "pages"),
    [
        ("scan.pdf", pdf_bytes(3), "application/pdf", 3),
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg", 1),
        ("photo.png", image_bytes("PNG"), "image/png", 1),
        ("named-wrong.txt", pdf_bytes(1), "application/pdf", 1),  # the content decides, not the name
    ],
)
def test_accepted_kinds_are_checked_and_pass(name, data, content_type, pages, django_capture_on_commit_callbacks):
    document = attach(ApplicationFactory(), name, data, capture=django_capture_on_commit_callbacks)
    assert document.check_status == Document.CheckStatus.PASSED
    assert document.content_type == content_type
    assert document.page_count == pages
    assert len(document.sha256) == 64
    assert document.check_results["problems"] == []
    assert document.file.name.startswith(f"documents/{document.application_id}/")
    assert name not in document.file.name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("notes.pdf", b"Just some text pretending to be a PDF", "unsupported_type"),
        ("setup.jpg", b"MZ\x90\x00" + b"\x00" * 200, "unsupported_type"),
        ("page.png", b"<html><script>alert(1)</script></html>", "unsupported_type"),
        ("empty.pdf", b"", "empty"),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "too_large"),
    ],
)
def test_refused_uploads_store_nothing(name, data, code):
    application = ApplicationFactory()
    with pytest.raises(ValidationError) as error:
        attach(application, name, data)
    assert error.value.code == code
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (encrypted_pdf_bytes(), "pdf_encrypted"),
        (broken_pdf_bytes(), "pdf_broken"),
        (broken_png_bytes(), "image_broken"),
    ],
)
def test_the_check_flags_files_that_do_not_open(data, problem, django_capture_on_commit_callbacks):
    document = attach(ApplicationFactory(), "file", data, capture=django_capture_on_commit_callbacks)
    assert document.check_status == Document.CheckStatus.FLAGGED
    assert problem in document.check_results["problems"]
    assert document.problem_messages


def test_a_decompression_bomb_is_refused_quickly(django_capture_on_commit_callbacks):
    data = bomb_png_bytes()
    assert len(data) < 1024 * 1024  # small on disk, 900 million pixels decoded
    started = time.monotonic()
    document = attach(ApplicationFactory(), "bomb.png", data, capture=django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 5
    assert document.check_results["problems"] == ["image_too_large"]


def test_the_same_file_on_another_persons_application_is_flagged(django_capture_on_commit_callbacks):
    data = pdf_bytes(1)
    first = ApplicationFactory(status=Status.DRAFT)
    attach(first, "mine.pdf", data, capture=django_capture_on_commit_callbacks)
    # the same person attaching the same file twice is not a duplicate
    again = attach(first, "again.pdf", data, capture=django_capture_on_commit_callbacks)
    assert again.check_status == Document.CheckStatus.PASSED
    second = attach(ApplicationFactory(), "copy.pdf", data, capture=django_capture_on_commit_callbacks)
    assert second.check_status == Document.CheckStatus.FLAGGED
    assert "duplicate_elsewhere" in second.check_results["problems"]


def test_the_check_is_idempotent(django_capture_on_commit_callbacks):
    document = attach(ApplicationFactory(), "scan.pdf", pdf_bytes(2), capture=django_capture_on_commit_callbacks)
    first = dict(document.check_results)
    again = document_check(document_id=document.pk)
    assert again.check_results == first
    assert again.check_status == document.check_status
    assert document_check(document_id=999_999) is None  # a removed document is not an error


def test_documents_cannot_be_added_once_submitted():
    application = ApplicationFactory(status=Status.SUBMITTED)
    with pytest.raises(ValidationError) as error:
        attach(application, "late.pdf", pdf_bytes(1))
    assert error.value.code == "closed"


def test_a_file_is_served_only_to_its_owner_and_staff_of_the_region(client):
    application = ApplicationFactory(status=Status.DRAFT)
    document = attach(application, "scan.pdf", pdf_bytes(1))
    url = f"/documents/{document.token}/"

    assert client.get(url).status_code == 302  # anonymous: log in first
    client.force_login(CitizenFactory())
    assert client.get(url).status_code == 404
    client.force_login(CaseworkerFactory(region="330100"))
    assert client.get(url).status_code == 404
    client.force_login(CaseworkerFactory(region=application.region))
    assert client.get(url).status_code == 404  # a draft is nobody's business at the office
    assert client.get(f"/documents/{document.pk}/").status_code == 404  # and there is no address by id
    Application.objects.filter(pk=application.pk).update(status=Status.SUBMITTED, submitted_at=timezone.now())
    assert client.get(url).status_code == 200
    client.force_login(CaseworkerFactory(region="330100"))
    assert client.get(url).status_code == 404
    client.force_login(application.applicant)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")  # never the browser's PDF viewer
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    # no public URL serves the stored file
    assert client.get(f"/media/{document.file.name}").status_code == 404


def test_the_upload_page_shows_a_refusal_at_the_field(client, english):
    application = ApplicationFactory(completed_steps=["personal", "situation", "payment"])
    client.force_login(application.applicant)
    response = client.post(
        f"/applications/drafts/{application.pk}/documents/",
        {"upload": "1", "kind": "identity_card", "file": upload("virus.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert response.status_code == 200
    assert "is not a PDF, JPEG or PNG" in response.content.decode()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_checks_an_upload_after_commit(celery_worker_process):
    application = ApplicationFactory()
    document = attach(application, "scan.pdf", pdf_bytes(4))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.check_status != Document.CheckStatus.PENDING:
            break
        time.sleep(0.2)
    assert document.check_status == Document.CheckStatus.PASSED
    assert document.page_count == 4


def test_a_pdf_is_only_ever_downloaded_and_images_are_sandboxed(client):
    application = ApplicationFactory(status=Status.DRAFT)
    document = attach(application, "scan.pdf", pdf_bytes(1))
    image = attach(application, "photo.png", image_bytes("PNG"))
    Application.objects.filter(pk=application.pk).update(status=Status.SUBMITTED, submitted_at=timezone.now())
    client.force_login(CaseworkerFactory(region=application.region))
    response = client.get(f"/documents/{document.token}/")
    # Staff see a PDF's pages as images (tests/applications/test_pdf_previews.py); the file is a download.
    assert response["Content-Disposition"] == f'attachment; filename="document-{document.pk}.pdf"'
    assert "sandbox" in response["Content-Security-Policy"]
    image_response = client.get(f"/documents/{image.token}/")
    assert image_response["X-Frame-Options"] == "SAMEORIGIN"
    assert image_response["Content-Disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in image_response["Content-Security-Policy"]
    assert "sandbox" in image_response["Content-Security-Policy"]


def test_policy_admins_keep_the_rejection_reasons(client):
    from tests.factories import PolicyAdminFactory

    client.force_login(PolicyAdminFactory())
    assert client.get("/admin/applications/reasoncode/").status_code == 200
    assert client.get("/admin/applications/reasoncode/add/").status_code == 200
