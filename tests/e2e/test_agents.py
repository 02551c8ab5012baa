"""Codex CLI and Gemini CLI through the gateway, each served by another protocol's upstream.

Like :mod:`tests.e2e.test_claude_code`, these run the real agents (npm packages
``@openai/codex`` and ``@google/gemini-cli``) one-shot, configured as
``reference/agent-clients.md`` describes, found by :mod:`tests.e2e.agents`, and are skipped
when the agent is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.agents import CODEX, GEMINI_CLI, agent_or_skip
from tests.e2e.conftest import GatewayEnv
from tests.fakes import Answer

REPLY = "Hello from the gateway!"


def base_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "NO_COLOR": "1",
    }


def run_agent(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.timeout(180)
def test_codex_cli_through_translation(env: GatewayEnv, tmp_path: Path) -> None:
    """Codex (Responses, streaming) served by an Anthropic upstream."""
    codex = agent_or_skip(CODEX)
    env.fakes.anthropic.script(Answer(text=REPLY), route="messages", times=None)
    agent_env = base_env(tmp_path)
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(
        'model_provider = "gw"\n'
        "check_for_update_on_startup = false\n"
        "[model_providers.gw]\n"
        'name = "gw"\n'
        f'base_url = "{env.url}/anth/v1"\n'
        'wire_api = "responses"\n'
        'env_key = "GW_KEY"\n'
        "request_max_retries = 1\n"
        "stream_max_retries = 1\n"
        "[analytics]\n"
        "enabled = false\n"
    )
    agent_env.update(CODEX_HOME=str(codex_home), GW_KEY=env.key)
    done = run_agent(
        [codex, "exec", "--skip-git-repo-check", "--ephemeral", "-m", "claude-x", "say hello"],
        agent_env,
        tmp_path,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert REPLY in done.stdout
    (upstream,) = env.fakes.anthropic.requests_to("messages")
    sent = upstream.json
    assert sent["stream"] is True and sent["model"] == "claude-x"
    assert sent["tools"], "Codex's function tools reach the upstream"
    names = [tool["name"] for tool in sent["tools"]]
    assert len(names) == len(set(names))
    (row,) = env.wait_usages(1, model="claude-x")
    assert (row["provider_name"], row["protocol"]) == ("anth", "OpenAi")


@pytest.mark.timeout(180)
def test_gemini_cli_through_translation(env: GatewayEnv, tmp_path: Path) -> None:
    """Gemini CLI (streamGenerateContent?alt=sse) served by an OpenAI-chat upstream."""
    gemini = agent_or_skip(GEMINI_CLI)
    env.fakes.openai.script(Answer(text=REPLY), route="chat", times=None)
    agent_env = base_env(tmp_path)
    settings_dir = Path(agent_env["HOME"]) / ".gemini"
    settings_dir.mkdir()
    (settings_dir / "settings.json").write_text(
        json.dumps(
            {
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "privacy": {"usageStatisticsEnabled": False},
                "telemetry": {"enabled": False},
                "general": {
                    "enableAutoUpdate": False,
                    "enableAutoUpdateNotification": False,
                    "maxAttempts": 2,
                },
            }
        )
    )
    agent_env.update(
        GOOGLE_GEMINI_BASE_URL=f"{env.url}/chat",
        GEMINI_API_KEY=env.key,
        GEMINI_CLI_TRUST_WORKSPACE="true",
    )
    done = run_agent([gemini, "-m", "gpt-4o", "-p", "say hello"], agent_env, tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert REPLY in done.stdout
    requests = env.fakes.openai.requests_to("chat")
    assert requests and all(r.json["model"] == "gpt-4o" for r in requests)
    assert requests[-1].json["stream"] is True
    rows = env.wait_usages(len(requests), model="gpt-4o")
    assert rows and all(r["provider_name"] == "chat" for r in rows)
    assert {r["protocol"] for r in rows} == {"Gemini"}
