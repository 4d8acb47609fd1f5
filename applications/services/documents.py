"""Attaching documents to an application and checking them in the background."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import case_flags, virus_scan
from applications.documents import EXTENSIONS, inspect_file, max_upload_bytes, polyglot_marker, sniff_content_type
from applications.models import DUPLICATE_FILE_PROBLEM, Application, CaseEvent, Document, Status
from portal.celery import enqueue_on_commit

logger = logging.getLogger(__name__)

# A citizen may add documents while the application is theirs to change, when
# asked for more, and with a request for reconsideration.
CITIZEN_UPLOAD_STATUSES = (Status.DRAFT, Status.INFO_REQUESTED, Status.RECONSIDERATION)


def validate_upload(uploaded: UploadedFile) -> str:
    """Checks size, real type, hidden web-page code and (when clamd answers) viruses before
    anything is stored; returns the type."""
    limit = max_upload_bytes()
    if uploaded.size is None or uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the most we accept is %(limit)s MB.")
            % {"size": f"{uploaded.size / 1_048_576:.1f}", "limit": limit // 1_048_576},
            code="too_large",
        )
    uploaded.seek(0)
    head = uploaded.read(1024)
    uploaded.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError(
            _("This file is not a PDF, JPEG or PNG (whatever its name says). Upload a scan or photo in one of those."),
            code="unsupported_type",
        )
    data = b"".join(uploaded.chunks())
    uploaded.seek(0)
    # A file that is also a web page could run as one if ever served with the wrong type.
    if polyglot_marker(data, content_type):
        raise ValidationError(
            _(
                "This file has web-page or program code hidden inside it, so we cannot accept it. "
                "Scan or photograph the paper document again and upload the new copy."
            ),
            code="polyglot",
        )
    scan = virus_scan.scan_bytes(data) if settings.LINGHUO_CLAMD_ADDRESS else None
    if scan is not None and scan.state == virus_scan.INFECTED:
        logger.warning("upload refused: virus %s", scan.signature)
        raise ValidationError(
            _(
                "The virus scanner found a virus in this file, so it was not stored. Scan the paper document "
                "again on a device you trust and upload the new copy."
            ),
            code="virus",
        )
    return content_type


def _ensure_room_for_a_document(application: Application) -> None:
    # The row lock makes two uploads at once count one after the other.
    Application.objects.select_for_update().filter(pk=application.pk).first()
    limit = settings.LINGHUO_MAX_DOCUMENTS
    if Document.objects.filter(application=application).count() >= limit:
        raise ValidationError(
            _(
                "An application can carry at most %(limit)s documents. Remove one you no longer need "
                "before adding another."
            )
            % {"limit": limit},
            code="too_many_documents",
        )


@transaction.atomic
def document_attach(*, application: Application, kind: str, uploaded: UploadedFile, acting_user) -> Document:
    if application.status not in CITIZEN_UPLOAD_STATUSES:
        raise ValidationError(_("Documents can no longer be added to this application."), code="closed")
    if kind not in Document.Kind.values:
        raise ValidationError(_("Choose which document this is."), code="kind")
    _ensure_room_for_a_document(application)
    content_type = validate_upload(uploaded)
    document = Document(
        application=application,
        kind=kind,
        original_name=(uploaded.name or "upload")[:255],
        size=uploaded.size,
        content_type=content_type,
        uploaded_by=acting_user,
    )
    document.file.save(f"upload.{EXTENSIONS[content_type]}", uploaded, save=False)
    document.save()
    if application.status != Status.DRAFT:
        CaseEvent.objects.create(
            application=application,
            kind=CaseEvent.Kind.DOCUMENT,
            actor=acting_user,
            note=f"{document.get_kind_display()}: {document.original_name}",
        )
    # The pending row is the record that a check is due: if the broker does not
    # take the wake-up, the sweep (applications.tasks.resend_stale_checks) sends it.
    enqueue_on_commit("applications.check_document", document.pk)
    return document


@transaction.atomic
def document_remove(*, document: Document, acting_user) -> None:
    if document.application.status != Status.DRAFT or document.uploaded_by_id != acting_user.pk:
        raise ValidationError(_("This document can no longer be removed."), code="closed")
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def document_check(*, document_id: int, claim: int | None = None) -> Document | None:
    """Inspects a stored document and records what was found. Running it twice gives the same result.

    With ``claim`` (from ``document_check_claim``) the result is recorded only if
    that claim still holds: of two runs, only one ever completes the check.
    Returns None when the document is gone or the claim was lost."""
    document = Document.objects.select_related("application").filter(pk=document_id).first()
    if document is None:  # removed before the check ran
        return None
    with document.file.open("rb") as handle:
        data = handle.read()
    inspection = inspect_file(data)
    duplicates = list(
        Document.objects.filter(sha256=inspection.sha256)
        .exclude(application__applicant_id=document.application.applicant_id)
        .values_list("application__reference", flat=True)[:10]
    )
    problems = list(inspection.problems)
    if duplicates:
        problems.append(DUPLICATE_FILE_PROBLEM)
    scan = virus_scan.scan_bytes(data)
    if scan.state == virus_scan.INFECTED:
        problems.append("virus_found")
    elif scan.state == virus_scan.UNAVAILABLE and settings.LINGHUO_VIRUS_SCAN_REQUIRED:
        problems.append("not_virus_scanned")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if claim is not None and not _claim_holds(locked, claim):
            return None
        locked.sha256 = inspection.sha256
        locked.content_type = inspection.content_type or locked.content_type
        locked.page_count = inspection.page_count
        locked.check_results = {
            "content_type": inspection.content_type,
            "size": inspection.size,
            "page_count": inspection.page_count,
            "problems": problems,
            "duplicate_of": [ref or "draft" for ref in duplicates],
            "virus_scan": scan.state,
            **({"virus": scan.signature} if scan.signature else {}),
            **inspection.details,
        }
        locked.check_status = Document.CheckStatus.FLAGGED if problems else Document.CheckStatus.PASSED
        locked.checked_at = timezone.now()
        if claim is None:  # a claim has counted its attempt already
            locked.check_attempts += 1
        locked.save()
    return locked


def document_check_failed(*, document_id: int, error: str, claim: int | None = None) -> None:
    """Records that the check gave up, where staff will see it on the case."""
    holding = {"check_status": Document.CheckStatus.PENDING, "check_attempts": claim} if claim is not None else {}
    with transaction.atomic():
        failed = Document.objects.filter(pk=document_id, **holding)
        application_ids = set(failed.values_list("application_id", flat=True))
        failed.update(
            check_status=Document.CheckStatus.FAILED,
            check_results={"problems": ["check_failed"], "error": error[:200]},
            checked_at=timezone.now(),
        )
        case_flags.refresh_documents(application_ids)


# --- Claims: a check completes once, whatever the broker redelivers -----------------------------
# While a document is pending, ``check_attempts`` counts the runs that claimed
# it and ``checked_at`` is when the last one did. A run claims with a
# conditional UPDATE, so of two runs at once only one wins; a claim older than
# LINGHUO_DOCUMENT_CHECK_STALE_SECONDS (its worker died) can be taken again, and
# then the old run's result is not recorded.


def _claim_holds(document: Document, claim: int) -> bool:
    return document.check_status == Document.CheckStatus.PENDING and document.check_attempts == claim


def _stale_before(now):
    return now - timedelta(seconds=settings.LINGHUO_DOCUMENT_CHECK_STALE_SECONDS)


def document_check_claim(*, document_id: int, now=None) -> int | None:
    """Claims a pending document for one run of its check; returns the claim
    (the attempt number) or None if it is not pending or another run holds it."""
    now = now or timezone.now()
    current = (
        Document.objects.filter(pk=document_id, check_status=Document.CheckStatus.PENDING)
        .values_list("check_attempts", flat=True)
        .first()
    )
    if current is None:
        return None
    claimed = (
        Document.objects.filter(pk=document_id, check_status=Document.CheckStatus.PENDING, check_attempts=current)
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=_stale_before(now)))
        .update(check_attempts=current + 1, checked_at=now)
    )
    return current + 1 if claimed else None


def document_check_release(*, document_id: int, claim: int) -> None:
    """Gives a claim back (the run will retry later): the next run may claim at once."""
    Document.objects.filter(pk=document_id, check_status=Document.CheckStatus.PENDING, check_attempts=claim).update(
        checked_at=None
    )


def documents_check_stale(*, now=None, limit: int = 200) -> list[int]:
    """Pending documents whose check is overdue: uploaded, or last claimed, longer
    ago than LINGHUO_DOCUMENT_CHECK_STALE_SECONDS."""
    before = _stale_before(now or timezone.now())
    stale = Document.objects.filter(check_status=Document.CheckStatus.PENDING, uploaded_at__lt=before).filter(
        Q(checked_at__isnull=True) | Q(checked_at__lt=before)
    )
    return list(stale.order_by("uploaded_at", "id").values_list("pk", flat=True)[:limit])
