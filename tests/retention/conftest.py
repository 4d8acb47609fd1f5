"""Cases and drafts of a known age, for the retention periods' boundaries."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import Application, CaseEvent, Document, Payment, Status
from tests.applications.files import pdf_bytes, upload
from tests.factories import ApplicationFactory, CitizenFactory

TODAY = date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def draft_changed_on(day: date, **fields) -> Application:
    """A draft whose last change was at noon on ``day``."""
    application = ApplicationFactory(status=Status.DRAFT, **fields)
    Application.objects.filter(pk=application.pk).update(updated_at=at_noon(day), created_at=at_noon(day))
    application.refresh_from_db()
    return application


def attach(application: Application, *, on: date | None = None) -> Document:
    """A real, encrypted file on the application (uploaded on ``on``, at noon), as an upload leaves it."""
    document = Document(
        application=application,
        kind="identity_card",
        original_name="身份证.pdf",
        size=1000,
        content_type="application/pdf",
        uploaded_by=application.applicant,
        check_status=Document.CheckStatus.PASSED,
    )
    document.file.save("upload.pdf", upload("身份证.pdf", pdf_bytes(1)), save=True)
    if on is not None:
        Document.objects.filter(pk=document.pk).update(uploaded_at=at_noon(on))
        document.refresh_from_db()
    return document


def closed_case(status: str, *, closed_on: date, **fields) -> Application:
    """A case that moved into ``status`` at noon on ``closed_on`` (its timeline says so)."""
    decided = status in (Status.APPROVED, Status.REJECTED)
    application = ApplicationFactory(
        status=status,
        submitted_on=closed_on,
        submitted_at=at_noon(closed_on),
        decided_at=at_noon(closed_on) if decided else None,
        **fields,
    )
    application.reference = f"LH-{closed_on.year}-{application.pk:06d}"
    application.save(update_fields=["reference"])
    event = CaseEvent.objects.create(
        application=application, from_status=Status.IN_REVIEW, to_status=status, note="王小明 的材料齐全"
    )
    CaseEvent.objects.filter(pk=event.pk).update(at=at_noon(closed_on))
    return application


def paid(application: Application, *due_dates: date, state: str = Payment.State.EXPORTED) -> list[Payment]:
    start = application.payments.count()
    return [
        Payment.objects.create(
            application=application, sequence=start + number, due_on=due_on, amount=Decimal("500.00"), state=state
        )
        for number, due_on in enumerate(due_dates, start=1)
    ]


@pytest.fixture
def citizen():
    return CitizenFactory(username="13900001111", email="wang@example.com", full_name="王小明")
