SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(STAMP)  ## Create .venv with the locked dependencies

demo: $(STAMP)  ## Write the demo extracts to data/raw and run the nightly job on them
	$(BIN)/jamsos demo
	$(BIN)/jamsos run

test: $(STAMP)  ## Lint, type-check and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy flows transforms schemas
	$(BIN)/pytest

typecheck: $(STAMP)  ## Type-check flows, transforms and schemas with mypy
	$(BIN)/mypy flows transforms schemas

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	touch $@

bench: $(BENCH_STAMP)  ## Time the pipeline at 10k, 1M and 10M rows against the one-query floor
	$(BIN)/python -m benchmarks.run

lock:  ## Refresh requirements.lock from a clean resolve of pyproject.toml
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,bench]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

clean:  ## Remove everything the pipeline built (data/processed); raw files stay
	find data/processed -mindepth 1 ! -name .gitkeep -delete

.PHONY: help install demo test typecheck bench lock clean
