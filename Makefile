# Two commands for a fresh Debian/Ubuntu machine:
#   make run    install, migrate, load the questionnaire and regions, seed demo data, serve :5000
#   make test   lint and the whole test suite (TEST_DATABASE_URL=postgresql+psycopg://... for PG)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := surveyapp

.PHONY: run test lint lock serve-prod scale-check loadtest system-deps-run system-deps-test messages translations

# Python packages: exactly the versions (and hashes) in the lock, runtime and dev alike, then the
# app itself without dependencies. Rebuilt when the lock changes.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock

$(VENV)/.installed: $(DEV_LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Regenerate the lock files from pyproject.toml's ranges after changing them (uv, from PyPI): one
# version per package for every platform and Python >= 3.11; pins that still fit are kept.
# LOCK_ARGS=--upgrade takes the newest versions that fit, LOCK_ARGS='--upgrade-package NAME' one.
# requirements.lock (runtime only, for a production install) is held to the dev lock's versions.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --fork-strategy fewest \
	--generate-hashes --quiet --custom-compile-command 'make lock' $(LOCK_ARGS)
lock: $(VENV)/.installed
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) -c $(DEV_LOCK) -o $(LOCK)

system-deps-run:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

run: system-deps-run $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	$(BIN)/flask questionnaires load
	$(BIN)/flask regions import data/nuts2024-eu27.csv
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# axe-core for the accessibility tests, from the npm registry at the locked version.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# A process per core (at most 4), each with its own database; a file's tests stay in one.
test: system-deps-test $(VENV)/.installed node_modules/.installed lint translations
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

# Production-style serving (needs SECRET_KEY, TOTP_KEYS and DATABASE_URL in the environment).
serve-prod: $(VENV)/.installed translations
	SURVEYAPP_CONFIG=production $(BIN)/flask db upgrade
	GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py

# Two app servers sharing one PostgreSQL and one Redis, checked from outside (docs/deploy.md,
# section 11): sessions, stored reports, sign-in throttles and caches shared. Needs PostgreSQL
# on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; about a minute; not in CI.
scale-check: $(VENV)/.installed
	$(BIN)/python scripts/scale_out_check.py

# Load and fault scenarios of ../shared/RELIABILITY.md that take long and need PostgreSQL on
# 127.0.0.1:5432 (user postgres), with their figures in docs/reliability.md; not in CI.
# F8: the migration rehearsal on production-sized data (244 regions x 6 rounds), every revision
# down and up again with the data in it, on SQLite and PostgreSQL (about 15 minutes).
# F6: F1's autosaves alone, then beside 10 report readers and 10 XLSX exporters with a canary
# server for any fetch (3 + 10 minutes on each database).
loadtest: $(VENV)/.installed
	$(BIN)/python benchmarks/migration_rehearsal.py
	$(BIN)/python benchmarks/export_pressure.py

# Compile the interface translations (French, German, ...) that the app serves.
translations: $(VENV)/.installed
	@if ls surveyapp/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel -q compile -d surveyapp/translations; fi

# Interface strings: extract the catalogue template translators start from.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _nl:1,2 -k lazy_ngettext:1,2 -o surveyapp/translations/messages.pot --no-location --sort-output --project surveyapp .
	$(BIN)/pybabel update -i surveyapp/translations/messages.pot -d surveyapp/translations --no-fuzzy-matching
