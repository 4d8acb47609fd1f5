"""Hand-made budgets, cases, payments and registry matches for the budgets tests."""

import itertools
from datetime import date
from decimal import Decimal

from django.utils import timezone

from applications.budgets.models import Budget
from applications.models import Payment, Status
from tests.applications.test_payments import decided_application
from tests.factories import programme

_numbers = itertools.count(1)


def budget(slug: str, year: int, amount: str, valid_from: date, reason: str = "Annual allocation") -> Budget:
    return Budget.objects.create(
        programme=programme(slug), year=year, amount=Decimal(amount), valid_from=valid_from, reason=reason
    )


def case_with_payments(slug: str, payments: list[tuple[date, str, str]], *, status: str = Status.APPROVED, **fields):
    """A case of ``slug`` with instalments (due date, amount, state) made by hand."""
    application = decided_application(slug, status=status, **fields)
    for sequence, (due_on, amount, state) in enumerate(payments, start=1):
        Payment.objects.create(
            application=application, sequence=sequence, due_on=due_on, amount=Decimal(amount), state=state
        )
    return application


def id_number() -> str:
    """A distinct 18-character identity number for each registry person."""
    return f"33080219900101{next(_numbers):04d}"


def registry_person(number: str | None = None):
    from eligibility.registry.models import RegistryPerson

    return RegistryPerson.objects.create(id_number=number or id_number(), facts={}, fact_sources={})


def match(person, slug: str, *, status: str = "eligible", amount: str | None = "500.00", max_periods=None):
    from eligibility.matching.models import MatchResult

    chosen = programme(slug)
    return MatchResult.objects.create(
        person=person,
        programme=chosen,
        status=status,
        amount=None if amount is None else Decimal(amount),
        per=chosen.per,
        max_periods=max_periods,
    )


def invitation(person, slug: str, *, opened: bool = False, application=None):
    from applications.outreach.models import Invitation

    now = timezone.now()
    return Invitation.objects.create(
        person=person,
        programme=programme(slug),
        created_at=now,
        sent_at=now,
        opened_at=now if opened else None,
        application=application,
    )
