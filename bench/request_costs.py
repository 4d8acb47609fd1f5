"""Where the time of one request goes, in process, on the bench's database and cache.

Run by ``bench/loadtest.py`` with the environment of the bench's gunicorn
(``DJANGO_SETTINGS_MODULE=bench.settings``, DATABASE_URL, REDIS_URL, SECRET_KEY),
before the servers start: Django's test client sends the same requests as wrk,
and the parts of a screening are timed on their own. Prints one JSON line of
medians in milliseconds.

``python bench/request_costs.py COOKIE``  (COOKIE: the screener's signed answers)
"""

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.loadtest import CATALOGUE_EXAMPLE  # noqa: E402
from eligibility import engine  # noqa: E402
from eligibility.api import views  # noqa: E402
from eligibility.screener.storage import COOKIE_NAME  # noqa: E402

REPEAT = 300


def median_ms(function, repeat: int = REPEAT) -> float:
    for _ in range(10):
        function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


class Timed:
    """Wraps ``module.name`` to add the wall time of each call to ``spent``."""

    def __init__(self, module, name: str):
        self.module, self.name, self.original = module, name, getattr(module, name)
        self.spent = 0.0

    def __enter__(self):
        original = self.original

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - started

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.original)


def main() -> None:
    cookie = sys.argv[1]
    client = Client(HTTP_HOST="127.0.0.1")
    body = json.dumps(CATALOGUE_EXAMPLE)

    def screening():
        response = client.post("/api/v1/screenings", body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"screening answered {response.status_code}: {response.content[:300]}")

    def results_page():
        response = client.get("/screening/results/")
        if response.status_code != 200:
            raise SystemExit(f"results page answered {response.status_code}")

    screening()
    with CaptureQueriesContext(connection) as queries:
        screening()
    answer = {
        "trivial_ms": median_ms(lambda: client.get("/bench/trivial")),
        "screening_queries": len(queries.captured_queries),
    }
    # The parts of the same screening requests, timed where the view calls them.
    parts = {"request": [], "parameters": [], "evaluate": [], "render": []}
    for index in range(REPEAT + 10):
        with (
            Timed(engine, "parameters_in_force") as parameters,
            Timed(views, "screening_run") as evaluating,
            Timed(views, "results_to_dict") as rendering,
        ):
            started = time.perf_counter()
            screening()
            whole = time.perf_counter() - started
        if index >= 10:
            parts["request"].append(whole)
            parts["parameters"].append(parameters.spent)
            parts["evaluate"].append(evaluating.spent - parameters.spent)
            parts["render"].append(rendering.spent)
    for name, values in parts.items():
        if values:
            answer[f"screening_{name}_ms"] = statistics.median(values) * 1000
    answer["screening_ms"] = answer.pop("screening_request_ms")
    client.cookies[COOKIE_NAME] = cookie
    answer["results_page_ms"] = median_ms(results_page, repeat=100)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
