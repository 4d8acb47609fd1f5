"""Money on the citizen's case page is written the way the page's language writes it.

Both languages group thousands with commas ("10,000.00"), as Chinese public
finance writes money (portal/formats/zh_Hans overrides Django's grouping by
four with no separator); the templates use ``floatformat:"2g"``, which groups
with the active language's format. Dates follow each language's format.
The browser journey in test_review_journey.py checks the staff case page.
"""

from datetime import date

import pytest

from applications.models import Status
from tests.e2e.browsing import Wording
from tests.factories import ApplicationFactory, CitizenFactory, programme

pytestmark = pytest.mark.django_db

START_UP_SUBSIDY = {"value": "10000.00", "currency": "CNY", "per": "once"}  # what the engine answers


@pytest.fixture
def approved_start_up_subsidy(client):
    applicant = CitizenFactory()
    client.force_login(applicant)
    return ApplicationFactory(
        applicant=applicant,
        programme=programme("startup-subsidy"),
        status=Status.APPROVED,
        reference="LH-2026-000777",
        submitted_on=date(2026, 11, 2),
        evaluation={"as_of": "2026-11-02", "status": "eligible", "amount": START_UP_SUBSIDY, "criteria": []},
        amount="10000.00",
    )


def decision_text(client, application) -> str:
    page = client.get(f"/applications/{application.reference}/").content.decode()
    start = page.index('id="decision-title"')
    return page[start : page.index("</section>", start)]


def paid_once(language: str, value: str) -> str:
    return Wording(language)("%(value)s yuan, paid once") % {"value": value}


def test_english_groups_thousands_with_commas(english, approved_start_up_subsidy):
    assert paid_once("en", "10,000.00") in decision_text(english, approved_start_up_subsidy)


def test_chinese_groups_thousands_with_commas_too(client, approved_start_up_subsidy):
    text = decision_text(client, approved_start_up_subsidy)
    assert paid_once("zh-hans", "10,000.00") in text
    assert "10000.00" not in text


def test_dates_follow_the_language(client, english, approved_start_up_subsidy):
    page = client.get(f"/applications/{approved_start_up_subsidy.reference}/").content.decode()
    assert "2 Nov 2026" in page
    english.cookies["linghuo_language"] = "zh-hans"
    assert "2026年11月2日" in client.get(f"/applications/{approved_start_up_subsidy.reference}/").content.decode()
