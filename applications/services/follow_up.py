"""What follows a request or a decision, on the applicant's side: answering a request for
information, asking for a refusal to be reconsidered, and the reminder before a reply is due.

Each function is one transaction; status changes go through ``application_transition``.
Errors about one part of a form are raised as a ``ValidationError`` keyed by the
field names of the citizen's forms (``document_<kind>``, ``answer_<n>``, ``grounds``),
so the page shows each at its own field.
"""

from collections.abc import Mapping, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import (
    OPEN_STATUSES,
    Application,
    Approval,
    AuditEntry,
    CaseEvent,
    Document,
    InformationRequest,
    Notification,
    Reconsideration,
    Status,
)
from applications.selectors_follow_up import (
    information_requests_due_reminder,
    open_information_request,
    open_reconsideration,
    reconsideration_window,
)
from applications.services.audit import audit_record
from applications.services.documents import document_attach, validate_upload
from applications.services.notifications import notify_applicant
from applications.services.transitions import application_transition

# Codes of the refusals that mean the applicant cannot ask at all (no form to correct).
RECONSIDERATION_UNAVAILABLE = ("closed", "used", "not_refused", "not_set_up")


def document_field(kind: str) -> str:
    return f"document_{kind}"


def answer_field(index: int) -> str:
    return f"answer_{index}"


def queue_status_for(application: Application) -> str:
    """Where a case goes back to in the queue: marked as a reconsideration while it is one."""
    return Status.RECONSIDERATION if open_reconsideration(application) is not None else Status.SUBMITTED


def _ensure_applicant(application: Application, acting_user, message: str) -> None:
    if application.applicant_id != acting_user.pk:
        raise ValidationError(message, code="not_owner")


def _validate_files(files: Mapping[str, UploadedFile]) -> None:
    errors = {}
    for field, uploaded in files.items():
        try:
            validate_upload(uploaded)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


# --- Requests for information ------------------------------------------------------------


@transaction.atomic
def application_answer_information_request(
    *,
    application: Application,
    acting_user,
    files: Mapping[str, UploadedFile] | None = None,
    answers: Sequence[str] = (),
    comment: str = "",
) -> Application:
    """The applicant sends what was asked: one file per document asked for, one answer per question.

    ``files`` maps each requested document kind to its file. Nothing is kept
    unless everything asked for is there; the case then goes back to the queue
    (to the caseworker who asked). A request made before requests were recorded
    one by one is answered with ``comment`` alone.
    """
    _ensure_applicant(application, acting_user, _("Only the applicant can answer this request."))
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status != Status.INFO_REQUESTED:
        raise ValidationError(_("There is no open request for information on this application."), code="no_request")
    files = dict(files or {})
    comment = comment.strip()
    information_request = open_information_request(locked)
    if information_request is None:
        if not comment:
            raise ValidationError({"comment": [_("Write your answer.")]})
        note = comment
    else:
        errors: dict[str, list[str]] = {}
        for kind in information_request.document_kinds:
            if files.get(kind) is None:
                errors[document_field(kind)] = [_("Upload the %(document)s.") % {"document": Document.Kind(kind).label}]
        answers = [answer.strip() for answer in answers]
        for index, _question in enumerate(information_request.questions):
            if index >= len(answers) or not answers[index]:
                errors[answer_field(index)] = [_("Answer this question.")]
        if errors:
            raise ValidationError(errors)
        _validate_files({document_field(kind): files[kind] for kind in information_request.document_kinds})
        for kind in information_request.document_kinds:
            document_attach(application=locked, kind=kind, uploaded=files[kind], acting_user=acting_user)
        information_request.answers = [
            {"question": question, "answer": answers[index]}
            for index, question in enumerate(information_request.questions)
        ]
        information_request.answered_at = timezone.now()
        information_request.save(update_fields=["answers", "answered_at"])
        lines = [f"{item['question']}\n→ {item['answer']}" for item in information_request.answers]
        if comment:
            lines.append(comment)
        note = "\n\n".join(lines)
    CaseEvent.objects.create(application=locked, kind=CaseEvent.Kind.INFO_RESPONSE, actor=acting_user, note=note)
    application_transition(application=locked, to_status=queue_status_for(locked), actor=acting_user)
    application.status = locked.status
    return locked


@transaction.atomic
def information_request_reminders_send(*, today: date | None = None) -> int:
    """Reminds applicants whose reply is due within three days; returns how many were reminded.

    One reminder per request: a request reminded of is never reminded of again,
    so running this twice (or hourly) sends each reminder once.
    """
    today = today or timezone.localdate()
    due = list(
        information_requests_due_reminder(today=today)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("application", "application__applicant")
        .order_by("reply_due_on", "pk")
    )
    sent = 0
    for information_request in due:
        claimed = InformationRequest.objects.filter(pk=information_request.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=timezone.now()
        )
        if not claimed:
            continue
        notify_applicant(
            application=information_request.application,
            event=Notification.Event.INFO_REMINDER,
            extra={"information_request": information_request, "reply_due_on": information_request.reply_due_on},
        )
        sent += 1
    return sent


# --- Reconsideration ----------------------------------------------------------------------


def _refusal(application: Application) -> tuple[CaseEvent | None, list[str]]:
    """The event of the refusal and the reason codes the caseworker chose."""
    event = application.events.filter(kind=CaseEvent.Kind.TRANSITION, to_status=Status.REJECTED).last()
    entries = application.audit_entries.filter(action=AuditEntry.Action.DECISION).order_by("-at", "-id")
    codes = next((e.details.get("reason_codes", []) for e in entries if e.details.get("decision") == "rejected"), [])
    return event, list(codes)


def _evaluation_now(application: Application) -> dict | None:
    """The engine's answer today on the same answers, with the parameters in force on the submission date."""
    from applications.services.intake import application_evaluate, evaluation_snapshot

    if application.submitted_on is None:
        return None
    try:
        result = application_evaluate(application=application, as_of=application.submitted_on)
    except Exception:  # answers today's engine refuses: staff still have the stored one
        return None
    return evaluation_snapshot(result, application.submitted_on)


@transaction.atomic
def application_request_reconsideration(
    *,
    application: Application,
    acting_user,
    grounds: str,
    files: Sequence[UploadedFile] = (),
    request=None,
) -> Application:
    """The applicant asks for the refusal to be looked at again, with reasons and any new documents.

    Allowed once per application, within ``review.appeal_window_days`` (in force
    on the refusal date) of the refusal. The case goes back to its region's
    queue, unassigned, marked as a reconsideration; the person who refused it
    cannot take it. Asking twice (a double click) changes nothing more.
    """
    _ensure_applicant(application, acting_user, _("Only the applicant can ask for reconsideration."))
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status == Status.RECONSIDERATION:
        application.status = locked.status
        return locked
    window = reconsideration_window(locked)
    if not window.available:
        if window.reason == "closed":
            message = _("The time to ask for reconsideration ended on %(date)s.") % {
                "date": date_format(window.closes_on, "DATE_FORMAT")
            }
        elif window.reason == "used":
            message = _("This application has been reconsidered once already; that decision stands.")
        else:
            message = _("Only a refused application can be reconsidered.")
        raise ValidationError(message, code=window.reason or "not_refused")
    grounds = grounds.strip()
    if not grounds:
        raise ValidationError({"grounds": [_("Say why the decision should be looked at again.")]})
    other = (
        Application.objects.filter(applicant=locked.applicant, programme=locked.programme, status__in=OPEN_STATUSES)
        .exclude(pk=locked.pk)
        .first()
    )
    if other is not None:
        raise ValidationError(
            _(
                "You have another open application for this programme (%(reference)s). "
                "Withdraw it before you ask for this one to be reconsidered."
            )
            % {"reference": other.reference or _("not yet sent")},
            code="other_open",
        )
    for uploaded in files:
        _validate_files({"files": uploaded})
    event, reason_codes = _refusal(locked)
    lapsed = list(Approval.objects.filter(application=locked).values("stage", "approver_id", "at"))
    if lapsed:
        # An approval the refusal overrode would block the next one; the audit entry keeps it.
        audit_record(
            actor=acting_user,
            action=AuditEntry.Action.DECISION,
            application=locked,
            details={
                "decision": "approvals_lapsed_on_reconsideration",
                "lapsed": [{**row, "at": row["at"].isoformat()} for row in lapsed],
            },
            request=request,
        )
        Approval.objects.filter(application=locked).delete()
    Reconsideration.objects.create(
        application=locked,
        requested_by=acting_user,
        grounds=grounds,
        rejected_by=event.actor if event else None,
        rejected_at=event.at if event else locked.decided_at,
        rejection_reason_codes=reason_codes,
        rejection_note=event.note if event else "",
        rejection_evaluation=locked.evaluation,
        evaluation=_evaluation_now(locked),
    )
    locked.assigned_to = None
    locked.claimed_at = None
    application_transition(
        application=locked,
        to_status=Status.RECONSIDERATION,
        actor=acting_user,
        note=grounds,
        update_fields=("assigned_to", "claimed_at"),
    )
    for uploaded in files:
        document_attach(application=locked, kind=Document.Kind.OTHER, uploaded=uploaded, acting_user=acting_user)
    application.status = locked.status
    return locked
