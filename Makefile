# tidecast: `make dev` runs the platform on embedded defaults; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test setup system-deps lint typecheck unit bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . --config-settings editable_mode=compat
	@touch $(STAMP)

setup: $(STAMP)

dev: setup
	$(BIN)/tidecast dev

# System packages the tests need (PostgreSQL server binaries); installed from apt when missing.
system-deps:
	@bash scripts/system-deps.sh

lint: setup
	$(BIN)/ruff check tidecast tests bench
	$(BIN)/ruff format --check tidecast tests bench

typecheck: setup
	$(BIN)/mypy tidecast

test: setup system-deps lint typecheck
	$(BIN)/pytest

bench: setup
	@bash scripts/system-deps.sh bench
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/devserver.py
	$(BIN)/python bench/email_outbox.py
	$(BIN)/python bench/auth.py

clean:
	rm -rf $(VENV) .tidecast .pytest_cache .mypy_cache .ruff_cache
