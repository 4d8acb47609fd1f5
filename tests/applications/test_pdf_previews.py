"""Staff see a PDF as PNG images of its first pages in a sandboxed frame; the PDF itself is only
ever downloaded (issue 11, item 7)."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from applications import previews
from applications.models import AuditEntry, Document
from tests.applications.files import (
    broken_pdf_bytes,
    encrypted_pdf_bytes,
    image_bytes,
    many_pages_pdf_bytes,
    pdf_bytes,
    pdf_open_action_javascript_bytes,
)
from tests.applications.test_review_services import submitted
from tests.factories import CaseworkerFactory, CitizenFactory

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


@pytest.fixture
def worker(client, english):
    person = CaseworkerFactory(preferred_language="en")
    client.force_login(person)
    return person


def stored_pdf(application, data: bytes, *, name: str = "scan.pdf", content_type: str = "application/pdf") -> Document:
    document = Document(
        application=application,
        kind="graduation_certificate",
        original_name=name,
        size=len(data),
        content_type=content_type,
        uploaded_by=application.applicant,
        check_status=Document.CheckStatus.PASSED,
        check_results={"problems": []},
    )
    document.file.save(name, ContentFile(data), save=True)
    return document


def image_sources(response) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', response.content.decode())


def test_a_three_page_pdf_shows_three_page_images_to_staff_of_the_region(client, worker):
    document = stored_pdf(submitted(), pdf_bytes(3))
    response = client.get(f"/documents/{document.token}/pages/?preview=case")
    assert response.status_code == 200
    sources = image_sources(response)
    assert sources == [f"/documents/{document.token}/pages/{number}.png?preview=case" for number in (1, 2, 3)]
    assert 'alt="Page 2 of 3"' in response.content.decode()
    for source in sources:
        image = client.get(source)
        assert image.status_code == 200
        assert image["Content-Type"] == "image/png"
        assert image.content.startswith(PNG_SIGNATURE)
    assert client.get(f"/documents/{document.token}/pages/4.png").status_code == 404
    assert client.get(f"/documents/{document.token}/pages/0.png").status_code == 404


@pytest.mark.parametrize("who", ["other_region", "citizen", "anonymous"])
def test_nobody_else_sees_the_pages(client, worker, who):
    document = stored_pdf(submitted(), pdf_bytes(3))
    client.get(f"/documents/{document.token}/pages/")  # drawn and stored for the worker of the region
    if who == "anonymous":
        client.logout()
    else:
        client.force_login(CaseworkerFactory(region="330100") if who == "other_region" else CitizenFactory())
    expected = 302 if who == "anonymous" else 404
    assert client.get(f"/documents/{document.token}/pages/").status_code == expected
    assert client.get(f"/documents/{document.token}/pages/1.png").status_code == expected


def test_a_page_image_carries_the_sandbox_policy(client, worker):
    document = stored_pdf(submitted(), pdf_bytes(1))
    image = client.get(f"/documents/{document.token}/pages/1.png")
    assert image["Content-Security-Policy"] == IMAGE_POLICY
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in image["Cache-Control"]
    frame = client.get(f"/documents/{document.token}/pages/")
    policy = frame["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "img-src 'self'" in policy
    assert policy.endswith("sandbox allow-same-origin")  # no allow-scripts: nothing in the frame runs
    assert "script" not in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in policy


def test_the_original_pdf_is_only_served_as_a_download(client, worker):
    application = submitted()
    document = stored_pdf(application, pdf_bytes(2))
    for query in ("", "?preview=case"):
        response = client.get(f"/documents/{document.token}/{query}")
        assert response["Content-Disposition"] == f'attachment; filename="document-{document.pk}.pdf"'
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(application.applicant)
    assert client.get(f"/documents/{document.token}/")["Content-Disposition"].startswith("attachment")
    photo = stored_pdf(application, image_bytes("PNG"), name="id.png", content_type="image/png")
    assert client.get(f"/documents/{photo.token}/pages/").status_code == 404  # only a PDF has pages


def test_a_pdf_with_javascript_is_shown_as_plain_images(client, worker):
    document = stored_pdf(submitted(), pdf_open_action_javascript_bytes())
    frame = client.get(f"/documents/{document.token}/pages/?preview=case")
    html = frame.content.decode()
    assert "<script" not in html and "app.alert" not in html
    (source,) = image_sources(frame)
    image = client.get(source)
    assert image.content.startswith(PNG_SIGNATURE)  # pixels: nothing of the file's script is left
    assert b"app.alert" not in image.content and b"JavaScript" not in image.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken_pdf_bytes(), "This PDF is damaged, so its pages cannot be shown."),
        (encrypted_pdf_bytes(), "This PDF is protected with a password, so its pages cannot be shown."),
    ],
)
def test_a_pdf_that_cannot_be_drawn_gives_a_clear_message(client, worker, data, message):
    document = stored_pdf(submitted(), data)
    frame = client.get(f"/documents/{document.token}/pages/?preview=case")
    assert frame.status_code == 200
    assert message in frame.content.decode()
    assert image_sources(frame) == []
    assert client.get(f"/documents/{document.token}/pages/1.png").status_code == 404


def test_a_100000_page_pdf_shows_only_the_first_pages_within_the_limits(client, worker):
    document = stored_pdf(submitted(), many_pages_pdf_bytes(100_000))
    started = time.monotonic()
    frame = client.get(f"/documents/{document.token}/pages/?preview=case")
    assert time.monotonic() - started < settings.LINGHUO_CHECK_CPU_SECONDS
    limit = settings.LINGHUO_PREVIEW_PAGES
    assert len(image_sources(frame)) == limit
    assert f"Only the first {limit} of 100000 pages are shown here." in frame.content.decode()
    assert client.get(f"/documents/{document.token}/pages/{limit}.png").status_code == 200
    assert client.get(f"/documents/{document.token}/pages/{limit + 1}.png").status_code == 404


def test_a_file_over_the_limits_is_not_drawn_and_not_tried_again(client, worker, settings, monkeypatch):
    settings.LINGHUO_CHECK_MEMORY_BYTES = 20 * 1024 * 1024  # too little even to start PDFium
    document = stored_pdf(submitted(), pdf_bytes(1))
    frame = client.get(f"/documents/{document.token}/pages/")
    assert "took more time or memory than allowed" in frame.content.decode()
    assert image_sources(frame) == []

    def must_not_run(*args, **kwargs):
        raise AssertionError("drawn again")

    monkeypatch.setattr(previews, "run_limited_child", must_not_run)
    assert "took more time or memory than allowed" in client.get(f"/documents/{document.token}/pages/").content.decode()


def test_pages_are_drawn_once_and_stored_encrypted(client, worker, monkeypatch):
    document = stored_pdf(submitted(), pdf_bytes(2))
    calls = []
    real = previews.run_limited_child
    monkeypatch.setattr(previews, "run_limited_child", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = client.get(f"/documents/{document.token}/pages/2.png").content
    client.get(f"/documents/{document.token}/pages/")
    assert client.get(f"/documents/{document.token}/pages/2.png").content == first
    assert calls == [1]
    preview = previews.pdf_preview(document)
    on_disk = Path(document.file.storage.path(preview.pages[0])).read_bytes()
    assert not on_disk.startswith(PNG_SIGNATURE)  # sealed like the documents (applications.storage)
    assert previews.page_image(document, 1).startswith(PNG_SIGNATURE)


def test_an_image_that_no_longer_reads_is_drawn_again(client, worker):
    document = stored_pdf(submitted(), pdf_bytes(1))
    preview = previews.pdf_preview(document)
    document.file.storage.delete(preview.pages[0])
    assert client.get(f"/documents/{document.token}/pages/1.png").content.startswith(PNG_SIGNATURE)


def test_previews_on_the_case_page_are_audited_with_the_case_not_each_image(client, worker):
    application = submitted()
    document = stored_pdf(application, pdf_bytes(2))
    client.get(f"/staff/cases/{application.reference}/")
    for source in image_sources(client.get(f"/documents/{document.token}/pages/?preview=case")):
        client.get(source)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_DOCUMENT).exists()


def test_pages_opened_on_their_own_are_audited_once(client, worker):
    document = stored_pdf(submitted(), pdf_bytes(2))
    for source in image_sources(client.get(f"/documents/{document.token}/pages/")):
        client.get(source)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_DOCUMENT)
    assert entry.details == {"document": document.pk, "kind": document.kind}
    client.get(f"/documents/{document.token}/pages/1.png")  # an image fetched by itself is a look too
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_DOCUMENT).count() == 2
