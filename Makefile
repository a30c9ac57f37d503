# Each target does its own set-up on a fresh machine: it creates .venv and installs what it needs.
# `make demo` installs the package alone; `make test` (and lint, typecheck, bench) add the test and
# benchmark tools (pytest, ruff, mypy, playwright, pyspark, the peer FIT libraries, ...).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/backstride demo --out demo-out

test: $(TEST_STAMP) lint typecheck pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

pytest: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/import_speed.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .mypy_cache .ruff_cache .pytest_cache .import_linter_cache demo-out
