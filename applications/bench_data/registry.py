"""The registry of a seeded city: persons loaded with one COPY (``load_registry``).

Identity numbers are unique, valid-looking 18-character numbers made from the
row number; each is encrypted for real (``applications.crypto.encrypt_text``,
AES-GCM) and hashed (``keyed_hash``) in Python and sent with one COPY; the facts
are drawn server-side by SQL (``random()`` with a fixed seed) in realistic shares
as the rows are inserted: ages 16–64, most in the served city, a third recent
graduates, platform and part-time work, flexible insurance, some businesses and
loan requests, and about one fact in ten unknown. Names, mobiles and e-mails are
left empty (matching does not read them). PostgreSQL computes each row's
``facts_vector`` as it inserts it, as it does for an import.

PostgreSQL only. ``manage.py seed_bench --registry N`` and
``bench/registry_match.py`` load with it.
"""

import time
from datetime import date, timedelta

_DRAWN = ", ".join(["random() AS r_unknown"] + [f"random() AS r{index}" for index in range(1, 14)])
_FACTS = """jsonb_strip_nulls(jsonb_build_object(
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
))"""
_STAGE = "bench_registry_stage"


def id_number(serial: int) -> str:
    """A valid-looking resident identity number (GB 11643 check digit), unique per ``serial`` below 1,000,000 × 30."""
    from applications.id_numbers import with_check_character

    born = date(1960, 1, 1) + timedelta(days=serial // 1000)
    return with_check_character(f"330802{born:%Y%m%d}{serial % 1000:03d}")


def matching_tables(connection) -> str:
    from eligibility.matching.models import MatchResult, MatchRun, PersonState

    return ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (MatchResult, PersonState, MatchRun))


def matching_reset() -> None:
    """Empties what matching keeps (results, digests, runs and, with them, the invitations): the next run is a first."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {matching_tables(connection)} CASCADE")


def load_registry(persons: int, *, append: bool = False, seed: float = 0.42) -> float:
    """Loads ``persons`` persons (after emptying the registry and matching, unless ``append``); the seconds taken."""
    from django.db import connection, transaction

    from applications.crypto import encrypt_text, keyed_hash
    from eligibility.registry.models import RegistryPerson

    started = time.perf_counter()
    table = connection.ops.quote_name(RegistryPerson._meta.db_table)
    context = RegistryPerson._meta.get_field("id_number").encryption_context
    with transaction.atomic(), connection.cursor() as cursor:
        if not append:
            cursor.execute(f"TRUNCATE {matching_tables(connection)} CASCADE")
            cursor.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        first_serial = cursor.fetchone()[0]
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGE} (serial int8, id_number text, id_number_hash text) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY {_STAGE} FROM STDIN") as copy:
            for serial in range(first_serial, first_serial + persons):
                number = id_number(serial)
                copy.write_row((serial, encrypt_text(number, context=context), keyed_hash(number)))
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            f"INSERT INTO {table} (id_number, id_number_hash, full_name, mobile, email, language, facts, "  # noqa: S608
            "fact_sources, detail_sources, created_at, updated_at) "
            f"SELECT d.id_number, d.id_number_hash, '', '', '', 'zh-hans', {_FACTS}, '{{}}', '{{}}', now(), now() "
            f"FROM (SELECT s.*, {_DRAWN} FROM {_STAGE} AS s ORDER BY s.serial) AS d ORDER BY d.serial",
            {"today": date.today().isoformat()},
        )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started
