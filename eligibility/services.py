"""Writes of the eligibility app: parameter values, proposals of new values, reference
cases, and screenings.

Each service validates, changes and records the change in one transaction
(STYLE.md, "Writes go in services").

Policy administrators change a parameter by a proposal (issue 14, item 2):
``parameter_proposal_create`` checks the value (type, start date from tomorrow to
three years ahead, cross-checks against what would be in force then) and records
it with its policy reference and reason; another administrator approves it
(``parameter_proposal_approve``: nobody approves their own; a change to a
reference case's result must be acknowledged, and becomes what the case expects
from the proposal's start date), which adds the value through
``parameter_value_add``, or rejects it; the proposer may withdraw it. Every
state change goes through ``_proposal_transition`` and its table.
"""

from collections.abc import Mapping
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eligibility import history
from eligibility.cross_checks import value_problems
from eligibility.dates import add_years
from eligibility.engine import evaluate
from eligibility.facts import Facts, parse_facts
from eligibility.models import (
    Parameter,
    ParameterChange,
    ParameterProposal,
    ParameterProposalEvent,
    ParameterValue,
    ReferenceCase,
    ReferenceExpectation,
)
from eligibility.parameter_types import clean_value
from eligibility.reference_cases import (
    Outcome,
    expected_errors,
    expected_on,
    facts_errors,
    later_expectation_changes,
    proposal_reference_changes,
)
from eligibility.results import ProgrammeResult

YEARS_AHEAD = 3  # the latest start date of a new value: three years from today (issue 14, item 2)


def _clean(parameter: Parameter, value: object) -> object:
    try:
        return clean_value(parameter.type, value, code_set=parameter.code_set)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from None


def latest_start(today: date | None = None) -> date:
    """The last day a new value may take effect from: three years after today."""
    return add_years(today or history.today(), YEARS_AHEAD)


def _check_not_too_far(valid_from: date) -> None:
    last = latest_start()
    if valid_from > last:
        message = _("A new value can take effect at most three years ahead, on %(last)s at the latest.") % {
            "last": date_format(last, "DATE_FORMAT")
        }
        raise ValidationError({"valid_from": ValidationError(message, code="too_far")})


def _cross_check(parameter: Parameter, stored: object, valid_from: date) -> None:
    problems = value_problems(parameter=parameter, stored=stored, valid_from=valid_from)
    if problems:
        raise ValidationError({"value": ValidationError(problems, code="cross_check")})


def parameter_value_add(
    *,
    parameter: Parameter,
    valid_from: date,
    value: object,
    acting_user,
    note: str = "",
    origin: str = ParameterChange.Origin.ADMIN,
) -> ParameterValue:
    """Adds a value of ``parameter`` in force from ``valid_from``.

    ``value`` is checked against the parameter's type and range, then against the
    values that would be in force on ``valid_from`` (``eligibility.cross_checks``).
    The date must be after today (Asia/Shanghai) unless the parameter has no value
    yet, and at most three years ahead: what is in force is never rewritten. Raises
    ``ValidationError`` keyed by ``value`` or ``valid_from``.
    """
    stored = _clean(parameter, value)
    _check_not_too_far(valid_from)
    with transaction.atomic():
        _cross_check(parameter, stored, valid_from)
        return history.value_add(
            history.PolicyModels.current(),
            parameter=parameter,
            valid_from=valid_from,
            value=stored,
            acting_user=acting_user,
            note=note,
            origin=origin,
        )


def parameter_value_update(
    *,
    parameter_value: ParameterValue,
    value: object,
    acting_user,
    note: str = "",
    origin: str = ParameterChange.Origin.ADMIN,
) -> ParameterValue:
    """Changes a value that has not taken effect yet."""
    stored = _clean(parameter_value.parameter, value)
    with transaction.atomic():
        return history.value_change(
            history.PolicyModels.current(),
            row=parameter_value,
            value=stored,
            acting_user=acting_user,
            note=note,
            origin=origin,
        )


def parameter_value_delete(*, parameter_value: ParameterValue, acting_user, note: str = "") -> None:
    """Deletes a value that has not taken effect yet; a value in force cannot be deleted."""
    with transaction.atomic():
        history.value_delete(
            history.PolicyModels.current(),
            row=parameter_value,
            acting_user=acting_user,
            note=note,
            origin=ParameterChange.Origin.ADMIN,
        )


def screening_run(*, facts: Facts | Mapping[str, object], as_of: date | None = None) -> list[ProgrammeResult]:
    """Screens a person for every programme on ``as_of`` (default: today in
    Asia/Shanghai). ``facts`` may be raw JSON facts; they are parsed first
    (``FactsInvalid`` when they cannot be read). Stores nothing."""
    if not isinstance(facts, Facts):
        facts = parse_facts(facts)
    return evaluate(facts, as_of or timezone.localdate())


# --- Proposals of new values (issue 14, item 2) -------------------------------------------------------

State = ParameterProposal.State
# The moves a proposal may make; a decided proposal stays as it is.
PROPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    State.PROPOSED: frozenset({State.APPROVED, State.REJECTED, State.WITHDRAWN}),
    State.APPROVED: frozenset(),
    State.REJECTED: frozenset(),
    State.WITHDRAWN: frozenset(),
}


def proposal_date_window(today: date | None = None) -> tuple[date, date]:
    """The first and last day a proposed value may take effect from: tomorrow to three years ahead."""
    today = today or history.today()
    return today + timedelta(days=1), latest_start(today)


def _check_proposal_date(valid_from: date) -> None:
    first, last = proposal_date_window()
    if not first <= valid_from <= last:
        raise ValidationError(
            {
                "valid_from": ValidationError(
                    _(
                        "The start date must be from tomorrow (%(first)s) to three years ahead (%(last)s): values in "
                        "force are never rewritten, and a change further ahead cannot be judged yet."
                    )
                    % {"first": date_format(first, "DATE_FORMAT"), "last": date_format(last, "DATE_FORMAT")},
                    code="date_window",
                )
            }
        )


def _proposal_transition(proposal: ParameterProposal, *, to: str, actor, note: str = "") -> ParameterProposal:
    """Moves ``proposal`` (locked by the caller) to state ``to`` and records the event; nothing
    happens when it is in that state already; a move the table does not allow is refused."""
    if proposal.state == to:
        return proposal
    if to not in PROPOSAL_TRANSITIONS[proposal.state]:
        raise ValidationError(
            _("This proposal is %(state)s already; it cannot be changed any more.")
            % {"state": proposal.get_state_display()},
            code="decided",
        )
    ParameterProposalEvent.objects.create(
        proposal=proposal, state_from=proposal.state, state_to=to, actor=actor, note=note
    )
    proposal.state = to
    if to != State.PROPOSED:
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.decision_note = note
    proposal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return proposal


def parameter_proposal_create(
    *,
    parameter: Parameter,
    valid_from: date,
    value: object,
    reference_document: str,
    reference_clause: str = "",
    reason: str,
    acting_user,
    origin: str = ParameterProposal.Origin.CONSOLE,
) -> ParameterProposal:
    """Proposes ``value`` for ``parameter`` from ``valid_from``, with the policy reference
    (document and clause) and the reason.

    Refused (``ValidationError`` keyed by the field at fault) when the value does not fit
    the parameter's type, contradicts what would be in force then (``cross_checks``), the
    date is not from tomorrow to three years ahead, the reference or the reason is empty,
    or another proposal for the same date awaits approval. ``acting_user`` may be None for
    a policy file imported by the system.
    """
    if acting_user is not None and not acting_user.has_perm("eligibility.add_parameterproposal"):
        raise PermissionDenied
    stored = _clean(parameter, value)
    _check_proposal_date(valid_from)
    reference_document = (reference_document or "").strip()
    reason = (reason or "").strip()
    if not reference_document:
        raise ValidationError(
            {
                "reference_document": ValidationError(
                    _("Name the policy document the new value rests on."), code="reference"
                )
            }
        )
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Say why the value changes."), code="reason")})
    with transaction.atomic():
        Parameter.objects.select_for_update().filter(pk=parameter.pk).first()  # one proposer per parameter at a time
        waiting = ParameterProposal.objects.filter(parameter=parameter, valid_from=valid_from, state=State.PROPOSED)
        other = waiting.select_related("proposed_by").first()
        if other is not None:
            message = _(
                "Another proposal for %(date)s awaits approval (%(value)s, proposed by %(who)s): it must be "
                "decided first, or choose another date."
            ) % {
                "date": date_format(valid_from, "DATE_FORMAT"),
                "value": other.display,
                "who": other.proposed_by or _("a policy file import"),
            }
            raise ValidationError({"valid_from": ValidationError(message, code="pending")})
        _cross_check(parameter, stored, valid_from)
        proposal = ParameterProposal.objects.create(
            parameter=parameter,
            valid_from=valid_from,
            value=stored,
            reference_document=reference_document,
            reference_clause=(reference_clause or "").strip(),
            reason=reason,
            origin=origin,
            proposed_by=acting_user,
        )
        ParameterProposalEvent.objects.create(proposal=proposal, state_to=State.PROPOSED, actor=acting_user)
    return proposal


def _cases_in_use():
    return ReferenceCase.objects.filter(active=True).prefetch_related("expectations")


def proposal_reference_changes_for(proposal: ParameterProposal, cases=None):
    """The results of active reference cases that the proposal would change (``reference_cases``)."""
    return proposal_reference_changes(
        _cases_in_use() if cases is None else cases,
        parameter_key=proposal.parameter.key,
        stored=proposal.value,
        valid_from=proposal.valid_from,
    )


def _next_value_date(proposal: ParameterProposal) -> date | None:
    return (
        ParameterValue.objects.filter(parameter=proposal.parameter, valid_from__gt=proposal.valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )


def _expectations_follow(proposal: ParameterProposal, changes, later, acting_user) -> int:
    """What the reference cases expect after ``proposal`` is approved: each acknowledged change
    from its start date (the expectation before it stays), and each later dated expectation the
    proposal changes too (``later_expectation_changes``). Returns how many were written."""
    written = 0
    for change in changes:
        if change.after is None or change.after == expected_on(change.case, proposal.valid_from).get(change.programme):
            continue
        ReferenceExpectation.objects.update_or_create(
            case=change.case,
            programme=change.programme,
            valid_from=proposal.valid_from,
            defaults={
                "status": change.after.status,
                "amount": change.after.amount,
                "proposal": proposal,
                "set_by": acting_user,
            },
        )
        written += 1
    for row, outcome in later:
        row.status, row.amount, row.proposal, row.set_by = outcome.status, outcome.amount, proposal, acting_user
        row.save(update_fields=["status", "amount", "proposal", "set_by", "created_at"])
        written += 1
    return written


def _is_own(proposal: ParameterProposal, user) -> bool:
    return proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk


def parameter_proposal_approve(
    *,
    proposal: ParameterProposal,
    acting_user,
    reference_changes_acknowledged: bool = False,
    note: str = "",
    request=None,
) -> ParameterProposal:
    """Approves ``proposal`` and adds its value (``parameter_value_add``; or changes the value
    not yet in force on the same date), all in one transaction with the audit entry.

    Refused when ``acting_user`` proposed it (another policy administrator approves), when it
    was decided already, when its start date is no longer after today, when the value now
    contradicts what is in force (values may have changed since it was proposed), or when it
    changes the result of a reference case and ``reference_changes_acknowledged`` is false.
    """
    if not acting_user.has_perm("eligibility.approve_parameterproposal"):
        raise PermissionDenied
    with transaction.atomic():
        proposal = ParameterProposal.objects.select_for_update().select_related("parameter").get(pk=proposal.pk)
        if proposal.state == State.APPROVED:
            return proposal
        if _is_own(proposal, acting_user):
            raise ValidationError(
                _("You proposed this change yourself: another policy administrator must approve it."), code="own"
            )
        if proposal.state != State.PROPOSED:
            _proposal_transition(proposal, to=State.APPROVED, actor=acting_user)  # refused: decided already
        if proposal.valid_from <= history.today():
            raise ValidationError(
                _(
                    "The start date %(date)s is no longer after today: the value cannot take effect as proposed. "
                    "Reject it and propose it again with a later date."
                )
                % {"date": date_format(proposal.valid_from, "DATE_FORMAT")},
                code="late",
            )
        parameter = proposal.parameter
        cases = list(_cases_in_use())
        changes = proposal_reference_changes_for(proposal, cases)
        if changes and not reference_changes_acknowledged:
            raise ValidationError(
                {
                    "reference_changes_acknowledged": ValidationError(
                        _("This change alters %(count)s results of reference cases: confirm that you have read them.")
                        % {"count": len(changes)},
                        code="acknowledge",
                    )
                }
            )
        later = later_expectation_changes(
            cases,
            parameter_key=parameter.key,
            stored=proposal.value,
            valid_from=proposal.valid_from,
            until=_next_value_date(proposal),
        )
        value_note = _("Proposal %(number)s: %(reason)s") % {"number": proposal.pk, "reason": proposal.reason}
        existing = ParameterValue.objects.filter(parameter=parameter, valid_from=proposal.valid_from).first()
        if existing is not None:  # a value not yet in force on the same date: the proposal replaces it
            _cross_check(parameter, proposal.value, proposal.valid_from)
            row = parameter_value_update(
                parameter_value=existing,
                value=proposal.value,
                acting_user=acting_user,
                note=value_note,
                origin=ParameterChange.Origin.PROPOSAL,
            )
        else:
            row = parameter_value_add(
                parameter=parameter,
                valid_from=proposal.valid_from,
                value=proposal.value,
                acting_user=acting_user,
                note=value_note,
                origin=ParameterChange.Origin.PROPOSAL,
            )
        proposal.applied_value = row
        proposal.reference_changes_acknowledged = bool(changes)
        proposal.save(update_fields=["applied_value", "reference_changes_acknowledged"])
        expectations = _expectations_follow(proposal, changes, later, acting_user)
        _proposal_transition(proposal, to=State.APPROVED, actor=acting_user, note=(note or "").strip())
        _audit(proposal, acting_user, request, reference_changes=len(changes), expectations=expectations)
    return proposal


def _audit(proposal: ParameterProposal, acting_user, request, *, reference_changes: int, expectations: int) -> None:
    from applications.models import AuditEntry
    from applications.services.audit import audit_record

    audit_record(
        actor=acting_user,
        action=AuditEntry.Action.PARAMETER,
        details={
            "key": proposal.parameter.key,
            "proposal": proposal.pk,
            "value": proposal.value,
            "valid_from": proposal.valid_from.isoformat(),
            "proposed_by": proposal.proposed_by_id,
            "reference": {"document": proposal.reference_document, "clause": proposal.reference_clause},
            "reason": proposal.reason,
            "reference_case_changes": reference_changes,
            "reference_expectations_updated": expectations,
        },
        request=request,
    )


def parameter_proposal_reject(*, proposal: ParameterProposal, acting_user, note: str) -> ParameterProposal:
    """Rejects ``proposal`` with the reason (another policy administrator; the proposer withdraws instead)."""
    if not acting_user.has_perm("eligibility.approve_parameterproposal"):
        raise PermissionDenied
    note = (note or "").strip()
    with transaction.atomic():
        proposal = ParameterProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state == State.REJECTED:
            return proposal
        if _is_own(proposal, acting_user) and proposal.state == State.PROPOSED:
            raise ValidationError(
                _("You proposed this change yourself: withdraw it instead of rejecting it."), code="own"
            )
        if not note and proposal.state == State.PROPOSED:
            raise ValidationError({"note": ValidationError(_("Say why the proposal is rejected."), code="note")})
        return _proposal_transition(proposal, to=State.REJECTED, actor=acting_user, note=note)


def parameter_proposal_withdraw(*, proposal: ParameterProposal, acting_user, note: str = "") -> ParameterProposal:
    """The proposer takes back a proposal that awaits approval."""
    with transaction.atomic():
        proposal = ParameterProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state == State.WITHDRAWN:
            return proposal
        if not _is_own(proposal, acting_user) and proposal.state == State.PROPOSED:
            raise ValidationError(_("Only the person who proposed a change can withdraw it."), code="not_own")
        return _proposal_transition(proposal, to=State.WITHDRAWN, actor=acting_user, note=(note or "").strip())


# --- Reference cases (issue 14, item 3) -------------------------------------------------------------


def reference_case_save(
    *,
    case: ReferenceCase | None = None,
    name_zh: str,
    name_en: str,
    facts: object,
    expected: object,
    active: bool = True,
    acting_user,
) -> ReferenceCase:
    """Creates a reference case (``case`` None) or changes one. Raises ``ValidationError``
    keyed by the field at fault: empty names, facts that cannot be read, expected results
    that name no programme of the portal or no status.

    ``expected`` is what the case expects from today on: where it differs from what the case
    expects today through a dated expectation (an approved proposal's), the correction is a
    dated expectation from today, so that what was expected before stays in the history;
    dated expectations after today stay as they are."""
    if not acting_user.has_perm("eligibility.change_referencecase" if case else "eligibility.add_referencecase"):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not name_zh:
        errors["name_zh"] = [_("Give the case a name in Chinese.")]
    if not name_en:
        errors["name_en"] = [_("Give the case a name in English.")]
    fact_problems = facts_errors(facts)
    if fact_problems:
        errors["facts"] = [f"{name}: {' '.join(messages)}" for name, messages in fact_problems.items()]
    expected_problems = expected_errors(expected)
    if expected_problems:
        errors["expected"] = expected_problems
    same_name = ReferenceCase.objects.filter(name_zh=name_zh)
    if case is not None:
        same_name = same_name.exclude(pk=case.pk)
    if name_zh and same_name.exists():
        errors["name_zh"] = [_("Another reference case has this name.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if case is None:
            case = ReferenceCase(name_zh=name_zh)
        case.name_zh, case.name_en, case.facts, case.expected = name_zh, name_en, facts, expected
        case.active = active
        case.updated_by = acting_user
        case.save()
        today = history.today()
        expected_today = expected_on(case, today)
        for slug, entry in expected.items():
            wanted = Outcome.expected(entry)
            if expected_today.get(slug) != wanted:
                ReferenceExpectation.objects.update_or_create(
                    case=case,
                    programme=slug,
                    valid_from=today,
                    defaults={
                        "status": wanted.status,
                        "amount": wanted.amount,
                        "proposal": None,
                        "set_by": acting_user,
                    },
                )
    return case


def reference_case_delete(*, case: ReferenceCase, acting_user) -> None:
    if not acting_user.has_perm("eligibility.delete_referencecase"):
        raise PermissionDenied
    case.delete()
