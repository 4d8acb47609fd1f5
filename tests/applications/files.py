"""Real files of each kind, made in memory for upload tests."""

import functools
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def pdf_bytes(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def broken_pdf_bytes() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nthis is not a real pdf\n%%EOF"


def image_bytes(fmt: str = "JPEG", size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@functools.cache
def bomb_png_bytes() -> bytes:
    """A tiny file that would decode to 900 million pixels."""
    buffer = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def broken_png_bytes() -> bytes:
    return image_bytes("PNG")[:60]


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- Files built to harm (issue 11): each must be flagged or refused -------------------------------

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _written(writer) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_open_action_javascript_bytes() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('owned')")}
    )
    return _written(writer)


def pdf_open_at_first_page_bytes() -> bytes:
    """A harmless /OpenAction: a destination ("open at page 1, fit the page"), not an action."""
    from pypdf.generic import ArrayObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([page.indirect_reference, NameObject("/Fit")])
    return _written(writer)


def pdf_embedded_executable_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("setup.exe", b"MZ\x90\x00" + b"\x00" * 64 + b"This program cannot be run in DOS mode")
    return _written(writer)


def pdf_launch_bytes() -> bytes:
    """A page that launches a program when it is opened (/AA on the page, a /Launch action)."""
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): launch})
    return _written(writer)


def pdf_then_html_bytes() -> bytes:
    """A PDF that opens as a PDF, with a web page right after its header (readers skip it)."""
    pdf = pdf_bytes(1)
    header_end = pdf.index(b"\n") + 1
    return pdf[:header_end] + b"<html><body><script>alert(document.cookie)</script></body></html>\n" + pdf[header_end:]


def jpeg_with_html_comment_bytes() -> bytes:
    jpeg = image_bytes("JPEG", size=(64, 64))
    comment = b"<html><script>alert(document.cookie)</script></html>"
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]


def png_with_trailing_php_bytes() -> bytes:
    return image_bytes("PNG", size=(64, 64)) + b"<?php system($_GET['c']); ?>"


def pdf_with_eicar_bytes() -> bytes:
    """A plain PDF that carries the EICAR test string in a stream (what a scanner must find)."""
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    stream = DecodedStreamObject()
    stream.set_data(EICAR)
    page[NameObject("/PieceInfo")] = writer._add_object(stream)
    return _written(writer)


def many_pages_pdf_bytes(pages: int) -> bytes:
    """A PDF of ``pages`` blank pages written directly (pypdf takes minutes for 100,000)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}

    def obj(number: int, body: bytes) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    obj(2, b"<< /Type /Pages /Count %d /Kids [" % pages + kids + b"] >>")
    for i in range(pages):
        obj(3 + i, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
    xref = out.tell()
    total = pages + 3
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % total)
    for number in range(1, total):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (total, xref))
    return out.getvalue()


@functools.cache
def png_40_megapixels_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8000, 5000), 128).save(buffer, format="PNG")
    return buffer.getvalue()
