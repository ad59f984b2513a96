# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: virtual environment, install, migrations, demo data (first time; then new codes), server on http://$(HOST):$(PORT)
run: install
	$(BIN)/monitor db upgrade
	$(BIN)/monitor demo --if-empty --url http://$(HOST):$(PORT)/
	$(BIN)/monitor serve --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite; PostgreSQL too when MONITOR_TEST_POSTGRES_URL is set)
test: install
	$(BIN)/pytest

## lint: ruff, formatting, mypy, and the import contracts of the data's road (pyproject.toml)
lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: the load and close benchmarks on SQLite and PostgreSQL (needs wrk; see bench/README.md)
bench: install
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.load --backend postgres
	$(BIN)/python -m bench.close
	$(BIN)/python -m bench.close --backend postgres

clean:
	rm -rf var test-output
