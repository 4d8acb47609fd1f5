"""Registry matching and the what-if preview on PostgreSQL, at 1,000,000 registry persons (issue 12).

``python bench/registry_match.py --database-url postgres://postgres@127.0.0.1:5432/linghuo_bench_registry``
migrates that database, fills the registry with N persons (default 1,000,000)
by a loader of its own (below), and measures, each in a fresh process so that
its peak memory is its own (``ru_maxrss``):

1. the first run (every result new: N × programmes rows inserted);
2. the nightly run the next day after 1 % of the persons' facts changed (what a
   night brings: the rows of the persons whose results changed are rewritten);
3. the same nightly run with nothing changed (read and evaluate everything, write nothing);
4. the what-if preview of a new si.subsidy_rate over the whole registry;
5. the peak memory of a nightly run at N/5 persons, to show it does not grow with the registry.

``bench_registry(database_url)`` returns the rows ``(measure, result, target)``
for ``bench/run.py``.

The loader: identity numbers are unique, valid-looking 18-character numbers
made from the row number; each is encrypted for real
(``applications.crypto.encrypt_text``, AES-GCM) and hashed (``keyed_hash``) in
Python, and sent with one COPY; the facts are drawn server-side by SQL
(``random()`` with a fixed seed) in realistic shares: ages 16–64, most in the
served city, a third recent graduates, platform and part-time work, flexible
insurance, some businesses and loan requests, and about one fact in ten unknown.
Names, mobiles and e-mails are left empty (matching does not read them).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0
PERSONS = 1_000_000


def _setup(database_url: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    import django

    django.setup()


# --- The loader --------------------------------------------------------------------------------------------

_FACTS_SQL = """
WITH drawn AS (
    SELECT s.id, random() AS r_unknown, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
           random() AS r5, random() AS r6, random() AS r7, random() AS r8, random() AS r9, random() AS r10,
           random() AS r11, random() AS r12, random() AS r13
    FROM {table} AS s WHERE s.id BETWEEN %(first)s AND %(last)s
)
UPDATE {table} AS p SET facts = jsonb_strip_nulls(jsonb_build_object(
    'birth_date', CASE WHEN d.r_unknown > 0.03 THEN
        to_char(DATE %(today)s - (16 * 365 + floor(d.r1 * 48 * 365))::int, 'YYYY-MM-DD') END,
    'region', CASE WHEN d.r_unknown > 0.02 THEN
        (ARRAY['330802','330803','330822','330824','330825','330881','330102','110101'])[1 + floor(d.r2 * 8)::int] END,
    'groups', CASE WHEN d.r_unknown < 0.92 THEN
        (SELECT COALESCE(jsonb_agg(code), '[]'::jsonb) FROM (VALUES
            ('college_graduate', 0.30), ('registered_unemployed', 0.15), ('laid_off', 0.05),
            ('employment_difficulty', 0.05), ('migrant_worker', 0.20), ('disabled', 0.03),
            ('veteran', 0.02), ('low_income_household', 0.06)) AS g(code, share)
         WHERE random() + 0 * d.r3 < share) END,
    'graduation_date', CASE WHEN d.r3 < 0.35 THEN
        to_char(DATE %(today)s - floor(d.r4 * 6 * 365)::int, 'YYYY-MM-DD') END,
    'employed_since_graduation', CASE WHEN d.r3 < 0.35 AND d.r_unknown > 0.1 THEN d.r5 < 0.4 END,
    'employment_form', CASE WHEN d.r_unknown > 0.05 THEN
        (ARRAY['part_time','platform','self_employed','employee','unemployed','other'])[1 + floor(d.r6 * 6)::int] END,
    'plans_business', CASE WHEN d.r_unknown > 0.3 THEN d.r7 < 0.2 END,
    'business_registered', CASE WHEN d.r7 < 0.1 THEN true WHEN d.r_unknown > 0.4 THEN false END,
    'business_registered_on', CASE WHEN d.r7 < 0.1 THEN
        to_char(DATE %(today)s - floor(d.r8 * 5 * 365)::int, 'YYYY-MM-DD') END,
    'pays_flexible_pension', CASE WHEN d.r_unknown > 0.08 THEN d.r9 < 0.45 END,
    'pays_flexible_medical', CASE WHEN d.r_unknown > 0.12 THEN d.r10 < 0.4 END,
    'public_service_post_months', CASE WHEN d.r11 < 0.05 THEN floor(d.r12 * 48)::int END,
    'training_certificate', CASE WHEN d.r_unknown > 0.2 THEN d.r12 < 0.15 END,
    'hardship_declared', CASE WHEN d.r_unknown > 0.25 THEN d.r13 < 0.1 END,
    'requested_loan_amount', CASE WHEN d.r7 < 0.15 THEN to_char(round((d.r13 * 500000)::numeric, 2), 'FM9999990.00') END
)) FROM drawn AS d WHERE p.id = d.id
"""


def id_number(serial: int) -> str:
    """A valid-looking resident identity number (GB 11643 check digit), unique per ``serial`` below 1,000,000 × 30."""
    born = date(1960, 1, 1) + timedelta(days=serial // 1000)
    body = f"330802{born:%Y%m%d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def load_registry(persons: int, *, seed: float = 0.42) -> float:
    """Empties the registry (and matching results) and loads ``persons`` persons; returns the seconds it took."""
    from django.db import connection, transaction

    from applications.crypto import encrypt_text, keyed_hash
    from eligibility.matching.models import MatchResult, MatchRun, PersonState
    from eligibility.registry.models import RegistryPerson

    started = time.perf_counter()
    table = RegistryPerson._meta.db_table
    context = RegistryPerson._meta.get_field("id_number").encryption_context
    with transaction.atomic(), connection.cursor() as cursor:
        names = ", ".join(
            connection.ops.quote_name(t) for t in (MatchResult._meta.db_table, PersonState._meta.db_table)
        )
        cursor.execute(f"TRUNCATE {names}, {connection.ops.quote_name(MatchRun._meta.db_table)} CASCADE")
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(table)} RESTART IDENTITY CASCADE")
        cursor.execute("SELECT setseed(%s)", [seed])
        columns = (
            "id_number, id_number_hash, full_name, mobile, email, language, facts, fact_sources, detail_sources, "
            "created_at, updated_at"
        )
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for serial in range(persons):
                number = id_number(serial)
                copy.write_row(
                    (
                        encrypt_text(number, context=context),
                        keyed_hash(number),
                        "",
                        "",
                        "",
                        "zh-hans",
                        "{}",
                        "{}",
                        "{}",
                        "now",
                        "now",
                    )
                )
        step = 250_000
        for first in range(1, persons + 1, step):
            cursor.execute(
                _FACTS_SQL.format(table=table),
                {"first": first, "last": first + step - 1, "today": date.today().isoformat()},
            )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def change_facts(share: float, *, seed: float = 0.7) -> int:
    """Gives ``share`` of the registry new facts (a night's imports): a new form of work, a new insurance answer."""
    from django.db import connection, transaction

    from eligibility.registry.models import RegistryPerson

    table = RegistryPerson._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            f"UPDATE {table} SET facts = facts || jsonb_build_object("  # noqa: S608
            "'pays_flexible_pension', random() < 0.5, "
            "'employment_form', (ARRAY['part_time','platform','employee','unemployed'])[1 + floor(random() * 4)::int]) "
            "WHERE random() < %s",
            [share],
        )
        return cursor.rowcount


# --- Measurements, each in a process of its own ---------------------------------------------------------------


def _child(database_url: str, step: str, **arguments) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--database-url", database_url, "--step", step]
    command += ["--arguments", json.dumps(arguments)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)  # noqa: S603
    if done.returncode:
        raise RuntimeError(f"bench step {step} failed:\n{done.stdout}\n{done.stderr}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{step} {arguments}: {found}", file=sys.stderr, flush=True)
    return found


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(step: str, arguments: dict) -> dict:
    from datetime import date as date_type

    if step == "load":
        seconds = load_registry(arguments["persons"])
        return {"seconds": seconds}
    if step == "change":
        return {"changed": change_facts(arguments["share"])}
    if step == "baseline":
        from eligibility.matching import services  # noqa: F401  (the same imports as a run)

        return {"peak_mb": _peak_mb()}
    if step == "match":
        from eligibility.matching.services import registry_match

        started = time.perf_counter()
        run = registry_match(as_of=date_type.fromisoformat(arguments["as_of"]), chunk_size=arguments["chunk_size"])
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "persons": run.persons,
            "eligible": run.eligible,
            "written": run.results_written,
            "newly_eligible": run.newly_eligible,
            "invitations": run.invitations,
            "peak_mb": _peak_mb(),
        }
    if step == "whatif":
        from eligibility.matching.whatif import whatif_preview
        from eligibility.models import Parameter

        rate = Parameter.objects.get(key=arguments["key"])
        started = time.perf_counter()
        preview = whatif_preview(
            parameter_key=rate.key,
            value=arguments["value"],
            valid_from=date_type.fromisoformat(arguments["valid_from"]),
        )
        return {
            "seconds": time.perf_counter() - started,
            "persons_changed": preview.persons_changed,
            "applications_changed": preview.applications_changed,
            "cost_change": str(preview.cost_change_per_year),
            "peak_mb": _peak_mb(),
        }
    raise ValueError(step)


def measure(database_url: str, persons: int = PERSONS, chunk_size: int = 100_000) -> dict:
    today = date.today()
    tomorrow = today + timedelta(days=1)
    found: dict = {"persons": persons}
    _child(database_url, "migrate")
    found["load_s"] = _child(database_url, "load", persons=persons)["seconds"]
    found["baseline"] = _child(database_url, "baseline")
    found["first"] = _child(database_url, "match", as_of=today.isoformat(), chunk_size=chunk_size)
    found["changed"] = _child(database_url, "change", share=0.01)["changed"]
    found["nightly"] = _child(database_url, "match", as_of=tomorrow.isoformat(), chunk_size=chunk_size)
    found["unchanged"] = _child(database_url, "match", as_of=tomorrow.isoformat(), chunk_size=chunk_size)
    found["whatif"] = _child(
        database_url,
        "whatif",
        key="si.subsidy_rate",
        value="0.60",
        valid_from=tomorrow.isoformat(),
    )
    small = max(1, persons // 5)
    _child(database_url, "load", persons=small)
    _child(database_url, "match", as_of=today.isoformat(), chunk_size=chunk_size)
    found["small_nightly"] = _child(database_url, "match", as_of=tomorrow.isoformat(), chunk_size=chunk_size)
    found["small_persons"] = small
    return found


def rows_from(found: dict) -> list[tuple[str, str, str]]:
    n = found["persons"]
    base = found["baseline"]["peak_mb"]

    def rate(step):
        seconds, written = found[step]["seconds"], found[step]["written"]
        return f"{seconds:.2f} s ({n / seconds:,.0f} persons/s), {written:,} rows written"

    return [
        (f"Registry load, {n:,} persons (bench loader)", f"{found['load_s']:.1f} s", "—"),
        (f"Matching, first run (all results new), {n:,} persons", rate("first"), f"≤ {TARGET_SECONDS:.0f} s"),
        (
            f"Matching, nightly run after {found['changed']:,} persons' facts changed",
            rate("nightly"),
            f"≤ {TARGET_SECONDS:.0f} s",
        ),
        ("Matching, run with nothing changed", rate("unchanged"), f"≤ {TARGET_SECONDS:.0f} s"),
        (
            "Matching, peak memory (process; idle Django process)",
            f"{found['first']['peak_mb']:.0f} MB first run, {found['nightly']['peak_mb']:.0f} MB nightly "
            f"({base:.0f} MB idle); {found['small_nightly']['peak_mb']:.0f} MB nightly at "
            f"{found['small_persons']:,} persons",
            "does not grow with the registry",
        ),
        (
            f"What-if preview (si.subsidy_rate 0.60), {n:,} persons",
            f"{found['whatif']['seconds']:.2f} s, {found['whatif']['persons_changed']:,} persons change, "
            f"cost {found['whatif']['cost_change']} a year, peak {found['whatif']['peak_mb']:.0f} MB",
            f"≤ {TARGET_SECONDS:.0f} s",
        ),
    ]


def bench_registry(database_url: str, persons: int = PERSONS) -> list[tuple[str, str, str]]:
    """(measure, result, target) rows of registry matching and the what-if preview on PostgreSQL."""
    return rows_from(measure(database_url, persons))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--persons", type=int, default=PERSONS)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--step")
    parser.add_argument("--arguments", default="{}")
    options = parser.parse_args()
    if options.step:
        _setup(options.database_url)
        if options.step == "migrate":
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            print(json.dumps({}))
            return
        print(json.dumps(_step(options.step, json.loads(options.arguments))))
        return
    found = measure(options.database_url, options.persons, options.chunk_size)
    print(json.dumps(found, indent=2))
    for measure_name, result, target in rows_from(found):
        print(f"| {measure_name} | {result} | {target} |")


if __name__ == "__main__":
    main()
