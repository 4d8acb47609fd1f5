"""A whole city at once (issue 15): the staff pages at 1,000 and at 1,000,000 applications.

``python bench/city.py --database-url postgres://postgres@127.0.0.1:5432/linghuo_bench``
uses two databases named after it, ``<name>_city_small`` (1,000 applications)
and ``<name>_city`` (1,000,000 applications, 10,000,000 audit entries,
1,000,000 registry persons), fills each once with ``manage.py seed_bench``
(kept between runs: filling the large one takes minutes), and measures on each,
with the portal under gunicorn (2 sync workers) as a signed-in caseworker or
supervisor of the region with the most open cases:

1. each page (the queue by default, by each filter and sort, a deep page; a
   case; the dashboard; the payments of a month; the audit search): 30
   requests one after the other over HTTP, p50 and p95, and the number of SQL
   queries of one request (Django's test client in process, same database);
2. claim-next by 20 caseworkers at once for 10 seconds: p50/p95, the claims
   made and how many cases were claimed twice (must be 0);
3. (large database only) the document-check pipeline: a burst of 10,000
   uploads checked by one Celery worker process (one task at a time) through
   Redis: checks per second and the queue lag (upload to checked).

``bench_city(database_url)`` returns the measurements; ``city_report`` writes
them as a section of docs/PERFORMANCE.md (``bench/run.py``). Claims move cases
to "in review" in the large database; each run claims a few thousand of its
~150,000 waiting cases.
"""

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.loadtest import _ensure_database, _free_port, _portal_env, _server  # noqa: E402

SIZES = {"small": 1_000, "city": 1_000_000}
AUDIT_PER_APPLICATION = 10
REQUESTS = 30
WARM_UP = 3
CLAIMERS = 20
CLAIM_SECONDS = 10.0
THINK_SECONDS = 1.0  # the paced run: each caseworker looks at the case for 0.5–1.5 s before the next
BURST = 10_000
CHECK_PROCESSES = 2  # the machine's two cores
PLANS_SHOWN = ("queue, default", "queue sorted oldest first", "payments CSV, one month", "audit search, default")
PLAN_LINES = 18
TARGETS_MS = {"page": 100, "claim": 50, "summary": 500, "audit": 200}
PYTHON = str(REPO / ".venv" / "bin" / "python")
GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
CELERY = str(REPO / ".venv" / "bin" / "celery")


def _with_name(url: str, suffix: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _env(database_url: str) -> dict[str, str]:
    """The portal's environment on that database: the seeding, the pages and the worker share its keys."""
    from portal.settings.env import local_key

    env = _portal_env(os.environ.get("SECRET_KEY") or "bench-city-" + "x" * 40, REPO / "var")
    env["DATABASE_URL"] = database_url
    env["DB_CONN_MAX_AGE"] = "60"
    # The keys of the personal data in the seeded rows: the laptop's own (var/, as `make demo` uses).
    env.setdefault("LINGHUO_DATA_KEYS", local_key(REPO / "var" / "data_key"))
    env.setdefault("LINGHUO_HASH_KEY", local_key(REPO / "var" / "hash_key"))
    return env


def _child(step: str, database_url: str, **arguments) -> dict:
    command = [PYTHON, __file__, step, "--database-url", database_url]
    for key, value in arguments.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, env=_env(database_url), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"bench/city.py {step} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_seeded(database_url: str, applications: int) -> dict:
    """Fills the database with ``seed_bench`` unless it holds that many applications already."""
    _ensure_database(database_url)
    env = _env(database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], cwd=REPO, env=env, check=True)  # noqa: S603
    held = _child("count", database_url)["applications"]
    if held >= applications:
        return {"seeded_s": None, "applications": held}
    started = time.perf_counter()
    audit = applications * AUDIT_PER_APPLICATION
    command = [PYTHON, "manage.py", "seed_bench", f"--applications={applications}", f"--audit={audit}"]
    command.append(f"--registry={applications}")
    if held:
        command.append("--append")
    subprocess.run(command, cwd=REPO, env=env, check=True)  # noqa: S603
    return {"seeded_s": time.perf_counter() - started, "applications": _child("count", database_url)["applications"]}


def bench_city(database_url: str) -> dict:
    found: dict[str, object] = {"fsync_ms": fsync_ms()}
    for label, size in SIZES.items():
        url = _with_name(database_url, f"_{label}" if label == "city" else "_city_small")
        found[label] = {"seed": ensure_seeded(url, size), **_child("pages", url)}
        if label == "city":
            found[label]["documents"] = _child("documents", url, burst=BURST)
    return found


def bench_city_or_skip(database_url: str | None) -> dict:
    if not database_url or not database_url.startswith(("postgres://", "postgresql://")):
        return {"skipped": "needs DATABASE_URL on PostgreSQL (COPY, SKIP LOCKED, the query plans)"}
    if not os.environ.get("REDIS_URL"):
        return {"skipped": "needs REDIS_URL (the document-check burst goes through the broker)"}
    return bench_city(database_url)


# --- In the child: Django set up on one database ----------------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def _count(_arguments) -> dict:
    from applications.models import Application

    return {"applications": Application.objects.count()}


def _percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered), "p95_ms": p95, "n": len(ordered)}


def _signed_in(user) -> str:
    """A session of ``user`` as after the login page and the second factor: its cookie value."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.accounts.middleware import session_started
    from portal.accounts.two_factor import authenticator_for, mark_verified, two_factor_required

    client = Client()
    client.force_login(user)
    session = client.session
    session_started(session)
    if two_factor_required(user):
        device = authenticator_for(user) or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        mark_verified(session, device)
    session.save()
    return session.session_key


class Browser:
    """One signed-in person over HTTP: a session cookie, the CSRF token, and timed requests."""

    def __init__(self, base: str, session_key: str):
        from django.conf import settings

        self.base = base
        self.cookies = {settings.SESSION_COOKIE_NAME: session_key}
        self.csrf = ""

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, path: str, data: dict | None = None) -> tuple[int, float, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, method="POST" if body is not None else "GET")  # noqa: S310
        request.add_header("Cookie", self._cookie_header())
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            request.add_header("X-CSRFToken", self.csrf)
            request.add_header("Referer", self.base + "/staff/queue/")
        started = time.perf_counter()
        try:
            response = _NO_REDIRECTS.open(request, timeout=120)
            status, content, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as answer:
            status, content, headers = answer.code, answer.read(), answer.headers
        elapsed = (time.perf_counter() - started) * 1000
        for header in headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if "csrftoken" in self.cookies:
            self.csrf = self.cookies["csrftoken"]
        return status, elapsed, content


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is the answer measured, not followed


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)


def _busiest_region() -> str:
    from django.db.models import Count

    from applications.models import IN_PROGRESS_STATUSES, Application

    row = (
        Application.objects.filter(status__in=IN_PROGRESS_STATUSES)
        .values("region")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return row["region"]


def _pages(region: str) -> list[tuple[str, str, str]]:
    """(name, path, who) of each page measured; ``who`` is caseworker or supervisor."""
    from django.db.models import Count
    from django.utils import timezone

    from applications.models import IN_PROGRESS_STATUSES, Application, Payment

    today = timezone.localdate()

    busiest_programme = (
        Application.objects.filter(region=region, status__in=IN_PROGRESS_STATUSES)
        .values("programme__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["programme__slug"]
    )
    case = (
        Application.objects.filter(region=region, status="in_review").order_by("submitted_at").values("reference")[:1]
    )
    case = case.first() or Application.objects.filter(region=region).exclude(reference=None).values("reference").first()
    month = (
        Payment.objects.filter(application__region=region)
        .values("due_on__year", "due_on__month")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    first = f"{month['due_on__year']:04d}-{month['due_on__month']:02d}-01"
    following = (
        f"{month['due_on__year'] + 1:04d}-01-01"
        if month["due_on__month"] == 12
        else f"{month['due_on__year']:04d}-{month['due_on__month'] + 1:02d}-01"
    )
    last = (date.fromisoformat(following) - timedelta(days=1)).isoformat()
    all_cases = Application.objects.filter(region=region).exclude(status="draft").count()
    deep = max(1, min(2_000, all_cases // 25))
    return [
        ("queue, default", "/staff/queue/", "caseworker"),
        ("queue by programme", f"/staff/queue/?programme={busiest_programme}", "caseworker"),
        ("queue, status submitted", "/staff/queue/?status=submitted", "caseworker"),
        ("queue, every status", "/staff/queue/?status=all", "caseworker"),
        ("queue, assigned to me", "/staff/queue/?assigned=mine", "caseworker"),
        ("queue, not assigned", "/staff/queue/?assigned=unassigned", "caseworker"),
        ("queue, at least 30 days old", "/staff/queue/?age_min=30", "caseworker"),
        ("queue, due within a week", f"/staff/queue/?due_by={(today + timedelta(days=7)).isoformat()}", "caseworker"),
        ("queue, overdue", "/staff/queue/?flags=overdue", "caseworker"),
        ("queue, same identity elsewhere", "/staff/queue/?flags=duplicate_identity", "caseworker"),
        ("queue, same file elsewhere", "/staff/queue/?flags=duplicate_file", "caseworker"),
        ("queue, document problem", "/staff/queue/?flags=document_problem", "caseworker"),
        ("queue sorted by due date, latest first", "/staff/queue/?sort=-due", "caseworker"),
        ("queue sorted oldest first", "/staff/queue/?sort=oldest", "caseworker"),
        ("queue sorted newest first", "/staff/queue/?sort=newest", "caseworker"),
        ("queue sorted by programme", "/staff/queue/?sort=programme", "caseworker"),
        ("queue sorted by status", "/staff/queue/?sort=status", "caseworker"),
        (f"queue, every status, page {deep:,}", f"/staff/queue/?status=all&sort=oldest&page={deep}", "caseworker"),
        ("case page", f"/staff/cases/{case['reference']}/", "caseworker"),
        ("supervision dashboard", "/supervision/", "supervisor"),
        ("payments page", "/supervision/payments/", "supervisor"),
        ("payments CSV, one month", f"/supervision/payments.csv?from={first}&to={last}", "supervisor"),
        ("audit search, default", "/staff/audit/", "supervisor"),
        ("audit search by reference", f"/staff/audit/?reference={case['reference'].lower()}", "supervisor"),
    ]


def _query_count(session_key: str, path: str) -> tuple[int, int, str, int]:
    """The answer's status, its number of SQL queries, the plan of its slowest SELECT, and the
    number of rows (cases, entries) it listed."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    client.get(path)  # warm: the first request loads what later ones find cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    selects = [query for query in queries.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]
    slowest = max(selects, key=lambda query: float(query["time"]))["sql"] if selects else ""
    listed = response.content.count(b'<th scope="row">') if response.status_code == 200 else 0
    return response.status_code, len(queries.captured_queries), _plan(slowest), listed


def _plan(sql: str) -> str:
    """EXPLAIN ANALYZE of one SELECT the page ran (its values written in, as Django sent it)."""
    from django.db import connection

    if not sql:
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _staff(region: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from portal.accounts.roles import Role

    users = get_user_model()
    people = users.objects.filter(region=region, is_active=True)
    caseworkers = list(people.filter(groups__name=Role.CASEWORKER).order_by("pk")[:CLAIMERS])
    # Claim-next needs CLAIMERS caseworkers in the region: those the data lacks join it now.
    for number in range(len(caseworkers), CLAIMERS):
        person, _ = users.objects.get_or_create(
            username=f"claimer{number}.{region}@bench.linghuo.test",
            defaults={"region": region, "full_name": f"经办{number}", "preferred_language": "zh-hans"},
        )
        person.groups.add(Group.objects.get(name=Role.CASEWORKER))
        caseworkers.append(person)
    supervisor = people.filter(groups__name=Role.SUPERVISOR).order_by("pk").first()
    return caseworkers, supervisor


def _claims(base: str, caseworkers, *, think_s: float = 0.0) -> dict:
    """Every caseworker claims the next case over and over, ``think_s`` seconds apart (0: at once)."""
    from django.utils import timezone

    from applications.models import CaseEvent, Status

    browsers = [Browser(base, _signed_in(person)) for person in caseworkers]
    for browser in browsers:
        browser.request("/staff/queue/")  # the CSRF cookie
    latencies: list[list[float]] = [[] for _ in browsers]
    outcomes: list[list[str]] = [[] for _ in browsers]
    started_at = timezone.now()
    deadline = time.monotonic() + CLAIM_SECONDS
    barrier = threading.Barrier(len(browsers))

    def claim(index: int) -> None:
        browser = browsers[index]
        barrier.wait()
        if think_s:
            # At a working pace from the start: caseworkers do not all click in the same millisecond.
            time.sleep(think_s * 1.5 * random.random())  # noqa: S311
        while time.monotonic() < deadline:
            status, elapsed, _ = browser.request("/staff/queue/claim-next/", {"csrfmiddlewaretoken": browser.csrf})
            latencies[index].append(elapsed)
            outcomes[index].append(str(status))
            if think_s:
                time.sleep(think_s * (0.5 + random.random()))  # reading the case it got  # noqa: S311

    threads = [threading.Thread(target=claim, args=(index,)) for index in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from django.db.models import Count

    claimed = CaseEvent.objects.filter(at__gte=started_at, to_status=Status.IN_REVIEW, actor__in=caseworkers)
    twice = claimed.values("application").annotate(n=Count("pk")).filter(n__gt=1).count()
    all_latencies = [value for values in latencies for value in values]
    statuses = [value for values in outcomes for value in values]
    return {
        **_percentiles(all_latencies),
        "claimers": len(browsers),
        "think_s": think_s,
        "seconds": CLAIM_SECONDS,
        "claims": claimed.count(),
        "claimed_twice": twice,
        "answers": {status: statuses.count(status) for status in sorted(set(statuses))},
    }


def _measure_pages(_arguments) -> dict:
    from django.conf import settings

    region = _busiest_region()
    caseworkers, supervisor = _staff(region)
    sessions = {"caseworker": _signed_in(caseworkers[0]), "supervisor": _signed_in(supervisor)}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    command = [GUNICORN, "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--timeout", "120", "--log-level", "warning"]
    rows = []
    with tempfile.TemporaryDirectory() as folder, _server(command, env, base + "/", Path(folder) / "gunicorn.log"):
        for name, path, who in _pages(region):
            status, queries, plan, listed = _query_count(sessions[who], path)
            browser = Browser(base, sessions[who])
            for _ in range(WARM_UP):
                browser.request(path)
            samples, statuses = [], set()
            for _ in range(REQUESTS):
                answer, elapsed, _content = browser.request(path)
                samples.append(elapsed)
                statuses.add(answer)
            rows.append(
                {
                    "page": name,
                    "path": path,
                    "queries": queries,
                    "listed": listed,
                    "status": sorted(statuses | {status}),
                    "plan": plan,
                }
            )
            rows[-1].update(_percentiles(samples))
        claims = _claims(base, caseworkers)
        paced = _claims(base, caseworkers, think_s=THINK_SECONDS)
    from applications.models import DashboardSnapshot

    counted = DashboardSnapshot.objects.filter(region=region).values_list("seconds", flat=True).first()
    return {
        "region": region,
        "snapshot_s": counted,
        "database": settings.DATABASES["default"]["NAME"],
        "pages": rows,
        "claim_next": claims,
        "claim_next_paced": paced,
        "sizes": _sizes(),
    }


def _sizes() -> dict:
    from applications.models import Application, AuditEntry, CaseEvent, Document, Payment
    from eligibility.registry.models import RegistryPerson

    def estimate(model) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
            return int(cursor.fetchone()[0])

    return {
        "applications": Application.objects.count(),
        "events": estimate(CaseEvent),
        "documents": estimate(Document),
        "payments": estimate(Payment),
        "audit_entries": estimate(AuditEntry),
        "registry_persons": estimate(RegistryPerson),
    }


# --- The document-check burst ---------------------------------------------------------------


def _pdf(pages: int, marker: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"bench {marker}"})  # each file its own hash
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _image(marker: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (marker % 256, (marker // 256) % 256, 90)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _documents(arguments) -> dict:
    """Uploads ``burst`` files at once and lets one worker of CHECK_PROCESSES processes check them."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models import Count, Max, Min

    from applications import case_flags
    from applications.models import Application, Document
    from applications.services.documents import CITIZEN_UPLOAD_STATUSES, document_attach

    burst = arguments.burst
    # Cases a person may add documents to (drafts, and cases asked for more information): one file each.
    cases = list(
        Application.objects.filter(status__in=CITIZEN_UPLOAD_STATUSES)
        .select_related("applicant")
        .order_by("pk")[:burst]
    )
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "worker.log"
        env = dict(os.environ)
        worker = [CELERY, "-A", "portal", "worker", f"--concurrency={CHECK_PROCESSES}", "--pool=prefork"]
        worker += ["--loglevel=WARNING"]
        worker += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"bench-{os.getpid()}@%h"]
        # The files are made before the burst, so the burst is the uploads alone.
        files = [
            SimpleUploadedFile(f"scan-{i}.pdf", _pdf(1 + i % 3, i), content_type="application/pdf")
            if i % 2
            else SimpleUploadedFile(f"photo-{i}.jpg", _image(i), content_type="image/jpeg")
            for i in range(burst)
        ]
        with open(log, "w", encoding="utf-8") as output:
            process = subprocess.Popen(worker, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            time.sleep(5)  # the worker is up before the burst
            started = time.perf_counter()
            ids = []
            for index, upload in enumerate(files):
                case = cases[index % len(cases)]
                document = document_attach(application=case, kind="other", uploaded=upload, acting_user=case.applicant)
                ids.append(document.pk)
            uploads_s = time.perf_counter() - started
            waiting = Document.objects.filter(pk__in=ids, check_status=Document.CheckStatus.PENDING)
            deadline = time.monotonic() + 3600
            while waiting.exists() and time.monotonic() < deadline:
                time.sleep(1)
            drained_s = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=60)
    checked = Document.objects.filter(pk__in=ids)
    span = checked.aggregate(first=Min("checked_at"), last=Max("checked_at"))
    lags = sorted((d.checked_at - d.uploaded_at).total_seconds() for d in checked.only("checked_at", "uploaded_at"))
    check_span = (span["last"] - span["first"]).total_seconds()
    attempts = sorted(set(checked.values_list("check_attempts", flat=True)))
    statuses = dict(checked.values_list("check_status").annotate(n=Count("pk")).order_by())
    problems: dict[str, int] = {}
    for found in checked.values_list("check_results__problems", flat=True):
        for problem in found or []:
            problems[problem] = problems.get(problem, 0) + 1
    # The city as it was: the burst's files and rows go, and the flags of their cases follow.
    names = list(checked.values_list("file", flat=True))
    touched = set(checked.values_list("application_id", flat=True))
    checked.delete()
    case_flags.refresh_documents(touched)
    storage = Document._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
    return {
        "burst": burst,
        "processes": CHECK_PROCESSES,
        "uploads_s": uploads_s,
        "drained_s": drained_s,
        "checks_per_s": (len(lags) - 1) / check_span if check_span else None,
        "lag_p50_s": statistics.median(lags),
        "lag_max_s": lags[-1],
        "statuses": statuses,
        "problems": problems,
        "attempts": attempts,
    }


# --- The report ------------------------------------------------------------------------------------


def _target_for(page: str) -> tuple[str, int]:
    if page.startswith(("supervision", "payments")):
        return "summary", TARGETS_MS["summary"]
    if page.startswith("audit"):
        return "audit", TARGETS_MS["audit"]
    return "page", TARGETS_MS["page"]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _fsync_text(found: dict) -> str:
    fsync = found.get("fsync_ms")
    return f"{fsync:.1f} ms a flush by `pg_test_fsync`" if fsync else "a few milliseconds"


def fsync_ms() -> float | None:
    """One fdatasync of 8 kB as PostgreSQL's own pg_test_fsync measures it, in milliseconds."""
    import glob
    import re

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_test_fsync"))
    if not found:
        return None
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(  # noqa: S603
            [found[-1], "-s", "2", "-f", str(Path(folder) / "probe")], capture_output=True, text=True, check=False
        )
    match = re.search(r"fdatasync\s+[\d.]+ ops/sec\s+(\d+) usecs/op", done.stdout)
    return int(match.group(1)) / 1000 if match else None


def city_report(found: dict | None) -> list[str]:
    lines = ["## A whole city at once: staff pages at 1,000 and 1,000,000 applications", ""]
    if not found or "skipped" in found:
        reason = (found or {}).get("skipped", "not run")
        return [*lines, f"Not measured in this run: {reason}.", ""]
    small, city = found["small"], found["city"]
    sizes = city["sizes"]
    lines += [
        f"`manage.py seed_bench` data: {sizes['applications']:,} applications, about {sizes['events']:,} case "
        f"events, {sizes['documents']:,} documents, {sizes['payments']:,} payments, "
        f"{sizes['audit_entries']:,} audit entries and {sizes['registry_persons']:,} registry persons "
        f"(filled in {city['seed']['seeded_s']:.0f} s this run)."
        if city["seed"]["seeded_s"]
        else f"`manage.py seed_bench` data: {sizes['applications']:,} applications, about {sizes['events']:,} case "
        f"events, {sizes['documents']:,} documents, {sizes['payments']:,} payments, "
        f"{sizes['audit_entries']:,} audit entries and {sizes['registry_persons']:,} registry persons "
        "(filled by an earlier run and kept).",
        "",
        f"Gunicorn with 2 sync workers on PostgreSQL, signed in as a caseworker or supervisor of region "
        f"{city['region']} (the one with the most open cases); {REQUESTS} requests one after the other per "
        "figure, after a warm-up; queries counted for one request by Django's test client.",
        "",
        "| page | queries at 1,000 / 1,000,000 | p50 / p95 at 1,000 | p50 / p95 at 1,000,000 | target p95 | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    small_rows = {row["page"].split(", page")[0]: row for row in small["pages"]}
    for row in city["pages"]:
        key = row["page"].split(", page")[0]
        other = small_rows.get(key, {})
        _kind, target = _target_for(row["page"])
        same = "same" if other.get("queries") == row["queries"] else "**differs**"
        if same != "same" and other.get("listed") == 0:
            # An empty list runs fewer queries (no rows to read, none to record as seen).
            same = "differs: nothing listed at 1,000"
        lines.append(
            f"| {row['page']} | {other.get('queries', '—')} / {row['queries']} ({same}) | "
            f"{other.get('p50_ms', 0):.1f} / {other.get('p95_ms', 0):.1f} ms | "
            f"{row['p50_ms']:.1f} / {row['p95_ms']:.1f} ms | < {target} ms | {_verdict(row['p95_ms'] < target)} |"
        )
    claims = city["claim_next"]
    small_claims = small["claim_next"]
    paced = city["claim_next_paced"]
    lines += [
        "",
        f"Claim-next, {claims['claimers']} caseworkers at once for {claims['seconds']:.0f} s (each POST answers "
        "with the redirect to the case): "
        f"{claims['claims']:,} claims at 1,000,000, p50 {claims['p50_ms']:.1f} ms, p95 {claims['p95_ms']:.1f} ms "
        f"(target < {TARGETS_MS['claim']} ms: {_verdict(claims['p95_ms'] < TARGETS_MS['claim'])}); "
        f"**{claims['claimed_twice']} cases claimed twice**. At 1,000: {small_claims['claims']:,} claims "
        f"(until none was left), p95 {small_claims['p95_ms']:.1f} ms, {small_claims['claimed_twice']} twice.",
        "",
        f"The same {paced['claimers']} caseworkers at a working pace (each looks at the case it got for 0.5–1.5 s "
        f"before claiming the next; about {paced['claims'] / paced['seconds']:.0f} claims a second): "
        f"p50 {paced['p50_ms']:.1f} ms, p95 {paced['p95_ms']:.1f} ms "
        f"({_verdict(paced['p95_ms'] < TARGETS_MS['claim'])}), {paced['claims']:,} claims, "
        f"**{paced['claimed_twice']} claimed twice**.",
        "",
        "Why the back-to-back figure is what it is: 20 caseworkers who never pause share the 2 sync gunicorn "
        "workers, so each claim waits for the nine or so ahead of it in its worker; one claim is about 13 ms of "
        "server time (the session and second factor, the locked candidate, the move, its event and its audit "
        "entry, whose writers take turns on the one hash chain until they commit: `applications.services.audit`; "
        f"one WAL flush {_fsync_text(found)}). That figure measures the two workers' throughput, "
        f"{claims['claims'] / claims['seconds']:.0f} claims a second. At a working pace a claim meets an idle "
        "worker and its latency is that server time.",
        "",
    ]
    lines += [
        "What makes these figures (migrations `applications.0014`–`0018`, `portal.pagination`, "
        "`applications.case_flags`, `applications.supervision.snapshot`):",
        "",
        "- the queue lists by default the cases still being worked on, named (`IN_PROGRESS_STATUSES`), and two "
        "partial indexes hold only those: `application_queue_due` (region, decision due, sent, id) in the default "
        "order and `application_queue_sent` (region, sent, id) for oldest/newest first; every status is served by "
        "`application_region_due` and `application_region_sent`. After their order each carries what the filters, "
        "the counts and the sorts by status or programme read (status, programme, caseworker, the day sent, the "
        "clock's pause, the overdue mark), so the database answers from the index without reading the rows; "
        "claim-next reads `application_waiting`, the cases waiting to be claimed;",
        "- a page is read in two steps (`KeyPaginator`): its 25 keys by a narrow query that an index serves, then "
        "those 25 rows, so a deep page skips index entries, not rows; the row query leaves out the facts, the "
        "evaluation and the encrypted fields;",
        "- the three warning flags (same identity number, same file, a document check problem) are kept on the "
        "application by `applications.case_flags` when an identity number is sent, a document is checked or "
        "removed, or a case anonymised, each from one definition as a subquery; a filter by one reads a partial "
        "index of the flagged cases instead of probing every open case;",
        "- the payments export reads a month of the region from `payment_region_due` (region, due date and the "
        "instalment's columns: the payment rows themselves are not read), joins the cases for the names and bank "
        "accounts, and builds the file from plain rows; the web workers freeze what they loaded at start "
        "(`gc.freeze()` in `portal.wsgi`), so the collector does not rescan it while the rows are built;",
        "- the audit search finds a case by its reference (upper case, the unique index), reads the region's "
        "staff first (a few dozen ids, not a subquery over every group membership), reads the page's rows by key, "
        "and counts at most 10,001 entries (past that the page says so and asks for a narrower search);",
        "- the dashboard's figures are counted by beat every 5 minutes per region and language and kept "
        f"(`DashboardSnapshot`); the page reads one row. Counting them live takes "
        f"{city.get('snapshot_s') or 0:.1f} s at 1,000,000 (a beat task's time, not a page's).",
        "",
        "The plan of the slowest SELECT of some pages at 1,000,000 (`EXPLAIN (ANALYZE, BUFFERS)`):",
        "",
    ]
    for row in city["pages"]:
        if row["page"] in PLANS_SHOWN and row.get("plan"):
            plan = row["plan"].splitlines()
            shown = [*plan[:PLAN_LINES], "…", *plan[-2:]] if len(plan) > PLAN_LINES + 3 else plan
            lines += [f"{row['page']}:", "", "```", *shown, "```", ""]
    documents = city.get("documents")
    if documents:
        lines += [
            f"Document checks: a burst of {documents['burst']:,} uploads (PDFs of 1–3 pages and JPEG photos, "
            f"made before the burst) to cases a person may add documents to (drafts, cases asked for more), "
            f"stored in {documents['uploads_s']:.0f} s, checked through Redis by one worker of "
            f"{documents['processes']} processes (the machine's cores), each check in its own sandboxed process "
            f"under CPU and memory limits: **{documents['checks_per_s']:.1f} checks a second, "
            f"{documents['checks_per_s'] / documents['processes']:.1f} per worker process**; the queue drained "
            f"{documents['drained_s']:.0f} s after the burst began; lag from upload to checked p50 "
            f"{documents['lag_p50_s']:.0f} s, at most {documents['lag_max_s']:.0f} s (outcomes "
            f"{documents['statuses']}, problems found {documents.get('problems', {})}; attempts "
            f"{documents['attempts']}: each checked once). `not_virus_scanned` means no clamd answered: none runs "
            "on this machine, and the production settings require a scan. The burst's files and rows are removed "
            "afterwards.",
            "",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", default="all", choices=["all", "count", "pages", "documents"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--burst", type=int, default=BURST)
    arguments = parser.parse_args()
    if arguments.step == "all":
        found = bench_city(arguments.database_url)
        print(json.dumps(found, indent=2, default=str))
        print("\n".join(city_report(found)))
        return
    _setup()
    step = {"count": _count, "pages": _measure_pages, "documents": _documents}[arguments.step]
    print(json.dumps(step(arguments), default=str))


if __name__ == "__main__":
    main()
