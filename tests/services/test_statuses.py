"""Credential statuses: health parsing, admin bodies, gateway batches, health listing."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.errors import InvalidInput, NotFound
from gatewayctl.services import credentials, providers, statuses
from gatewayctl.services.context import Context
from gatewayctl.services.statuses import StatusChange, parse_health

FAR = 99_999_999_999_999


@pytest.fixture
def cred(ctx: Context) -> int:
    providers.add_provider(ctx, None, "openai")
    return int(credentials.add_credential(ctx, "openai", api_key="sk-1", label="a")["id"])


def test_parse_health_forms() -> None:
    assert parse_health("healthy", "garbage ignored") == ("healthy", None)
    assert parse_health(" DEAD ", None) == ("dead", None)
    models = [{"model": "m", "until_unix_ms": 5}]
    assert parse_health("partial", models) == ("partial", models)
    assert parse_health("partial", '{"models": [{"model": "m", "until_unix_ms": 5}]}') == (
        "partial",
        models,
    )
    assert parse_health("partial", None) == ("partial", [])


@pytest.mark.parametrize(
    ("kind", "health", "match"),
    [
        ("sick", None, "invalid health_kind"),
        (None, None, "invalid health_kind"),
        ("partial", {"x": 1}, "must be"),
        ("partial", [{"model": "", "until_unix_ms": 1}], "model must be"),
        ("partial", [{"model": "m", "until_unix_ms": "1"}], "until_unix_ms"),
        ("partial", [1], "must be an object"),
    ],
)
def test_parse_health_rejects(kind: Any, health: Any, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        parse_health(kind, health)


def test_upsert_query_delete_bodies(ctx: Context, cred: int) -> None:
    saved = statuses.upsert(
        ctx,
        {
            "credential_id": cred,
            "health_kind": "partial",
            "health_json": '[{"model": "gpt-4.1", "until_unix_ms": 1}]',
            "checked_at_unix_ms": 7,
            "last_error": "429",
        },
    )
    assert saved["channel"] == "openai" and saved["checked_at"] == 7
    # upsert again: same row (unique per credential and channel)
    again = statuses.upsert(ctx, {"credential_id": cred, "health_kind": "healthy"})
    assert again["id"] == saved["id"] and again["health_json"] is None
    assert [s["id"] for s in statuses.query(ctx, {"health_kind": {"Eq": "healthy"}})] == [
        saved["id"]
    ]
    assert statuses.query(ctx, {"credential_id": {"Eq": 999}}) == []
    statuses.delete(ctx, {"id": saved["id"]})
    with pytest.raises(NotFound):
        statuses.delete(ctx, {"id": saved["id"]})


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, InvalidInput),
        ({"credential_id": 1}, InvalidInput),  # no kind
        ({"credential_id": 999, "health_kind": "dead"}, NotFound),
        ({"credential_id": "1", "health_kind": "dead"}, InvalidInput),
        ({"credential_id": 1, "health_kind": "partial", "health_json": "{"}, InvalidInput),
        ({"credential_id": 1, "health_kind": "dead", "checked_at_unix_ms": "now"}, InvalidInput),
    ],
)
def test_upsert_bad_bodies(ctx: Context, cred: int, body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        statuses.upsert(ctx, body)
    assert ctx.store.list_statuses() == []


def test_gateway_batches_and_health_listing(ctx: Context, cred: int) -> None:
    providers.add_provider(ctx, "other", "openai")
    other = credentials.add_credential(ctx, "other", api_key="sk-2")["id"]
    n = statuses.record_status_changes(
        ctx,
        [
            StatusChange(cred, "openai", "partial", (("m-old", 1), ("m-new", FAR)), 5, "429"),
            StatusChange(other, "openai", "dead", checked_at=6, last_error="401"),
            StatusChange(12345, "openai", "dead"),  # deleted meanwhile: skipped
        ],
    )
    assert n == 2
    rows = {r["credential_id"]: r for r in statuses.credential_health(ctx)}
    assert rows[cred]["health_kind"] == "partial"
    assert rows[cred]["cooldowns"] == [{"model": "m-new", "until_unix_ms": FAR}]
    assert (rows[other]["health_kind"], rows[other]["last_error"]) == ("dead", "401")
    only = statuses.credential_health(ctx, "other")
    assert [r["credential_id"] for r in only] == [other]
    with pytest.raises(InvalidInput):
        statuses.record_status_changes(ctx, [StatusChange(cred, "openai", "bogus")])
    assert credentials.get_credential(ctx, other)["health_kind"] == "dead"
