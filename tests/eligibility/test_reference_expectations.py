"""Reference cases after an approval (issue 14, item 3): a change that was acknowledged is what the
cases expect from the proposal's start date, the earlier expectation stays before it, and the next
proposal's diff compares against it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import AuditEntry
from eligibility import services
from eligibility.models import Parameter, ReferenceCase, ReferenceExpectation
from eligibility.reference_cases import Outcome, expected_on, reference_case_checks
from tests.factories import PolicyAdminFactory

pytestmark = pytest.mark.django_db

SI = "flexible-si-subsidy"
GRADUATE = "Graduate: the last day of the 24 months after graduating"
# The four cases whose social insurance subsidy a new rate or contribution changes.
SI_CASES = {
    GRADUATE,
    "Person with employment difficulties working through a platform, insured for medical care",
    "Turns 16 on the day",
    "The day before reaching the retirement age",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def admins():
    return PolicyAdminFactory(username="a@policy.test"), PolicyAdminFactory(username="b@policy.test")


def in_days(days: int):
    return timezone.localdate() + timedelta(days=days)


def approved(key: str, value: str, valid_from, admins, **acknowledged):
    proposer, approver = admins
    proposal = services.parameter_proposal_create(
        parameter=Parameter.objects.get(key=key),
        valid_from=valid_from,
        value=value,
        reference_document="000_68a1fcf5d1ed1785.txt",
        reference_clause="Seventh",
        reason="2027 budget",
        acting_user=proposer,
    )
    return services.parameter_proposal_approve(
        proposal=proposal, acting_user=approver, reference_changes_acknowledged=True, **acknowledged
    )


def wrong_on(day) -> list[tuple[str, str, Outcome, Outcome]]:
    cases = ReferenceCase.objects.prefetch_related("expectations")
    return [
        (check.case.name_en, slug, expected, found)
        for check in reference_case_checks(cases, day)
        for slug, expected, found in check.rows
        if found != expected
    ]


def si_expected(name: str, day) -> Outcome:
    return expected_on(ReferenceCase.objects.get(name_en=name), day)[SI]


def test_an_acknowledged_change_is_expected_from_the_start_date_and_not_before(admins):
    start = in_days(10)
    proposal = approved("si.subsidy_rate", "0.60", start, admins)
    rows = ReferenceExpectation.objects.filter(proposal=proposal)
    assert {row.case.name_en for row in rows} == SI_CASES
    assert {(row.programme, row.valid_from, row.status, row.amount, row.set_by) for row in rows} == {
        (SI, start, "eligible", Decimal("600.00"), admins[1])
    }
    assert si_expected(GRADUATE, start - timedelta(days=1)) == Outcome("eligible", Decimal("500.00"))
    assert si_expected(GRADUATE, start) == Outcome("eligible", Decimal("600.00"))
    # The case's own expectation is kept as it was: it still holds before the date.
    assert ReferenceCase.objects.get(name_en=GRADUATE).expected[SI] == {"status": "eligible", "amount": "500.00"}
    # Screened on either side of the date, every case gives what it expects.
    assert wrong_on(start - timedelta(days=1)) == []
    assert wrong_on(start) == []
    assert wrong_on(start + timedelta(days=200)) == []
    assert AuditEntry.objects.get(action=AuditEntry.Action.PARAMETER).details["reference_expectations_updated"] == 4


def test_the_next_proposal_compares_against_what_was_acknowledged(admins):
    start = in_days(10)
    approved("si.subsidy_rate", "0.60", start, admins)
    proposer, _approver = admins
    later = services.parameter_proposal_create(
        parameter=Parameter.objects.get(key="si.min_monthly_contribution"),
        valid_from=start + timedelta(days=5),
        value="1200.00",
        reference_document="local setting",
        reason="new contribution base",
        acting_user=proposer,
    )
    changes = services.proposal_reference_changes_for(later)
    assert {change.case.name_en for change in changes} == SI_CASES
    change = next(change for change in changes if change.case.name_en == GRADUATE)
    assert change.expected == change.before == Outcome("eligible", Decimal("600.00"))
    assert change.was_as_expected
    assert change.after == Outcome("eligible", Decimal("720.00"))


def test_an_earlier_change_is_carried_into_a_later_expectation_it_alters(admins):
    rate_from, contribution_from = in_days(20), in_days(10)
    approved("si.subsidy_rate", "0.60", rate_from, admins)
    # Then the contribution rises from an earlier day: 50% × 1200 before the new rate, 60% × 1200 after it.
    approved("si.min_monthly_contribution", "1200.00", contribution_from, admins)
    assert si_expected(GRADUATE, contribution_from - timedelta(days=1)) == Outcome("eligible", Decimal("500.00"))
    assert si_expected(GRADUATE, contribution_from) == Outcome("eligible", Decimal("600.00"))
    assert si_expected(GRADUATE, rate_from) == Outcome("eligible", Decimal("720.00"))
    for day in (contribution_from - timedelta(days=1), contribution_from, rate_from - timedelta(days=1), rate_from):
        assert wrong_on(day) == []


def test_a_later_expectation_past_the_parameters_next_value_is_left_alone(admins):
    approved("si.subsidy_rate", "0.60", in_days(20), admins)
    # The rate becomes 0.70 from day 15: the 0.60 of day 20 replaces it then, and its expectation stays.
    approved("si.subsidy_rate", "0.70", in_days(15), admins)
    assert si_expected(GRADUATE, in_days(15)) == Outcome("eligible", Decimal("700.00"))
    assert si_expected(GRADUATE, in_days(20)) == Outcome("eligible", Decimal("600.00"))
    assert wrong_on(in_days(15)) == [] and wrong_on(in_days(20)) == []


def test_an_approval_that_changes_no_case_writes_no_expectation(admins):
    approved("review.sla_working_days", "20", in_days(3), admins)
    assert not ReferenceExpectation.objects.exists()


def test_a_case_out_of_use_keeps_what_it_expected(admins):
    ReferenceCase.objects.filter(name_en=GRADUATE).update(active=False)
    approved("si.subsidy_rate", "0.60", in_days(10), admins)
    assert not ReferenceExpectation.objects.filter(case__name_en=GRADUATE).exists()
    assert ReferenceExpectation.objects.count() == 3


def test_the_case_page_shows_the_expectation_to_come_and_the_form_what_is_expected_today(client, admins):
    start = in_days(10)
    proposal = approved("si.subsidy_rate", "0.60", start, admins)
    case = ReferenceCase.objects.get(name_en=GRADUATE)
    client.force_login(admins[0])
    client.cookies["linghuo_language"] = "en"
    page = client.get(reverse("policy:reference_case", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="reference-expectations"' in html
    assert reverse("policy:proposal", args=[proposal.pk]) in html and "to come" in html
    assert page.context["form"].initial[f"amount_{SI}"] == Decimal("500.00")  # today, before the date


def test_a_correction_by_an_administrator_applies_from_today_and_keeps_what_is_to_come(admins):
    start = in_days(10)
    approved("si.subsidy_rate", "0.60", start, admins)
    case = ReferenceCase.objects.get(name_en=GRADUATE)
    corrected = {**case.expected, SI: {"status": "eligible", "amount": "550.00"}}
    services.reference_case_save(
        case=case,
        name_zh=case.name_zh,
        name_en=case.name_en,
        facts=case.facts,
        expected=corrected,
        acting_user=admins[0],
    )
    case = ReferenceCase.objects.get(pk=case.pk)
    assert expected_on(case, timezone.localdate())[SI] == Outcome("eligible", Decimal("550.00"))
    assert expected_on(case, start)[SI] == Outcome("eligible", Decimal("600.00"))  # the approval's, still to come


def test_a_correction_after_the_date_is_a_new_expectation_from_today(admins):
    # The acknowledged change's date has come (rows dated in the past, as they are once it passes).
    approved("si.subsidy_rate", "0.60", in_days(10), admins)
    case = ReferenceCase.objects.get(name_en=GRADUATE)
    ReferenceExpectation.objects.filter(case=case).update(valid_from=in_days(-5))
    services.reference_case_save(
        case=case,
        name_zh=case.name_zh,
        name_en=case.name_en,
        facts=case.facts,
        expected={**case.expected, SI: {"status": "eligible", "amount": "650.00"}},
        acting_user=admins[0],
    )
    rows = list(ReferenceExpectation.objects.filter(case=case).order_by("valid_from"))
    assert [(row.valid_from, row.amount, row.proposal_id is None) for row in rows] == [
        (in_days(-5), Decimal("600.00"), False),
        (in_days(0), Decimal("650.00"), True),
    ]
    assert expected_on(case, in_days(-1))[SI] == Outcome("eligible", Decimal("600.00"))
