# Linghuo: `make demo` runs the portal on embedded defaults, `make test` runs every test.
# Both create the virtualenv and install what they need on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format run worker beat messages clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Linghuo needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo
	@echo "Linghuo is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@echo "Policy console: http://$(HOST):$(PORT)/policy/  (the admin site: /admin/)"
	@echo
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

run: install
	DJANGO_SETTINGS_MODULE=portal.settings.production $(BIN)/python manage.py collectstatic --no-input
	DJANGO_SETTINGS_MODULE=portal.settings.production $(BIN)/gunicorn portal.wsgi:application \
		--bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-3} --access-logfile - --timeout 30

worker: install
	$(BIN)/celery -A portal worker --loglevel=INFO --concurrency=$${WORKER_CONCURRENCY:-2}

beat: install
	$(BIN)/celery -A portal beat --loglevel=INFO --schedule=$${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=.venv-bench --ignore=bench --ignore=var
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# `make bench`: the engine's and the screening API's speed (docs/PERFORMANCE.md). OpenFisca, the
# reference, lives in a venv of its own (.venv-bench): it pins an older gunicorn than the portal.
# The HTTP part runs the portal on DATABASE_URL and REDIS_URL when set (PostgreSQL and Redis), e.g.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/linghuo_bench REDIS_URL=redis://127.0.0.1:6379/1 make bench
# and needs wrk (Debian package). Not part of `make test`; BENCH_ARGS passes options to bench/run.py.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: bench

$(BENCH_STAMP): requirements-bench.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)
