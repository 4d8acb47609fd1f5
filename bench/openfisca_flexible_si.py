"""A small OpenFisca model of the flexible-si-subsidy rule, for the bench only.

Run by ``bench/run.py`` in ``.venv-bench`` (OpenFisca pins an older gunicorn
than the portal): ``python bench/openfisca_flexible_si.py INPUTS.npz PARAMS.json``.
It reads the same inputs the column evaluator screened, builds a simulation,
computes eligibility and the monthly amount, and prints one JSON line with the
timings and a checksum (eligible count, total of monthly amounts in cents) that
run.py compares with the column evaluator's.

The rule is the portal's (catalogue, section 4), with every fact known
(OpenFisca has no "unknown"): region served (first four digits), working age,
target group (employment difficulty, or a graduate within the window who has
not been employed), flexible form of work, flexible insurance; the amount is
rate × minimum contribution per month. Dates are ``datetime64[D]``; the window
is ``add_months`` with month-end clamping, as in ``eligibility.dates``.
``as_of`` is the first day of the simulated month.
"""

import json
import sys
import time
from datetime import date

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.periods import MONTH
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

Person = build_entity(key="person", plural="persons", label="A person", is_person=True)


def _input(name, value_type, default=None):
    attributes = {"value_type": value_type, "entity": Person, "definition_period": MONTH, "label": name}
    if default is not None:
        attributes["default_value"] = default
    return type(name, (Variable,), attributes)


INPUTS = {
    "birth_date": _input("birth_date", date, date(1970, 1, 1)),
    "graduation_date": _input("graduation_date", date, date(1970, 1, 1)),
    "region": _input("region", int),
    "employment_difficulty": _input("employment_difficulty", bool),
    "college_graduate": _input("college_graduate", bool),
    "employed_since_graduation": _input("employed_since_graduation", bool),
    "employment_form": _input("employment_form", int),
    "pays_flexible_pension": _input("pays_flexible_pension", bool),
    "pays_flexible_medical": _input("pays_flexible_medical", bool),
}


def _add_months(days, months):
    month_index = days.astype("datetime64[M]")
    day_of_month = (days - month_index.astype("datetime64[D]")).astype(np.int64) + 1
    target = month_index.astype(np.int64) + months
    start = target.astype("datetime64[M]").astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(np.int64)
    return start + (np.minimum(day_of_month, length) - 1).astype("timedelta64[D]")


def build_system(p: dict) -> TaxBenefitSystem:
    as_of_field = "as_of"

    class age(Variable):
        value_type = int
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            as_of = np.datetime64(period.start.date, "D")
            birth = person("birth_date", period)
            months = birth.astype("datetime64[M]")
            year = months.astype(np.int64) // 12 + 1970
            month = months.astype(np.int64) % 12 + 1
            day = (birth - months.astype("datetime64[D]")).astype(np.int64) + 1
            start = period.start.date
            years = start.year - year - ((month * 100 + day) > (start.month * 100 + start.day))
            return np.where(birth > as_of, 0, years)

    class working_age(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            years = person("age", period)
            return (years >= p["working_age_min"]) & (years < p["retirement_age"])

    class region_served(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            return person("region", period) // 100 == p["served_city"]

    class recent_graduate(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            as_of = np.datetime64(period.start.date, "D")
            deadline = _add_months(person("graduation_date", period), p["graduate_window_months"])
            return (
                person("college_graduate", period)
                & (as_of <= deadline)
                & np.logical_not(person("employed_since_graduation", period))
            )

    class si_target_group(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            return person("employment_difficulty", period) | person("recent_graduate", period)

    class works_flexibly(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            return np.isin(person("employment_form", period), p["flexible_forms"])

    class insured_flexibly(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            return person("pays_flexible_pension", period) | person("pays_flexible_medical", period)

    class flexible_si_eligible(Variable):
        value_type = bool
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            in_force = period.start.date >= date.fromisoformat(p[as_of_field + "_in_force_from"])
            return (
                in_force
                & person("region_served", period)
                & person("working_age", period)
                & person("si_target_group", period)
                & person("works_flexibly", period)
                & person("insured_flexibly", period)
            )

    class flexible_si_monthly_cents(Variable):
        value_type = int
        entity = Person
        definition_period = MONTH

        def formula(person, period, parameters):
            return np.where(person("flexible_si_eligible", period), p["monthly_cents"], 0)

    system = TaxBenefitSystem([Person])
    for variable in (
        *INPUTS.values(),
        age,
        working_age,
        region_served,
        recent_graduate,
        si_target_group,
        works_flexibly,
        insured_flexibly,
        flexible_si_eligible,
        flexible_si_monthly_cents,
    ):
        system.add_variable(variable)
    return system


def main() -> None:
    inputs_path, params_path = sys.argv[1], sys.argv[2]
    p = json.loads(open(params_path, encoding="utf-8").read())  # noqa: SIM115 - a short script
    data = np.load(inputs_path)
    arrays = {name: data[name] for name in data.files}
    n = len(arrays["region"])
    period = p["as_of"][:7]
    system = build_system(p)
    best = None
    for _ in range(3):
        started = time.perf_counter()
        builder = SimulationBuilder()
        builder.create_entities(system)
        builder.declare_person_entity("person", np.arange(n).astype(str))
        simulation = builder.build(system)
        for name in INPUTS:
            simulation.set_input(name, period, arrays[name])
        set_up = time.perf_counter()
        eligible = simulation.calculate("flexible_si_eligible", period)
        cents = simulation.calculate("flexible_si_monthly_cents", period)
        done = time.perf_counter()
        timing = {"set_up_s": set_up - started, "calculate_s": done - set_up, "total_s": done - started}
        if best is None or timing["total_s"] < best["total_s"]:
            best = timing
    print(json.dumps({**best, "n": n, "eligible": int(eligible.sum()), "cents": int(cents.sum())}))


if __name__ == "__main__":
    main()
