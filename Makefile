# gatewayctl — the two front-door commands are `make run` and `make test`.
# Each sets itself up on a fresh machine (venv + dependencies) before doing its job.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8787

.PHONY: install dev run test lint format bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed    ## venv + runtime dependencies

dev: $(VENV)/.dev-installed    ## + test and lint tools, official SDKs

run: install                   ## serve on 127.0.0.1:8787 with the embedded SQLite default
	$(BIN)/gatewayctl serve --host $(HOST) --port $(PORT)

lint: dev                      ## ruff + mypy
	$(BIN)/ruff check gatewayctl tests bench
	$(BIN)/ruff format --check gatewayctl tests bench
	$(BIN)/mypy

test: lint                     ## lint, then the whole test suite
	$(BIN)/pytest -q

format: dev
	$(BIN)/ruff check --fix gatewayctl tests bench
	$(BIN)/ruff format gatewayctl tests bench

bench: install                 ## loopback benchmark against a mock upstream
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
