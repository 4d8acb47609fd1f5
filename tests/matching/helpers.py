"""Registry persons for the matching tests."""

import itertools
from datetime import date

from eligibility.facts import Facts, FactsInvalid, parse_facts

_serial = itertools.count(1)


def id_number() -> str:
    """A fresh resident identity number with a valid check digit."""
    serial = next(_serial)
    body = f"330802{19800101 + serial // 1000 % 28:08d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def registry_person(facts: dict | Facts, **fields):
    from eligibility.registry.models import RegistryPerson

    wire = facts.to_json() if isinstance(facts, Facts) else dict(facts)
    return RegistryPerson.objects.create(id_number=fields.pop("id_number", None) or id_number(), facts=wire, **fields)


def storable(facts: Facts) -> Facts:
    """The facts as the registry keeps them: what ``parse_facts`` refuses (a number above its maximum) left out."""
    wire = facts.to_json()
    while True:
        try:
            return parse_facts(wire)
        except FactsInvalid as invalid:
            wire = {name: value for name, value in wire.items() if name not in invalid.errors}


def results_of(run_person_ids=None) -> dict[tuple[int, str], tuple]:
    """The result rows kept: (person, programme slug) -> (status, amount, per, periods, first eligible on)."""
    from eligibility.matching.models import MatchResult

    rows = MatchResult.objects.select_related("programme")
    if run_person_ids is not None:
        rows = rows.filter(person_id__in=run_person_ids)
    return {
        (row.person_id, row.programme.slug): (row.status, row.amount, row.per, row.max_periods, row.first_eligible_on)
        for row in rows
    }


# No result row is created for these: no row means one of them (eligibility.matching.models.MatchResult).
NOT_ELIGIBLE = ("ineligible", "not_in_force")


def result_of(found: dict, person_id: int, slug: str) -> tuple:
    """(status, amount, periods) of a person for a programme as the rows say: no row is "not eligible"."""
    row = found.get((person_id, slug))
    return (row[0], row[1], row[3]) if row is not None else ("not eligible", None, None)


def answer_as_rows_say(status: str, amount, periods) -> tuple:
    """The screener's answer in the terms of ``result_of`` for a person never found otherwise before."""
    return ("not eligible", None, None) if status in NOT_ELIGIBLE else (status, amount, periods)


def forget_matching() -> None:
    """As if matching had never run: no results, no kept state."""
    from eligibility.matching.models import MatchResult, MatchRun, PersonState

    MatchResult.objects.all().delete()
    PersonState.objects.all().delete()
    MatchRun.objects.all().delete()


GRADUATE = {
    "birth_date": "1999-05-02",
    "region": "330802",
    "groups": ["college_graduate"],
    "graduation_date": "2025-06-30",
    "employed_since_graduation": False,
    "employment_form": "part_time",
    "pays_flexible_pension": True,
    "pays_flexible_medical": False,
}
AS_OF = date(2026, 3, 1)
