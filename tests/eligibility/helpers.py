"""Helpers of the eligibility tests: screening one person in a line."""

from datetime import date

from eligibility.engine import evaluate
from eligibility.facts import parse_facts
from eligibility.results import ProgrammeResult


def screen(as_of: str, **facts) -> dict[str, ProgrammeResult]:
    """Results by programme slug for JSON facts on ``as_of``."""
    results = evaluate(parse_facts(facts), date.fromisoformat(as_of))
    return {result.programme_slug: result for result in results}


def criterion(result: ProgrammeResult, criterion_id: str):
    return next(c for c in result.criteria if c.id == criterion_id)


ADULT = {"birth_date": "1990-01-01"}
GRADUATE = {
    "birth_date": "1999-05-02",
    "groups": ["college_graduate"],
    "graduation_date": "2023-06-30",
    "employed_since_graduation": False,
    "employment_form": "part_time",
    "pays_flexible_pension": True,
}
