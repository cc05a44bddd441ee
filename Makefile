# Two commands for a fresh machine: `make run` and `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := bot cogs tests $(wildcard bench)
# The oldest Python Hearth runs on (pyproject.toml's requires-python says the same).
NEEDS := 3.11
PY_OK := import sys; sys.exit(sys.version_info < (3, 11))
# "yes" when .venv's Python exists and is new enough; a .venv made by an older Python (or
# one since uninstalled) is rebuilt, never reused.
VENV_OK := $(shell $(BIN)/python -c '$(PY_OK)' >/dev/null 2>&1 && echo yes)
TO ?= backups

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench bench-doc soak scale-proof backup check-config clean FORCE

help: ## this list
	@echo "Hearth — make targets (PYTHON=$(PYTHON); needs Python $(NEEDS) or newer):"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Any other command: .venv/bin/python -m bot --help"

# Re-install whenever pyproject.toml is newer than the last install, or .venv is unusable.
$(STAMP): pyproject.toml $(if $(VENV_OK),,FORCE)
	@$(PYTHON) -c '$(PY_OK)' >/dev/null 2>&1 || { \
		echo "Hearth needs Python $(NEEDS) or newer, and '$(PYTHON)' is" \
			"$$($(PYTHON) -V 2>&1 || echo 'not installed')."; \
		echo "Install a newer one and name it, e.g. make run PYTHON=python3.12"; exit 1; }
	@if [ -e $(VENV) ] && [ "$(VENV_OK)" != yes ]; then \
		echo "Rebuilding .venv: it was made with a Python Hearth can't use" \
			"(it needs $(NEEDS) or newer)."; \
		rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

FORCE:

# First start: a data key (HEARTH_DATA_KEY) is written into .env if there is none — never
# when a database already needs one (then it says how to put the old key back).
run: $(STAMP) ## start Hearth (creates .venv, the data key and the database when missing)
	@$(BIN)/python -m bot ensure-data-key --env-file .env --quiet
	$(BIN)/python -m bot run

check-config: $(STAMP) ## check .env and the prompt decks without connecting
	@$(BIN)/python -m bot check-config

backup: $(STAMP) ## copy the database into backups/ (or TO=folder), safe while Hearth runs
	@mkdir -p $(TO)
	@$(BIN)/python -m bot backup $(TO)

lint: $(STAMP) ## ruff (lint, format check) and mypy --strict
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

test: lint ## lint, then the whole test suite
	$(BIN)/python -m pytest -q -n 4

format: $(STAMP) ## format the code and apply ruff's safe fixes
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

bench: $(STAMP) ## benchmarks; figures to bench/results/latest.md (untracked)
	$(BIN)/python -m bench

bench-doc: $(STAMP) ## benchmarks, and rewrite the results in docs/performance.md
	$(BIN)/python -m bench --doc

# Kill Hearth at random moments of a friend group's afternoon (RUNS=30): 0 lost, 0 doubled.
RUNS ?= 30
soak: $(STAMP) ## kill Hearth at random moments, RUNS times: nothing lost or doubled
	$(BIN)/python -m tests.crash.soak --runs $(RUNS)

# Two `python -m bot run` processes (two of four shards each), one emulator, one PostgreSQL:
# 4,000 prompts and 1,000 check-ins exactly once, then kill -9 mid-fan-out (bench/scale.py).
scale-proof: $(STAMP) ## several processes, proven: exactly once, 0 × 429, kill -9 included
	$(BIN)/python -m bench.scale

clean: ## remove .venv and the tools' caches (the next make rebuilds them)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
