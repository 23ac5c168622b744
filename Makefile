# Floorwalker — see README.md. Every target installs what it needs first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
CLIENTS := clients/widget clients/console
# pytest-xdist processes for `make test` (1: one after another): most tests wait on sockets and timers
PYTEST_WORKERS ?= 2

.PHONY: run test lint api-types build up down bench clean deps deps-dev services-up

run: deps build ## the embedded mode: one process, SQLite, demo data; prints the URLs
	FW_MODE=embedded $(PY) -m services.embedded

test: deps-dev services-up build lint ## every test: unit, services on PostgreSQL/Redis, cross-service, browser, SPAs
	@rc=0; \
	$(PY) -m pytest -q -m "not solo" -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 || rc=$$?; \
	$(PY) -m pytest -q -m solo -p no:xdist --durations=5 || rc=$$?; \
	exit $$rc
	@for c in $(CLIENTS); do (cd $$c && npm test --silent) || exit 1; done

lint: deps-dev
	$(PY) -m ruff check services tests scripts bench
	$(PY) -m ruff format --check services tests scripts bench
	$(PY) -m mypy services scripts bench
	@for c in $(CLIENTS); do (cd $$c && npm run --silent typecheck) || exit 1; done

api-types: deps-dev ## the served OpenAPI into clients/console/openapi.json, and the console's types from it
	$(PY) scripts/openapi_snapshot.py
	cd clients/console && npm run --silent api-types

build: ## build both SPAs when their sources changed
	@bash scripts/setup.sh build

deps:
	@bash scripts/setup.sh python

deps-dev:
	@bash scripts/setup.sh python-dev

services-up: ## PostgreSQL, Redis and Chromium for the tests (installed with apt-get when missing)
	@bash scripts/setup.sh services

up: deps build services-up ## the distributed mode on this machine: one process per service
	$(PY) scripts/stack.py up

down:
	$(PY) scripts/stack.py down

bench: deps-dev services-up build ## both benchmarks (figures in docs/performance.md)
	$(PY) bench/chat_latency.py
	$(PY) bench/tracking_ingest.py

clean:
	rm -rf data .stack $(foreach c,$(CLIENTS),$(c)/dist)
