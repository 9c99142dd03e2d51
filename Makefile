# smsrelay — everything a newcomer or CI needs, from a machine with python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test run test test-faults bench lint clean

## What running needs: the package and its runtime dependencies (make run).
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(RUN_STAMP)

## The test and lint tools on top (make test, make lint, make bench).
$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(TEST_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

## Install and start the platform: HTTP API on 127.0.0.1:8080, SQLite in ./var, built-in carrier,
## a demo account (printed once, kept in var/smsrelay.db.demo-account.txt).
run: $(RUN_STAMP)
	$(BIN)/smsrelay serve --demo

## The whole test suite (SQLite and PostgreSQL on 127.0.0.1:5432): the fast suite, then the
## wheel built from a clean checkout and served from a fresh venv, then the fault-injection suite
## (SIGKILL/SIGTERM of a real server, carrier faults).
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q -m packaging
	$(BIN)/python -m pytest -q -m faults

## Only the fault-injection suite (tests/faults; SMSRELAY_FAULT_MESSAGES sets the SIGKILL load).
test-faults: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m faults

## Performance figures against the targets (see docs/performance.md).
bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/run.py

## ruff, mypy --strict and the layering contracts (import-linter, [tool.importlinter]).
lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache build dist
