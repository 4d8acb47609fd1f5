"""HTTP throughput for ``make bench``: the screening API against the stack's own limit and OpenFisca.

Three targets, each under gunicorn with 2 sync workers, loaded with
``wrk -t2 -c16 -d10s`` in rounds that interleave them, so that every ratio
compares numbers taken minutes apart on the same machine:

- ``GET /bench/trivial``: a JSON view doing nothing, through the portal's whole
  middleware stack (bench/urls.py, bench/settings.py; production never routes it);
- ``POST /api/v1/screenings``: one person, the catalogue example;
- OpenFisca's web API ``POST /calculate`` for the same person on the small model of
  the flexible-si-subsidy rule (bench/openfisca_flexible_si.py, served by
  bench/openfisca_web.py from ``.venv-bench``).

The two Django targets are served by the same gunicorn (same settings, same
workers). The portal runs on DATABASE_URL and REDIS_URL when they are set
(PostgreSQL and Redis, as in production), else on a SQLite file of its own and
the in-process cache. Also measured: the screener's results page, one request at
a time over HTTP (``wrk -t1 -c1``), as server time plus the loopback.
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.core import signing
from django.core.management.utils import get_random_secret_key
from django.utils import timezone

from eligibility.screener.storage import COOKIE_NAME, SALT

REPO = Path(__file__).resolve().parent.parent
PORTAL_BIN = REPO / ".venv" / "bin"
BENCH_BIN = REPO / ".venv-bench" / "bin"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
WORKERS = 2
THREADS, CONNECTIONS, SECONDS = 2, 16, 10

CATALOGUE_EXAMPLE = {
    "as_of": "2024-03-01",
    "facts": {
        "birth_date": "1999-05-02",
        "groups": ["college_graduate"],
        "graduation_date": "2023-06-30",
        "employed_since_graduation": False,
        "employment_form": "part_time",
        "pays_flexible_pension": True,
    },
}
TARGETS = ("trivial", "screening", "openfisca", "screening_varied", "openfisca_varied")
LABELS = {
    "trivial": "trivial Django JSON view (`GET /bench/trivial`)",
    "screening": "`POST /api/v1/screenings`, one person (catalogue example)",
    "openfisca": "OpenFisca 46.0.1 web API `POST /calculate`, same person",
    "screening_varied": "`POST /api/v1/screenings`, a new random person each request",
    "openfisca_varied": "OpenFisca `POST /calculate`, the same random persons",
}
# Random persons, drawn by wrk itself for every request (LuaJIT), the same way for both
# targets: born 1964–2003, two in three college graduates (graduated 2021 to early 2024),
# one in five with employment difficulties, any employment form, any of Quzhou's six
# districts and counties or Beijing. Every fact OpenFisca's model reads is given.
_RANDOM_PERSON_LUA = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("seed", threads) end
function init(args) math.randomseed(os.time() * 7 + (seed or 0) * 7919) end
local noon = os.time{year = 1964, month = 1, day = 1, hour = 12}
local graduations = os.time{year = 2021, month = 1, day = 1, hour = 12}
local regions = {"330802", "330803", "330822", "330824", "330825", "330881", "110101"}
local forms = {FORMS}
local function day(start, span) return os.date("!%Y-%m-%d", start + math.random(0, span) * 86400) end
local function yes(share) return math.random() < share end
local function flag(value) return value and "true" or "false" end
function person()
  return {
    birth_date = day(noon, 14600), graduation_date = day(graduations, 1150),
    college_graduate = yes(0.66), employment_difficulty = yes(0.2), employed = yes(0.4),
    form = math.random(1, #forms), pension = yes(0.5), medical = yes(0.3),
    region = regions[math.random(1, #regions)],
  }
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
"""

_SCREENING_BODY_LUA = """
function request()
  local p = person()
  local groups = {}
  if p.college_graduate then groups[#groups + 1] = '"college_graduate"' end
  if p.employment_difficulty then groups[#groups + 1] = '"employment_difficulty"' end
  local body = '{"as_of":"AS_OF","facts":{"region":"' .. p.region .. '","birth_date":"' .. p.birth_date
    .. '","groups":[' .. table.concat(groups, ",") .. '],"graduation_date":"' .. p.graduation_date
    .. '","employed_since_graduation":' .. flag(p.employed) .. ',"employment_form":"' .. forms[p.form]
    .. '","pays_flexible_pension":' .. flag(p.pension) .. ',"pays_flexible_medical":' .. flag(p.medical) .. '}}'
  return wrk.format(nil, nil, nil, body)
end
"""

_OPENFISCA_BODY_LUA = """
function request()
  local p = person()
  local function input(name, value) return '"' .. name .. '":{"PERIOD":' .. value .. '}' end
  local body = '{"persons":{"person":{' .. table.concat({
    input("birth_date", '"' .. p.birth_date .. '"'), input("graduation_date", '"' .. p.graduation_date .. '"'),
    input("region", p.region), input("college_graduate", flag(p.college_graduate)),
    input("employment_difficulty", flag(p.employment_difficulty)),
    input("employed_since_graduation", flag(p.employed)), input("employment_form", p.form - 1),
    input("pays_flexible_pension", flag(p.pension)), input("pays_flexible_medical", flag(p.medical)),
    input("flexible_si_eligible", "null"), input("flexible_si_monthly_cents", "null"),
  }, ",") .. '}}}'
  return wrk.format(nil, nil, nil, body)
end
"""


def openfisca_body(params: dict, employment_forms: list[str]) -> dict:
    """The catalogue example as OpenFisca's /calculate input. OpenFisca has no unknown
    facts: the region (absent from the example) is the served city, the other inputs
    not given are false."""
    period = params["as_of"][:7]
    facts = CATALOGUE_EXAMPLE["facts"]
    inputs = {
        "birth_date": facts["birth_date"],
        "graduation_date": facts["graduation_date"],
        "region": params["served_city"] * 100,
        "college_graduate": True,
        "employment_difficulty": False,
        "employed_since_graduation": facts["employed_since_graduation"],
        "employment_form": employment_forms.index(facts["employment_form"]),
        "pays_flexible_pension": facts["pays_flexible_pension"],
        "pays_flexible_medical": False,
    }
    person = {name: {period: value} for name, value in inputs.items()}
    person |= {"flexible_si_eligible": {period: None}, "flexible_si_monthly_cents": {period: None}}
    return {"persons": {"person": person}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: the server for {url} stopped (exit {process.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own server on 127.0.0.1
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"bench: no answer from {url} after {seconds} s")


@contextmanager
def _server(command: list[str], env: dict[str, str], url: str, log: Path):
    with open(log, "w", encoding="utf-8") as output:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_up(url, process)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _portal_env(secret_key: str, folder: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SCREENING_RATE_LIMIT"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": secret_key,
        "PYTHONPATH": str(REPO),
        "LOG_LEVEL": "WARNING",
    }
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"sqlite:///{REPO / 'var' / 'bench.sqlite3'}"
    return env


def _ensure_database(url: str) -> None:
    """Creates the PostgreSQL database named in DATABASE_URL when it does not exist yet."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    options = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None}
    if config.get("PASSWORD"):
        options["password"] = config["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **options) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not found:
            connection.execute(f'CREATE DATABASE "{config["NAME"]}"')


def _wrk(url: str, *, script: Path | None = None, threads=THREADS, connections=CONNECTIONS, seconds=SECONDS) -> dict:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)  # noqa: S603
    return _parse_wrk(done.stdout)


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _parse_wrk(text: str) -> dict:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    total = re.search(r"(\d+) requests in", text)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if not (rate and p50 and total):
        raise SystemExit(f"bench: cannot read wrk's output:\n{text}")
    return {
        "rps": float(rate.group(1)),
        "p50_ms": float(p50.group(1)) * _UNIT[p50.group(2)],
        "p99_ms": float(p99.group(1)) * _UNIT[p99.group(2)] if p99 else None,
        "requests": int(total.group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def _post_script(folder: Path, name: str, body: dict, headers: dict[str, str] | None = None) -> Path:
    path = folder / f"{name}.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}"]
    lines.append('wrk.headers["Content-Type"] = "application/json"')
    for key, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _varied_script(folder: Path, name: str, *, as_of: str, employment_forms: list[str]) -> Path:
    """A wrk script that sends a new random person each request, to the screening API
    (``screening_varied``) or to OpenFisca (``openfisca_varied``)."""
    forms = ", ".join(json.dumps(form) for form in employment_forms)
    body = _SCREENING_BODY_LUA if name == "screening_varied" else _OPENFISCA_BODY_LUA
    text = _RANDOM_PERSON_LUA.replace("FORMS", forms) + body.replace("AS_OF", as_of).replace("PERIOD", as_of[:7])
    path = folder / f"{name}.lua"
    path.write_text(text, encoding="utf-8")
    return path


def _header_script(folder: Path, name: str, headers: dict[str, str]) -> Path:
    path = folder / f"{name}.lua"
    path.write_text(
        "\n".join(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}" for key, value in headers.items()) + "\n",
        encoding="utf-8",
    )
    return path


def _check(url: str, *, body: dict | None = None, headers: dict | None = None, expect: str = "") -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
        text = response.read().decode("utf-8")
        if response.status != 200 or response.url != url or expect not in text:
            raise SystemExit(
                f"bench: {url} answered {response.status} from {response.url} without {expect!r}: {text[:300]}"
            )


def results_cookie(secret_key: str) -> str:
    """The screener's signed answers cookie for a recent graduate working part-time
    (the catalogue example, graduated 200 days ago so that the subsidy applies today)."""
    today = timezone.localdate()
    answers = {
        "region": "330802",
        "birth_date": "1999-05-02",
        "groups": ["college_graduate"],
        "graduation_date": (today - timedelta(days=200)).isoformat(),
        "employed_since_graduation": False,
        "employment_form": "part_time",
        "plans_business": False,
        "pays_flexible_pension": True,
        "pays_flexible_medical": False,
        "hardship_declared": False,
        "training_certificate": True,
    }
    return signing.dumps(answers, key=secret_key, salt=SALT, compress=True)


def measure(params: dict, employment_forms: list[str], *, rounds: int = 3, seconds: int = SECONDS) -> dict:
    """Runs the three servers, ``rounds`` interleaved rounds of wrk, and the results page."""
    if not Path(WRK).exists():
        return {"skipped": "wrk is not installed (Debian package wrk)"}
    if not (BENCH_BIN / "gunicorn").exists():
        return {"skipped": ".venv-bench is missing (run `make bench`)"}
    secret_key = get_random_secret_key()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = _portal_env(secret_key, folder)
        _ensure_database(env["DATABASE_URL"])
        subprocess.run(  # noqa: S603
            [str(PORTAL_BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=REPO,
            env=env,
            check=True,
        )
        cookie_value = results_cookie(secret_key)
        costs = subprocess.run(  # noqa: S603 - our own script, before the servers take the CPU
            [str(PORTAL_BIN / "python"), str(REPO / "bench" / "request_costs.py"), cookie_value],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        in_process = json.loads(costs.stdout.strip().splitlines()[-1])
        params_path = folder / "params.json"
        params_path.write_text(json.dumps(params), encoding="utf-8")
        of_env = {**os.environ, "LINGHUO_BENCH_PARAMS": str(params_path)}
        of_env.pop("PYTHONPATH", None)
        django_port, of_port = _free_port(), _free_port()
        gunicorn = ["--workers", str(WORKERS), "--worker-class", "sync", "--access-logfile", "/dev/null"]
        django_cmd = [
            str(PORTAL_BIN / "gunicorn"),
            "portal.wsgi:application",
            "--chdir",
            str(REPO),
            "--bind",
            f"127.0.0.1:{django_port}",
            *gunicorn,
        ]
        of_cmd = [
            str(BENCH_BIN / "gunicorn"),
            "openfisca_web:application",
            "--chdir",
            str(REPO / "bench"),
            "--bind",
            f"127.0.0.1:{of_port}",
            *gunicorn,
        ]
        base = f"http://127.0.0.1:{django_port}"
        urls = {
            "trivial": f"{base}/bench/trivial",
            "screening": f"{base}/api/v1/screenings",
            "openfisca": f"http://127.0.0.1:{of_port}/calculate",
        }
        urls |= {"screening_varied": urls["screening"], "openfisca_varied": urls["openfisca"]}
        scripts = {
            "trivial": None,
            "screening": _post_script(folder, "screening", CATALOGUE_EXAMPLE),
            "openfisca": _post_script(folder, "openfisca", openfisca_body(params, employment_forms)),
            **{
                name: _varied_script(folder, name, as_of=params["as_of"], employment_forms=employment_forms)
                for name in ("screening_varied", "openfisca_varied")
            },
        }
        cookie = {"Cookie": f"{COOKIE_NAME}={cookie_value}"}
        results_script = _header_script(folder, "results", cookie)
        with (
            _server(django_cmd, env, urls["trivial"], folder / "django.log"),
            _server(of_cmd, of_env, f"http://127.0.0.1:{of_port}/spec", folder / "openfisca.log"),
        ):
            _check(urls["trivial"], expect="ok")
            _check(urls["screening"], body=CATALOGUE_EXAMPLE, expect='"eligible"')
            _check(urls["openfisca"], body=openfisca_body(params, employment_forms), expect='"flexible_si_eligible"')
            _check(f"{base}/screening/results/", headers=cookie, expect="<h1")
            for target in TARGETS:  # warm-up: every worker has loaded its code and its caches
                _wrk(urls[target], script=scripts[target], seconds=2)
            per_round = {target: [] for target in TARGETS}
            for _ in range(rounds):
                for target in TARGETS:
                    per_round[target].append(_wrk(urls[target], script=scripts[target], seconds=seconds))
            page = _wrk(f"{base}/screening/results/", script=results_script, threads=1, connections=1, seconds=5)
    database = env["DATABASE_URL"].split(":", 1)[0]
    return {
        "rounds": rounds,
        "seconds": seconds,
        "database": "PostgreSQL" if database.startswith("postgres") else "SQLite",
        "cache": "Redis" if os.environ.get("REDIS_URL") else "in-process (LocMemCache)",
        "targets": {
            target: {
                "runs": runs,
                "rps": statistics.median(run["rps"] for run in runs),
                "p50_ms": statistics.median(run["p50_ms"] for run in runs),
                "non_2xx": sum(run["non_2xx"] for run in runs),
                "socket_errors": sum(run["socket_errors"] for run in runs),
            }
            for target, runs in per_round.items()
        },
        "results_page": page,
        "in_process": in_process,
    }
