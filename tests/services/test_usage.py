"""Usage and request-log queries: CLI filters, v0.3 bodies, user scoping."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.errors import InvalidInput, NotFound
from gatewayctl.services import providers, usage, users
from gatewayctl.services.common import now_ms
from gatewayctl.services.context import Context
from gatewayctl.services.usage import parse_duration_ms


@pytest.fixture
def data(ctx: Context) -> Context:
    a = providers.add_provider(ctx, None, "openai")["id"]
    b = providers.add_provider(ctx, None, "anthropic")["id"]
    users.add_user(ctx, "alice")
    users.add_user(ctx, "bob")
    now = now_ms()
    rows: list[dict[str, Any]] = [
        {"at": now - 3 * 86_400_000, "provider_id": a, "user_id": 1, "user_key_id": 1,
         "model": "gpt-4.1", "input_tokens": 100, "output_tokens": 10},
        {"at": now - 3_600_000, "provider_id": a, "user_id": 1, "user_key_id": 2,
         "model": "gpt-4.1", "input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 4},
        {"at": now - 60_000, "provider_id": b, "user_id": 2, "user_key_id": 3,
         "model": "claude", "input_tokens": 7, "cache_creation_input_tokens": 2},
    ]  # fmt: skip
    for r in rows:
        r.update(operation="GenerateContent", protocol="OpenAi")
    ctx.store.append_rows("usages", rows)
    ctx.store.append_rows(
        "upstream_requests",
        [{"at": now, "provider_id": a, "credential_id": 1, "request_method": "POST",
          "request_url": "https://api.openai.com/v1/responses", "request_body": b"{\"a\":1}",
          "response_body": b"\xff\xfe", "response_status": 200}],
    )  # fmt: skip
    ctx.store.append_rows(
        "downstream_requests",
        [{"at": now, "user_id": 1, "user_key_id": 2, "request_method": "POST",
          "request_path": "/v1/responses", "request_query": "key=secret", "response_status": 200}],
    )  # fmt: skip
    return ctx


def test_parse_duration() -> None:
    assert parse_duration_ms("24h") == 86_400_000
    assert parse_duration_ms(" 15M ") == 900_000
    assert parse_duration_ms("2w") == 2 * 604_800_000
    for bad in ("", "1y", "h", "-1h", "1.5h"):
        with pytest.raises(InvalidInput, match="invalid duration"):
            parse_duration_ms(bad)


def test_cli_filters(data: Context) -> None:
    def models(**kw: Any) -> list[str]:
        return [r["model"] for r in usage.list_usages(data, usage.usage_filter(data, **kw))]

    assert models() == ["claude", "gpt-4.1", "gpt-4.1"]  # at DESC
    assert models(provider="openai") == ["gpt-4.1", "gpt-4.1"]
    assert models(user="bob") == ["claude"]
    assert models(since="24h") == ["claude", "gpt-4.1"]
    assert models(model="claude", user_key_id=3) == ["claude"]
    assert models(limit=1) == ["claude"]
    summary = usage.summarize_usages(data, usage.usage_filter(data, provider="openai"))
    assert summary == {
        "count": 2,
        "input_tokens": 105,
        "output_tokens": 11,
        "cache_read_input_tokens": 4,
        "cache_creation_input_tokens": 0,
    }
    with pytest.raises(NotFound):
        usage.usage_filter(data, provider="nope")
    with pytest.raises(NotFound):
        usage.usage_filter(data, user="nobody")


def test_usage_rows_carry_provider_channel_and_name(data: Context) -> None:
    row = usage.query_usages(data, {"model": {"Eq": "claude"}})[0]
    assert (row["provider_channel"], row["provider_name"]) == ("anthropic", "anthropic")
    assert set(row) >= {
        "trace_id", "at", "provider_id", "credential_id", "user_id", "user_key_id", "operation",
        "protocol", "model", "input_tokens", "output_tokens", "cache_read_input_tokens",
        "cache_creation_input_tokens",
    }  # fmt: skip


def test_bodies(data: Context) -> None:
    assert len(usage.query_usages(data, {})) == 3
    assert len(usage.query_usages(data, {"channel": {"Eq": "openai"}})) == 2
    assert len(usage.query_usages(data, {"provider": {"Eq": "openai"}, "limit": 1})) == 1
    frm = now_ms() - 7_200_000
    assert len(usage.query_usages(data, {"from_unix_ms": frm, "to_unix_ms": None})) == 2
    # user routes force the caller's id, whatever the body says
    mine = usage.query_usages(data, {"user_id": {"Eq": 2}}, user_id=1)
    assert {r["user_id"] for r in mine} == {1}
    assert usage.summarize(data, {}, user_id=2)["count"] == 1
    assert usage.summarize(data, {"limit": 0})["count"] == 3


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"model": "gpt-4.1"},
        {"user_id": {"Eq": "1"}},
        {"from_unix_ms": "yesterday"},
        {"limit": -5},
        {"provider_id": {"Eq": 1}, "provider": {"Eq": "anthropic"}},
    ],
)
def test_bad_usage_bodies(data: Context, body: Any) -> None:
    with pytest.raises(InvalidInput):
        usage.query_usages(data, body)
    with pytest.raises(InvalidInput):
        usage.summarize(data, body)


def test_request_logs(data: Context) -> None:
    (up,) = usage.query_upstream(data, {"provider_id": {"Eq": 1}})
    assert up["request_body"] == '{"a":1}' and up["response_body"] == "\ufffd\ufffd"
    assert up["request_headers_json"] == {} and up["internal"] is False
    assert usage.query_upstream(data, {"credential_id": {"Eq": 9}}) == []
    (down,) = usage.query_downstream(data, {"user_key_id": {"Eq": 2}})
    assert down["request_query"] == "key=[redacted]"
    assert (
        usage.list_requests(data, "downstream", user="alice")[0]["request_path"] == "/v1/responses"
    )
    assert len(usage.list_requests(data, "upstream", provider="openai", since="1h", limit=5)) == 1
    with pytest.raises(InvalidInput):
        usage.query_downstream(data, {"user_id": 1})
