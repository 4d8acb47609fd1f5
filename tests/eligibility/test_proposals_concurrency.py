"""Proposals under real concurrency on PostgreSQL: threads with their own connections."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import AuditEntry
from eligibility import services
from eligibility.models import Parameter, ParameterProposal, ParameterProposalEvent, ParameterValue
from tests.applications.test_claim_concurrency import run_together
from tests.factories import PolicyAdminFactory

ADMINS = 5


def _admins(count: int):
    admins = [PolicyAdminFactory() for _ in range(count)]
    for admin in admins:
        assert admin.has_perm("eligibility.approve_parameterproposal")  # permissions read before the threads
    return admins


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_proposal_approved_by_several_admins_at_once_adds_one_value():
    proposer, *approvers = _admins(ADMINS + 1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    proposal = services.parameter_proposal_create(
        parameter=Parameter.objects.get(key="si.subsidy_rate"),
        valid_from=tomorrow,
        value="0.60",
        reference_document="000_68a1fcf5d1ed1785.txt",
        reference_clause="Seventh",
        reason="2027 budget",
        acting_user=proposer,
    )

    def approve(admin):
        services.parameter_proposal_approve(proposal=proposal, acting_user=admin, reference_changes_acknowledged=True)

    errors = run_together(approvers, approve)

    assert errors == []
    assert ParameterValue.objects.filter(parameter__key="si.subsidy_rate", valid_from=tomorrow).count() == 1
    assert ParameterProposalEvent.objects.filter(proposal=proposal, state_to="approved").count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PARAMETER).count() == 1
    proposal.refresh_from_db()
    assert proposal.state == "approved" and proposal.decided_by in approvers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admins_proposing_the_same_date_at_once_leave_one_proposal_waiting():
    admins = _admins(ADMINS)
    tomorrow = timezone.localdate() + timedelta(days=1)
    months = Parameter.objects.get(key="si.max_months")

    def propose(admin):
        services.parameter_proposal_create(
            parameter=months,
            valid_from=tomorrow,
            value=str(25 + admins.index(admin)),
            reference_document="local setting",
            reason="budget",
            acting_user=admin,
        )

    errors = run_together(admins, propose)

    assert ParameterProposal.objects.filter(parameter=months, valid_from=tomorrow, state="proposed").count() == 1
    assert len(errors) == ADMINS - 1, errors
    assert all(isinstance(error, ValidationError) for error in errors), errors
    assert all(error.error_dict["valid_from"][0].code == "pending" for error in errors)  # "another proposal awaits"
