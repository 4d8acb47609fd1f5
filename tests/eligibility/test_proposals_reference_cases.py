"""Reference cases (issue 14, item 3): the catalogue's boundaries, re-run against a proposal before approval."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from eligibility import services
from eligibility.models import Parameter, ReferenceCase
from eligibility.reference_cases import (
    Outcome,
    facts_errors,
    facts_on,
    proposal_reference_changes,
    reference_case_checks,
    resolve_date,
)
from tests.factories import CitizenFactory, PolicyAdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "on", "expected"),
    [
        ("-24m", date(2027, 3, 31), date(2025, 3, 31)),
        ("-24m-1d", date(2027, 3, 1), date(2025, 2, 28)),
        ("-16y+1d", date(2027, 1, 15), date(2011, 1, 16)),
        ("-6m", date(2026, 8, 31), date(2026, 2, 28)),  # clamped to the month's last day (catalogue, section 1)
        ("0d", date(2027, 1, 15), date(2027, 1, 15)),
        ("+1d", date(2027, 12, 31), date(2028, 1, 1)),
    ],
)
def test_a_relative_date_is_counted_from_the_day_of_the_screening(text, on, expected):
    assert resolve_date(text, on) == expected


def test_facts_are_read_as_the_api_reads_them():
    facts = facts_on(
        {"birth_date": "-16y", "groups": ["veteran"], "requested_loan_amount": "900000.00"}, date(2027, 1, 2)
    )
    assert facts["birth_date"] == date(2011, 1, 2) and facts["requested_loan_amount"] == Decimal("900000.00")
    assert set(facts_errors({"birth_date": "soon", "groups": ["pirates"]})) == {"birth_date", "groups"}
    assert facts_errors({"graduation_date": "2024-06-30"}) == {}


@pytest.mark.parametrize("on", [date(2027, 1, 15), date(2027, 6, 30), date(2027, 12, 31), date(2028, 3, 1)])
def test_every_shipped_reference_case_gives_what_the_catalogue_expects(on):
    checks = reference_case_checks(ReferenceCase.objects.all(), on)
    assert len(checks) == 15
    wrong = [
        (check.case.name_en, slug, expected, found)
        for check in checks
        for slug, expected, found in check.rows
        if found != expected
    ]
    assert wrong == []


def test_the_reference_cases_page_screens_each_case_today(client):
    client.force_login(PolicyAdminFactory())
    page = client.get(reverse("policy:reference_cases"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('rowspan="') == 15
    if (timezone.localdate().month, timezone.localdate().day) != (2, 29):  # a 24-month window moves on 29 February
        assert "table-danger" not in html


def test_a_proposal_shows_which_reference_results_change():
    changes = proposal_reference_changes(
        ReferenceCase.objects.filter(active=True),
        parameter_key="si.subsidy_rate",
        stored="0.60",
        valid_from=timezone.localdate() + timedelta(days=1),
    )
    changed = {change.case.name_en for change in changes}
    assert changed == {
        "Graduate: the last day of the 24 months after graduating",
        "Person with employment difficulties working through a platform, insured for medical care",
        "Turns 16 on the day",
        "The day before reaching the retirement age",
    }
    change = changes[0]
    assert change.programme == "flexible-si-subsidy"
    assert (change.before, change.after) == (
        Outcome("eligible", Decimal("500.00")),
        Outcome("eligible", Decimal("600.00")),
    )
    assert change.was_as_expected
    assert str(change.after) == "eligible, 600.00 yuan"


def test_a_raised_minimum_age_changes_the_youngest_case_and_nothing_unrelated_changes():
    tomorrow = timezone.localdate() + timedelta(days=1)
    cases = ReferenceCase.objects.all()
    changes = proposal_reference_changes(
        cases, parameter_key="common.working_age_min", stored="17", valid_from=tomorrow
    )
    assert [(change.case.name_en, change.after.status) for change in changes] == [("Turns 16 on the day", "ineligible")]
    assert (
        proposal_reference_changes(cases, parameter_key="review.sla_working_days", stored="20", valid_from=tomorrow)
        == []
    )


def test_a_case_out_of_use_is_not_run_before_approval():
    admin_a, admin_b = PolicyAdminFactory(), PolicyAdminFactory()
    ReferenceCase.objects.filter(name_en="Turns 16 on the day").update(active=False)
    proposal = services.parameter_proposal_create(
        parameter=Parameter.objects.get(key="common.working_age_min"),
        valid_from=timezone.localdate() + timedelta(days=1),
        value="17",
        reference_document="labour law minimum working age",
        reason="test",
        acting_user=admin_a,
    )
    assert services.proposal_reference_changes_for(proposal) == []
    assert services.parameter_proposal_approve(proposal=proposal, acting_user=admin_b).state == "approved"


def _case_form(**changes):
    form = {
        "name_zh": "平台骑手",
        "name_en": "Platform rider",
        "active": "on",
        "fact_birth_date": "-30y",
        "fact_groups": ["employment_difficulty"],
        "fact_employment_form": "platform",
        "fact_pays_flexible_medical": "yes",
        "expected_flexible-si-subsidy": "eligible",
        "amount_flexible-si-subsidy": "500.00",
        "expected_occupational-injury-cover": "eligible",
    }
    return {**form, **changes}


def test_a_policy_admin_adds_edits_and_deletes_a_reference_case(english):
    admin = PolicyAdminFactory()
    english.force_login(admin)
    response = english.post(reverse("policy:reference_case_new"), _case_form())
    assert response.status_code == 302
    case = ReferenceCase.objects.get(name_zh="平台骑手")
    assert case.facts == {
        "birth_date": "-30y",
        "groups": ["employment_difficulty"],
        "employment_form": "platform",
        "pays_flexible_medical": True,
    }
    assert case.expected == {
        "flexible-si-subsidy": {"status": "eligible", "amount": "500.00"},
        "occupational-injury-cover": {"status": "eligible", "amount": None},
    }
    assert case.updated_by == admin
    edit = english.get(reverse("policy:reference_case", args=[case.pk])).content.decode()
    assert 'value="-30y"' in edit

    refused = english.post(reverse("policy:reference_case", args=[case.pk]), _case_form(fact_birth_date="soon"))
    assert refused.status_code == 200 and "Enter a date as YYYY-MM-DD" in refused.content.decode()
    nothing = _case_form(**{"expected_flexible-si-subsidy": "", "expected_occupational-injury-cover": ""})
    assert (
        "at least one programme"
        in english.post(reverse("policy:reference_case", args=[case.pk]), nothing).content.decode()
    )

    english.post(reverse("policy:reference_case", args=[case.pk]), _case_form(name_en="Platform rider, 30"))
    case.refresh_from_db()
    assert case.name_en == "Platform rider, 30"
    english.post(reverse("policy:reference_case_delete", args=[case.pk]))
    assert not ReferenceCase.objects.filter(pk=case.pk).exists()


def test_only_policy_admins_keep_reference_cases(client):
    client.force_login(CitizenFactory(is_staff=True))
    assert client.post(reverse("policy:reference_case_new"), _case_form()).status_code == 403
    assert not ReferenceCase.objects.filter(name_zh="平台骑手").exists()
