"""Attaching documents to an application and checking them in the background."""

import logging

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.documents import EXTENSIONS, inspect_file, max_upload_bytes, sniff_content_type
from applications.models import Application, CaseEvent, Document, Status

logger = logging.getLogger(__name__)

# A citizen may add documents while the application is theirs to change, when
# asked for more, and with a request for reconsideration.
CITIZEN_UPLOAD_STATUSES = (Status.DRAFT, Status.INFO_REQUESTED, Status.RECONSIDERATION)


def validate_upload(uploaded: UploadedFile) -> str:
    """Checks size and real type before anything is stored; returns the type."""
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
    return content_type


@transaction.atomic
def document_attach(*, application: Application, kind: str, uploaded: UploadedFile, acting_user) -> Document:
    if application.status not in CITIZEN_UPLOAD_STATUSES:
        raise ValidationError(_("Documents can no longer be added to this application."), code="closed")
    if kind not in Document.Kind.values:
        raise ValidationError(_("Choose which document this is."), code="kind")
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
    from applications.tasks import check_document

    check_document.delay_on_commit(document.pk)
    return document


@transaction.atomic
def document_remove(*, document: Document, acting_user) -> None:
    if document.application.status != Status.DRAFT or document.uploaded_by_id != acting_user.pk:
        raise ValidationError(_("This document can no longer be removed."), code="closed")
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def document_check(*, document_id: int) -> Document | None:
    """Inspects a stored document and records what was found. Running it twice gives the same result."""
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
        problems.append("duplicate_elsewhere")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        locked.sha256 = inspection.sha256
        locked.content_type = inspection.content_type or locked.content_type
        locked.page_count = inspection.page_count
        locked.check_results = {
            "content_type": inspection.content_type,
            "size": inspection.size,
            "page_count": inspection.page_count,
            "problems": problems,
            "duplicate_of": [ref or "draft" for ref in duplicates],
            **inspection.details,
        }
        locked.check_status = Document.CheckStatus.FLAGGED if problems else Document.CheckStatus.PASSED
        locked.checked_at = timezone.now()
        locked.check_attempts += 1
        locked.save()
    return locked


def document_check_failed(*, document_id: int, error: str) -> None:
    """Records that the check gave up, where staff will see it on the case."""
    Document.objects.filter(pk=document_id).update(
        check_status=Document.CheckStatus.FAILED,
        check_results={"problems": ["check_failed"], "error": error[:200]},
        checked_at=timezone.now(),
    )
