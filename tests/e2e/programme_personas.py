"""The people of the programme-outcome journeys: for each programme, the facts (in
their wire form, catalogue section 2) that make it eligible.

Every persona starts from ``nobody_in_particular()``, an answer to every question
the screener may ask that makes no programme eligible, and changes only what the
programme needs: the screener then has an answer for whatever it asks. The date of
birth is the one in ``tests.factories.VALID_ID_NUMBER``, which the applications give.
"""

from datetime import timedelta

from django.utils import timezone

KECHENG = "330802"  # 柯城区, Quzhou


def _days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def nobody_in_particular() -> dict[str, object]:
    return {
        "region": KECHENG,
        "birth_date": "1999-05-02",
        "groups": [],
        "employed_since_graduation": False,
        "employment_form": "employee",
        "works_in_construction": False,
        "plans_business": False,
        "business_registered": False,
        "requested_loan_amount": None,  # optional: left empty
        "rents_state_owned_premises": False,
        "pays_flexible_pension": False,
        "pays_flexible_medical": False,
        "hardship_declared": False,
        "public_service_post_months": 0,
        "training_certificate": False,
        "training_days": 0,
    }


def _registered_business(**more) -> dict[str, object]:
    return {
        "employment_form": "self_employed",
        "business_registered": True,
        "business_registered_on": _days_ago(60),
        **more,
    }


# What makes each programme eligible, on top of nobody_in_particular().
PERSONAS: dict[str, dict[str, object]] = {
    "flexible-si-subsidy": {
        "groups": ["employment_difficulty"],
        "employment_form": "part_time",
        "pays_flexible_pension": True,
    },
    "startup-subsidy": {"groups": ["registered_unemployed"], **_registered_business()},
    "startup-loan": {
        "groups": ["registered_unemployed"],
        "employment_form": "unemployed",
        "plans_business": True,
        "requested_loan_amount": "200000",
    },
    "public-service-job-subsidy": {
        "groups": ["employment_difficulty"],
        "employment_form": "unemployed",
        "public_service_post_months": 3,
    },
    "occupational-injury-cover": {"employment_form": "platform"},
    "pension-suspension": {"employment_form": "part_time", "pays_flexible_pension": True, "hardship_declared": True},
    "training-subsidy": {"groups": ["registered_unemployed"], "training_certificate": True},
    "free-business-site": {
        "groups": ["registered_unemployed"],
        "employment_form": "unemployed",
        "plans_business": True,
    },
    "flexible-insurance-enrolment": {"employment_form": "part_time", "pays_flexible_medical": True},
    "entrepreneurship-training": {"employment_form": "part_time", "plans_business": True},
    "training-living-allowance": {
        "groups": ["registered_unemployed"],
        "employment_form": "unemployed",
        "training_certificate": True,
        "training_days": 10,
    },
    "subsistence-assistance-referral": {"groups": ["low_income_household"], "employment_form": "unemployed"},
    "construction-injury-insurance": {
        "groups": ["migrant_worker"],
        "employment_form": "other",
        "works_in_construction": True,
    },
    "state-premises-rent-relief": _registered_business(rents_state_owned_premises=True),
    "startup-tax-relief": {"groups": ["registered_unemployed"], **_registered_business()},
}

# One person for whom many programmes are eligible at once: a registered unemployed
# migrant worker on building sites, with a young registered business in state premises,
# insured for pension only, trained, in hardship.
MANY_PROGRAMMES = {
    "groups": ["registered_unemployed", "migrant_worker", "low_income_household"],
    "works_in_construction": True,
    "pays_flexible_pension": True,
    "hardship_declared": True,
    "training_certificate": True,
    "training_days": 12,
    **_registered_business(rents_state_owned_premises=True, requested_loan_amount="300000"),
}


def answers_for(slug: str) -> dict[str, object]:
    return {**nobody_in_particular(), **PERSONAS[slug]}


def many_programmes_answers() -> dict[str, object]:
    return {**nobody_in_particular(), **MANY_PROGRAMMES}
