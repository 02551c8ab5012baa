"""Code Assist envelope helpers (geminicli / antigravity), ahead of those channels."""

from __future__ import annotations

import itertools

from gatewayctl.channels.code_assist import (
    bare_model,
    unwrap,
    wrap_antigravity,
    wrap_count_tokens,
    wrap_geminicli,
)

BODY = {
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "systemInstruction": {"parts": [{"text": "s"}]},
    "generationConfig": {"maxOutputTokens": 10},
    "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
}


def ids() -> itertools.count[int]:
    return itertools.count(1)


def test_bare_model() -> None:
    assert bare_model("models/gemini-2.5-pro") == "gemini-2.5-pro"
    assert bare_model(" /gemini-2.5-pro") == "gemini-2.5-pro"


def test_geminicli_envelope() -> None:
    counter = ids()
    out = wrap_geminicli(
        {**BODY, "model": "x"},
        "models/gemini-2.5-pro",
        "proj-9",
        session_id="s-1",
        new_id=lambda: f"id-{next(counter)}",
    )
    assert out == {
        "model": "gemini-2.5-pro",
        "project": "proj-9",
        "user_prompt_id": "id-1",
        "request": {**BODY, "session_id": "s-1"},
    }
    assert "session_id" not in wrap_geminicli(BODY, "g", "p")["request"]


def test_antigravity_envelope_drops_safety_settings() -> None:
    out = wrap_antigravity(BODY, "gemini-3-pro-high", "proj-9", session_id="s", new_id=lambda: "u")
    assert out["model"] == "gemini-3-pro-high"
    assert (out["requestType"], out["requestId"], out["userAgent"]) == (
        "agent",
        "agent-u",
        "antigravity",
    )
    assert "safetySettings" not in out["request"]
    assert out["request"]["sessionId"] == "s"
    assert out["request"]["contents"] == BODY["contents"]
    assert "safetySettings" in BODY  # input untouched


def test_antigravity_image_models() -> None:
    out = wrap_antigravity(
        BODY, "models/gemini-3-pro-image", "p", new_id=lambda: "u", now_ms=lambda: 42
    )
    assert (out["requestType"], out["requestId"]) == ("image_gen", "image_gen/42/u/12")


def test_count_tokens_envelope() -> None:
    assert wrap_count_tokens(BODY, "gemini-2.5-flash") == {
        "request": {"model": "models/gemini-2.5-flash", "contents": BODY["contents"]}
    }
    nested = {"generateContentRequest": {"model": "models/g", "contents": [{"parts": []}]}}
    assert wrap_count_tokens(nested, "g")["request"]["contents"] == [{"parts": []}]


def test_unwrap() -> None:
    inner = {"candidates": [], "usageMetadata": {"totalTokenCount": 3}}
    assert unwrap({"response": inner, "traceId": "t"}) is inner
    error = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}
    assert unwrap(error) is error
    assert unwrap([1]) == [1]
