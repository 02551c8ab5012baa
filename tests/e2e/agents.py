"""Where the end-to-end tests find the real coding agents (one lookup for all three).

``make test`` installs them best-effort into ``<repo>/.agents`` (git-ignored) with
``npm install --prefix .agents @anthropic-ai/claude-code @openai/codex @google/gemini-cli``.
For each agent, the first hit wins:

1. the environment variable (``CLAUDE_CODE_BIN``, ``CODEX_BIN``, ``GEMINI_CLI_BIN``);
2. ``<repo>/.agents/node_modules/.bin/<name>``;
3. ``<name>`` on ``PATH``;
4. the older ad-hoc install places under ``/tmp``.

A test whose agent is nowhere is skipped, saying how to install it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENTS_BIN = REPO_ROOT / ".agents" / "node_modules" / ".bin"
INSTALL_HINT = (
    "npm install --prefix .agents @anthropic-ai/claude-code @openai/codex @google/gemini-cli"
)


@dataclass(frozen=True, slots=True)
class Agent:
    name: str  # the executable
    package: str  # the npm package
    env_var: str
    legacy: tuple[Path, ...] = ()


CLAUDE_CODE = Agent(
    "claude",
    "@anthropic-ai/claude-code",
    "CLAUDE_CODE_BIN",
    (Path("/tmp/claude-code/node_modules/.bin/claude"),),
)
CODEX = Agent("codex", "@openai/codex", "CODEX_BIN", (Path("/tmp/agents/node_modules/.bin/codex"),))
GEMINI_CLI = Agent(
    "gemini",
    "@google/gemini-cli",
    "GEMINI_CLI_BIN",
    (Path("/tmp/agents/node_modules/.bin/gemini"),),
)


def find_agent(agent: Agent) -> str | None:
    """The agent's executable by the lookup order above, or None."""
    explicit = os.environ.get(agent.env_var)
    if explicit and Path(explicit).exists():
        return explicit
    local = AGENTS_BIN / agent.name
    if local.exists():
        return str(local)
    on_path = shutil.which(agent.name)
    if on_path:
        return on_path
    return next((str(p) for p in agent.legacy if p.exists()), None)


def agent_or_skip(agent: Agent) -> str:
    """The agent's executable; skips the calling test when it is not installed."""
    found = find_agent(agent)
    if found is None:
        pytest.skip(
            f"{agent.package} is not installed: `make test` installs it, or run "
            f"`{INSTALL_HINT}` in the repo (or set {agent.env_var})"
        )
    return found
