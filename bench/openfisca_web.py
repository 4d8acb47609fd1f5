"""OpenFisca's web API serving the small flexible-si-subsidy model, for ``make bench``.

Run in ``.venv-bench`` under gunicorn by ``bench/http.py``:
``gunicorn --chdir bench openfisca_web:application`` with ``LINGHUO_BENCH_PARAMS``
naming the JSON file of parameters that ``bench/run.py`` writes (the values in
force in the shipped catalogue, as for the column-evaluator comparison).
"""

import json
import os

from openfisca_core.parameters import ParameterNode
from openfisca_flexible_si import build_system
from openfisca_web_api.app import create_app

with open(os.environ["LINGHUO_BENCH_PARAMS"], encoding="utf-8") as file:
    PARAMS = json.load(file)

system = build_system(PARAMS)
# The model reads its values from PARAMS; the web API wants at least one parameter to list.
system.parameters = ParameterNode(
    "",
    data={
        "monthly_cents": {
            "description": "flexible-si-subsidy a month, in cents",
            "values": {PARAMS["as_of_in_force_from"]: {"value": PARAMS["monthly_cents"]}},
        }
    },
)
application = create_app(system)
