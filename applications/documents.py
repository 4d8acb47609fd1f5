"""Which documents each programme needs, and what a file really is.

A file's type is read from its first bytes, never from its name or the type
the browser claims. The file itself is parsed by ``applications.inspection`` in
a child process held to CPU and memory limits, and scanned by clamd when one is
configured (``applications.virus_scan``).
"""

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import inspection as inspection_module
from applications.inspection import (  # noqa: F401 - the names other modules import from here
    EXTENSIONS,
    JPEG,
    PDF,
    PNG,
    SIGNATURES,
    Inspection,
    polyglot_marker,
    sniff_content_type,
)
from applications.models import Document
from eligibility.engine import proving_documents
from eligibility.facts import Facts, FactsInvalid, parse_facts
from eligibility.parameter_cache import parameters_in_force
from eligibility.rules.logic import All, Any, Context, Not
from eligibility.rules.programmes import IDENTITY_CARD, PROGRAMMES

Kind = Document.Kind


def max_upload_bytes() -> int:
    return settings.LINGHUO_MAX_UPLOAD_BYTES


def required_documents(programme_slug: str, facts: dict, *, held_facts: frozenset[str] = frozenset()) -> list[str]:
    """The document kinds an application must carry: what proves each condition
    that decides the programme for this person, as the rules name it
    (``eligibility.engine.proving_documents``): the identity card always, every
    part of an AND, the parts of an OR that hold. ``facts`` are in wire form;
    an answer that does not read proves nothing. ``held_facts``: facts a department holds,
    so that a document proving only those is not asked for (never the identity card)."""
    known = {}
    for name, value in (facts or {}).items():
        try:
            known.update(parse_facts({name: value}))
        except FactsInvalid:
            continue
    kinds = proving_documents(programme_slug, Facts(known), timezone.localdate())
    if held_facts:
        proved = facts_proved_by(programme_slug, Facts(known), timezone.localdate())
        # A document a department holds: every fact it proves for this person came from its registry.
        kinds = [k for k in kinds if k == IDENTITY_CARD or not proved.get(k) or not proved[k] <= set(held_facts)]
    return [Kind(kind) for kind in kinds]


def facts_proved_by(programme_slug: str, facts: Facts, as_of) -> dict[str, set[str]]:
    """For each document that proves a condition of the programme for this person, the facts it
    proves: the facts of the conditions whose proof names it, followed as ``Node.proof`` follows
    them (every part of an AND, the parts of an OR that hold, nothing under a NOT)."""
    context = Context(
        facts=facts, as_of=as_of, parameters=parameters_in_force(as_of), region_served=settings.LINGHUO_REGION_CODE
    )
    proved: dict[str, set[str]] = {}

    def walk(node) -> None:
        if isinstance(node, Not):
            return
        if isinstance(node, All | Any):
            for part in node.parts:
                if isinstance(node, All) or part.evaluate(context).passed:
                    walk(part)
            return
        for kind in node.proof(context):
            if node.fact:
                proved.setdefault(kind, set()).add(node.fact)

    for criterion in PROGRAMMES[programme_slug].criteria:
        walk(criterion.rule)
    return proved


def application_required_documents(application) -> list[str]:
    """``required_documents`` of a draft, without those a department holds for it (answers taken
    from a registry and kept as they were: ``applications.outreach``)."""
    from applications.outreach.selectors import department_held_facts

    return required_documents(
        application.programme.slug, application.facts, held_facts=department_held_facts(application)
    )


class ChildLimitExceeded(Exception):
    """The limited child was stopped: ``details`` says by which limit ("time", "cpu", "memory")."""

    def __init__(self, details: dict):
        super().__init__(details.get("limit"))
        self.details = details


def run_limited_child(arguments: dict, data: bytes) -> dict:
    """Runs ``applications.inspection`` on ``data`` in a child process held to ``LINGHUO_CHECK_CPU_SECONDS``
    and ``LINGHUO_CHECK_MEMORY_BYTES``; its JSON answer. A child that exhausts them raises
    ``ChildLimitExceeded``. ``arguments["task"]`` says what the child does ("inspect" by default, "render")."""
    limits = {"cpu_seconds": settings.LINGHUO_CHECK_CPU_SECONDS, "memory_bytes": settings.LINGHUO_CHECK_MEMORY_BYTES}
    try:
        # -I: no environment variables, user site or current folder reach the child; it imports no project code.
        finished = subprocess.run(  # noqa: S603 - our own interpreter and module, arguments as JSON
            [sys.executable, "-I", str(Path(inspection_module.__file__)), json.dumps({**limits, **arguments})],
            input=data,
            capture_output=True,
            timeout=settings.LINGHUO_CHECK_CPU_SECONDS * 3 + 5,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildLimitExceeded({"limit": "time"}) from exc
    if finished.returncode != 0:
        raise ChildLimitExceeded({"limit": "cpu" if finished.returncode < 0 else "memory", "exit": finished.returncode})
    return json.loads(finished.stdout)


def inspect_file(data: bytes) -> Inspection:
    """Reads a whole file in the limited child (``run_limited_child``). A file that exhausts the limits
    is flagged ``check_limit_exceeded``: a person opens it, the worker does not hang on it."""
    import hashlib

    arguments = {"max_pixels": settings.LINGHUO_MAX_IMAGE_PIXELS, "max_pages": settings.LINGHUO_MAX_PDF_PAGES}
    fallback = Inspection(
        content_type=sniff_content_type(data[:1024]), sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    try:
        found = run_limited_child(arguments, data)
    except ChildLimitExceeded as exc:
        fallback.flag("check_limit_exceeded")
        fallback.details.update(exc.details)
        return fallback
    found["sha256"] = fallback.sha256
    return Inspection(**found)


# For the caseworker: what the check found, plainly. The citizen's own wording
# of what they can put right is in ``applications.case_summary.FIXABLE_PROBLEMS``.
PROBLEM_MESSAGES = {
    "unsupported_type": lambda: _("The file is not a PDF, JPEG or PNG."),
    "pdf_encrypted": lambda: _("The PDF is protected with a password. Upload a copy without a password."),
    "pdf_no_pages": lambda: _("The PDF has no pages."),
    "pdf_broken": lambda: _("The PDF is damaged and cannot be opened."),
    "image_too_large": lambda: _("The image is too large to open safely. Upload a smaller photo or scan."),
    "image_broken": lambda: _("The image is damaged and cannot be opened."),
    "duplicate_elsewhere": lambda: _("The same file is attached to another person's application."),
    "pdf_javascript": lambda: _("The PDF contains JavaScript. Open it only in the portal's viewer."),
    "pdf_open_action": lambda: _("The PDF runs an action when it is opened. Open it only in the portal's viewer."),
    "pdf_auto_action": lambda: _(
        "The PDF has actions that run on their own (on a page or a field). Open it only in the portal's viewer."
    ),
    "pdf_launch": lambda: _("The PDF tries to start another program. Open it only in the portal's viewer."),
    "pdf_embedded_file": lambda: _("The PDF carries an attached file. Do not save or open the attachment."),
    "pdf_too_many_pages": lambda: (
        _("The PDF has more pages than the %(limit)s we accept.") % {"limit": settings.LINGHUO_MAX_PDF_PAGES}
    ),
    "polyglot": lambda: _("The file also contains web-page or script code (a disguised file)."),
    "check_limit_exceeded": lambda: _(
        "The file took more time or memory to check than allowed. Open it with care; it may be built to harm."
    ),
    "virus_found": lambda: _("The virus scanner found a virus in this file. Do not download or open it."),
    "not_virus_scanned": lambda: _("Not scanned for viruses: the virus scanner could not be reached."),
}


def problem_message(code: str) -> str:
    message = PROBLEM_MESSAGES.get(code)
    return message() if message else code
