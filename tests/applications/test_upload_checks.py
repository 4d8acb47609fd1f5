"""Files built to harm: active PDFs flagged, polyglots refused, limits on documents, pages and
pixels, the check held to CPU and memory limits, and virus scans by clamd over INSTREAM."""

import socketserver
import threading
import time
import zlib

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from applications.case_summary import document_check as citizen_check
from applications.documents import inspect_file
from applications.inspection import pdf_active_names
from applications.models import Document
from applications.services.documents import document_attach, document_check
from tests.applications.files import (
    EICAR,
    image_bytes,
    jpeg_with_html_comment_bytes,
    many_pages_pdf_bytes,
    pdf_bytes,
    pdf_embedded_executable_bytes,
    pdf_launch_bytes,
    pdf_open_action_javascript_bytes,
    pdf_open_at_first_page_bytes,
    pdf_then_html_bytes,
    pdf_with_eicar_bytes,
    png_40_megapixels_bytes,
    png_with_trailing_php_bytes,
    upload,
)
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    """Messages made in a service are in the active language: English here, the msgids."""
    with translation.override("en"):
        yield


def noisy_jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((800, 800), 80).convert("RGB").save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def attach(application, name, data):
    return document_attach(
        application=application, kind="identity_card", uploaded=upload(name, data), acting_user=application.applicant
    )


def checked(application, name, data) -> Document:
    """Attached and checked now (the check's own task is tested in test_documents)."""
    return document_check(document_id=attach(application, name, data).pk)


# --- Active content in PDFs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "problems"),
    [
        (pdf_open_action_javascript_bytes, {"pdf_open_action", "pdf_javascript"}),
        (pdf_embedded_executable_bytes, {"pdf_embedded_file"}),
        (pdf_launch_bytes, {"pdf_launch", "pdf_auto_action"}),
    ],
)
def test_active_pdfs_are_flagged_with_words_for_both_sides(make, problems, english):
    document = checked(ApplicationFactory(), "scan.pdf", make())
    assert document.check_status == Document.CheckStatus.FLAGGED
    assert problems <= set(document.check_results["problems"])
    # the caseworker reads what was found; the citizen reads what to do
    assert all(not message.startswith("pdf_") for message in document.problem_messages)
    citizen = citizen_check(document)
    assert citizen.state == "problem"
    assert any("Scan the paper document" in message or "plain PDF" in message for message in citizen.messages)


def test_a_pdf_that_only_opens_at_its_first_page_passes():
    document = checked(ApplicationFactory(), "scan.pdf", pdf_open_at_first_page_bytes())
    assert document.check_status == Document.CheckStatus.PASSED


def test_active_names_are_found_spelt_with_escapes_and_inside_object_streams():
    assert pdf_active_names(b"%PDF-1.4\n1 0 obj << /S /J#61vaScript /JS (x) >> endobj") == {b"JavaScript", b"JS"}
    packed = zlib.compress(b"5 0 << /Type /Catalog /OpenAction << /S /Launch /F (x.exe) >> >>")
    object_stream = (
        b"%PDF-1.5\n4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )
    assert pdf_active_names(object_stream) == {b"OpenAction", b"Launch"}
    # bytes of a compressed page or image that happen to read "/JS" are not a name
    image_stream = b"%PDF-1.4\n6 0 obj << /Length 9 >>\nstream\nxx/JS xx\n\nendstream\nendobj\n"
    assert pdf_active_names(image_stream) == set()


# --- Polyglots -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("page.pdf", pdf_then_html_bytes),
        ("photo.jpg", jpeg_with_html_comment_bytes),
        ("photo.png", png_with_trailing_php_bytes),
    ],
)
def test_polyglots_are_refused_at_upload(name, make):
    application = ApplicationFactory()
    with pytest.raises(ValidationError) as error:
        attach(application, name, make())
    assert error.value.code == "polyglot"
    assert not Document.objects.exists()


def test_the_upload_page_says_why_a_polyglot_is_refused(client):
    application = ApplicationFactory(completed_steps=["personal", "situation", "payment"])
    client.force_login(application.applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        f"/applications/drafts/{application.pk}/documents/",
        {"upload": "1", "kind": "identity_card", "file": upload("photo.jpg", jpeg_with_html_comment_bytes())},
    )
    assert response.status_code == 200
    assert "web-page or program code hidden inside it" in response.content.decode()


def test_ordinary_scans_and_photos_are_not_taken_for_polyglots():
    for name, data in (("a.pdf", pdf_bytes(3)), ("b.jpg", image_bytes("JPEG")), ("c.png", image_bytes("PNG"))):
        assert checked(ApplicationFactory(), name, data).check_status == Document.CheckStatus.PASSED


# --- Limits ----------------------------------------------------------------------------------------


def test_an_application_takes_at_most_twenty_documents(settings, english):
    assert settings.LINGHUO_MAX_DOCUMENTS == 20
    application = ApplicationFactory()
    data = pdf_bytes(1)
    for number in range(20):
        attach(application, f"page-{number}.pdf", data)
    with pytest.raises(ValidationError) as error:
        attach(application, "one-more.pdf", data)
    assert error.value.code == "too_many_documents"
    assert "at most 20 documents" in error.value.messages[0]
    assert application.documents.count() == 20


def test_a_pdf_of_more_than_fifty_pages_is_flagged(english):
    assert checked(ApplicationFactory(), "fifty.pdf", many_pages_pdf_bytes(50)).check_status == "passed"
    document = checked(ApplicationFactory(), "long.pdf", many_pages_pdf_bytes(51))
    assert document.check_results["problems"] == ["pdf_too_many_pages"]
    assert "more than 50 pages" in citizen_check(document).messages[0]


def test_a_hundred_thousand_page_pdf_costs_a_bounded_time():
    data = many_pages_pdf_bytes(100_000)
    started = time.monotonic()
    inspection = inspect_file(data)
    assert time.monotonic() - started < 5  # 7 s of CPU before the page tree was counted only to the limit
    assert inspection.problems == ["pdf_too_many_pages"]


def test_an_image_above_25_megapixels_is_flagged(settings):
    assert settings.LINGHUO_MAX_IMAGE_PIXELS == 25_000_000
    document = checked(ApplicationFactory(), "big.png", png_40_megapixels_bytes())
    assert document.check_results["problems"] == ["image_too_large"]
    assert document.check_results["width"] * document.check_results["height"] == 40_000_000


def test_a_check_past_its_cpu_limit_is_stopped_and_flagged(settings):
    # 200,000 empty streams: about 2 s of parsing, against a limit of 1 s
    data = b"%PDF-1.4\n" + b"1 0 obj<</Length 0>>stream\nendstream endobj\n" * 200_000
    settings.LINGHUO_CHECK_CPU_SECONDS = 1
    started = time.monotonic()
    inspection = inspect_file(data)
    assert time.monotonic() - started < 4
    assert inspection.problems == ["check_limit_exceeded"]
    assert inspection.details["limit"] == "cpu"


def test_a_check_past_its_memory_limit_is_flagged_not_crashed(settings):
    settings.LINGHUO_CHECK_MEMORY_BYTES = 40 * 1024 * 1024  # too little to even load the PDF reader
    inspection = inspect_file(pdf_bytes(1))
    assert inspection.problems == ["check_limit_exceeded"]
    assert len(inspection.sha256) == 64  # the duplicate check still has the file's hash


# --- Virus scans: a small clamd speaking INSTREAM --------------------------------------------------


class FakeClamd(socketserver.BaseRequestHandler):
    """clamd's INSTREAM: ``zINSTREAM\\0``, chunks of <4-byte length><data>, a zero length, the verdict."""

    def handle(self):
        command = b""
        while not command.endswith(b"\0"):
            command += self.request.recv(1)
        assert command == b"zINSTREAM\0"
        received = b""
        while True:
            length = int.from_bytes(self._exactly(4), "big")
            if length == 0:
                break
            received += self._exactly(length)
        self.server.scanned.append(len(received))
        verdict = b"stream: Eicar-Signature FOUND\0" if EICAR in received else b"stream: OK\0"
        self.request.sendall(verdict)

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ConnectionError("clamd client hung up")
            data += chunk
        return data


class TCPClamd(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class UnixClamd(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def _serve(server):
    server.scanned = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def clamd_tcp():
    server = _serve(TCPClamd(("127.0.0.1", 0), FakeClamd))
    yield f"tcp://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


@pytest.fixture
def clamd_unix(tmp_path):
    path = str(tmp_path / "clamd.ctl")
    server = _serve(UnixClamd(path, FakeClamd))
    yield f"unix://{path}", server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("clamd", ["clamd_tcp", "clamd_unix"])
def test_eicar_is_refused_at_upload_when_clamd_answers(clamd, request, settings, english):
    address, server = request.getfixturevalue(clamd)
    settings.LINGHUO_CLAMD_ADDRESS = address
    application = ApplicationFactory()
    with pytest.raises(ValidationError) as error:
        attach(application, "scan.pdf", pdf_with_eicar_bytes())
    assert error.value.code == "virus"
    assert "virus" in error.value.messages[0]
    assert not Document.objects.exists()
    # a clean file goes through, scanned at upload and again by the check, in chunks of the protocol
    large = noisy_jpeg_bytes()
    assert len(large) > 3 * 64 * 1024  # sent in several chunks
    document = checked(application, "clean.jpg", large)
    assert document.check_status == Document.CheckStatus.PASSED
    assert document.check_results["virus_scan"] == "clean"
    assert server.scanned[-2:] == [len(large), len(large)]


def test_without_a_reachable_clamd_the_document_is_flagged_for_the_caseworker(settings, english):
    settings.LINGHUO_CLAMD_ADDRESS = "tcp://127.0.0.1:9"  # nothing listens on the discard port
    settings.LINGHUO_VIRUS_SCAN_REQUIRED = True
    document = checked(ApplicationFactory(), "scan.pdf", pdf_bytes(1))  # the upload itself is not refused
    assert document.check_status == Document.CheckStatus.FLAGGED
    assert document.check_results["problems"] == ["not_virus_scanned"]
    assert document.check_results["virus_scan"] == "unavailable"
    assert document.problem_messages == ["Not scanned for viruses: the virus scanner could not be reached."]
    assert citizen_check(document).state == "checked"  # nothing for the citizen to do about it


def test_a_virus_found_by_the_check_is_flagged(clamd_tcp, settings):
    address, _server = clamd_tcp
    application = ApplicationFactory()
    document = attach(application, "scan.pdf", pdf_with_eicar_bytes())  # no scanner at upload
    settings.LINGHUO_CLAMD_ADDRESS = address  # signatures arrive later: the check scans again
    document = document_check(document_id=document.pk)
    assert "virus_found" in document.check_results["problems"]
    assert document.check_results["virus"] == "Eicar-Signature"
