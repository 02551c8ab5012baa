"""The agents' lookup order: env var, the repo's .agents install, PATH, legacy /tmp places."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import agents
from tests.e2e.agents import Agent, agent_or_skip, find_agent


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = tmp_path / "legacy" / "tool"
    agent = Agent("tool", "@x/tool", "TOOL_BIN", (legacy,))
    monkeypatch.setattr(
        agents, "AGENTS_BIN", tmp_path / "repo" / ".agents" / "node_modules" / ".bin"
    )
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    monkeypatch.delenv("TOOL_BIN", raising=False)
    assert find_agent(agent) is None
    executable(legacy)
    assert find_agent(agent) == str(legacy)
    on_path = executable(tmp_path / "path" / "tool")
    assert find_agent(agent) == str(on_path)
    local = executable(agents.AGENTS_BIN / "tool")
    assert find_agent(agent) == str(local)
    explicit = executable(tmp_path / "explicit")
    monkeypatch.setenv("TOOL_BIN", str(explicit))
    assert find_agent(agent) == str(explicit)
    monkeypatch.setenv("TOOL_BIN", str(tmp_path / "missing"))  # a wrong variable is ignored
    assert find_agent(agent) == str(local)


def test_missing_agent_skips_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agents, "AGENTS_BIN", tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="npm install --prefix .agents"):
        agent_or_skip(Agent("tool", "@x/tool", "TOOL_BIN_UNSET"))
