"""Fills a database with a whole city (``manage.py seed_bench``): what it reads first, writes, then tidies.

``city_seed(applications=N, audit=M, registry=R, seed=S, append=False, say=print)``:

1. refuses a database that holds applications unless ``append`` (a city is added
   to an empty portal; ``append`` adds N more); loads the shipped policy catalogue
   when the database has no programme; makes the staff of each region (``staff_ensure``);
2. in one transaction: on PostgreSQL locks the tables it numbers rows of (other
   writers wait; readers do not) and the audit chain (``audit._chain_head``),
   reads what the rows refer to (``city_plan``), and writes the generator's
   chunks with the writer of the database (COPY on PostgreSQL, ``bulk_create``
   elsewhere); then moves the id sequences on;
3. on PostgreSQL ``ANALYZE``s the tables, and loads ``registry`` persons with the
   registry's COPY loader (``applications.bench_data.registry``).

Returns a ``SeedReport``: rows and seconds per table.
"""

import gc
import multiprocessing
import time
import traceback
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import case_flags
from applications.bench_data import people
from applications.bench_data.generator import (
    NUMBERED,
    SPAN_DAYS,
    TABLES,
    CityGenerator,
    CityPlan,
    ProgrammeInfo,
    RegionStaff,
)
from applications.bench_data.programmes import Snapshots
from applications.bench_data.writers import BulkWriter, CopyWriter, quoted_table, table_models
from applications.crypto import keyed_hash, keyring
from applications.models import Application, ReasonCode
from eligibility.models import IncubatorSite, ParameterValue, Programme, TrainingCourse
from eligibility.regions import served_districts
from portal.accounts.roles import Role

# Every account the seed makes logs in with this password (staff then type the code of BENCH_TOTP_KEY).
BENCH_PASSWORD = "linghuo-bench-2026"  # noqa: S105 - made-up accounts of a bench database, printed on purpose
BENCH_TOTP_KEY = b"linghuo-bench-totp26".hex()  # 20 bytes, as django-otp's own keys; published like the password
CASEWORKERS_PER_REGION = 5
SUPERVISORS_PER_REGION = 1
STAFF_DOMAIN = "bench.linghuo.test"
# A case of a district is handled by the district's staff, or by the city's (the region served).
CITY_SHARE = 0.3
# Settings a seed may run under: the made-up accounts must never reach a production database.
SEED_SETTINGS = ("portal.settings.test", "bench.settings")


class SeedRefused(Exception):
    """The database or the settings are not ones to fill: the message says why."""


@dataclass
class SeedReport:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    generating_s: float = 0.0
    total_s: float = 0.0
    staff: list[str] = field(default_factory=list)  # the regions whose staff the seed made (staff_login)


def staff_login(role: str, region: str, number: int = 0) -> str:
    return f"{role}{number or ''}.{region}@{STAFF_DOMAIN}"


def seed_allowed() -> None:
    """Raises ``SeedRefused`` unless the settings are a developer's (DEBUG), the tests' or the bench's."""
    if not (settings.DEBUG or settings.SETTINGS_MODULE in SEED_SETTINGS):
        raise SeedRefused(
            f"seed_bench makes accounts with a published password: it runs with DEBUG on, or with "
            f"DJANGO_SETTINGS_MODULE one of {', '.join(SEED_SETTINGS)} (not {settings.SETTINGS_MODULE})."
        )
    try:
        keyring()
        keyed_hash("0")
    except ImproperlyConfigured as error:
        raise SeedRefused(str(error)) from error


def regions() -> list[str]:
    """The region served (the city) and its districts and counties."""
    return [settings.LINGHUO_REGION_CODE, *(code for code, _name in served_districts())]


def catalogue_ensure() -> bool:
    """Loads the shipped policy catalogue when the database has no programme (``migrate`` normally has)."""
    if Programme.objects.exists():
        return False
    from eligibility.policy_file import SHIPPED_CATALOGUE, import_policy, read_policy

    import_policy(read_policy(SHIPPED_CATALOGUE.read_text(encoding="utf-8")), origin="catalogue", apply_directly=True)
    return True


def staff_ensure(*, seed: int) -> dict[str, RegionStaff]:
    """The caseworkers and supervisor of every region, made when missing: confirmed, each with the
    authenticator of ``BENCH_TOTP_KEY`` (staff type a second factor) and the password ``BENCH_PASSWORD``."""
    import random

    rng = random.Random(seed)  # noqa: S311 - made-up names
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)
    groups = {role: Group.objects.get(name=role) for role in (Role.CASEWORKER, Role.SUPERVISOR)}
    joined = timezone.now() - timedelta(days=SPAN_DAYS + 30)
    found: dict[str, RegionStaff] = {}
    for region in regions():
        staff = RegionStaff(region=region, caseworkers=[], supervisors=[])
        wanted = [(Role.CASEWORKER, number) for number in range(1, CASEWORKERS_PER_REGION + 1)]
        wanted += [(Role.SUPERVISOR, 0 if SUPERVISORS_PER_REGION == 1 else n) for n in range(SUPERVISORS_PER_REGION)]
        for role, number in wanted:
            login = staff_login(str(role), region, number)
            name = people.full_name(rng, male=rng.random() < 0.5)
            user = User.objects.filter(username=login).first()
            if user is None:
                user = User.objects.create(
                    username=login,
                    email=login,
                    full_name=name,
                    region=region,
                    password=password,
                    date_joined=joined,
                    confirmed_at=joined,
                )
                user.groups.add(groups[role])
                TOTPDevice.objects.create(user=user, name="authenticator", key=BENCH_TOTP_KEY, confirmed=True)
            (staff.caseworkers if role == Role.CASEWORKER else staff.supervisors).append(user.pk)
        found[region] = staff
    return found


def _first_ids() -> dict[str, int]:
    models = table_models()
    with connection.cursor() as cursor:
        found = {}
        for table in NUMBERED:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {quoted_table(models[table])}")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


def _lock_tables() -> bool:
    """PostgreSQL: nobody else adds rows to the tables whose ids the seed gives, until it commits.

    Returns whether the foreign keys are left to ``references_check`` at the end: a superuser's
    session sets ``session_replication_role = replica`` for the transaction, which turns off the
    triggers that check each row's foreign keys (the check of millions of rows one by one is most of
    the database's work; the append-only trigger of the audit trail guards updates and deletes, of which
    the seed makes none). Otherwise the keys are checked as each row arrives, not queued to the commit.
    """
    models = table_models()
    names = ", ".join(quoted_table(models[table]) for table in NUMBERED)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
            return True
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return False


def references_check(plan: CityPlan) -> int:
    """Every foreign key of the rows the seed added points at a row (one anti-join per key); raises
    ``SeedRefused`` on the first that does not, so that the transaction is rolled back. Returns the keys checked."""
    models = table_models()
    checked = 0
    with connection.cursor() as cursor:
        for table in TABLES:
            model = models[table]
            if table == "audit":
                added = f"c.{connection.ops.quote_name('sequence')} > {int(plan.chain_head[0])}"
            else:
                added = f"c.id >= {int(plan.first_ids[table])}"
            for key in model._meta.concrete_fields:
                if not key.is_relation:
                    continue
                column = connection.ops.quote_name(key.column)
                parent = key.related_model
                parent_key = connection.ops.quote_name(parent._meta.pk.column)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quoted_table(model)} AS c WHERE {added} AND c.{column} IS NOT NULL "  # noqa: S608
                    f"AND NOT EXISTS (SELECT 1 FROM {quoted_table(parent)} AS p WHERE p.{parent_key} = c.{column})"
                )
                missing = cursor.fetchone()[0]
                if missing:
                    raise SeedRefused(f"{missing} new rows of {model._meta.db_table} name a missing {key.name}.")
                checked += 1
    return checked


class ParameterHistory:
    """A parameter's value on any day, as ``parameters_in_force(day).value(key)`` gives it, from one query
    (the seed asks for thousands of days)."""

    def __init__(self, key: str):
        from eligibility.parameter_types import to_python

        rows = ParameterValue.objects.filter(parameter__key=key).select_related("parameter").order_by("valid_from")
        self.starts = [row.valid_from for row in rows]
        self.values = [to_python(row.parameter.type, row.value) for row in rows]

    def on(self, day):
        position = bisect_right(self.starts, day)
        return self.values[position - 1] if position else None


def city_plan(*, staff: dict[str, RegionStaff], now: datetime) -> CityPlan:
    """What the generated rows refer to, read from the database (inside the seed's transaction)."""
    from applications.selectors_follow_up import RFI_REPLY_PARAMETER
    from applications.services import sla
    from applications.services.audit import _chain_head  # the chain's end, locked until the transaction ends
    from applications.services.fulfilment import asks_insurance, fulfilment_kind
    from applications.services.intake import steps_for
    from applications.services.review import FOUR_EYES_PARAMETER

    working_days = ParameterHistory(sla.SLA_PARAMETER)
    reply_days = ParameterHistory(RFI_REPLY_PARAMETER)
    threshold = ParameterHistory(FOUR_EYES_PARAMETER)

    @cache
    def sla_due(day):  # applications.services.sla.sla_due_date
        return sla.working_days_add(day, int(working_days.on(day)))

    @cache
    def reply_due(day):  # applications.selectors_follow_up.information_reply_due_on
        return day + timedelta(days=int(reply_days.on(day)))

    @cache
    def four_eyes(day):
        value = threshold.on(day)
        return None if value is None else Decimal(str(value))

    programmes = {
        programme.slug: ProgrammeInfo(
            id=programme.pk,
            slug=programme.slug,
            per=programme.per,
            fulfilment=fulfilment_kind(programme),
            steps=tuple(steps_for(Application(programme=programme))),
            asks_insurance=asks_insurance(programme),
        )
        for programme in Programme.objects.all()
    }
    addresses = {}
    for position, members in enumerate(staff.values()):
        for number, user_id in enumerate([*members.caseworkers, *members.supervisors]):
            addresses[user_id] = f"10.57.{position + 1}.{20 + number}"
    User = get_user_model()
    city = settings.LINGHUO_REGION_CODE
    return CityPlan(
        now=now,
        programmes=programmes,
        staff=staff,
        staff_addresses=addresses,
        citizen_group=Group.objects.get(name=Role.CITIZEN).pk,
        password=make_password(BENCH_PASSWORD),
        first_ids=_first_ids(),
        chain_head=_chain_head(),
        reason_codes=list(
            ReasonCode.objects.filter(active=True).order_by("code").values_list("code", "text_zh", "text_en")
        ),
        sites=list(
            IncubatorSite.objects.filter(active=True)
            .order_by("pk")
            .values_list("pk", "name_zh", "name_en", "address", "free_until")
        ),
        courses=list(
            TrainingCourse.objects.filter(active=True)
            .order_by("pk")
            .values_list("pk", "name_zh", "name_en", "starts_on", "place")
        ),
        taken_mobiles=set(User.objects.exclude(mobile=None).values_list("mobile", flat=True)),
        first_mobile_serial=User.objects.count(),
        snapshots=Snapshots(today=timezone.localdate(now)),
        sla_due=sla_due,
        working_days_add=sla.working_days_add,
        working_days_between=sla.working_days_between,
        reply_due=reply_due,
        four_eyes=four_eyes,
        city_region=city,
        city_share=CITY_SHARE,
    )


def city_seed(
    *, applications: int, audit: int, registry: int = 0, seed: int = 1, append: bool = False, say=print
) -> SeedReport:
    """Fills the database (see the module's docstring); ``say`` is told of the progress."""
    seed_allowed()
    if applications < 0 or audit < 0 or registry < 0:
        raise SeedRefused("The numbers of applications, audit entries and registry persons cannot be negative.")
    postgres = connection.vendor == "postgresql"
    if registry and not postgres:
        raise SeedRefused("Registry persons are loaded with PostgreSQL's COPY: use --registry 0 on this database.")
    held = Application.objects.count()
    if held and not append:
        raise SeedRefused(
            f"The database already holds {held:,} applications. seed_bench fills an empty portal; "
            f"add --append to add {applications:,} more to them."
        )
    report = SeedReport()
    started = time.perf_counter()
    if catalogue_ensure():
        say("Loaded the shipped policy catalogue (the database had no programme).")
    staff = staff_ensure(seed=seed)
    report.staff = regions()
    now = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    writer = CopyWriter() if postgres else BulkWriter()
    with _no_cycle_collection(), transaction.atomic():
        keys_unchecked = _lock_tables() if postgres else False
        plan = city_plan(staff=staff, now=now)
        generating = time.perf_counter()
        for chunk in _chunks(plan, applications=applications, audit=audit, seed=seed, own_process=postgres):
            writing = time.perf_counter()
            report.generating_s += writing - generating
            writer.write_chunk(chunk)
            generating = time.perf_counter()
            done = f"{chunk.applications:,} of {applications:,} applications"
            if chunk.rows["applications"] or not applications:
                say(f"  {done} ({time.perf_counter() - started:.0f} s)")
            else:  # the last chunk: the audit entries still waiting for their moment
                say(f"  {done} and the last of the audit trail ({time.perf_counter() - started:.0f} s)")
        report.generating_s += time.perf_counter() - generating
        writer.finish()
        flagging = time.perf_counter()
        case_flags.refresh_all()  # the queue's warning flags, from the documents and identity numbers written
        report.seconds["flags"] = time.perf_counter() - flagging
        if keys_unchecked:
            checking = time.perf_counter()
            references_check(plan)
            report.seconds["references"] = time.perf_counter() - checking
    report.rows = dict(writer.rows)
    report.seconds = {**writer.seconds, **report.seconds}
    if postgres:
        report.seconds["analyze"] = _analyze()
    if registry:
        from applications.bench_data.registry import load_registry

        say(f"  registry: {registry:,} persons …")
        report.seconds["registry"] = load_registry(registry, append=True, seed=(seed % 1000) / 1000)
        report.rows["registry"] = registry
    report.total_s = time.perf_counter() - started
    return report


def _chunks(plan: CityPlan, *, applications: int, audit: int, seed: int, own_process: bool):
    """The generator's chunks; with ``own_process``, made by a forked child process while this one writes
    the previous chunk (two cores: generating and writing take about as long)."""
    if not own_process:
        yield from CityGenerator(plan, applications=applications, audit=audit, seed=seed)
        return
    # The child must never touch the database: every answer of the engine is computed here first.
    plan.snapshots.prepare(
        programmes=plan.programmes,
        districts=list(people.DISTRICTS),
        first_day=timezone.localdate(plan.now) - timedelta(days=SPAN_DAYS + 1),
    )
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_generate_into, args=(sending, plan, applications, audit, seed), name="seed_bench generator"
    )
    child.start()
    sending.close()
    try:
        while True:
            message = receiving.recv()
            if isinstance(message, str):
                raise RuntimeError(f"The generator process failed:\n{message}")
            if message is None:
                break
            yield message
    finally:
        receiving.close()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector off while millions of rows are made: the rows hold no cycles, and each of
    its passes would walk every row held (a third of the generator's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _generate_into(sending, plan, applications, audit, seed) -> None:
    """In the child: sends each chunk, then None (or the traceback, as text). It leaves the inherited database
    connection alone: the process ends with ``os._exit`` (multiprocessing's), which closes nothing of it."""
    gc.disable()
    try:
        for chunk in CityGenerator(plan, applications=applications, audit=audit, seed=seed):
            sending.send(chunk)
        sending.send(None)
    except BaseException:
        sending.send(traceback.format_exc())
    finally:
        sending.close()


def _analyze() -> float:
    """Fresh statistics for the planner on every table the seed filled, and their visibility maps set
    (what autovacuum does to a table in steady use), so index-only scans read no table rows."""
    started = time.perf_counter()
    # VACUUM cannot run in a transaction (a test's): there, the statistics only.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"{command} {quoted_table(table_models()[table])}")
    return time.perf_counter() - started
