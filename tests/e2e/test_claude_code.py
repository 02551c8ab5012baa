"""A real coding agent through the gateway: Claude Code, served by an OpenAI-chat upstream.

``claude -p`` with ``ANTHROPIC_BASE_URL`` pointed at a scoped provider (``/chat``: a custom
OpenAI-compatible channel) sends its usual request — ``HEAD /chat`` as a warm-up, then
``POST /chat/v1/messages?beta=true`` with ``stream: true``, ~24 tools, a ``role: "system"``
message inside ``messages`` and adaptive thinking — which the gateway translates into Chat
Completions for the fake OpenAI upstream and whose SSE answer it translates back.

The agent is the npm package ``@anthropic-ai/claude-code``, found by
:mod:`tests.e2e.agents`; the test is skipped when it is not installed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.agents import CLAUDE_CODE, agent_or_skip
from tests.e2e.conftest import GatewayEnv
from tests.fakes import Answer


@pytest.mark.timeout(180)
def test_claude_code_through_translation(env: GatewayEnv, tmp_path: Path) -> None:
    binary = agent_or_skip(CLAUDE_CODE)
    fake = env.fakes.openai
    fake.script(Answer(text="Hello from the gateway!"), route="chat", times=None)
    home = tmp_path / "home"
    home.mkdir()
    agent_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "ANTHROPIC_BASE_URL": f"{env.url}/chat",
        "ANTHROPIC_API_KEY": env.key,
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_MAX_RETRIES": "1",
        "API_TIMEOUT_MS": "60000",
        # a broken stream must fail loudly instead of being retried without streaming
        "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
    }
    done = subprocess.run(
        [binary, "-p", "say hello", "--model", "gpt-4o"],
        env=agent_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Hello from the gateway!" in done.stdout
    (upstream,) = fake.requests_to("chat")
    sent = upstream.json
    assert sent["stream"] is True
    assert sent["model"] == "gpt-4o"
    assert len(sent["tools"]) > 5
    assert sent["messages"][0]["role"] == "system"
    # what the gateway recorded for it
    (row,) = env.wait_usages(1, model="gpt-4o")
    assert row["provider_name"] == "chat"
    assert row["protocol"] == "Claude"
    assert row["operation"] == "StreamGenerateContent"
    assert row["input_tokens"] and row["output_tokens"]
