"""Staff see an uploaded PDF as PNG images of its first pages, never as the PDF itself.

A browser's PDF viewer runs a PDF's JavaScript and does not work in a sandboxed
frame; an image runs nothing. The pages are drawn by PDFium in the limited
child that checks uploads (``applications.documents.run_limited_child``, task
"render"), at most ``LINGHUO_PREVIEW_PAGES`` pages at ``LINGHUO_PREVIEW_DPI``.

The images are drawn once, on the first look, and kept beside the documents in
the same storage (encrypted on disk like them, ``applications.storage``):
a stored document never changes (each upload gets a new name), a look at a
case shows up to ten pages of several documents, and drawing them again for
every image would start a child per image, up to the CPU limit each for a
file built to be slow. What could not be drawn (damaged, a password, over the
limits) is kept too, so a hostile file costs its limit once, not on every look.
"""

import base64
import json
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from applications.documents import ChildLimitExceeded, run_limited_child
from applications.models import Document

# A page is drawn at the set resolution, smaller where that would pass this many
# pixels (an A4 page at 110 dpi is 1.2 million; a page a metre wide is scaled down).
MAX_PAGE_PIXELS = 4_000_000

PROBLEM_MESSAGES = {
    "pdf_broken": lambda: _("This PDF is damaged, so its pages cannot be shown."),
    "pdf_encrypted": lambda: _("This PDF is protected with a password, so its pages cannot be shown."),
    "pdf_no_pages": lambda: _("This PDF has no pages to show."),
    "check_limit_exceeded": lambda: _(
        "Drawing this PDF's pages took more time or memory than allowed, so they are not shown. "
        "It may be built to harm: open the original only with care."
    ),
}


@dataclass(frozen=True)
class PagePreview:
    """The page images of one PDF: stored names in page order, or the reason there are none."""

    page_count: int | None  # pages in the whole document, as PDFium counts them
    pages: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def shown(self) -> int:
        return len(self.pages)

    @property
    def more_pages(self) -> bool:
        return bool(self.page_count) and self.page_count > self.shown

    @property
    def message(self) -> str | None:
        if self.problem is None:
            return None
        wording = PROBLEM_MESSAGES.get(self.problem, PROBLEM_MESSAGES["pdf_broken"])
        return wording()


def _folder(document: Document) -> str:
    # Under the document's own stored name (new for each upload); the settings that shape the
    # images are part of the name, so changing them draws the pages again.
    stored = document.file.name.removeprefix("documents/")
    return f"previews/{stored}/{settings.LINGHUO_PREVIEW_DPI}dpi-{settings.LINGHUO_PREVIEW_PAGES}"


def _manifest_name(document: Document) -> str:
    return f"{_folder(document)}/pages.json"


def _stored(document: Document) -> PagePreview | None:
    storage, name = document.file.storage, _manifest_name(document)
    try:
        if not storage.exists(name):
            return None
        with storage.open(name, "rb") as handle:
            return PagePreview(**json.loads(handle.read()))
    except (OSError, ValueError, TypeError):
        return None  # unreadable (a key since removed, a half-written file): drawn again


def _draw(document: Document) -> PagePreview:
    storage = document.file.storage
    with document.file.open("rb") as handle:
        data = handle.read()
    arguments = {
        "task": "render",
        "max_pages": settings.LINGHUO_PREVIEW_PAGES,
        "dpi": settings.LINGHUO_PREVIEW_DPI,
        "max_pixels": MAX_PAGE_PIXELS,
    }
    try:
        drawn = run_limited_child(arguments, data)
    except ChildLimitExceeded as exc:
        preview = PagePreview(page_count=None, problem="check_limit_exceeded")
        if exc.details.get("limit") == "time":
            return preview  # the clock, not the CPU: the machine may just be busy, so not kept
        drawn = asdict(preview)
    folder = _folder(document)
    names = [
        storage.save(f"{folder}/page-{number}.png", ContentFile(base64.b64decode(image)))
        for number, image in enumerate(drawn.get("pages", []), start=1)
    ]
    preview = PagePreview(page_count=drawn.get("page_count"), pages=names, problem=drawn.get("problem"))
    manifest = _manifest_name(document)
    # Written last: whoever reads it finds every image it names.
    if storage.exists(manifest):
        storage.delete(manifest)
    storage.save(manifest, ContentFile(json.dumps(asdict(preview)).encode()))
    return preview


def pdf_preview(document: Document) -> PagePreview:
    """The page images of ``document`` (a PDF), drawn now if they were not yet."""
    return _stored(document) or _draw(document)


def _read(storage, name: str) -> bytes | None:
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def page_image(document: Document, number: int) -> bytes | None:
    """The PNG of page ``number`` (from 1) of ``document``; None if that page is not shown."""
    preview = pdf_preview(document)
    if not 1 <= number <= preview.shown:
        return None
    image = _read(document.file.storage, preview.pages[number - 1])
    if image is None:  # an image that no longer reads (removed, a key since retired): drawn again once
        preview = _draw(document)
        if number <= preview.shown:
            image = _read(document.file.storage, preview.pages[number - 1])
    return image
