"""Registry persons, matching results and invitations as the registry and matching helpers leave them."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from applications.id_numbers import with_check_character
from tests.factories import GRADUATE_FACTS, VALID_ID_NUMBER, programme

SI = "flexible-si-subsidy"
STARTUP = "startup-subsidy"
MOBILE = "13800138000"

# Valid identity numbers (checksums right), one per person a test makes.
_NUMBERS = count()


def id_number(serial: int) -> str:
    """An 18-character resident identity number with a valid check character, born 1999-05-02."""
    return with_check_character(f"33080219990502{serial % 1000:03d}")


GRADUATE_SOURCES = {
    "birth_date": {"source": "hrss", "on": "2026-10-01"},
    "groups": {"source": "education", "on": "2026-07-15"},
    "graduation_date": {"source": "education", "on": "2026-07-15"},
    "employed_since_graduation": {"source": "hrss", "on": "2026-10-01"},
    "employment_form": {"source": "hrss", "on": "2026-10-01"},
    "pays_flexible_pension": {"source": "tax", "on": "2026-11-02"},
    "pays_flexible_medical": {"source": "medical_security", "on": "2026-11-03"},
}


def make_person(*, number: str | None = None, language="zh-hans", mobile=MOBILE, email="", **fields):
    from eligibility.registry.models import RegistryPerson

    return RegistryPerson.objects.create(
        id_number=number or id_number(next(_NUMBERS) + 100),
        full_name=fields.pop("full_name", "王小明"),
        mobile=mobile,
        email=email,
        language=language,
        facts=fields.pop("facts", dict(GRADUATE_FACTS)),
        fact_sources=fields.pop("fact_sources", dict(GRADUATE_SOURCES)),
        **fields,
    )


def make_run():
    from eligibility.matching.models import MatchRun

    return MatchRun.objects.create(as_of=timezone.localdate(), state=MatchRun.State.DONE)


def match(person, slug: str, run, *, status="eligible", amount=Decimal("500.00"), per="month", max_periods=24):
    from eligibility.matching.models import MatchResult

    result, _ = MatchResult.objects.update_or_create(
        person=person,
        programme=programme(slug),
        defaults={
            "status": status,
            "amount": amount if status == "eligible" else None,
            "per": per,
            "max_periods": max_periods if per == "month" else None,
            "run": run,
            "first_eligible_on": timezone.localdate() if status == "eligible" else None,
        },
    )
    return result


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``invitations_send`` as beat runs it: the messages written, then (after commit) delivered."""
    from applications.outreach.services import invitations_send

    def run(**kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return invitations_send(**kwargs)

    return run


@pytest.fixture
def graduate():
    """A graduate the registries know, with the identity number the test factories use."""
    return make_person(number=VALID_ID_NUMBER)


@pytest.fixture
def invited(graduate, send):
    """The graduate invited to the social-insurance subsidy by a matching run, the message sent."""
    from applications.outreach.services import invitations_create

    run = make_run()
    match(graduate, SI, run)
    invitations_create(run=run)
    send()
    return graduate.invitations.get()


def later(days: int):
    return timezone.now() + timedelta(days=days)
