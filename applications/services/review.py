"""A caseworker's and a supervisor's side of an application: claim, ask for more, decide.

Each function is one transaction: it checks who may act, changes the case
through ``application_transition`` and records the decision in the audit trail.

Who may act (separation of duties):

- staff (caseworker or supervisor) of the application's region, and never on
  their own application;
- a case in review is decided by the caseworker who claimed it, or by a
  supervisor of the region;
- above ``review.four_eyes_threshold`` (in force on the submission date) the
  first approval sends the case to a supervisor, who gives the second one; the
  person who gave the first approval cannot give the second;
- a request for information waits for the applicant until its reply is due
  (``review.rfi_reply_days`` after the request); after that day the caseworker
  may decide on what the case holds, or take it back into review;
- a reconsideration is claimed and decided by somebody other than the person
  who refused the application (four eyes again for a large approval).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import (
    Application,
    Approval,
    AuditEntry,
    CaseEvent,
    Document,
    InformationRequest,
    Notification,
    ReasonCode,
    Reconsideration,
    Status,
)
from applications.selectors_entitlements import months_to_schedule
from applications.selectors_follow_up import (
    information_reply_due_on,
    open_information_request,
    open_reconsideration,
    reconsideration_window,
    reply_overdue,
)
from applications.services.audit import audit_record
from applications.services.entitlements import entitlement_check_approval, entitlement_lock
from applications.services.follow_up import queue_status_for
from applications.services.notifications import notify_applicant
from applications.services.transitions import QUEUE_STATUSES, application_transition
from eligibility.parameter_cache import parameters_in_force
from eligibility.parameter_set import ParameterNotInForce

FOUR_EYES_PARAMETER = "review.four_eyes_threshold"
# Fields a member of staff may reveal in full on the case page; shown masked otherwise.
REVEALABLE_FIELDS = ("id_number", "bank_account")
# The personal data the staff case page shows, as its audit entry lists it ("_masked": only the end shows).
CASE_PAGE_PERSONAL_DATA = (
    "full_name",
    "id_number_masked",
    "age",
    "mobile",
    "address",
    "bank_name",
    "bank_account_masked",
)


class CaseUnavailable(Exception):
    """The case cannot be taken: another member of staff has it, or it is no longer waiting."""


# --- Who may act -------------------------------------------------------------------


def _is_staff(person) -> bool:
    return bool(person.is_authenticated and (person.is_caseworker or person.is_supervisor) and person.region)


def _ensure_staff_of_region(application: Application, person) -> None:
    if not _is_staff(person) or person.region != application.region:
        raise PermissionDenied(_("This application is not in your region."))


def _ensure_may_handle(application: Application, caseworker) -> None:
    if application.applicant_id == caseworker.pk:
        raise PermissionDenied(_("Nobody may handle or decide on their own application."))
    _ensure_staff_of_region(application, caseworker)


def _ensure_not_the_refuser(application: Application, person) -> None:
    """Whoever refused the application does not take or decide its reconsideration."""
    reconsideration = open_reconsideration(application)
    if reconsideration is not None and reconsideration.rejected_by_id == person.pk:
        raise PermissionDenied(
            _("You refused this application, so a colleague must take and decide its reconsideration.")
        )


def _ensure_may_decide(application: Application, actor) -> None:
    """A case in review is decided by the caseworker who has it or by a supervisor of the region."""
    _ensure_may_handle(application, actor)
    if (
        application.status in (Status.IN_REVIEW, Status.INFO_REQUESTED)
        and application.assigned_to_id != actor.pk
        and not actor.is_supervisor
    ):
        raise PermissionDenied(_("Only the caseworker who took this case, or a supervisor, can decide on it."))
    if application.status == Status.PENDING_APPROVAL and not actor.is_supervisor:
        raise PermissionDenied(_("This case is waiting for a supervisor's second approval."))
    _ensure_not_the_refuser(application, actor)


def case_actions(*, application: Application, person) -> frozenset[str]:
    """What ``person`` may do on the case now, by the rules above: the page offers only these.

    The services check again when the action is taken (the case may have moved meanwhile).
    """
    if not _is_staff(person) or person.region != application.region or application.applicant_id == person.pk:
        return frozenset()
    actions = {"note"}
    status = application.status
    supervisor = person.is_supervisor
    reconsideration = open_reconsideration(application)
    if reconsideration is not None and reconsideration.rejected_by_id == person.pk:
        return frozenset(actions)  # they refused it: a colleague reconsiders
    if status in QUEUE_STATUSES:
        actions.add("claim")
    elif status == Status.IN_REVIEW and (application.assigned_to_id == person.pk or supervisor):
        actions |= {"approve", "reject", "request_info", "release"}
    elif status == Status.INFO_REQUESTED and (application.assigned_to_id == person.pk or supervisor):
        information_request = open_information_request(application)
        if information_request is not None and reply_overdue(information_request):
            actions |= {"approve", "reject", "resume_review"}
    elif status == Status.PENDING_APPROVAL and supervisor:
        actions |= {"reject", "return"}
        first = next((a for a in application.approvals.all() if a.stage == Approval.Stage.FIRST), None)
        if first is None or first.approver_id != person.pk:
            actions.add("approve")
    elif status in (Status.APPROVED, Status.REFERRED) and (application.assigned_to_id == person.pk or supervisor):
        from applications.services.fulfilment import awaits_outcome

        if awaits_outcome(application):  # a programme without cash: its outcome (services.fulfilment)
            actions.add("fulfil")
    return frozenset(actions)


def _locked(application: Application) -> Application:
    """The row, locked until the end of the transaction, with its current status."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    application.status = locked.status
    application.assigned_to_id = locked.assigned_to_id
    return locked


# --- Claiming ---------------------------------------------------------------------


def claimable_for(caseworker) -> QuerySet[Application]:
    """Waiting cases of the caseworker's region nobody else has, except their own applications.

    A case that comes back from the applicant (after a request for information)
    stays with the caseworker who asked; others take it only by claiming it
    explicitly from the queue. A reconsideration is never offered to the person
    who refused the application.
    """
    refused_by_them = Reconsideration.objects.filter(application=OuterRef("pk"), outcome="", rejected_by=caseworker)
    return (
        Application.objects.filter(region=caseworker.region, status__in=QUEUE_STATUSES)
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=caseworker))
        .exclude(applicant=caseworker)
        .exclude(Exists(refused_by_them))
    )


def _take(application: Application, caseworker) -> Application:
    application.assigned_to = caseworker
    application.claimed_at = timezone.now()
    moved = application_transition(
        application=application,
        to_status=Status.IN_REVIEW,
        actor=caseworker,
        update_fields=("assigned_to", "claimed_at"),
    )
    if moved is None:  # somebody had it in review already: nothing was written
        raise CaseUnavailable(_("This case is no longer waiting to be claimed."))
    return application


@transaction.atomic
def application_claim(*, application: Application, caseworker) -> Application:
    """The caseworker takes one submitted application to review it.

    Raises ``CaseUnavailable`` when it is no longer waiting (another member of
    staff took it first): never two people the same case.
    """
    _ensure_may_handle(application, caseworker)
    locked = _locked(application)
    if locked.status == Status.IN_REVIEW and locked.assigned_to_id == caseworker.pk:
        return locked  # a second click: it is already theirs
    if locked.status not in QUEUE_STATUSES:
        raise CaseUnavailable(_("This case is no longer waiting to be claimed."))
    _ensure_not_the_refuser(locked, caseworker)
    _take(locked, caseworker)
    application.assigned_to_id, application.claimed_at = locked.assigned_to_id, locked.claimed_at
    application.status = locked.status
    return locked


@transaction.atomic
def application_claim_next(*, caseworker) -> Application | None:
    """Gives the caseworker the oldest submitted case of their region nobody has; None when there is none.

    On PostgreSQL the candidate row is locked with ``SKIP LOCKED``, so workers
    claiming at the same moment each get a different case without waiting. On
    SQLite (which serialises writers) a guarded update reserves the case: it
    only succeeds while the case is still unclaimed.
    """
    if not _is_staff(caseworker):
        raise PermissionDenied(_("Only caseworkers and supervisors can claim cases."))
    candidates = claimable_for(caseworker).order_by("submitted_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        application = candidates.select_for_update(skip_locked=True).first()
        return _take(application, caseworker) if application is not None else None
    for pk in candidates.values_list("pk", flat=True)[:20]:
        reserved = (
            Application.objects.filter(pk=pk, status__in=QUEUE_STATUSES)
            .filter(Q(assigned_to__isnull=True) | Q(assigned_to=caseworker))
            .update(assigned_to=caseworker, claimed_at=timezone.now())
        )
        if reserved:
            return _take(Application.objects.get(pk=pk), caseworker)
    return None


@transaction.atomic
def application_release(*, application: Application, caseworker, note: str = "") -> Application:
    """Gives a claimed case back to the queue, unassigned."""
    _ensure_may_handle(application, caseworker)
    locked = _locked(application)
    if locked.status != Status.IN_REVIEW:
        raise CaseUnavailable(_("Only a case in review can be given back to the queue."))
    if locked.assigned_to_id != caseworker.pk and not caseworker.is_supervisor:
        raise PermissionDenied(_("Only the caseworker who took this case, or a supervisor, can give it back."))
    locked.assigned_to = None
    locked.claimed_at = None
    application_transition(
        application=locked,
        to_status=queue_status_for(locked),
        actor=caseworker,
        note=note.strip(),
        update_fields=("assigned_to", "claimed_at"),
    )
    application.status, application.assigned_to, application.claimed_at = locked.status, None, None
    return locked


# --- Looking at a case ---------------------------------------------------------------


def case_view_record(*, application: Application, viewer, request=None, documents: Sequence[Document] = ()) -> None:
    """Opening a case page is recorded: it shows personal data (masked) and previews ``documents``,
    which the one entry lists (the previews write none of their own)."""
    details = {"personal_data": list(CASE_PAGE_PERSONAL_DATA)}
    if documents:
        details["documents"] = [{"id": d.pk, "kind": d.kind, "name": d.original_name} for d in documents]
    audit_record(
        actor=viewer,
        action=AuditEntry.Action.VIEW_CASE,
        application=application,
        details=details,
        request=request,
    )


def queue_view_record(*, viewer, applications: Sequence[Application], request=None) -> None:
    """A queue page shows the applicants' names: one entry for the page, listing whose."""
    if not applications:
        return
    audit_record(
        actor=viewer,
        action=AuditEntry.Action.VIEW_PERSONAL_DATA,
        details={"page": "queue", "fields": ["full_name"], "applications": [a.reference for a in applications]},
        request=request,
    )


def personal_data_reveal(*, application: Application, viewer, field: str, reason: str, request=None) -> str:
    """The full value of a masked field, recorded in the audit trail with the field's name and the reason given."""
    _ensure_staff_of_region(application, viewer)
    if field not in REVEALABLE_FIELDS:
        raise ValidationError(_("This field cannot be revealed."), code="field")
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why you need the full number."), code="reason")
    audit_record(
        actor=viewer,
        action=AuditEntry.Action.VIEW_PERSONAL_DATA,
        application=application,
        details={"field": field, "reason": reason},
        request=request,
    )
    return getattr(application, field)


@transaction.atomic
def case_note_add(*, application: Application, author, text: str, request=None) -> CaseEvent:
    """An internal note on the timeline; the applicant never sees it."""
    _ensure_may_handle(application, author)
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the note."), code="empty")
    event = CaseEvent.objects.create(
        application=application, kind=CaseEvent.Kind.NOTE, actor=author, note=text, internal=True
    )
    details = {"event": event.pk}
    audit_record(actor=author, action=AuditEntry.Action.NOTE, application=application, details=details, request=request)
    return event


# --- Amount and four eyes ------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalAmount:
    """What an approval commits, read from the evaluation kept at submission (never typed in)."""

    value: Decimal | None  # per payment: a month, once, or the loan
    per: str | None
    periods: int
    threshold: Decimal | None

    @property
    def total(self) -> Decimal | None:
        return None if self.value is None else self.value * self.periods

    @property
    def needs_second_approval(self) -> bool:
        return self.total is not None and self.threshold is not None and self.total > self.threshold


def approval_amount(application: Application) -> ApprovalAmount:
    """The amount of the evaluation snapshot and the four-eyes threshold in force on the submission date.

    A monthly subsidy commits its monthly amount times the most months it is
    paid for; that total is what the threshold is compared with.
    """
    snapshot = (application.evaluation or {}).get("amount") or None
    threshold = None
    if application.submitted_on is not None:
        parameters = parameters_in_force(application.submitted_on)
        if FOUR_EYES_PARAMETER in parameters:
            threshold = Decimal(str(parameters.value(FOUR_EYES_PARAMETER)))
    if snapshot is None:
        return ApprovalAmount(value=None, per=None, periods=1, threshold=threshold)
    per = snapshot.get("per")
    periods = int(snapshot.get("max_periods") or 1) if per == "month" else 1
    if per == "month":  # only the months the person has left across their applications
        periods = months_to_schedule(application, periods=periods)
    return ApprovalAmount(value=Decimal(str(snapshot["value"])), per=per, periods=periods, threshold=threshold)


# --- Decisions ------------------------------------------------------------------------


def _decision(actor, application: Application, decision: str, request=None, **details) -> None:
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DECISION,
        application=application,
        details={"decision": decision, **details},
        request=request,
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@transaction.atomic
def application_approve(*, application: Application, caseworker, note: str = "", request=None) -> Application:
    """Approves the case, with the amount of its evaluation snapshot.

    Above the four-eyes threshold the caseworker's approval is the first one
    and the case waits for a supervisor's (``pending_approval``); the
    supervisor's is the second and final one. On the final approval the
    payments are scheduled and the applicant is told.
    """
    actor = caseworker
    locked = _locked(application)
    if locked.status == Status.APPROVED:
        return locked  # approved already (a second click)
    _ensure_may_decide(locked, actor)
    # A once-only grant the person had already, a monthly subsidy with no month left (issue 14, item 5).
    entitlement_lock(application=locked)
    entitlement_check_approval(application=locked)
    if locked.status == Status.INFO_REQUESTED:
        _resume_overdue(locked, actor, request)
    reconsidered = open_reconsideration(locked) is not None
    amount = approval_amount(locked)
    details = {"amount": _money(amount.value), "total": _money(amount.total), "threshold": _money(amount.threshold)}
    note = note.strip()
    if locked.status == Status.PENDING_APPROVAL:
        first = Approval.objects.filter(application=locked, stage=Approval.Stage.FIRST).first()
        if first is not None and first.approver_id == actor.pk:
            raise PermissionDenied(_("The second approval must be given by someone other than the first approver."))
        Approval.objects.create(application=locked, stage=Approval.Stage.SECOND, approver=actor, amount=amount.value)
        _decision(actor, locked, "second_approval", request, **details)
        _approve_finally(locked, actor, amount, note, reconsidered=reconsidered)
    else:
        if locked.status != Status.IN_REVIEW:
            # Only a case in review can be approved: this raises the clear IllegalTransition.
            application_transition(application=locked, to_status=Status.APPROVED, actor=actor)
        Approval.objects.create(application=locked, stage=Approval.Stage.FIRST, approver=actor, amount=amount.value)
        over_budget = _budget_excess(locked, amount, actor)
        if over_budget is not None:
            details["over_budget"] = over_budget.as_details()  # "would exceed the budget": a supervisor decides
        if amount.needs_second_approval or over_budget is not None:
            _decision(actor, locked, "first_approval", request, **details)
            application_transition(application=locked, to_status=Status.PENDING_APPROVAL, actor=actor, note=note)
        else:
            _decision(actor, locked, "approved", request, **details)
            _approve_finally(locked, actor, amount, note, reconsidered=reconsidered)
    application.status = locked.status
    application.amount = locked.amount
    return locked


def _budget_excess(application: Application, amount: ApprovalAmount, actor):
    """A caseworker's approval of a cash subsidy whose instalments would take a year's committed
    amount above that year's budget waits for a supervisor (``applications.budgets``), even below
    the four-eyes threshold. A supervisor's own approval is that supervisor's decision."""
    if actor.is_supervisor or amount.value is None:
        return None
    from applications.budgets.selectors import approval_budget_excess, instalments_of

    today = timezone.localdate()
    instalments = instalments_of(per=amount.per, value=amount.value, periods=amount.periods, approved_on=today)
    return approval_budget_excess(programme=application.programme, instalments=instalments, on=today)


def _approve_finally(
    application: Application, actor, amount: ApprovalAmount, note: str, *, reconsidered: bool = False
) -> None:
    from applications.services.payments import payment_schedule_create

    # The amount is the snapshot's, whatever was stored on the row before.
    application.amount = amount.value
    application_transition(
        application=application, to_status=Status.APPROVED, actor=actor, note=note, update_fields=("amount",)
    )
    if amount.value is not None:
        # Without an amount in the snapshot (a service, a request) there is nothing to pay.
        payment_schedule_create(application=application)
    event = Notification.Event.RECONSIDERATION_APPROVED if reconsidered else Notification.Event.APPROVED
    notify_applicant(application=application, event=event)


@transaction.atomic
def application_return_to_review(*, application: Application, supervisor, note: str, request=None) -> Application:
    """A supervisor sends a case awaiting the second approval back to review; the first approval lapses."""
    note = note.strip()
    if not note:
        raise ValidationError(_("Say why the case goes back to review."), code="note")
    locked = _locked(application)
    _ensure_may_handle(locked, supervisor)
    if not supervisor.is_supervisor:
        raise PermissionDenied(_("Only a supervisor can send a case back to review."))
    if locked.status != Status.PENDING_APPROVAL:
        raise CaseUnavailable(_("Only a case awaiting the second approval can be sent back to review."))
    first = Approval.objects.filter(application=locked, stage=Approval.Stage.FIRST).first()
    _decision(
        supervisor,
        locked,
        "returned_to_review",
        request,
        note=note,
        lapsed_approval={"approver": first.approver_id, "at": first.at.isoformat()} if first else None,
    )
    # The unique (application, stage) row would stop the next first approval; the
    # audit entry above keeps who gave the lapsed one and when.
    Approval.objects.filter(application=locked, stage=Approval.Stage.FIRST).delete()
    application_transition(application=locked, to_status=Status.IN_REVIEW, actor=supervisor, note=note)
    application.status = locked.status
    return locked


def rejection_text(*, reason_codes: Iterable[ReasonCode], free_text: str = "", language: str) -> str:
    """What the applicant reads: the reasons in their language, then the caseworker's own words."""
    lines = [f"- {reason.text(language)}" for reason in reason_codes]
    if free_text.strip():
        lines.append(free_text.strip())
    return "\n".join(lines)


@transaction.atomic
def application_reject(
    *, application: Application, caseworker, reason_codes: Sequence[ReasonCode], free_text: str = "", request=None
) -> Application:
    """Refuses the case for one or more reasons, written to the applicant in their preferred language."""
    actor = caseworker
    reasons = [reason for reason in reason_codes if reason.active]
    if not reasons:
        raise ValidationError(_("Choose at least one reason."), code="reasons")
    locked = _locked(application)
    if locked.status == Status.REJECTED:
        return locked  # refused already (a second click)
    _ensure_may_decide(locked, actor)
    if locked.status == Status.INFO_REQUESTED:
        _resume_overdue(locked, actor, request)
    reconsidered = open_reconsideration(locked) is not None
    language = locked.applicant.preferred_language or settings.LANGUAGE_CODE
    reasons_text = rejection_text(reason_codes=reasons, free_text=free_text, language=language)
    _decision(actor, locked, "rejected", request, reason_codes=[reason.code for reason in reasons], language=language)
    application_transition(application=locked, to_status=Status.REJECTED, actor=actor, note=reasons_text)
    if reconsidered:
        notify_applicant(
            application=locked, event=Notification.Event.RECONSIDERATION_REJECTED, extra={"reasons_text": reasons_text}
        )
    else:
        reconsider_by = reconsideration_window(locked).closes_on
        notify_applicant(
            application=locked,
            event=Notification.Event.REJECTED,
            extra={"reasons_text": reasons_text, "reconsider_by": reconsider_by},
        )
    application.status = locked.status
    return locked


def information_request_text(*, document_kinds: Iterable[str], message: str = "", language: str) -> str:
    """The request as the applicant reads it: the documents by name, then the questions."""
    kinds = list(document_kinds)
    lines = []
    with translation.override(language):
        if kinds:
            lines.append(_("Please upload:"))
            lines += [f"- {Document.Kind(kind).label}" for kind in kinds]
        if message.strip():
            if lines:
                lines.append("")
            lines.append(message.strip())
    return "\n".join(lines)


@transaction.atomic
def application_request_info(
    *,
    application: Application,
    caseworker,
    message: str = "",
    document_kinds: Sequence[str] = (),
    request=None,
) -> Application:
    """Asks the applicant for named documents and/or answers; the case waits for them.

    Each line of ``message`` is one question, which the applicant answers on its
    own. The reply is due ``review.rfi_reply_days`` (in force today) from today.
    """
    actor = caseworker
    document_kinds = list(dict.fromkeys(document_kinds))
    unknown = [kind for kind in document_kinds if kind not in Document.Kind.values]
    if unknown:
        raise ValidationError(_("Unknown document: %(kinds)s.") % {"kinds": ", ".join(unknown)}, code="kind")
    questions = [line.strip() for line in message.splitlines() if line.strip()]
    if not document_kinds and not questions:
        raise ValidationError(_("Choose the documents you need or write your questions."), code="empty")
    locked = _locked(application)
    if locked.status == Status.INFO_REQUESTED:
        return locked  # asked already (a second click): one request, one deadline
    _ensure_may_decide(locked, actor)
    if locked.status != Status.IN_REVIEW:
        # Only a case in review can be asked about: this raises the clear IllegalTransition.
        application_transition(application=locked, to_status=Status.INFO_REQUESTED, actor=actor)
    today = timezone.localdate()
    try:
        reply_due_on = information_reply_due_on(requested_on=today)
    except ParameterNotInForce as exc:
        raise ValidationError(
            _("No reply time for requests (review.rfi_reply_days) is in force. An administrator sets it."),
            code="parameter",
        ) from exc
    language = locked.applicant.preferred_language or settings.LANGUAGE_CODE
    request_text = information_request_text(document_kinds=document_kinds, message=message, language=language)
    information_request = InformationRequest.objects.create(
        application=locked,
        requested_by=actor,
        document_kinds=document_kinds,
        questions=questions,
        reply_due_on=reply_due_on,
    )
    _decision(
        actor,
        locked,
        "info_requested",
        request,
        document_kinds=document_kinds,
        questions=len(questions),
        reply_due_on=reply_due_on.isoformat(),
    )
    application_transition(application=locked, to_status=Status.INFO_REQUESTED, actor=actor, note=request_text)
    notify_applicant(
        application=locked,
        event=Notification.Event.INFO_REQUESTED,
        extra={"request_text": request_text, "information_request": information_request, "reply_due_on": reply_due_on},
    )
    application.status = locked.status
    return locked


def _resume_overdue(application: Application, actor, request=None, note: str = "") -> None:
    """Takes a case whose reply is overdue back into review; before the due date passes, refuses."""
    information_request = open_information_request(application)
    if information_request is not None and not reply_overdue(information_request):
        raise ValidationError(
            _("The applicant has until %(date)s to answer. You can decide after that day.")
            % {"date": date_format(information_request.reply_due_on, "DATE_FORMAT")},
            code="reply_not_due",
        )
    _decision(
        actor,
        application,
        "reply_overdue",
        request,
        reply_due_on=information_request.reply_due_on.isoformat() if information_request else None,
    )
    application_transition(
        application=application,
        to_status=Status.IN_REVIEW,
        actor=actor,
        note=note or _("The reply was due and did not come; the case is decided on what it holds."),
    )


@transaction.atomic
def application_resume_review(*, application: Application, caseworker, note: str = "", request=None) -> Application:
    """After the reply to a request was due, the caseworker takes the case back into review without it."""
    locked = _locked(application)
    if locked.status == Status.IN_REVIEW:
        return locked  # a second click
    _ensure_may_decide(locked, caseworker)
    if locked.status != Status.INFO_REQUESTED:
        raise CaseUnavailable(_("Only a case waiting for the applicant's answer can be taken back into review."))
    _resume_overdue(locked, caseworker, request, note=note.strip())
    application.status = locked.status
    return locked
