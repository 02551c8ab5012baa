"""Credential failover and the gateway's error answers, over real HTTP.

Failover providers are sticky (``credential_round_robin_enabled = false``): the smallest
credential id is always tried first, so a test knows which key meets the scripted failure.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import GatewayEnv

_names = itertools.count(1)


def sticky_openai(env: GatewayEnv, *keys: str) -> str:
    """A new sticky openai provider on the fake with ``keys``; returns its name."""
    name = f"fo{next(_names)}"
    env.add_provider(
        name,
        "openai",
        {"base_url": env.fakes.openai.url, "credential_round_robin_enabled": False},
        list(keys),
    )
    return name


def chat(env: GatewayEnv, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return httpx.post(
        env.url + path, json=body, headers={"authorization": f"Bearer {env.key}"}, timeout=20, **kw
    )


def hello(model: str = "gpt-4o", stream: bool = False) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}


def sse_text(body: str) -> str:
    """The content deltas of a Chat Completions SSE body."""
    text = ""
    for line in body.splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            for choice in json.loads(line[5:])["choices"]:
                text += choice["delta"].get("content") or ""
    return text


def wait_status(env: GatewayEnv, credential_id: int, kind: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    row: dict[str, Any] = {}
    while time.monotonic() < deadline:
        row = env.statuses().get(credential_id, {})
        if row.get("health_kind") == kind:
            return row
        time.sleep(0.05)
    raise AssertionError(f"credential {credential_id} not {kind}: {row}")


def test_429_fails_over_and_cools_the_model_until_retry_after(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-first", "sk-second")
    first, second = env.credentials[name]
    fake = env.fakes.openai
    fake.script(fake.error(429, retry_after=1), route="chat", key="sk-first")
    started = time.time()
    response = chat(env, f"/{name}/v1/chat/completions", hello())
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "echo: hi"
    assert [r.key for r in fake.requests_to("chat")] == ["sk-first", "sk-second"]

    row = wait_status(env, first, "partial")
    (cooldown,) = row["health_json"]
    assert cooldown["model"] == "gpt-4o"
    assert started * 1000 < cooldown["until_unix_ms"] <= (time.time() + 1.5) * 1000
    assert env.statuses().get(second, {}).get("health_kind", "healthy") == "healthy"

    # while cooling down, the sticky first credential is skipped for that model ...
    assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
    assert fake.requests_to("chat")[-1].key == "sk-second"
    # ... but not for another model
    assert chat(env, f"/{name}/v1/chat/completions", hello("gpt-4o-mini")).status_code == 200
    assert fake.requests_to("chat")[-1].key == "sk-first"
    # after Retry-After the cooldown is over: the first credential serves again
    time.sleep(max(0.0, cooldown["until_unix_ms"] / 1000 - time.time()) + 0.1)
    assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
    assert fake.requests_to("chat")[-1].key == "sk-first"
    assert wait_status(env, first, "healthy")["last_error"] is None


def test_stream_fails_over_before_the_first_byte(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-s1", "sk-s2")
    fake = env.fakes.openai
    fake.script(fake.error(503), route="chat", key="sk-s1")
    response = chat(env, f"/{name}/v1/chat/completions", hello(stream=True))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert sse_text(response.text) == "echo: hi"
    assert [r.key for r in fake.requests_to("chat")] == ["sk-s1", "sk-s2"]


def test_401_marks_the_credential_dead(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-revoked", "sk-good")
    first, _ = env.credentials[name]
    fake = env.fakes.openai
    fake.script(fake.error(401), route="chat", key="sk-revoked", times=None)
    assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
    row = wait_status(env, first, "dead")
    assert row["last_error"] == "upstream status 401"
    # dead for every model
    assert chat(env, f"/{name}/v1/chat/completions", hello("o4-mini")).status_code == 200
    assert fake.requests_to("chat")[-1].key == "sk-good"


def test_all_failing_is_503_then_none_eligible_is_409(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-down-1", "sk-down-2")
    fake = env.fakes.openai
    fake.script(fake.error(500), route="chat", times=2)
    response = chat(env, f"/{name}/v1/chat/completions", hello())
    assert response.status_code == 503
    message = response.json()["error"]
    assert isinstance(message, str)
    assert message.startswith(f"all eligible credentials exhausted for provider={name}")
    assert "attempts=2" in message and "last_status=500" in message
    # both now cool down for gpt-4o (15 s): nobody may serve it
    response = chat(env, f"/{name}/v1/chat/completions", hello())
    assert response.status_code == 409
    assert response.json() == {
        "error": f"provider {name} has no eligible credential for model=gpt-4o"
    }


def test_client_errors_are_returned_as_is_without_failover(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-x1", "sk-x2")
    fake = env.fakes.openai
    fake.script(fake.error(400, "bad messages", param="messages"), route="chat")
    response = chat(env, f"/{name}/v1/chat/completions", hello())
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "bad messages"
    assert len(fake.requests_to("chat")) == 1


def test_upstream_error_is_translated_for_the_caller(env: GatewayEnv) -> None:
    fake = env.fakes.anthropic
    fake.script(fake.error(400, "messages: roles must alternate"), route="messages")
    response = chat(env, "/anth/v1/chat/completions", hello("claude-x"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "messages: roles must alternate"
    assert error["type"] == "invalid_request_error"  # OpenAI's shape, not Anthropic's


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/nope/v1/chat/completions", hello(), 404, "provider not found: nope"),
        ("POST", "/v1/chat/completions", hello("nope/gpt-4o"), 404, "provider not found: nope"),
        (
            "POST",
            "/v1/chat/completions",
            hello("gpt-4o"),
            400,
            "model must be prefixed as `<provider>/...`: gpt-4o",
        ),
        ("POST", "/v1/messages", {"messages": []}, 400, "model is empty"),
        (
            "POST",
            "/claude/v1/embeddings",
            {"model": "x", "input": "a"},
            501,
            "unsupported request for upstream execution",
        ),
        ("GET", "/oai/v1/usage", None, 501, "unsupported request for upstream execution"),
        ("POST", "/oai/v1/chat/completions", "{not json", 400, None),
    ],
)
def test_gateway_errors_are_json_error_strings(
    env: GatewayEnv, method: str, path: str, body: Any, status: int, message: str | None
) -> None:
    headers = {"x-api-key": env.key, "content-type": "application/json"}
    content = body.encode() if isinstance(body, str) else None
    response = httpx.request(
        method,
        env.url + path,
        headers=headers,
        json=body if not isinstance(body, str) else None,
        content=content,
        timeout=10,
    )
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"error"} and isinstance(payload["error"], str)
    if message is not None:
        assert payload["error"] == message


def test_bad_or_missing_key_is_401(env: GatewayEnv) -> None:
    response = httpx.post(env.url + "/oai/v1/chat/completions", json=hello(), timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    response = httpx.post(
        env.url + "/oai/v1/chat/completions", json=hello(), headers={"x-api-key": "u9_wrong"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/v1/responses", "/oai/v1/responses", "/oai/v1/realtime/x"])
def test_websocket_entrances_answer_426_after_auth(env: GatewayEnv, path: str) -> None:
    assert httpx.get(env.url + path, timeout=10).status_code == 401
    response = httpx.get(env.url + path, headers={"x-api-key": env.key}, timeout=10)
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"
    assert response.json()["error"]["code"] == "websocket_upgrade_required"


@pytest.mark.parametrize("path", ["/oai", "/anything", "/oai/"])
def test_head_on_a_provider_root_is_harmless(env: GatewayEnv, path: str) -> None:
    assert httpx.head(env.url + path, timeout=10).status_code == 200


def test_head_on_the_root_is_harmless(env: GatewayEnv) -> None:
    assert httpx.head(env.url + "/", timeout=10).status_code < 500


def test_key_sources(env: GatewayEnv) -> None:
    url = env.url + "/studio/v1beta/models/gemini-2.5-flash:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    for kwargs in (
        {"headers": {"x-goog-api-key": env.key}},
        {"params": {"key": env.key}},
        {"headers": {"x-api-key": env.key}},
        {"headers": {"authorization": f"Bearer {env.key}"}},
    ):
        assert httpx.post(url, json=body, timeout=10, **kwargs).status_code == 200, kwargs
    # each call reached the upstream with the provider's key, never the caller's
    sent = env.fakes.gemini.requests
    assert len(sent) == 4
    assert all(r.key == "gm-key-2" for r in sent)
    assert not any(env.key in str((r.headers, r.query)) for r in sent)


def test_admin_status_edits_reach_the_running_pool(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-edit-1", "sk-edit-2")
    first, _ = env.credentials[name]
    fake = env.fakes.openai
    fake.script(fake.error(403), route="chat", key="sk-edit-1")
    assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
    wait_status(env, first, "dead")
    # an operator revives it: the next request uses it again (sticky order)
    env.admin(
        "/admin/credential-statuses/upsert", {"credential_id": first, "health_kind": "healthy"}
    )
    deadline = time.monotonic() + 5
    while True:
        assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
        if fake.requests_to("chat")[-1].key == "sk-edit-1":
            break
        assert time.monotonic() < deadline, "the revived credential was never used"
        time.sleep(0.1)
    # and an operator can put one in cooldown
    until = int(time.time() * 1000) + 60_000
    env.admin(
        "/admin/credential-statuses/upsert",
        {
            "credential_id": first,
            "health_kind": "partial",
            "health_json": [{"model": "gpt-4o", "until_unix_ms": until}],
        },
    )
    deadline = time.monotonic() + 5
    while True:
        assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
        if fake.requests_to("chat")[-1].key == "sk-edit-2":
            break
        assert time.monotonic() < deadline, "the cooldown set by the operator was ignored"
        time.sleep(0.1)


def test_cooldown_shows_in_the_cli(env: GatewayEnv) -> None:
    name = sticky_openai(env, "sk-cli-1", "sk-cli-2")
    first, _ = env.credentials[name]
    fake = env.fakes.openai
    fake.script(fake.error(429, retry_after=30), route="chat", key="sk-cli-1")
    assert chat(env, f"/{name}/v1/chat/completions", hello()).status_code == 200
    wait_status(env, first, "partial")
    done = env.server.cli("credentials", "status", "--provider", name, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    text = json.dumps(rows)
    assert "partial" in text and "gpt-4o" in text, rows


def test_large_bodies_fit(env: GatewayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 20 MB base64 image is over Quart's 16 MB default but within the gateway's limit,
    and it is parsed on a worker thread, not on the server's event loop."""
    import threading

    from gatewayctl.server import proxy

    parsed_on: list[str] = []
    classify = proxy.classify

    def recording(*args: Any, **kwargs: Any) -> Any:
        parsed_on.append(threading.current_thread().name)
        return classify(*args, **kwargs)

    monkeypatch.setattr(proxy, "classify", recording)
    image = "data:image/png;base64," + "A" * (20 * 1024 * 1024)
    body = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "describe"},
                    {"type": "image_url", "image_url": {"url": image}},
                ],
            }
        ],
    }
    response = chat(env, "/oai/v1/chat/completions", body)
    assert response.status_code == 200, response.text[:200]
    assert response.json()["choices"][0]["message"]["content"] == "echo: describe"
    small = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    assert chat(env, "/oai/v1/chat/completions", small).status_code == 200
    large_on, small_on = parsed_on
    assert large_on != small_on  # the small one on the loop, the large one elsewhere
