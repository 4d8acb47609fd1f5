"""Reads for the staff pages: the queue of a region and one case with what a caseworker checks.

Staff see the applications of their own region only, and never drafts; a case
of another region answers 404, as if it did not exist.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import BooleanField, Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from applications.budgets.selectors import over_budget_annotation
from applications.models import (
    DUPLICATE_FILE_PROBLEM,
    IN_PROGRESS_STATUSES,
    Application,
    Approval,
    CaseEvent,
    Document,
    InformationRequest,
    Reconsideration,
    Status,
)
from applications.staff.labels import criterion_label
from eligibility.facts import code_label
from eligibility.models import Parameter
from eligibility.parameter_types import ParameterUnit
from eligibility.results import Status as EligibilityStatus
from eligibility.wording import is_chinese

# What staff see: everything that was sent.
STAFF_STATUSES = [status for status in Status if status != Status.DRAFT]
# A decision is still to be made: the service level clock may run out.
UNDECIDED_STATUSES = (
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.INFO_REQUESTED,
    Status.PENDING_APPROVAL,
    Status.RECONSIDERATION,
)
# What the queue lists by default, the cases still being worked on (a referral stays: its outcome is
# to come); finished ones on request. Named, not "all but", so that the partial indexes serve the page.
LISTED_STATUSES = IN_PROGRESS_STATUSES
# The columns a queue row does not show (the facts, the evaluation, the encrypted personal data).
QUEUE_ROW_DEFERRED = (
    "facts",
    "evaluation",
    "screening_facts",
    "programme_details",
    "completed_steps",
    "id_number",
    "mobile",
    "address",
    "bank_account",
)


def is_staff_member(person) -> bool:
    return bool(person.is_authenticated and (person.is_caseworker or person.is_supervisor) and person.region)


def _overdue(today: date) -> Case:
    clock_ran_out = Q(sla_due_on__lt=today, sla_paused_on__isnull=True)
    flagged = Q(overdue_flagged_at__isnull=False)
    return Case(
        When(Q(status__in=UNDECIDED_STATUSES) & (flagged | clock_ran_out), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def staff_queue(*, user, today: date | None = None) -> QuerySet[Application]:
    """The sent applications of ``user``'s region, each with its flags as annotations.

    The flags are subqueries of the one query that reads the page, so a page
    costs the same number of queries whatever its length.
    """
    if not is_staff_member(user):
        return Application.objects.none()
    today = today or timezone.localdate()
    return (
        Application.objects.filter(region=user.region)
        .exclude(status=Status.DRAFT)
        .select_related("programme", "assigned_to")
        .annotate(
            # Kept on the row by applications.case_flags, so that a filter by one is an index look-up.
            flag_duplicate_identity=F("same_identity_elsewhere"),
            flag_duplicate_file=F("same_file_elsewhere"),
            flag_document_problem=F("document_check_problem"),
            flag_overdue=_overdue(today),
            # Marked "reconsideration" in the queue until it is decided again.
            flag_reconsideration=Exists(Reconsideration.objects.filter(application=OuterRef("pk"), outcome="")),
            # Waiting for a supervisor because the approval would exceed the budget (applications.budgets).
            flag_over_budget=over_budget_annotation(),
        )
    )


def case_for_staff(*, user, reference: str) -> Application:
    """One sent application of ``user``'s region with everything its page shows; 404 otherwise."""
    if not is_staff_member(user):
        raise Http404
    return get_object_or_404(
        Application.objects.exclude(status=Status.DRAFT)
        .select_related("programme", "applicant", "assigned_to")
        .prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("uploaded_at", "id")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("approvals", queryset=Approval.objects.select_related("approver").order_by("stage")),
            Prefetch(
                "reconsiderations",
                queryset=Reconsideration.objects.select_related("rejected_by", "decided_by"),
            ),
            Prefetch("information_requests", queryset=InformationRequest.objects.select_related("requested_by")),
        ),
        reference=reference,
        region=user.region,
    )


# --- Duplicates -------------------------------------------------------------------------


@dataclass(frozen=True)
class OtherCase:
    reference: str
    status: str
    region: str
    linkable: bool  # in the viewer's region: staff can open it

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass
class Duplicates:
    same_identity: list[OtherCase] = field(default_factory=list)
    # (document, other cases holding the same file)
    same_file: list[tuple[Document, list[OtherCase]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.same_identity or self.same_file)


def case_duplicates(*, application: Application, viewer) -> Duplicates:
    """Other people's cases with the same identity number or the same file as this one. Two queries."""
    same_identity = [
        OtherCase(reference, status, region, region == viewer.region)
        for reference, status, region in Application.objects.filter(id_number_hash=application.id_number_hash)
        .exclude(applicant_id=application.applicant_id)
        .exclude(status=Status.DRAFT)
        .exclude(id_number_hash="")
        .order_by("submitted_at")
        .values_list("reference", "status", "region")
    ]
    flagged = [
        document
        for document in application.documents.all()
        if DUPLICATE_FILE_PROBLEM in (document.check_results or {}).get("problems", [])
    ]
    references = {ref for document in flagged for ref in document.check_results.get("duplicate_of", []) if ref}
    known = {
        reference: OtherCase(reference, status, region, region == viewer.region)
        for reference, status, region in Application.objects.filter(reference__in=references)
        .exclude(status=Status.DRAFT)
        .values_list("reference", "status", "region")
    }
    same_file = [
        (document, [known[ref] for ref in document.check_results.get("duplicate_of", []) if ref in known])
        for document in flagged
    ]
    return Duplicates(same_identity=same_identity, same_file=same_file)


# --- The evaluation then and now ------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    kind: str  # outcome, amount, criterion, parameter
    label: str
    stored: object
    rerun: object

    @property
    def differs(self) -> bool:
        return self.stored != self.rerun


@dataclass
class EvaluationComparison:
    as_of: date | None
    rows: list[ComparisonRow] = field(default_factory=list)
    error: str = ""

    @property
    def differences(self) -> int:
        return sum(1 for row in self.rows if row.differs)


def _criterion(criterion: dict | None) -> dict | None:
    """A criterion's result and its explanation in the reader's language."""
    if not criterion:
        return None
    explanation = criterion.get("explanation_zh" if is_chinese() else "explanation_en", "")
    return {"passed": criterion.get("passed"), "explanation": explanation}


def _parameter_value(parameter: dict | None) -> str | None:
    """A parameter's value in words: codes by their labels, with the unit."""
    if not parameter:
        return None
    value = parameter.get("value")
    if isinstance(value, list):
        separator = "、" if is_chinese() else ", "
        return separator.join(code_label(str(item)) for item in value)
    unit = parameter.get("unit") or ""
    if unit in ParameterUnit.values and unit:
        return f"{value} {ParameterUnit(unit).label}"
    return str(value)


def _parameter_labels(keys) -> dict[str, str]:
    """The description of each parameter in the reader's language (one query); the key is never shown."""
    return {parameter.key: parameter.description for parameter in Parameter.objects.filter(key__in=list(keys))}


def outcome_label(status: str | None) -> str:
    """An eligibility status in the reader's language; an unknown one as it was stored."""
    if not status:
        return ""
    try:
        return str(EligibilityStatus(status).label)
    except ValueError:
        return status


def evaluation_comparison(*, application: Application) -> EvaluationComparison:
    """The evaluation kept at submission beside the engine's answer now, with the parameters in force on
    the submission date. They differ when the facts, the rules or a back-dated parameter value changed."""
    from applications.services.intake import application_evaluate, evaluation_snapshot

    stored = application.evaluation or {}
    as_of = application.submitted_on
    comparison = EvaluationComparison(as_of=as_of)
    if as_of is None:
        return comparison
    try:
        rerun = evaluation_snapshot(application_evaluate(application=application, as_of=as_of), as_of)
    except Exception as exc:  # facts the current engine refuses: show it, the page still works
        comparison.error = str(exc)
        rerun = {}
    comparison.rows.append(
        ComparisonRow("outcome", "", outcome_label(stored.get("status")), outcome_label(rerun.get("status")))
    )
    comparison.rows.append(ComparisonRow("amount", "", stored.get("amount"), rerun.get("amount")))
    stored_criteria = {c["id"]: c for c in stored.get("criteria", [])}
    rerun_criteria = {c["id"]: c for c in rerun.get("criteria", [])}
    for criterion_id in dict.fromkeys([*stored_criteria, *rerun_criteria]):
        comparison.rows.append(
            ComparisonRow(
                "criterion",
                criterion_label(criterion_id),
                _criterion(stored_criteria.get(criterion_id)),
                _criterion(rerun_criteria.get(criterion_id)),
            )
        )
    stored_parameters = stored.get("parameters", {})
    rerun_parameters = rerun.get("parameters", {})
    keys = sorted({*stored_parameters, *rerun_parameters})
    labels = _parameter_labels(keys)
    for key in keys:
        comparison.rows.append(
            ComparisonRow(
                "parameter",
                labels.get(key, ""),
                _parameter_value(stored_parameters.get(key)),
                _parameter_value(rerun_parameters.get(key)),
            )
        )
    return comparison
