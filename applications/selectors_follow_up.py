"""Reads about what follows a request or a decision: open requests for information, reconsideration.

Catalogue section 3: ``review.rfi_reply_days`` (days to answer a request, in
force on the request date) and ``review.appeal_window_days`` (days after a
refusal to ask for reconsideration, in force on the refusal date).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from applications.models import Application, InformationRequest, ReasonCode, Reconsideration, Status
from applications.selectors_staff import ComparisonRow, outcome_label
from applications.staff.labels import criterion_label
from eligibility.parameter_cache import parameters_in_force
from eligibility.wording import is_chinese

APPEAL_WINDOW_PARAMETER = "review.appeal_window_days"
RFI_REPLY_PARAMETER = "review.rfi_reply_days"
# The applicant is reminded this many days before the reply is due.
REMINDER_DAYS_BEFORE = 3


def open_information_request(application: Application) -> InformationRequest | None:
    """The request the applicant is to answer now; None when there is none (or it predates the record)."""
    if application.status != Status.INFO_REQUESTED:
        return None
    # ``all()`` uses the rows prefetched by the case pages; otherwise one query.
    requests = [request for request in application.information_requests.all() if request.is_open]
    return requests[-1] if requests else None


def open_reconsideration(application: Application) -> Reconsideration | None:
    """The reconsideration being looked at; None when the case is not in one."""
    return next((r for r in application.reconsiderations.all() if r.is_open), None)


def reply_overdue(information_request: InformationRequest, *, today: date | None = None) -> bool:
    """The reply was due before ``today``: staff may go on without it (on the due date itself, not yet)."""
    return (today or timezone.localdate()) > information_request.reply_due_on


def information_reply_due_on(*, requested_on: date) -> date:
    """The last day to answer a request made on ``requested_on``. Raises ``ParameterNotInForce``."""
    days = parameters_in_force(requested_on).value(RFI_REPLY_PARAMETER)
    return requested_on + timedelta(days=int(days))


def information_requests_due_reminder(*, today: date) -> QuerySet[InformationRequest]:
    """Open requests whose reply is due within ``REMINDER_DAYS_BEFORE`` days and not yet reminded of."""
    return InformationRequest.objects.filter(
        application__status=Status.INFO_REQUESTED,
        answered_at__isnull=True,
        lapsed_at__isnull=True,
        reminder_sent_at__isnull=True,
        reply_due_on__gte=today,
        reply_due_on__lte=today + timedelta(days=REMINDER_DAYS_BEFORE),
    )


@dataclass(frozen=True)
class ReconsiderationWindow:
    """Whether the applicant may ask for reconsideration now, and if not, why."""

    available: bool
    closes_on: date | None = None  # the last day to ask
    # "" when available; otherwise "not_refused", "closed" (the time ran out) or "used" (asked once already)
    reason: str = ""


def reconsideration_window(application: Application, *, today: date | None = None) -> ReconsiderationWindow:
    """Within ``review.appeal_window_days`` of the refusal, counting the refusal date as day 0.

    Refused on 1 March with 60 days: asking on 30 April (day 60) is in time, on 1 May it is not.
    """
    if application.status != Status.REJECTED or application.decided_at is None:
        return ReconsiderationWindow(available=False, reason="not_refused")
    refused_on = timezone.localdate(application.decided_at)
    parameters = parameters_in_force(refused_on)
    if APPEAL_WINDOW_PARAMETER not in parameters:
        return ReconsiderationWindow(available=False, reason="not_set_up")
    closes_on = refused_on + timedelta(days=int(parameters.value(APPEAL_WINDOW_PARAMETER)))
    if list(application.reconsiderations.all()):
        return ReconsiderationWindow(available=False, closes_on=closes_on, reason="used")
    if (today or timezone.localdate()) > closes_on:
        return ReconsiderationWindow(available=False, closes_on=closes_on, reason="closed")
    return ReconsiderationWindow(available=True, closes_on=closes_on)


# --- The staff case page -------------------------------------------------------------------


def _criterion_view(criterion: dict | None) -> dict | None:
    if not criterion:
        return None
    explanation = criterion.get("explanation_zh" if is_chinese() else "explanation_en", "")
    return {"passed": criterion.get("passed"), "explanation": explanation}


def reconsideration_comparison(reconsideration: Reconsideration) -> list[ComparisonRow]:
    """The evaluation kept at the refusal beside the one run when reconsideration was asked for."""
    then = reconsideration.rejection_evaluation or {}
    now = reconsideration.evaluation or {}
    rows = [
        ComparisonRow("outcome", "", outcome_label(then.get("status")), outcome_label(now.get("status"))),
        ComparisonRow("amount", "", then.get("amount"), now.get("amount")),
    ]
    then_criteria = {c["id"]: c for c in then.get("criteria", [])}
    now_criteria = {c["id"]: c for c in now.get("criteria", [])}
    for criterion_id in dict.fromkeys([*then_criteria, *now_criteria]):
        rows.append(
            ComparisonRow(
                "criterion",
                criterion_label(criterion_id),
                _criterion_view(then_criteria.get(criterion_id)),
                _criterion_view(now_criteria.get(criterion_id)),
            )
        )
    return rows


def reason_texts(codes: list[str]) -> list[str]:
    """The reasons of a refusal in the reader's language, in the order chosen (one query)."""
    by_code = {reason.code: reason for reason in ReasonCode.objects.filter(code__in=codes)}
    language = "zh" if is_chinese() else "en"
    return [by_code[code].text(language) if code in by_code else code for code in codes]
