"""What a citizen sees of their own application: a read-only copy of what they sent, in plain words.

Staff see numbers masked differently (``applications.staff.masking``: first and
last four, with a reveal that is audited). The citizen's own copy shows only the
last four characters: the page may be open on a shared or borrowed phone.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Application, Document, Status

VISIBLE_TAIL = 4

# Problems the person can put right, each with what to do. Anything else the
# check records (a file also attached to another person's application, a check
# that gave up) is for the caseworker, and the citizen is not shown it.
FIXABLE_PROBLEMS = {
    "unsupported_type": gettext_lazy("The file is not a PDF, JPEG or PNG. Upload a scan or photo in one of those."),
    "pdf_encrypted": gettext_lazy("The PDF is protected with a password. Upload a copy without a password."),
    "pdf_no_pages": gettext_lazy("The PDF has no pages. Scan the document again and upload the new copy."),
    "pdf_broken": gettext_lazy(
        "The PDF is damaged and cannot be opened. Save or scan it again and upload the new copy."
    ),
    "image_too_large": gettext_lazy("The image is too large to open safely. Upload a smaller photo or scan."),
    "image_broken": gettext_lazy("The image is damaged and cannot be opened. Take the photo again and upload it."),
    # Active content in a PDF: a scan of the paper, or the PDF printed to a new PDF, carries none.
    "pdf_javascript": gettext_lazy(
        "The PDF contains a script. Scan the paper document, or print the PDF to a new PDF, and upload that copy."
    ),
    "pdf_open_action": gettext_lazy(
        "The PDF starts an action when it is opened. Scan the paper document, or print the PDF to a new PDF, "
        "and upload that copy."
    ),
    "pdf_auto_action": gettext_lazy(
        "The PDF has actions that run on their own. Scan the paper document, or print the PDF to a new PDF, "
        "and upload that copy."
    ),
    "pdf_launch": gettext_lazy(
        "The PDF tries to start another program. Scan the paper document, or print the PDF to a new PDF, "
        "and upload that copy."
    ),
    "pdf_embedded_file": gettext_lazy(
        "The PDF has another file attached inside it. Upload the document itself, as a scan or a plain PDF."
    ),
    "pdf_too_many_pages": lambda: (
        _("The PDF has more than %(limit)s pages. Upload only the pages we ask for.")
        % {"limit": settings.LINGHUO_MAX_PDF_PAGES}
    ),
    "polyglot": gettext_lazy(
        "The file has web-page or program code hidden inside it. Scan or photograph the paper document again "
        "and upload the new copy."
    ),
    "check_limit_exceeded": gettext_lazy(
        "The file is too complex for us to check. Scan the paper document again, or save it as a simpler PDF "
        "or photo, and upload the new copy."
    ),
    "virus_found": gettext_lazy(
        "The virus scanner found a virus in this file. Scan the paper document again on a device you trust "
        "and upload the new copy."
    ),
}

NEXT_STEPS = {
    Status.DRAFT: gettext_lazy("You have not sent this application yet. Continue it and send it when it is complete."),
    Status.SUBMITTED: gettext_lazy(
        "We have your application. A caseworker will check it and your documents; you do not need to do anything now."
    ),
    Status.IN_REVIEW: gettext_lazy(
        "A caseworker is checking your application and documents. If anything is missing, we will tell you by SMS "
        "and on this page."
    ),
    Status.INFO_REQUESTED: gettext_lazy(
        "We need more information from you. Send it on this page; the review goes on as soon as we have it."
    ),
    Status.PENDING_APPROVAL: gettext_lazy(
        "A caseworker has recommended approval. A supervisor now confirms the decision; you do not need to do anything."
    ),
    Status.APPROVED: gettext_lazy(
        "Your application is approved. What you get, and when it is paid, is shown on this page."
    ),
    Status.REJECTED: gettext_lazy("Your application was not approved. The reasons are shown on this page."),
    Status.RECONSIDERATION: gettext_lazy(
        "You asked for the decision to be looked at again. We will tell you the outcome by SMS and on this page."
    ),
    Status.WITHDRAWN: gettext_lazy(
        "You withdrew this application. Nothing more will happen with it. You can start a new application at any time."
    ),
    Status.REFERRED: gettext_lazy(
        "Your application is approved and has been passed to the partner, who decides. We will tell you what they "
        "decide by SMS and on this page."
    ),
    Status.SERVED: gettext_lazy("Your application has been served. The outcome is shown on this page."),
    Status.PARTNER_DECLINED: gettext_lazy(
        "We approved your application, but the partner did not grant it. What they said is shown on this page."
    ),
}


def mask_tail(value: str, *, visible: int = VISIBLE_TAIL) -> str:
    """``330802199905021230`` → ``**************1230``: only the last four characters show."""
    compact = "".join((value or "").split())
    if not compact:
        return ""
    if len(compact) <= visible:
        return "*" * len(compact)
    return "*" * (len(compact) - visible) + compact[-visible:]


def mask_mobile(value: str) -> str:
    """``13912348000`` → ``139****8000``."""
    digits = "".join((value or "").split())
    if len(digits) != 11:
        return mask_tail(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def personal_details(application: Application) -> list[tuple[str, str]]:
    """(label, value) of the personal details as sent, masked; the date of birth is left out."""
    return [
        (_("Full name"), application.full_name),
        (_("Resident identity number"), mask_tail(application.id_number)),
        (_("Mobile number"), mask_mobile(application.mobile)),
        (_("Address"), application.address),
    ]


def payment_details(application: Application) -> list[tuple[str, str]]:
    return [
        (_("Bank"), application.bank_name),
        (_("Account or card number"), mask_tail(application.bank_account)),
    ]


def next_step(application: Application) -> str:
    return str(NEXT_STEPS.get(application.status, ""))


@dataclass(frozen=True)
class CitizenCheck:
    """A document's automated check as its owner sees it."""

    state: str  # "pending", "checked", "received" or "problem"
    label: str
    messages: list[str] = field(default_factory=list)


def document_check(document: Document) -> CitizenCheck:
    if document.check_status == Document.CheckStatus.PENDING:
        return CitizenCheck("pending", _("Checking now"))
    fixable = [
        str(FIXABLE_PROBLEMS[code]() if callable(FIXABLE_PROBLEMS[code]) else FIXABLE_PROBLEMS[code])
        for code in document.check_results.get("problems", [])
        if code in FIXABLE_PROBLEMS
    ]
    if fixable:
        return CitizenCheck("problem", _("Please replace this file"), fixable)
    if document.check_status == Document.CheckStatus.FAILED:
        # The automated check gave up; the caseworker opens the file themselves.
        return CitizenCheck("received", _("Received: a caseworker will look at it"))
    return CitizenCheck("checked", _("Checked"))
