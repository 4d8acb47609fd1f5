"""Which documents each programme needs, and what a file really is.

A file's type is read from its first bytes, never from its name or the type
the browser claims.
"""

import hashlib
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Document
from eligibility.engine import proving_documents
from eligibility.facts import Facts, FactsInvalid, parse_facts

Kind = Document.Kind

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}


def max_upload_bytes() -> int:
    return settings.LINGHUO_MAX_UPLOAD_BYTES


def sniff_content_type(head: bytes) -> str | None:
    """PDF, JPEG or PNG by the file's magic number; None for anything else."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    # Some PDF writers put a few bytes before the header; readers accept it within the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def required_documents(programme_slug: str, facts: dict) -> list[str]:
    """The document kinds an application must carry: what proves each condition
    that decides the programme for this person, as the rules name it
    (``eligibility.engine.proving_documents``): the identity card always, every
    part of an AND, the parts of an OR that hold. ``facts`` are in wire form;
    an answer that does not read proves nothing."""
    known = {}
    for name, value in (facts or {}).items():
        try:
            known.update(parse_facts({name: value}))
        except FactsInvalid:
            continue
    kinds = proving_documents(programme_slug, Facts(known), timezone.localdate())
    return [Kind(kind) for kind in kinds]


@dataclass
class Inspection:
    """What the automated check found in a file."""

    content_type: str | None
    sha256: str
    size: int
    page_count: int | None = None
    problems: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def inspect_file(data: bytes) -> Inspection:
    """Reads a whole file: its real type, whether it opens, its pages and its hash."""
    inspection = Inspection(
        content_type=sniff_content_type(data[:1024]), sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    if inspection.content_type == PDF:
        _inspect_pdf(data, inspection)
    elif inspection.content_type in (JPEG, PNG):
        _inspect_image(data, inspection)
    else:
        inspection.problems.append("unsupported_type")
    return inspection


def _inspect_pdf(data: bytes, inspection: Inspection) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            inspection.problems.append("pdf_encrypted")
            return
        inspection.page_count = len(reader.pages)
        if inspection.page_count == 0:
            inspection.problems.append("pdf_no_pages")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        inspection.problems.append("pdf_broken")
        inspection.details["error"] = type(exc).__name__


def _inspect_image(data: bytes, inspection: Inspection) -> None:
    from PIL import Image

    # Pillow refuses images above MAX_IMAGE_PIXELS * 2 (DecompressionBombError)
    # and warns above MAX_IMAGE_PIXELS; we treat both as a bomb.
    Image.MAX_IMAGE_PIXELS = settings.LINGHUO_MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            inspection.details["width"], inspection.details["height"] = width, height
            if width * height > settings.LINGHUO_MAX_IMAGE_PIXELS:
                inspection.problems.append("image_too_large")
                return
            image.load()
        inspection.page_count = 1
    except Image.DecompressionBombError:
        inspection.problems.append("image_too_large")
    except (OSError, SyntaxError, ValueError) as exc:
        inspection.problems.append("image_broken")
        inspection.details["error"] = type(exc).__name__


PROBLEM_MESSAGES = {
    "unsupported_type": lambda: _("The file is not a PDF, JPEG or PNG."),
    "pdf_encrypted": lambda: _("The PDF is protected with a password. Upload a copy without a password."),
    "pdf_no_pages": lambda: _("The PDF has no pages."),
    "pdf_broken": lambda: _("The PDF is damaged and cannot be opened."),
    "image_too_large": lambda: _("The image is too large to open safely. Upload a smaller photo or scan."),
    "image_broken": lambda: _("The image is damaged and cannot be opened."),
    "duplicate_elsewhere": lambda: _("The same file is attached to another person's application."),
}


def problem_message(code: str) -> str:
    message = PROBLEM_MESSAGES.get(code)
    return message() if message else code
