"""What proves what: the documents each programme needs come from its rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.documents import required_documents
from applications.models import Document
from eligibility.rules import PROGRAMMES

pytestmark = pytest.mark.django_db

Kind = Document.Kind
RECENTLY = (timezone.localdate() - timedelta(days=60)).isoformat()
ADULT = {"birth_date": "1990-01-01", "region": "330802"}
GRADUATED = (timezone.localdate() - timedelta(days=300)).isoformat()

CASES = [
    (
        "flexible-si-subsidy",
        {
            "groups": ["college_graduate"],
            "graduation_date": RECENTLY,
            "employed_since_graduation": False,
            "employment_form": "part_time",
            "pays_flexible_pension": True,
        },
        [Kind.IDENTITY_CARD, Kind.GRADUATION_CERTIFICATE, Kind.SOCIAL_INSURANCE_RECEIPTS],
    ),
    (
        "flexible-si-subsidy",  # the difficulty certificate suffices; being laid off proves nothing here
        {"groups": ["employment_difficulty", "laid_off"], "employment_form": "platform", "pays_flexible_medical": True},
        [Kind.IDENTITY_CARD, Kind.DIFFICULTY_CERTIFICATE, Kind.SOCIAL_INSURANCE_RECEIPTS],
    ),
    (
        "startup-subsidy",
        {"groups": ["laid_off"], "employment_form": "self_employed", "business_registered_on": RECENTLY},
        [Kind.IDENTITY_CARD, Kind.UNEMPLOYMENT_REGISTRATION, Kind.BUSINESS_LICENCE],
    ),
    (
        "startup-loan",  # a plan, not a business: no licence
        {"groups": ["migrant_worker"], "employment_form": "unemployed", "plans_business": True},
        [Kind.IDENTITY_CARD],
    ),
    (
        "startup-loan",
        {"groups": ["registered_unemployed"], "employment_form": "self_employed"},
        [Kind.IDENTITY_CARD, Kind.UNEMPLOYMENT_REGISTRATION, Kind.BUSINESS_LICENCE],
    ),
    (
        "public-service-job-subsidy",
        {"groups": ["employment_difficulty"], "public_service_post_months": 4},
        [Kind.IDENTITY_CARD, Kind.DIFFICULTY_CERTIFICATE, Kind.PUBLIC_SERVICE_CONTRACT],
    ),
    ("occupational-injury-cover", {"employment_form": "platform"}, [Kind.IDENTITY_CARD]),
    (
        "pension-suspension",
        {"employment_form": "part_time", "pays_flexible_pension": True, "hardship_declared": True},
        [Kind.IDENTITY_CARD, Kind.SOCIAL_INSURANCE_RECEIPTS],
    ),
    (
        "training-subsidy",
        {"groups": ["registered_unemployed"], "employment_form": "employee", "training_certificate": True},
        [Kind.IDENTITY_CARD, Kind.UNEMPLOYMENT_REGISTRATION, Kind.TRAINING_CERTIFICATE],
    ),
    (
        "training-subsidy",  # flexible work, not unemployment, makes the target group
        {"groups": [], "employment_form": "part_time", "training_certificate": True},
        [Kind.IDENTITY_CARD, Kind.TRAINING_CERTIFICATE],
    ),
    (
        "free-business-site",
        {"groups": ["college_graduate"], "employment_form": "self_employed"},
        [Kind.IDENTITY_CARD, Kind.GRADUATION_CERTIFICATE, Kind.BUSINESS_LICENCE],
    ),
    (
        "flexible-insurance-enrolment",  # not being insured is declared, not proved
        {"employment_form": "part_time", "pays_flexible_pension": True, "pays_flexible_medical": False},
        [Kind.IDENTITY_CARD],
    ),
    (
        "entrepreneurship-training",
        {"groups": ["registered_unemployed"], "employment_form": "unemployed", "plans_business": True},
        [Kind.IDENTITY_CARD, Kind.UNEMPLOYMENT_REGISTRATION],
    ),
    (
        "training-living-allowance",
        {"groups": ["low_income_household"], "training_certificate": True, "training_days": 12},
        [
            Kind.IDENTITY_CARD,
            Kind.LOW_INCOME_CERTIFICATE,
            Kind.TRAINING_CERTIFICATE,
            Kind.TRAINING_ATTENDANCE_RECORD,
        ],
    ),
    (
        "subsistence-assistance-referral",
        {"groups": ["low_income_household"], "employment_form": "unemployed"},
        [Kind.IDENTITY_CARD, Kind.LOW_INCOME_CERTIFICATE],
    ),
    (
        "subsistence-assistance-referral",  # hardship is declared: the civil-affairs office checks it
        {"groups": [], "employment_form": "platform", "hardship_declared": True},
        [Kind.IDENTITY_CARD],
    ),
    (
        "construction-injury-insurance",
        {"groups": ["migrant_worker"], "works_in_construction": True},
        [Kind.IDENTITY_CARD, Kind.CONSTRUCTION_LABOUR_CONTRACT],
    ),
    (
        "state-premises-rent-relief",
        {"employment_form": "self_employed", "rents_state_owned_premises": True},
        [Kind.IDENTITY_CARD, Kind.BUSINESS_LICENCE, Kind.STATE_PREMISES_LEASE],
    ),
    (
        "startup-tax-relief",
        {"groups": ["registered_unemployed"], "employment_form": "self_employed", "business_registered_on": RECENTLY},
        [Kind.IDENTITY_CARD, Kind.UNEMPLOYMENT_REGISTRATION, Kind.BUSINESS_LICENCE],
    ),
]


@pytest.mark.parametrize(("slug", "facts", "kinds"), CASES)
def test_the_documents_of_the_conditions_that_decide(slug, facts, kinds):
    assert required_documents(slug, {**ADULT, **facts}) == kinds


def test_every_programme_is_covered_and_needs_the_identity_card():
    assert {slug for slug, _facts, _kinds in CASES} == set(PROGRAMMES)
    for slug in PROGRAMMES:
        assert required_documents(slug, {})[0] == Kind.IDENTITY_CARD


def test_unreadable_answers_prove_nothing_and_do_not_fail():
    kinds = required_documents("startup-subsidy", {"groups": "nonsense", "business_registered_on": "31/12/2024"})
    assert kinds[0] == Kind.IDENTITY_CARD
    assert Kind.UNEMPLOYMENT_REGISTRATION not in kinds


# --- What the situation step asks: the programme's rules, for this person ---------------------------


@pytest.fixture
def draft(client, english):
    from tests.factories import ApplicationFactory, CitizenFactory

    person = CitizenFactory(preferred_language="en")
    english.force_login(person)
    facts = {
        "birth_date": "1990-01-01",
        "groups": ["laid_off"],
        "employment_form": "part_time",
        "pays_flexible_pension": True,
        "graduation_date": GRADUATED,  # an answer that applies only to a graduate
        "hardship_declared": True,
    }
    return ApplicationFactory(applicant=person, facts=facts, completed_steps=["personal"])


def fields_of(html: str) -> set[str]:
    import re

    start = html.index('name="asked_facts"')
    form = html[start : html.index("</form>", start)]
    return set(re.findall(r'name="([a-z_]+)"', form)) - {"save_and_exit", "asked_facts"}


def test_the_situation_step_asks_what_the_rules_need_and_reacts_to_answers(english, draft):
    url = f"/applications/drafts/{draft.pk}/situation/"
    html = english.get(url).content.decode()
    # flexible-si-subsidy for a laid-off worker: not its target group, so nothing more is asked.
    assert fields_of(html) == {"region", "groups"}
    assert "Kecheng District, Quzhou" in html and "Outside Quzhou" not in html

    shown = "region,groups,graduation_date,employed_since_graduation,employment_form,pays_flexible_pension"
    response = english.post(url, {"asked_facts": "region,groups", "region": "330802", "groups": ["college_graduate"]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your answers bring new questions" in page
    assert fields_of(page) == set(shown.split(","))
    assert f'value="{GRADUATED}"' in page  # filled in from what was known

    recently = (timezone.localdate() - timedelta(days=100)).isoformat()
    response = english.post(
        url,
        {
            "asked_facts": shown,
            "region": "330802",
            "groups": ["college_graduate"],
            "graduation_date": recently,
            "employed_since_graduation": "no",
            "employment_form": "part_time",
            "pays_flexible_pension": "yes",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.facts["graduation_date"] == recently and draft.facts["region"] == "330802"
    assert "hardship_declared" not in draft.facts  # not this programme's question: not kept, not used
    check = english.get(f"/applications/drafts/{draft.pk}/check/").content.decode()
    assert "Kecheng District, Quzhou" in check
    assert "real difficulty" not in check


def test_the_form_refuses_another_region(english, draft):
    response = english.post(
        f"/applications/drafts/{draft.pk}/situation/",
        {
            "asked_facts": "region,groups,employment_form,pays_flexible_pension",
            "region": "110000",
            "groups": ["laid_off"],
            "employment_form": "part_time",
            "pays_flexible_pension": "yes",
        },
    )
    assert response.status_code == 200
    assert "Choose one of the districts and counties listed." in response.content.decode()


def test_the_intake_service_refuses_a_region_not_served(draft):
    from django.core.exceptions import ValidationError

    from applications.services import intake

    with pytest.raises(ValidationError, match=r"衢州市|Quzhou"):
        intake.application_save_facts(application=draft, facts={"region": "110000"})
    with pytest.raises(ValidationError):
        intake.application_start(
            applicant=draft.applicant,
            programme=draft.programme.__class__.objects.get(slug="training-subsidy"),
            facts={"region": "000000"},
        )
