"""Who applies for what in a seeded city, and what the engine answered for them.

Each applicant has a profile (a recent graduate, a person with employment
difficulties, a registered unemployed person, a migrant worker, a self-employed
person) that decides their age and the programmes they apply for. For each
programme a profile applies for, ``TEMPLATES`` gives the facts such a person
enters, dates relative to the day they apply (``eligibility.reference_cases``:
``"-8m"`` is eight months before).

The ``evaluation`` kept with a sent application is the real engine's answer
(``applications.services.intake.evaluation_snapshot``), computed once per
programme, profile, district and quarter of submission for a representative
person of that profile: the same size and shape as a real one, with the
parameters in force that quarter. The rejected cases have, half of the time,
an answer for the same facts with their conditions turned false.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import orjson

from eligibility.engine import evaluate
from eligibility.parameter_cache import parameters_in_force
from eligibility.reference_cases import DATE_FACTS, facts_on, is_relative, resolve_date

# (share of applicants, youngest, oldest, {programme: weight})
PROFILES = {
    "graduate": (
        0.30,
        21,
        27,
        {
            "flexible-si-subsidy": 15,
            "startup-subsidy": 1,
            "startup-loan": 0.8,
            "training-subsidy": 2,
            "flexible-insurance-enrolment": 2,
            "entrepreneurship-training": 1.5,
            "occupational-injury-cover": 1.5,
        },
    ),
    "difficulty": (
        0.24,
        35,
        55,
        {
            "flexible-si-subsidy": 12,
            "public-service-job-subsidy": 4,
            "training-living-allowance": 2,
            "subsistence-assistance-referral": 1.2,
            "pension-suspension": 1,
            "flexible-insurance-enrolment": 1,
            "training-subsidy": 1,
        },
    ),
    "unemployed": (
        0.20,
        25,
        50,
        {
            "flexible-si-subsidy": 6,
            "startup-subsidy": 2,
            "startup-loan": 1.2,
            "training-subsidy": 3,
            "training-living-allowance": 2,
            "free-business-site": 0.8,
            "startup-tax-relief": 0.5,
            "entrepreneurship-training": 1.5,
            "flexible-insurance-enrolment": 1,
        },
    ),
    "migrant": (
        0.16,
        20,
        50,
        {
            "occupational-injury-cover": 3,
            "construction-injury-insurance": 1.2,
            "entrepreneurship-training": 1.5,
            "flexible-insurance-enrolment": 2,
            "training-subsidy": 2,
        },
    ),
    "self_employed": (
        0.10,
        28,
        55,
        {
            "pension-suspension": 1.5,
            "state-premises-rent-relief": 0.8,
            "flexible-insurance-enrolment": 2,
            "occupational-injury-cover": 1,
            "startup-subsidy": 1,
            "free-business-site": 0.8,
        },
    ),
}

_GRADUATE = {"groups": ["college_graduate"], "graduation_date": "-8m", "employed_since_graduation": False}
_DIFFICULTY = {"groups": ["employment_difficulty"]}
_UNEMPLOYED = {"groups": ["registered_unemployed"]}
_MIGRANT = {"groups": ["migrant_worker"]}
_OWN_BUSINESS = {"employment_form": "self_employed", "business_registered": True, "business_registered_on": "-4m"}
_TRAINED = {"training_certificate": True, "training_days": 40}

# TEMPLATES[programme][profile]: the facts (besides birth date and region) such a person enters.
TEMPLATES: dict[str, dict[str, dict]] = {
    "flexible-si-subsidy": {
        "graduate": {**_GRADUATE, "employment_form": "part_time", "pays_flexible_pension": True},
        "difficulty": {**_DIFFICULTY, "employment_form": "platform", "pays_flexible_pension": True},
        # Registered unemployed people certified with employment difficulties, working part-time.
        "unemployed": {
            "groups": ["registered_unemployed", "employment_difficulty"],
            "employment_form": "part_time",
            "pays_flexible_pension": True,
        },
    },
    "startup-subsidy": {
        "graduate": {**_GRADUATE, **_OWN_BUSINESS},
        "unemployed": {**_UNEMPLOYED, **_OWN_BUSINESS},
        "self_employed": {"groups": ["laid_off"], **_OWN_BUSINESS},
    },
    "startup-loan": {
        "graduate": {
            **_GRADUATE,
            "employment_form": "unemployed",
            "plans_business": True,
            "requested_loan_amount": "200000.00",
        },
        "unemployed": {
            "groups": ["laid_off"],
            "employment_form": "unemployed",
            "plans_business": True,
            "requested_loan_amount": "300000.00",
        },
    },
    "public-service-job-subsidy": {"difficulty": {**_DIFFICULTY, "public_service_post_months": 8}},
    "occupational-injury-cover": {
        "graduate": {**_GRADUATE, "employment_form": "platform"},
        "migrant": {**_MIGRANT, "employment_form": "platform"},
        "self_employed": {"groups": [], "employment_form": "platform"},
    },
    "pension-suspension": {
        "difficulty": {
            **_DIFFICULTY,
            "employment_form": "part_time",
            "pays_flexible_pension": True,
            "hardship_declared": True,
        },
        "self_employed": {
            "groups": [],
            "employment_form": "self_employed",
            "pays_flexible_pension": True,
            "hardship_declared": True,
        },
    },
    "training-subsidy": {
        "graduate": {**_GRADUATE, "employment_form": "part_time", **_TRAINED},
        "difficulty": {**_DIFFICULTY, "employment_form": "part_time", **_TRAINED},
        "unemployed": {**_UNEMPLOYED, **_TRAINED},
        "migrant": {**_MIGRANT, "employment_form": "part_time", **_TRAINED},
    },
    "free-business-site": {
        "unemployed": {**_UNEMPLOYED, "employment_form": "self_employed", "plans_business": True},
        "self_employed": {"groups": ["laid_off"], "employment_form": "self_employed", "plans_business": True},
    },
    "flexible-insurance-enrolment": {
        "graduate": {**_GRADUATE, "employment_form": "platform", "pays_flexible_pension": False},
        "difficulty": {**_DIFFICULTY, "employment_form": "part_time", "pays_flexible_pension": False},
        "unemployed": {**_UNEMPLOYED, "employment_form": "part_time", "pays_flexible_pension": False},
        "migrant": {**_MIGRANT, "employment_form": "platform", "pays_flexible_pension": False},
        "self_employed": {"groups": [], "employment_form": "self_employed", "pays_flexible_pension": False},
    },
    "entrepreneurship-training": {
        "graduate": {**_GRADUATE, "employment_form": "part_time", "plans_business": True},
        "unemployed": {**_UNEMPLOYED, "employment_form": "unemployed", "plans_business": True},
        "migrant": {**_MIGRANT, "employment_form": "part_time", "plans_business": True},
    },
    "training-living-allowance": {
        "difficulty": {**_DIFFICULTY, **_TRAINED},
        "unemployed": {**_UNEMPLOYED, **_TRAINED},
    },
    "subsistence-assistance-referral": {
        "difficulty": {
            "groups": ["employment_difficulty", "low_income_household"],
            "employment_form": "unemployed",
            "hardship_declared": True,
        },
    },
    "construction-injury-insurance": {
        "migrant": {**_MIGRANT, "employment_form": "employee", "works_in_construction": True},
    },
    "state-premises-rent-relief": {
        "self_employed": {
            "groups": [],
            **_OWN_BUSINESS,
            "business_registered_on": "-2y",
            "rents_state_owned_premises": True,
        },
    },
    "startup-tax-relief": {
        "unemployed": {**_UNEMPLOYED, **_OWN_BUSINESS, "business_registered_on": "-3m"},
    },
}

# What a construction worker names for the project cover (applications.services.fulfilment.PROGRAMME_DETAILS).
PROJECTS = (
    ("衢州市智造新城标准厂房项目", "衢州市衢江区东港七路", "浙江衢州建设集团有限公司"),
    ("柯城区棚户区改造安置房二期", "衢州市柯城区荷花东路", "中建三局第一建设工程有限责任公司"),
    ("龙游县城东学校新建工程", "龙游县东华街道", "浙江龙游建工有限公司"),
    ("江山市体育中心改造工程", "江山市双塔街道", "浙江江山建设工程有限公司"),
)

ASOF_PLACEHOLDER = "@@AS_OF@@"


def resolved_facts(template: dict, on: date) -> dict:
    """The template's facts on ``on``: relative dates made dates (the wire form)."""
    return {
        name: (resolve_date(value, on).isoformat() if name in DATE_FACTS and is_relative(value) else value)
        for name, value in template.items()
    }


def failing(template: dict) -> dict:
    """The same person with the conditions the template meets turned around: the facts a refusal often has."""
    turned = {name: (False if value is True else value) for name, value in template.items()}
    if template.get("business_registered"):
        turned.pop("business_registered_on", None)  # no date for a business that is not registered
    if "employed_since_graduation" in turned:
        turned["employed_since_graduation"] = True
    if "graduation_date" in turned:
        turned["graduation_date"] = "-5y"
    if "employment_form" in turned:
        turned["employment_form"] = "employee"
    if "public_service_post_months" in turned:
        turned["public_service_post_months"] = 0
    return turned


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


def _quarter_middle(quarter: tuple[int, int]) -> date:
    year, index = quarter
    return date(year, index * 3 + 2, 15)


@dataclass(frozen=True)
class Snapshot:
    """An evaluation as JSON text with the submission date left to fill in, and its amount."""

    text: str
    status: str
    amount: dict | None

    def on(self, day: date) -> str:
        return self.text.replace(ASOF_PLACEHOLDER, day.isoformat(), 1)


class Snapshots:
    """The engine's answers, computed when first needed and kept (one per programme, profile, district,
    quarter and refusal variant)."""

    def __init__(self, *, today: date):
        self.today = today
        self._found: dict[tuple, Snapshot] = {}

    def get(self, *, programme: str, profile: str, district: str, day: date, refused: bool = False) -> Snapshot:
        key = (programme, profile, district, quarter_of(day), refused)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._evaluate(*key)
        return found

    def prepare(self, *, programmes, districts, first_day: date) -> None:
        """Computes every answer a city from ``first_day`` to today can need, so that ``get`` reads no more
        from the database (the generator may then run in a process of its own)."""
        quarters = []
        quarter = quarter_of(first_day)
        while quarter <= quarter_of(self.today):
            quarters.append(quarter)
            year, index = quarter
            quarter = (year + 1, 0) if index == 3 else (year, index + 1)
        for programme, profiles in TEMPLATES.items():
            if programme not in programmes:
                continue
            for profile in profiles:
                for district in districts:
                    for year, index in quarters:
                        for refused in (False, True):
                            day = date(year, index * 3 + 1, 1)
                            self.get(programme=programme, profile=profile, district=district, day=day, refused=refused)

    def _evaluate(self, programme, profile, district, quarter, refused) -> Snapshot:
        from applications.services.intake import evaluation_snapshot

        on = min(_quarter_middle(quarter), self.today - timedelta(days=1))
        _share, youngest, oldest, _weights = PROFILES[profile]
        template = TEMPLATES[programme][profile]
        facts = {
            **(failing(template) if refused else template),
            "birth_date": f"-{(youngest + oldest) // 2}y",
            "region": district,
        }
        results = evaluate(facts_on(facts, on), on, parameters=parameters_in_force(on))
        result = next(result for result in results if result.programme_slug == programme)
        snapshot = evaluation_snapshot(result, on)
        snapshot["as_of"] = ASOF_PLACEHOLDER
        return Snapshot(
            text=orjson.dumps(snapshot).decode(),
            status=str(result.status),
            amount=result.amount.to_dict() if result.amount else None,
        )
