"""Budgets are effective-dated like parameters: added from a date with a reason, history kept, audited;
the policy administrator's page lists the cash programmes and refuses bad input clearly."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from applications.audit_wording import audit_sentence
from applications.budgets.models import Budget
from applications.budgets.selectors import budget_in_force, cash_programmes
from applications.budgets.services import budget_add
from applications.models import AuditEntry
from eligibility.models import Programme
from eligibility.rules.programmes import PROGRAMMES
from tests.budgets.helpers import budget
from tests.factories import CaseworkerFactory, CitizenFactory, PolicyAdminFactory, SupervisorFactory, programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def today() -> date:
    return timezone.localdate()


# --- Effective dating ------------------------------------------------------------------------


def test_the_budget_in_force_on_a_date_is_the_latest_value_from_on_or_before_it():
    budget("startup-subsidy", 2027, "1000000.00", date(2026, 10, 1))
    budget("startup-subsidy", 2027, "1500000.00", date(2027, 3, 1))
    budget("startup-subsidy", 2028, "9.00", date(2026, 1, 1))  # another year
    chosen = programme("startup-subsidy")
    assert budget_in_force(programme=chosen, year=2027, on=date(2026, 9, 30)) is None
    assert budget_in_force(programme=chosen, year=2027, on=date(2026, 10, 1)).amount == Decimal("1000000.00")
    assert budget_in_force(programme=chosen, year=2027, on=date(2027, 2, 28)).amount == Decimal("1000000.00")
    assert budget_in_force(programme=chosen, year=2027, on=date(2027, 3, 1)).amount == Decimal("1500000.00")
    assert budget_in_force(programme=programme("training-subsidy"), year=2027, on=date(2027, 3, 1)) is None


def test_a_first_budget_may_start_in_the_past_and_a_later_one_only_after_today():
    admin = PolicyAdminFactory()
    chosen = programme("startup-subsidy")
    first = budget_add(
        programme=chosen,
        year=today().year,
        amount=Decimal("800000.00"),
        valid_from=today() - timedelta(days=30),
        reason="Allocation of the year",
        acting_user=admin,
    )
    with pytest.raises(ValidationError) as refused:
        budget_add(
            programme=chosen,
            year=today().year,
            amount=Decimal("900000.00"),
            valid_from=today(),
            reason="Top-up",
            acting_user=admin,
        )
    assert "never rewritten" in refused.value.message_dict["valid_from"][0]
    later = budget_add(
        programme=chosen,
        year=today().year,
        amount=Decimal("900000.00"),
        valid_from=today() + timedelta(days=1),
        reason="Top-up",
        acting_user=admin,
    )
    # History kept: both values are there, the first untouched and still in force today.
    assert list(Budget.objects.filter(programme=chosen).order_by("valid_from").values_list("pk", "amount")) == [
        (first.pk, Decimal("800000.00")),
        (later.pk, Decimal("900000.00")),
    ]
    assert budget_in_force(programme=chosen, year=today().year).pk == first.pk
    assert budget_in_force(programme=chosen, year=today().year, on=later.valid_from).pk == later.pk


def test_adding_a_budget_is_audited_with_the_previous_value_and_the_reason():
    admin = PolicyAdminFactory()
    chosen = programme("training-subsidy")
    budget("training-subsidy", 2030, "100.00", date(2026, 1, 1))
    added = budget_add(
        programme=chosen,
        year=2030,
        amount=Decimal("250.50"),
        valid_from=today() + timedelta(days=10),
        reason="  Provincial transfer  ",
        acting_user=admin,
    )
    assert added.reason == "Provincial transfer" and added.created_by == admin
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PARAMETER)
    assert entry.actor == admin
    assert entry.details == {
        "budget": added.pk,
        "programme": "training-subsidy",
        "programme_title": {"zh": chosen.title_zh, "en": chosen.title_en},
        "year": 2030,
        "amount": "250.50",
        "previous_amount": "100.00",
        "valid_from": added.valid_from.isoformat(),
        "reason": "Provincial transfer",
    }
    sentence = audit_sentence(entry)
    assert f"set the budget of “{chosen.title_en}” for 2030 to 250.50 yuan from" in sentence
    assert sentence.endswith("(reason: Provincial transfer)")
    with translation.override("zh-hans"):
        assert f"“{chosen.title_zh}”" in audit_sentence(entry) and "2030年" in audit_sentence(entry)


@pytest.mark.parametrize(
    ("slug", "year", "amount", "reason", "field"),
    [
        ("startup-loan", 2030, "1.00", "r", "programme"),  # a loan is the bank's money
        ("startup-tax-relief", 2030, "1.00", "r", "programme"),  # a deduction, not paid by the portal
        ("occupational-injury-cover", 2030, "1.00", "r", "programme"),  # no cash
        ("startup-subsidy", 1999, "1.00", "r", "year"),
        ("startup-subsidy", 2030, "-0.01", "r", "amount"),
        ("startup-subsidy", 2030, "1.00", "   ", "reason"),
    ],
)
def test_the_service_refuses_what_is_not_a_budget(slug, year, amount, reason, field):
    with pytest.raises(ValidationError) as refused:
        budget_add(
            programme=programme(slug),
            year=year,
            amount=Decimal(amount),
            valid_from=today() + timedelta(days=1),
            reason=reason,
            acting_user=PolicyAdminFactory(),
        )
    assert list(refused.value.message_dict) == [field]
    assert not Budget.objects.exists() and not AuditEntry.objects.exists()


def test_two_values_from_the_same_date_are_refused():
    budget("startup-subsidy", 2030, "1.00", today() + timedelta(days=5))
    with pytest.raises(ValidationError) as refused:
        budget_add(
            programme=programme("startup-subsidy"),
            year=2030,
            amount=Decimal("2.00"),
            valid_from=today() + timedelta(days=5),
            reason="again",
            acting_user=PolicyAdminFactory(),
        )
    assert "already a budget" in refused.value.message_dict["valid_from"][0]


def test_cash_programmes_are_those_whose_rules_pay_an_amount_the_portal_pays():
    slugs = [p.slug for p in cash_programmes()]
    expected = [
        p.slug
        for p in Programme.objects.order_by("position", "slug")
        if PROGRAMMES[p.slug].amount is not None and PROGRAMMES[p.slug].fulfilment is None
    ]
    assert slugs == expected
    assert "startup-loan" not in slugs and "startup-subsidy" in slugs and "flexible-si-subsidy" in slugs


# --- The page --------------------------------------------------------------------------------


def test_the_page_lists_cash_programmes_with_the_budget_in_force_and_the_history(client, english):
    budget("startup-subsidy", 2027, "1000000.00", date(2026, 1, 1), reason="First allocation")
    budget("startup-subsidy", 2027, "1200000.00", today() + timedelta(days=3), reason="Second allocation")
    client.force_login(PolicyAdminFactory())
    response = client.get("/budgets/")
    assert response.status_code == 200
    text = response.content.decode()
    for chosen in cash_programmes():
        assert chosen.title_en in text
    assert "2027: 1,000,000.00 yuan, in force since" in text
    assert "First allocation" in text and "Second allocation" in text
    assert "takes effect on" in text and "in force" in text
    # The loan is named as not the portal's money, and not offered in the form.
    loan = programme("startup-loan")
    assert "a loan, lent by the bank" in text
    assert f'<option value="{loan.pk}"' not in text


def test_the_form_adds_a_value_and_the_page_says_so(client, english):
    admin = PolicyAdminFactory()
    client.force_login(admin)
    chosen = programme("training-subsidy")
    response = client.post(
        "/budgets/",
        {
            "programme": chosen.pk,
            "year": "2031",
            "amount": "300000.00",
            "valid_from": (today() + timedelta(days=1)).isoformat(),
            "reason": "Budget law 2031",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "the budget of" in response.content.decode() and "for 2031 is 300,000.00 yuan" in response.content.decode()
    assert Budget.objects.get().created_by == admin


def test_errors_are_clear_and_keep_what_was_entered(client, english):
    client.force_login(PolicyAdminFactory())
    chosen = programme("startup-subsidy")
    budget("startup-subsidy", 2031, "5.00", date(2026, 1, 1))
    response = client.post(
        "/budgets/",
        {
            "programme": chosen.pk,
            "year": "2031",
            "amount": "12x",
            "valid_from": "2031-02-30",
            "reason": "Typed reason kept",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter the budget as a number of yuan" in text
    assert "Enter a real date as YYYY-MM-DD" in text
    assert "Typed reason kept" in text and 'value="12x"' in text
    # A date already in force, for a year that has a budget: the service's rule, on the form.
    response = client.post(
        "/budgets/",
        {"programme": chosen.pk, "year": "2031", "amount": "6.00", "valid_from": today().isoformat(), "reason": "r"},
    )
    assert response.status_code == 400
    assert "never rewritten" in response.content.decode()
    # A programme that is not offered (the loan).
    response = client.post(
        "/budgets/",
        {
            "programme": programme("startup-loan").pk,
            "year": "2031",
            "amount": "6.00",
            "valid_from": (today() + timedelta(days=1)).isoformat(),
            "reason": "r",
        },
    )
    assert response.status_code == 400
    assert "Choose one of the cash programmes listed" in response.content.decode()
    assert Budget.objects.count() == 1


@pytest.mark.parametrize("factory", [CitizenFactory, CaseworkerFactory, SupervisorFactory])
def test_others_may_not_open_or_post_the_page(client, factory):
    client.force_login(factory())
    assert client.get("/budgets/").status_code == 403
    response = client.post(
        "/budgets/",
        {"programme": programme("startup-subsidy").pk, "year": "2031", "amount": "1", "valid_from": "2031-01-01"},
    )
    assert response.status_code == 403
    assert not Budget.objects.exists()


def test_the_page_needs_a_login_and_the_second_factor(client):
    response = client.get("/budgets/")
    assert response.status_code == 302 and "/login" in response.url
    # Password typed but not the code: sent to the second factor, not shown the page.
    from django.test import Client

    admin = PolicyAdminFactory()
    plain = Client()
    Client.force_login(plain, admin)
    response = plain.get("/budgets/")
    assert response.status_code == 302
    assert "two-factor" in response.url or "two_factor" in response.url or "2fa" in response.url
