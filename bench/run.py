"""``make bench``: the engine's speed, measured in one run, written to docs/PERFORMANCE.md.

Measures, on the shipped catalogue's parameters (no database):

1. the column evaluator (``eligibility.columns``) on N persons (default 1,000,000) for
   every programme: time (best of 3, date parts recomputed each time) and peak memory
   (tracemalloc, which numpy reports to, plus the table itself);
2. the flexible-si-subsidy rule alone, column evaluator against a small OpenFisca model of
   the same rule (``bench/openfisca_flexible_si.py``, run in ``.venv-bench``) on the same
   N fully known inputs, with a checksum showing both found the same eligible persons
   and amounts;
3. ``engine.evaluate`` person by person on a sample, for reference;
4. HTTP (``bench/loadtest.py``): a trivial Django JSON view, ``POST /api/v1/screenings``
   and OpenFisca's web API ``/calculate``, each under gunicorn with 2 sync workers,
   ``wrk -t2 -c16 -d10s`` in interleaved rounds, on DATABASE_URL and REDIS_URL when set;
   and the screener's results page, one request at a time;
5. registry matching and the what-if preview on PostgreSQL (``bench/registry_match.py``) at
   1,000,000 registry persons (``BENCH_REGISTRY_PERSONS``), on a database of its own beside
   DATABASE_URL's; skipped, with the reason printed, without PostgreSQL.

``python bench/run.py [--persons N] [--rounds R] [--no-http] [--no-registry] [--no-write]``
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bench import city as city_bench  # noqa: E402
from bench import loadtest  # noqa: E402
from bench import registry_match as registry_bench  # noqa: E402
from eligibility import columns  # noqa: E402
from eligibility.columns import GROUP_BIT, PersonTable, evaluate_columns  # noqa: E402
from eligibility.engine import evaluate  # noqa: E402
from eligibility.facts import FACT_FIELDS, FactType, Group  # noqa: E402
from eligibility.parameter_set import ParameterInForce, ParameterSet, ProgrammeInfo  # noqa: E402
from eligibility.parameter_types import to_python  # noqa: E402
from eligibility.policy_file import SHIPPED_CATALOGUE, read_policy  # noqa: E402
from eligibility.rules import PROGRAMMES  # noqa: E402

AS_OF = date(2024, 3, 1)
FLEXIBLE_SI = next(iter(PROGRAMMES))  # the catalogue's first programme
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
TARGET_SECONDS, TARGET_MB = 1.0, 500


def catalogue_parameters(as_of: date) -> ParameterSet:
    """The shipped catalogue's values in force on ``as_of``, as ParameterSet.in_force would load them."""
    policy = read_policy(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    parameters = {}
    for spec in policy.parameters:
        in_force = [(day, value) for day, value in spec.values if day <= as_of]
        if in_force:
            day, value = in_force[-1]
            parameters[spec.key] = ParameterInForce(
                key=spec.key,
                type=spec.type,
                unit=spec.unit or "",
                local_default=bool(spec.local_default),
                value=to_python(spec.type, value),
                valid_from=day,
                stored=value,
            )
    programmes = [
        ProgrammeInfo(
            slug=spec.slug,
            position=position,
            kind=spec.kind,
            per=spec.per,
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            summary_zh=spec.summary_zh,
            summary_en=spec.summary_en,
            sources=tuple(spec.sources),
            in_force_from=spec.in_force_from,
        )
        for position, spec in enumerate(policy.programmes, start=1)
    ]
    return ParameterSet(as_of, parameters, programmes)


def population(n: int, *, unknown: float, seed: int = 10) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Random persons, one column per fact (columns.PersonTable encodings); ``unknown`` is the share left out."""
    rng = np.random.default_rng(seed)
    as_of = np.datetime64(AS_OF.isoformat(), "D")
    data: dict[str, np.ndarray] = {}
    for name, field in FACT_FIELDS.items():
        if field.type == FactType.DATE:
            span = 70 * 365 if name == "birth_date" else 12 * 365
            low = 15 * 365 if name == "birth_date" else 0
            data[name] = as_of - rng.integers(low, span, n).astype("timedelta64[D]")
        elif field.type == FactType.BOOL:
            data[name] = (rng.random(n) < 0.5).astype(np.int8)
        elif field.type == FactType.GROUPS:
            bits = np.zeros(n, dtype=columns.GROUP_DTYPE)
            for bit in GROUP_BIT.values():
                bits |= np.where(rng.random(n) < 0.2, bit, 0).astype(columns.GROUP_DTYPE)
            data[name] = bits
        elif field.type in columns.CODES:
            data[name] = rng.integers(0, len(columns.CODES[field.type]), n).astype(np.int8)
        elif field.type == FactType.REGION:
            data[name] = rng.choice(np.array([330800, 330802, 330881, 110000], dtype=np.int32), n)
        elif field.type == FactType.INT:
            data[name] = rng.integers(0, 13, n)
        elif field.type == FactType.DECIMAL:
            data[name] = rng.integers(0, 100_000_000, n)
        else:
            raise SystemExit(f"bench/run.py cannot generate facts of type {field.type}")
    groups_known = np.ones(n, dtype=bool)
    if unknown:
        for name, column in data.items():
            gone = rng.random(n) < unknown
            if name == "groups":
                groups_known = ~gone
            elif column.dtype.kind == "M":
                column[gone] = np.datetime64("NaT")
            else:
                column[gone] = -1
    return data, groups_known


def timed(function, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def column_run(table: PersonTable, parameters: ParameterSet, only=None):
    table._derived.clear()  # date parts are part of the work
    return evaluate_columns(table, AS_OF, parameters=parameters, only=only)


def peak_mb(function) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def table_mb(table: PersonTable) -> float:
    return (sum(column.nbytes for column in table.columns.values()) + table.groups_known.nbytes) / 2**20


def openfisca_params(parameters: ParameterSet) -> dict:
    """The values the OpenFisca model reads (bench/openfisca_flexible_si.py), from the catalogue's."""
    forms = columns.CODES[FactType.EMPLOYMENT_FORM]
    monthly = parameters.value("si.subsidy_rate") * parameters.value("si.min_monthly_contribution")
    return {
        "as_of": AS_OF.isoformat(),
        "as_of_in_force_from": parameters.programme(FLEXIBLE_SI).in_force_from.isoformat(),
        "working_age_min": parameters.value("common.working_age_min"),
        "retirement_age": parameters.value("common.retirement_age"),
        "graduate_window_months": parameters.value("si.graduate_window_months"),
        "flexible_forms": [forms.index(code) for code in parameters.value("common.flexible_forms")],
        "served_city": int(settings.LINGHUO_REGION_CODE) // 100,
        "monthly_cents": int(monthly.quantize(columns.amount_rules.CENT) * 100),
    }


def openfisca(data: dict[str, np.ndarray], parameters: ParameterSet) -> dict | None:
    if not BENCH_PYTHON.exists():
        return None
    params = openfisca_params(parameters)
    groups = data["groups"]
    inputs = {
        "birth_date": data["birth_date"],
        "graduation_date": data["graduation_date"],
        "region": data["region"].astype(np.int32),
        "employment_difficulty": (groups & GROUP_BIT[Group.EMPLOYMENT_DIFFICULTY]) != 0,
        "college_graduate": (groups & GROUP_BIT[Group.COLLEGE_GRADUATE]) != 0,
        "employed_since_graduation": data["employed_since_graduation"] == 1,
        "employment_form": data["employment_form"].astype(np.int32),
        "pays_flexible_pension": data["pays_flexible_pension"] == 1,
        "pays_flexible_medical": data["pays_flexible_medical"] == 1,
    }
    with tempfile.TemporaryDirectory() as folder:
        np.savez(Path(folder) / "inputs.npz", **inputs)
        (Path(folder) / "params.json").write_text(json.dumps(params), encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own script in our own venv
            [
                str(BENCH_PYTHON),
                str(REPO / "bench" / "openfisca_flexible_si.py"),
                f"{folder}/inputs.npz",
                f"{folder}/params.json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer["process_wall_s"] = wall
    return answer


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="persons screened one by one with evaluate()")
    parser.add_argument("--no-write", action="store_true", help="print the results, do not write PERFORMANCE.md")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved wrk rounds of the HTTP bench")
    parser.add_argument("--no-http", action="store_true", help="leave out the HTTP bench (wrk, gunicorn)")
    parser.add_argument("--no-registry", action="store_true", help="leave out registry matching (PostgreSQL)")
    parser.add_argument("--no-city", action="store_true", help="leave out the staff pages at a city's size")
    args = parser.parse_args()
    n = args.persons
    parameters = catalogue_parameters(AS_OF)
    results: dict[str, object] = {"persons": n, "as_of": AS_OF.isoformat(), "machine": machine()}
    results["load_before"] = os.getloadavg()

    # 4. HTTP first, before the large tables take memory.
    if not args.no_http:
        forms = list(columns.CODES[FactType.EMPLOYMENT_FORM])
        results["http"] = loadtest.measure(openfisca_params(parameters), forms, rounds=args.rounds)

    # 1. Every programme, 10% of each fact unknown.
    data, groups_known = population(n, unknown=0.1)
    started = time.perf_counter()
    table = PersonTable.from_columns(n, groups_known=groups_known, **data)
    results["table_build_s"] = time.perf_counter() - started
    results["table_mb"] = table_mb(table)
    results["all_s"], found = timed(lambda: column_run(table, parameters))
    results["all_peak_mb"] = peak_mb(lambda: column_run(table, parameters))
    results["all_counts"] = {slug: result.counts() for slug, result in found.items()}
    del found

    # 3. evaluate() one by one, on a sample of the same table.
    sample = [table.facts_at(index) for index in range(min(args.sample, n))]
    started = time.perf_counter()
    for facts in sample:
        evaluate(facts, AS_OF, parameters=parameters)
    results["evaluate_per_person_ms"] = (time.perf_counter() - started) / len(sample) * 1000
    table = None  # free it before the second population

    # 2. flexible-si-subsidy alone, every fact known (OpenFisca has no "unknown").
    known, _ = population(n, unknown=0.0, seed=11)
    started = time.perf_counter()
    full = PersonTable.from_columns(n, **known)
    results["si_table_build_s"] = time.perf_counter() - started
    results["si_s"], si = timed(lambda: column_run(full, parameters, only=[FLEXIBLE_SI]))
    si = si[FLEXIBLE_SI]
    results["si_checksum"] = {"eligible": int(si.has_amount.sum()), "cents": int(si.amount_cents.sum())}
    results["openfisca"] = openfisca(known, parameters)
    results["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["load_after"] = os.getloadavg()
    results["registry"] = (
        {"skipped": "--no-registry"}
        if args.no_registry
        else registry_bench.bench_registry_or_skip(os.environ.get("DATABASE_URL"))
    )
    results["city"] = (
        {"skipped": "--no-city"} if args.no_city else city_bench.bench_city_or_skip(os.environ.get("DATABASE_URL"))
    )
    print(json.dumps(results, indent=2))
    if not args.no_write:
        path = REPO / "docs" / "PERFORMANCE.md"
        path.write_text(report(results), encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}")


def _verdict(ok: bool, text: str) -> str:
    return f"met — {text}" if ok else f"**missed** — {text}"


def report(r: dict) -> str:
    n = r["persons"]
    m = r["machine"]
    of = r["openfisca"]
    all_total = r["all_s"]
    all_ok = all_total <= TARGET_SECONDS and r["all_peak_mb"] + r["table_mb"] <= TARGET_MB
    lines = [
        "# Performance of the eligibility engine and the screening API",
        "",
        "Written by `make bench` (`bench/run.py`); every number below comes from the same run.",
        "",
        "## Method",
        "",
        f"- {n:,} random persons screened on {r['as_of']} with the shipped catalogue's parameters "
        "(no database: the parameter set is built from `eligibility/policy/catalogue.yaml`).",
        "- *Column evaluator*: `eligibility.columns.evaluate_columns`, compiled from the same rule trees "
        "as `engine.evaluate` (`eligibility.rules`); status, amount (integer cents), `max_periods` and "
        "missing facts for every programme. Best of 3; the table's derived date parts are recomputed each "
        "time. For all programmes, 10% of every fact is unknown (three-valued logic at work).",
        "- *Peak memory*: `tracemalloc` peak during one evaluation (numpy reports its buffers to it), plus "
        "the input table itself.",
        "- *flexible-si-subsidy alone*: the same evaluator restricted to that programme, against a small "
        "OpenFisca model of the same rule (`bench/openfisca_flexible_si.py`, openfisca-core 46.0.1 in "
        "`.venv-bench`), on the same fully known inputs (OpenFisca has no unknown facts). OpenFisca's time "
        "includes building the simulation and setting the inputs, best of 3; the column evaluator's time "
        "is shown without and with building its table from the raw arrays.",
        f"- *`evaluate` per person*: `engine.evaluate` on {r.get('sample', 2000):,} persons of the table, "
        "parameters given (no SQL), explanations lazy (not rendered).",
        "- *Why numpy, not Arrow/polars*: the rules are a handful of comparisons, minima and date "
        "arithmetic per leaf; numpy does them in place with no extra dependency or data conversion, and "
        "three-valued logic is one `uint8` per person (`All` = minimum, `Any` = maximum), which numpy "
        "reduces directly.",
        "- *Parameters*: single screenings read the parameter set from `eligibility.parameter_cache` "
        "(policy version in the shared cache, bumped on commit of every policy write; no SQL once warm, "
        "asserted by `tests/eligibility/test_parameter_cache.py`).",
        "",
        "## Machine",
        "",
        f"- CPUs (`nproc`): {m['nproc']}; CPU: {m['cpu']}",
        f"- Python {m['python']}, numpy {m['numpy']}; {m['platform']}",
        "",
        "## Results",
        "",
        "| Measure | Result | Target |",
        "| --- | --- | --- |",
        f"| All {len(r['all_counts'])} programmes, {n:,} persons, column evaluator | {all_total:.3f} s | ≤ 1 s |",
        f"| … peak memory (evaluation + table of {r['table_mb']:.0f} MB) | "
        f"{r['all_peak_mb'] + r['table_mb']:.0f} MB | ≤ 500 MB |",
        f"| … building the table from raw arrays | {r['table_build_s']:.3f} s | |",
        f"| flexible-si-subsidy alone, column evaluator | {r['si_s']:.3f} s "
        f"({r['si_s'] + r['si_table_build_s']:.3f} s with the table) | ≤ OpenFisca |",
    ]
    if of:
        lines += [
            f"| flexible-si-subsidy alone, OpenFisca 46.0.1 | {of['total_s']:.3f} s "
            f"(set-up {of['set_up_s']:.3f} s + calculate {of['calculate_s']:.3f} s) | |",
        ]
    per_person = r["evaluate_per_person_ms"]
    lines += [
        f"| `engine.evaluate`, one person at a time | {per_person:.3f} ms a person "
        f"(≈ {per_person * n / 1000:,.0f} s for {n:,}) | reference |",
        f"| Process peak RSS (whole bench) | {r['max_rss_mb']:.0f} MB | |",
        "",
        "## Verdict",
        "",
        "- All programmes: "
        + _verdict(
            all_ok,
            f"{all_total:.3f} s and {r['all_peak_mb'] + r['table_mb']:.0f} MB for {n:,} persons"
            + ("" if all_ok else f"; over the target by {max(all_total / TARGET_SECONDS, 1):.2f}× in time"),
        ),
    ]
    if of:
        same = of["eligible"] == r["si_checksum"]["eligible"] and of["cents"] == r["si_checksum"]["cents"]
        ratio = of["total_s"] / r["si_s"]
        lines += [
            "- flexible-si-subsidy alone: "
            + _verdict(
                r["si_s"] <= of["total_s"],
                f"{ratio:.1f}× OpenFisca's speed ({r['si_s']:.3f} s against {of['total_s']:.3f} s; "
                f"{(of['total_s'] / (r['si_s'] + r['si_table_build_s'])):.1f}× counting the table build)",
            ),
            f"- Both found {of['eligible']:,} eligible persons and {of['cents'] / 100:,.2f} 元 a month in total: "
            + ("the same answer." if same else f"**they differ** (column evaluator: {r['si_checksum']})."),
        ]
    else:
        lines += ["- flexible-si-subsidy against OpenFisca: not measured (`.venv-bench` missing; run `make bench`)."]
    lines += ["", *http_report(r), ""]
    lines += [*registry_bench.registry_report(r.get("registry")), ""]
    lines += [*city_bench.city_report(r.get("city")), ""]
    lines += [
        "## Statuses found (all programmes)",
        "",
        "| Programme | eligible | ineligible | needs_info | not_in_force |",
        "| --- | --- | --- | --- | --- |",
    ]
    for slug, counts in r["all_counts"].items():
        lines.append(
            f"| {slug} | {counts['eligible']:,} | {counts['ineligible']:,} | {counts['needs_info']:,} | "
            f"{counts['not_in_force']:,} |"
        )
    return "\n".join(lines) + "\n"


TARGET_TRIVIAL_RATIO, TARGET_OPENFISCA_RATIO, TARGET_PAGE_MS = 0.6, 2.0, 20.0


def http_report(r: dict) -> list[str]:
    http = r.get("http")
    lines = ["## HTTP: the screening API, the stack's own limit and OpenFisca", ""]
    if not http:
        return [*lines, "- Not measured (`--no-http`)."]
    if "skipped" in http:
        return [*lines, f"- Not measured: {http['skipped']}."]
    targets = http["targets"]
    cost = http["in_process"]
    rounds = http["rounds"]
    lines += [
        "### Method",
        "",
        f"- Each target under gunicorn with {loadtest.WORKERS} sync workers, loaded with "
        f"`wrk -t{loadtest.THREADS} -c{loadtest.CONNECTIONS} -d{http['seconds']}s`; {rounds} rounds, each running "
        "the five targets one after the other (trivial; screening and OpenFisca for one person; screening and "
        "OpenFisca for random persons), after a 2 s warm-up of each; the table gives the median over the rounds, "
        "and the ratios are also given round by round.",
        f"- Portal on {http['database']} with the {http['cache']} cache, settings `bench.settings` (the portal's "
        "own settings and middleware, plus `/bench/trivial`, which production never routes; the rate limit is off, "
        "since every request comes from one address). The trivial view and the screening API are served by the "
        "same gunicorn.",
        "- The screening body is the catalogue example (one person, `as_of` 2024-03-01); OpenFisca gets the same "
        "person as its `/calculate` input on the small model of the flexible-si-subsidy rule "
        "(`bench/openfisca_flexible_si.py`, served by `bench/openfisca_web.py`), asking for eligibility and amount "
        "(OpenFisca has no unknown facts: the region, absent from the example, is the served city). Every target "
        "was checked once before the load (200 and the expected answer); answers other than 2xx under load are "
        "counted in the table.",
        "- *Random persons*: the issue's set-up sends one person again and again, which the engine's memo of "
        "decided criteria (`eligibility.engine`: a criterion's result for the values of the facts it reads) answers "
        "from memory after the first request. The two `random` targets send a new person each request, drawn by "
        "wrk's own script (`bench/loadtest.py`: born 1964–2003, two in three graduates of 2021–2024, any employment "
        "form, one of Quzhou's six districts and counties or Beijing), the same way for the screening API and for "
        "OpenFisca, which is given every fact its model reads.",
        "- wrk runs on the same machine as the servers and takes CPU from them, for every target alike. "
        f"Load average (1 min) before the bench: {r['load_before'][0]:.1f}, after: {r['load_after'][0]:.1f}, "
        f"on {r['machine']['nproc']} CPUs: where it is above the CPU count, other processes were running and the "
        "absolute numbers are low and noisy; the interleaved ratios are the comparison.",
        "- *In process*: the same requests through Django's test client, one at a time, with the parts of each "
        "screening timed where the view calls them (`bench/request_costs.py`, medians of 300), before the servers "
        "start, on the same database and cache.",
        "- The screener's results page: `GET /screening/results/` with a signed answers cookie (a recent graduate "
        "working part-time): server time is the in-process p50 (test client); over HTTP, one connection "
        "(`wrk -t1 -c1 -d5s`), its p50 adds gunicorn and the loopback.",
        "",
        "### Results",
        "",
        "| Target | requests/s | p50 | per round (requests/s) | not 2xx |",
        "| --- | --- | --- | --- | --- |",
    ]
    for target in loadtest.TARGETS:
        found = targets[target]
        per_round = ", ".join(f"{run['rps']:,.0f}" for run in found["runs"])
        lines.append(
            f"| {loadtest.LABELS[target]} | {found['rps']:,.0f} | {found['p50_ms']:.1f} ms | {per_round} | "
            f"{found['non_2xx'] + found['socket_errors']} |"
        )
    page = http["results_page"]
    trivial_ratio = targets["screening"]["rps"] / targets["trivial"]["rps"]
    openfisca_ratio = targets["screening"]["rps"] / targets["openfisca"]["rps"]
    varied_trivial_ratio = targets["screening_varied"]["rps"] / targets["trivial"]["rps"]
    varied_openfisca_ratio = targets["screening_varied"]["rps"] / targets["openfisca_varied"]["rps"]
    runs = {target: targets[target]["runs"] for target in loadtest.TARGETS}

    def per_round(a: str, b: str) -> str:
        return ", ".join(f"{x['rps'] / y['rps']:.2f}" for x, y in zip(runs[a], runs[b], strict=True))

    other_ms = (
        cost["screening_ms"]
        - cost["trivial_ms"]
        - cost["screening_parameters_ms"]
        - cost["screening_evaluate_ms"]
        - cost["screening_render_ms"]
    )
    page_ms = cost["results_page_ms"]
    lines += [
        "",
        "| Comparison | Result | Target |",
        "| --- | --- | --- |",
        f"| screening / trivial view (requests/s), one person | **{trivial_ratio:.2f}×** (rounds: "
        f"{per_round('screening', 'trivial')}) | ≥ {TARGET_TRIVIAL_RATIO}× |",
        f"| screening / OpenFisca `/calculate` (requests/s), one person | **{openfisca_ratio:.2f}×** (rounds: "
        f"{per_round('screening', 'openfisca')}) | ≥ {TARGET_OPENFISCA_RATIO}× |",
        f"| screening / trivial view (requests/s), random persons | **{varied_trivial_ratio:.2f}×** (rounds: "
        f"{per_round('screening_varied', 'trivial')}) | ≥ {TARGET_TRIVIAL_RATIO}× |",
        f"| screening / OpenFisca `/calculate` (requests/s), random persons | **{varied_openfisca_ratio:.2f}×** "
        f"(rounds: {per_round('screening_varied', 'openfisca_varied')}) | ≥ {TARGET_OPENFISCA_RATIO}× |",
        f"| screener results page, server time p50 (in process) | **{page_ms:.1f} ms** | ≤ {TARGET_PAGE_MS:.0f} ms |",
        f"| … over HTTP, one connection, p50 | {page['p50_ms']:.1f} ms ({page['rps']:,.0f} requests/s) | |",
        "",
        "In process, one request at a time (medians):",
        "",
        "| Part | ms |",
        "| --- | --- |",
        f"| trivial view, whole request (test client) | {cost['trivial_ms']:.2f} |",
        f"| screening, whole request (test client) | {cost['screening_ms']:.2f} |",
        f"| … of which the parameter set (policy version read from the shared cache) | "
        f"{cost['screening_parameters_ms']:.2f} |",
        f"| … of which `evaluate` of every programme, parameters in hand | {cost['screening_evaluate_ms']:.2f} |",
        f"| … of which explanations rendered in one language (`results_to_dict`) | {cost['screening_render_ms']:.2f} |",
        f"| … of which the rest beyond the trivial view (body, parsing and checks, JSON answer) | {other_ms:.2f} |",
        f"| SQL queries of a warm screening | {cost['screening_queries']} |",
        "",
        "### Verdict",
        "",
    ]
    extra = cost["screening_ms"] - cost["trivial_ms"]
    why_trivial = (
        f"in process a screening takes {cost['screening_ms']:.2f} ms against {cost['trivial_ms']:.2f} ms for the "
        f"trivial view; of the {extra:.2f} ms more, {cost['screening_parameters_ms']:.2f} ms are the round trip to "
        f"the shared cache for the policy version, {cost['screening_evaluate_ms']:.2f} ms the evaluation of every "
        f"programme, {cost['screening_render_ms']:.2f} ms the explanations, {other_ms:.2f} ms the rest (reading "
        "and checking the body, the JSON answer). Under load the workers also share two CPUs with wrk. "
        "A view that does nothing costs so little that any real work weighs against it"
    )
    why_openfisca = (
        "OpenFisca's Flask app computes one rule and answers two numbers, with no middleware; the "
        "screening API decides every programme, writes every criterion's explanation and goes through "
        f"the portal's whole middleware stack (sessions, CSRF, authentication, OTP, axes, CSP: "
        f"{cost['trivial_ms']:.2f} ms a request even for the trivial view)"
    )
    for persons, to_trivial, to_openfisca in (
        ("one person", trivial_ratio, openfisca_ratio),
        ("random persons", varied_trivial_ratio, varied_openfisca_ratio),
    ):
        for against, ratio, target, why in (
            ("the trivial view", to_trivial, TARGET_TRIVIAL_RATIO, why_trivial),
            ("OpenFisca", to_openfisca, TARGET_OPENFISCA_RATIO, why_openfisca),
        ):
            missed = (
                f", short of {target}× by {target - ratio:.2f} ({(1 - ratio / target) * 100:.0f}% fewer requests "
                f"than the target). Why: {why}."
            )
            lines.append(
                f"- Screening against {against}, {persons}: "
                + _verdict(ratio >= target, f"{ratio:.2f}×" + ("." if ratio >= target else missed))
            )
    page_ok = page_ms <= TARGET_PAGE_MS
    lines.append(
        "- Screener results page: "
        + _verdict(
            page_ok,
            f"{page_ms:.1f} ms server time (p50)"
            + (
                "."
                if page_ok
                else f", over {TARGET_PAGE_MS:.0f} ms by {page_ms - TARGET_PAGE_MS:.1f} ms. Why: the page evaluates "
                "every programme and renders its whole HTML template (explanations, amounts, links), on a machine "
                "whose other processes take CPU."
            ),
        )
    )
    bad = sum(targets[target]["non_2xx"] + targets[target]["socket_errors"] for target in loadtest.TARGETS)
    if bad:
        lines.append(f"- **{bad} answers under load were not 2xx or failed**: the numbers above are not valid.")
    return lines


if __name__ == "__main__":
    main()
