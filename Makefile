# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := bot cogs tests $(wildcard bench)

.PHONY: run test lint format bench soak clean

# Re-install whenever pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# First start: a data key (HEARTH_DATA_KEY) is written into .env if there is none.
run: $(STAMP)
	@$(BIN)/python -m bot ensure-data-key --env-file .env
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

bench: $(STAMP)
	$(BIN)/python -m bench

# Kill Hearth at random moments of a friend group's afternoon (RUNS=30): 0 lost, 0 doubled.
RUNS ?= 30
soak: $(STAMP)
	$(BIN)/python -m tests.crash.soak --runs $(RUNS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
