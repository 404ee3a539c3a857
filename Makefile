# The two commands a newcomer needs: `make run` and `make test`. Both create .venv and install
# Cadence on first use (and again whenever pyproject.toml changes), then migrate and run.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= $(shell for candidate in python3 python3.13 python3.12 python3.11; do \
	command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$candidate; break; }; done)

.PHONY: run test lint format bench clean demo demo-reset

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "make: Cadence needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/cadence db upgrade
	$(BIN)/cadence run

demo: $(STAMP)
	$(BIN)/cadence shell --demo

demo-reset: $(STAMP)
	$(BIN)/cadence shell --demo --reset </dev/null

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/org_import.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
