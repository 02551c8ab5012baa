# gatewayctl — the two front-door commands are `make run` and `make test`.
# Each sets itself up on a fresh machine (venv + dependencies) before doing its job.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8787

.PHONY: install dev agents run test lint format bench clean

# Real coding agents driven by tests/e2e (Claude Code, Codex CLI, Gemini CLI), pinned to the
# versions whose wire behaviour is documented in the reference notes. Best effort: without npm
# or the registry, those tests are skipped with a reason.
AGENTS_DIR ?= .agents
AGENTS     := @anthropic-ai/claude-code@2.1.197 @openai/codex@0.171.0 @google/gemini-cli@0.61.0

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

$(AGENTS_DIR)/.installed:
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --loglevel=error --prefix $(AGENTS_DIR) $(AGENTS) \
			&& touch $@ || echo "note: npm install of the agents failed; their tests will be skipped"; \
	else \
		echo "note: npm not found; the real-agent tests will be skipped"; \
	fi

agents: $(AGENTS_DIR)/.installed     ## Claude Code, Codex CLI, Gemini CLI for tests/e2e

run: install                   ## serve on 127.0.0.1:8787 with the embedded SQLite default
	$(BIN)/gatewayctl serve --host $(HOST) --port $(PORT)

lint: dev                      ## ruff + mypy
	$(BIN)/ruff check gatewayctl tests bench
	$(BIN)/ruff format --check gatewayctl tests bench
	$(BIN)/mypy

test: lint agents              ## lint, then the whole test suite
	$(BIN)/pytest -q

format: dev
	$(BIN)/ruff check --fix gatewayctl tests bench
	$(BIN)/ruff format gatewayctl tests bench

bench: install                 ## loopback benchmark against a mock upstream
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(AGENTS_DIR) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
