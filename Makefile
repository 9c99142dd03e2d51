# smsrelay — everything a newcomer or CI needs, from a machine with python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-faults bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Install and start the platform: HTTP API on 127.0.0.1:8080, SQLite in ./var, built-in carrier.
run: $(STAMP)
	$(BIN)/smsrelay serve --demo

## The whole test suite (SQLite and PostgreSQL on 127.0.0.1:5432): the fast suite, then the
## fault-injection suite (SIGKILL/SIGTERM of a real server, carrier faults).
test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q -m faults

## Only the fault-injection suite (tests/faults; SMSRELAY_FAULT_MESSAGES sets the SIGKILL load).
test-faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults

## Performance figures against the targets (see docs/performance.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
