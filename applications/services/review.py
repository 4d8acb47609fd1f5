"""A caseworker's side of an application: claim, ask for more, decide."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, Status
from applications.services.notifications import notify_applicant
from applications.services.transitions import application_transition


def _ensure_may_handle(application: Application, caseworker) -> None:
    if application.applicant_id == caseworker.pk:
        raise PermissionDenied(_("Nobody may handle their own application."))
    if not (caseworker.is_caseworker or caseworker.is_supervisor) or caseworker.region != application.region:
        raise PermissionDenied(_("This application is not in your region."))


@transaction.atomic
def application_claim(*, application: Application, caseworker) -> Application:
    """The caseworker takes a submitted application to review it."""
    _ensure_may_handle(application, caseworker)
    application.assigned_to = caseworker
    application.claimed_at = timezone.now()
    application_transition(
        application=application,
        to_status=Status.IN_REVIEW,
        actor=caseworker,
        update_fields=("assigned_to", "claimed_at"),
    )
    return application


@transaction.atomic
def application_request_info(*, application: Application, caseworker, message: str) -> Application:
    """Asks the applicant for more; the case waits for their answer."""
    _ensure_may_handle(application, caseworker)
    application_transition(
        application=application, to_status=Status.INFO_REQUESTED, actor=caseworker, note=message.strip()
    )
    notify_applicant(application=application, event="info_requested", extra={"request_text": message.strip()})
    return application


@transaction.atomic
def application_approve(*, application: Application, caseworker, note: str = "") -> Application:
    _ensure_may_handle(application, caseworker)
    application_transition(application=application, to_status=Status.APPROVED, actor=caseworker, note=note)
    notify_applicant(application=application, event="approved")
    return application


@transaction.atomic
def application_reject(*, application: Application, caseworker, reasons_text: str) -> Application:
    """Refuses the application; ``reasons_text`` is what the applicant reads."""
    _ensure_may_handle(application, caseworker)
    application_transition(
        application=application, to_status=Status.REJECTED, actor=caseworker, note=reasons_text.strip()
    )
    notify_applicant(application=application, event="rejected", extra={"reasons_text": reasons_text.strip()})
    return application
