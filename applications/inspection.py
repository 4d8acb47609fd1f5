"""What an uploaded file really is: its type by its first bytes, whether it opens, its pages,
active content in a PDF, and web-page code hidden inside a PDF or an image (a polyglot).

This module imports nothing of Django: the check runs it as a child process
(``python -I applications/inspection.py``) held to CPU and memory limits, so a
file built to exhaust a parser costs a bounded time and is reported as such.
``applications.documents.inspect_file`` starts the child; the same child draws a
PDF's pages as images for staff (``applications.previews``).
"""

import hashlib
import io
import json
import re
import sys
import zlib
from dataclasses import asdict, dataclass, field

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}

# What a browser takes for a web page or a script. Each must be followed by a
# delimiter, so that random bytes in a large scan rarely match.
POLYGLOT_MARKER = re.compile(rb"<(?:html|script|!doctype|\?php|svg|iframe|body)(?=[\s>/])", re.IGNORECASE)

# Names in a PDF that run something or carry a file; each is its own problem code.
ACTIVE_NAMES = {
    b"JavaScript": "pdf_javascript",
    b"JS": "pdf_javascript",
    b"OpenAction": "pdf_open_action",
    b"AA": "pdf_auto_action",
    b"Launch": "pdf_launch",
    b"EmbeddedFile": "pdf_embedded_file",
    b"EmbeddedFiles": "pdf_embedded_file",
}
PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
ACTIVE_NAME = re.compile(rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?)(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")
# A name may spell a letter as #xx (/J#61vaScript); only those are decoded one by one.
ESCAPED_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%#]*#[0-9A-Fa-f]{2}[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
# Object streams are decompressed to find names packed in them; this much at most.
MAX_DECOMPRESSED = 64 * 1024 * 1024


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

    def flag(self, code: str) -> None:
        if code not in self.problems:
            self.problems.append(code)


def sniff_content_type(head: bytes) -> str | None:
    """PDF, JPEG or PNG by the file's magic number; None for anything else."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    # Some PDF writers put a few bytes before the header; readers accept it within the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


# --- Polyglots ------------------------------------------------------------------------------------


def _pdf_parts(data: bytes) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    """(the file outside stream bodies, [(dictionary before a stream, its body)]).

    Stream bodies are compressed images and page content: random bytes, where
    a marker found means nothing. Everything else is the PDF's own text."""
    outside: list[bytes] = []
    streams: list[tuple[bytes, bytes]] = []
    position = 0
    while True:
        start = STREAM_START.search(data, position)
        if start is None:
            outside.append(data[position:])
            return outside, streams
        end = data.find(b"endstream", start.end())
        if end < 0:
            end = len(data)
        outside.append(data[position : start.start()])
        streams.append((data[max(position, start.start() - 1024) : start.start()], data[start.end() : end]))
        position = end + len(b"endstream")


def _jpeg_parts(data: bytes) -> list[bytes]:
    """The segments of a JPEG that are not compressed picture data (comments, metadata), and
    anything after its end; the rest of a JPEG that cannot be walked is returned whole."""
    parts: list[bytes] = []
    position = 2
    while position + 1 < len(data):
        if data[position] != 0xFF:
            break
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image: whatever follows is not part of the picture
            parts.append(data[position + 2 :])
            return parts
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2:
            break
        parts.append(data[position + 4 : position + 2 + length])
        position += 2 + length
        if marker == 0xDA:  # start of scan: skip the entropy-coded data to the next real marker
            while True:
                position = data.find(b"\xff", position)
                if position < 0 or position + 1 >= len(data):
                    return parts
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    position += 1
                    continue
                break
    parts.append(data[position:])
    return parts


def _png_parts(data: bytes) -> list[bytes]:
    """The chunks of a PNG other than picture data, and anything after its end."""
    parts: list[bytes] = []
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind != b"IDAT":
            parts.append(data[position + 8 : position + 8 + length])
        position += 12 + length
        if kind == b"IEND":
            break
    parts.append(data[position:])
    return parts


def polyglot_marker(data: bytes, content_type: str | None) -> str | None:
    """The web-page or script marker hidden in the file's own text, or None."""
    if content_type == PDF:
        parts = _pdf_parts(data)[0]
    elif content_type == JPEG:
        parts = _jpeg_parts(data)
    elif content_type == PNG:
        parts = _png_parts(data)
    else:
        parts = [data]
    for part in parts:
        found = POLYGLOT_MARKER.search(part)
        if found:
            return found.group(0).decode("ascii", errors="replace").lower()
    return None


# --- PDF --------------------------------------------------------------------------------------------


def _names(text: bytes) -> set[bytes]:
    return {PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), m.group(1)) for m in PDF_NAME.finditer(text)}


def _active_names(text: bytes) -> set[bytes]:
    found = {m.group(1) for m in ACTIVE_NAME.finditer(text)}
    for escaped in ESCAPED_NAME.finditer(text):
        found |= _names(escaped.group(0)) & ACTIVE_NAMES.keys()
    return found


def pdf_active_names(data: bytes) -> set[bytes]:
    """The active-content names in a PDF's objects, also those packed in compressed object streams."""
    outside, streams = _pdf_parts(data)
    names: set[bytes] = set()
    for part in outside:
        names |= _active_names(part)
    budget = MAX_DECOMPRESSED
    for dictionary, body in streams:
        tail = dictionary[dictionary.rfind(b"obj") :] if b"obj" in dictionary else dictionary
        found = _names(tail)
        if b"ObjStm" not in found or b"FlateDecode" not in found or budget <= 0:
            continue
        try:
            unpacked = zlib.decompressobj().decompress(body, budget)
        except zlib.error:
            continue
        budget -= len(unpacked)
        names |= _active_names(unpacked)
    return names


def _inspect_pdf(data: bytes, inspection: Inspection, *, max_pages: int) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    from pypdf.generic import ArrayObject, DictionaryObject

    names = pdf_active_names(data)
    open_action_is_a_destination = False
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            inspection.flag("pdf_encrypted")
            return
        root = reader.trailer["/Root"].get_object()
        # A destination ("open at page 1, fit the width") runs nothing; an action dictionary may.
        open_action = root.get("/OpenAction")
        if open_action is not None:
            open_action = open_action.get_object()
            open_action_is_a_destination = isinstance(open_action, ArrayObject)
            if isinstance(open_action, DictionaryObject) and open_action.get("/S") == "/JavaScript":
                names.add(b"JavaScript")
        for key, name in (("/AA", b"AA"),):
            if key in root:
                names.add(name)
        catalogue_names = root.get("/Names")
        if catalogue_names is not None:
            catalogue_names = catalogue_names.get_object()
            if "/JavaScript" in catalogue_names:
                names.add(b"JavaScript")
            if "/EmbeddedFiles" in catalogue_names:
                names.add(b"EmbeddedFiles")
        inspection.page_count = _count_pages(root, max_pages)
        if inspection.page_count == 0:
            inspection.flag("pdf_no_pages")
        elif inspection.page_count > max_pages:
            inspection.flag("pdf_too_many_pages")
            inspection.details["page_limit"] = max_pages
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        inspection.flag("pdf_broken")
        inspection.details["error"] = type(exc).__name__
    finally:
        if open_action_is_a_destination:
            names.discard(b"OpenAction")
        for name in sorted(names):
            inspection.flag(ACTIVE_NAMES[name])


def _count_pages(root, max_pages: int) -> int:
    """The pages of the document, counted no further than one past the limit.

    pypdf's ``len(reader.pages)`` reads the whole page tree (7 s for 100,000
    pages). The tree's own ``/Count`` says at once when there are too many; a
    tree whose ``/Count`` lies is walked only as far as the limit."""
    pages = root["/Pages"].get_object()
    declared = pages.get("/Count")
    if isinstance(declared, int) and declared > max_pages:
        return int(declared)
    count = 0
    seen: set[int] = set()
    stack = [pages]
    while stack and count <= max_pages:
        node = stack.pop()
        reference = getattr(node, "indirect_reference", None)
        if reference is not None:
            if reference.idnum in seen:
                continue  # a tree that loops back on itself
            seen.add(reference.idnum)
        kids = node.get("/Kids")
        if node.get("/Type") == "/Page" or kids is None:
            count += 1
            continue
        stack.extend(kid.get_object() for kid in reversed(kids[: max_pages + 2]))
    return count


# --- Images -----------------------------------------------------------------------------------------


def _inspect_image(data: bytes, inspection: Inspection, *, max_pixels: int) -> None:
    from PIL import Image

    # Pillow refuses images above MAX_IMAGE_PIXELS * 2 (DecompressionBombError)
    # and warns above MAX_IMAGE_PIXELS; we treat both as a bomb.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            inspection.details["width"], inspection.details["height"] = width, height
            if width * height > max_pixels:
                inspection.flag("image_too_large")
                inspection.details["pixel_limit"] = max_pixels
                return
            image.load()
        inspection.page_count = 1
    except Image.DecompressionBombError:
        inspection.flag("image_too_large")
        inspection.details["pixel_limit"] = max_pixels
    except (OSError, SyntaxError, ValueError) as exc:
        inspection.flag("image_broken")
        inspection.details["error"] = type(exc).__name__


def inspect_bytes(data: bytes, *, max_pixels: int, max_pages: int) -> Inspection:
    """Reads a whole file in this process: its real type, whether it opens, its pages and its hash."""
    inspection = Inspection(
        content_type=sniff_content_type(data[:1024]), sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    if inspection.content_type is None:
        inspection.flag("unsupported_type")
        return inspection
    marker = polyglot_marker(data, inspection.content_type)
    if marker:
        inspection.flag("polyglot")
        inspection.details["marker"] = marker
    if inspection.content_type == PDF:
        _inspect_pdf(data, inspection, max_pages=max_pages)
    else:
        _inspect_image(data, inspection, max_pixels=max_pixels)
    return inspection


# --- Page images (staff previews) ----------------------------------------------------------------


def render_pdf_pages(data: bytes, *, max_pages: int, dpi: int, max_pixels: int) -> dict:
    """The first ``max_pages`` pages of a PDF as PNG images (base64), with the document's page count.

    PDFium (pypdfium2) draws the pages, not pypdf: a second, independent parser.
    No form environment is set up, so no JavaScript or form action of the file
    runs (pypdfium2's PDFium has no JavaScript engine either); what comes out
    is pixels. A page is drawn at ``dpi``, smaller where that would pass
    ``max_pixels`` (a page a metre wide is not a reason for a huge image)."""
    import base64

    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        problem = "pdf_encrypted" if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD else "pdf_broken"
        return {"page_count": None, "pages": [], "problem": problem}
    pages: list[str] = []
    try:
        page_count = len(document)
        if page_count == 0:
            return {"page_count": 0, "pages": [], "problem": "pdf_no_pages"}
        for index in range(min(page_count, max_pages)):
            page = document[index]
            try:
                width, height = page.get_size()
                scale = dpi / 72
                area = max(width * height, 1.0) * scale * scale
                if area > max_pixels:
                    scale *= (max_pixels / area) ** 0.5
                image = page.render(scale=scale, may_draw_forms=False).to_pil()
            finally:
                page.close()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            pages.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    except pdfium.PdfiumError:
        return {"page_count": None, "pages": [], "problem": "pdf_broken"}
    finally:
        document.close()
    return {"page_count": page_count, "pages": pages, "problem": None}


def _run_task(arguments: dict, data: bytes) -> dict:
    if arguments.get("task") == "render":
        return render_pdf_pages(
            data, max_pages=arguments["max_pages"], dpi=arguments["dpi"], max_pixels=arguments["max_pixels"]
        )
    return asdict(inspect_bytes(data, max_pixels=arguments["max_pixels"], max_pages=arguments["max_pages"]))


def _child(arguments: dict) -> None:
    """The child process: limits first, then the file from stdin, the result as JSON on stdout.

    ``arguments["task"]`` is "inspect" (the check, the default) or "render" (page images)."""
    import resource

    cpu, memory = int(arguments["cpu_seconds"]), int(arguments["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    try:
        result = _run_task(arguments, data)
    except MemoryError:
        if arguments.get("task") == "render":
            result = {"page_count": None, "pages": [], "problem": "check_limit_exceeded", "limit": "memory"}
        else:
            inspection = Inspection(content_type=sniff_content_type(data[:1024]), sha256="", size=len(data))
            inspection.flag("check_limit_exceeded")
            inspection.details["limit"] = "memory"
            result = asdict(inspection)
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
