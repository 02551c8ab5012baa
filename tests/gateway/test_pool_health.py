"""Health encoding: status rows in, dirty status records out (spec §2.5 storage shape)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from gatewayctl.channels import build_channel
from gatewayctl.gateway.pool import CredentialPool, PoolCredential
from gatewayctl.health import (
    CredentialHealth,
    StatusRecord,
    decode_health,
    encode_health,
    health_from_row,
    normalize_model,
    timestamp_ms,
)

T0 = 1_750_000_000_000


def pool_with(*ids: int, channel: str = "openai") -> tuple[CredentialPool, list[int]]:
    now = [T0]
    pool = CredentialPool(clock=lambda: now[0], rng=random.Random(1))
    secret = {"api_key": "sk-key-000000"}
    pool.set_provider("p", build_channel(channel), [PoolCredential(i, secret) for i in ids])
    return pool, now


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("gpt-4.1", "gpt-4.1"),
        ("  gpt-4.1 ", "gpt-4.1"),
        ("/models/gpt-4.1", "gpt-4.1"),
        ("models/models/gemini-2.5-flash/", "gemini-2.5-flash"),
        ("//models//x", "x"),
        ("meta/llama", "meta/llama"),
        ("models/", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_model(raw: str | None, expected: str | None) -> None:
    assert normalize_model(raw) == expected


def test_dirty_records_use_the_storage_encoding() -> None:
    pool, now = pool_with(1, 2, 3)
    pool.mark_cooldown(1, "models/b", 60_000, "upstream status 429")
    pool.mark_cooldown(1, "a", 15_000, "upstream status 503")
    pool.mark_dead(2, "upstream status 401")
    now[0] += 1
    pool.mark_success(3)  # healthy → healthy: nothing to write
    records = pool.take_dirty()
    assert [r.to_row() for r in records] == [
        {
            "credential_id": 1,
            "channel": "openai",
            "health_kind": "partial",
            "health_json": [
                {"model": "a", "until_unix_ms": T0 + 15_000},
                {"model": "b", "until_unix_ms": T0 + 60_000},
            ],
            "checked_at": T0,
            "last_error": "upstream status 503",
        },
        {
            "credential_id": 2,
            "channel": "openai",
            "health_kind": "dead",
            "health_json": None,
            "checked_at": T0,
            "last_error": "upstream status 401",
        },
    ]
    assert pool.take_dirty() == []
    json.dumps([r.to_row() for r in records])  # JSON-ready as is


def test_changes_after_take_are_dirty_again_and_latest_wins() -> None:
    pool, now = pool_with(1)
    pool.mark_cooldown(1, "m", 10_000, "e")
    pool.take_dirty()
    now[0] += 20_000
    pool.mark_success(1)  # partial (expired) → healthy, error cleared
    pool.mark_cooldown(1, "m", 5_000, "e2")
    pool.mark_success(1)
    (record,) = pool.take_dirty()
    assert (record.health_kind, record.health_json, record.last_error) == ("healthy", None, None)
    assert record.checked_at_unix_ms == T0 + 20_000


def test_custom_channel_id_is_recorded() -> None:
    now = [T0]
    pool = CredentialPool(clock=lambda: now[0])
    channel = build_channel("mycustom", {"base_url": "http://127.0.0.1:9"})
    pool.set_provider("mine", channel, [PoolCredential(5, {"Custom": {"api_key": "k-12345678"}})])
    pool.mark_dead(5, "upstream status 403")
    (record,) = pool.take_dirty()
    assert record.channel == "mycustom"


def test_load_statuses_from_rows() -> None:
    pool, now = pool_with(1, 2, 3, 4, 5)
    pool.load_statuses(
        [
            {
                "credential_id": 1,
                "health_kind": "partial",
                "health_json": [{"model": "m", "until_unix_ms": T0 + 1_000}],
                "checked_at": "2025-06-15T00:00:00Z",
                "last_error": "upstream status 429",
            },
            {
                "credential_id": 2,
                "health_kind": "partial",
                "health_json": json.dumps(
                    {"models": [{"model": "models/m", "until_unix_ms": T0 + 5}]}
                ),
            },
            {"credential_id": 3, "health_kind": "dead", "health_json": None, "last_error": "x"},
            {"credential_id": 4, "health_kind": "weird"},
            {"credential_id": "5", "health_kind": "dead"},  # not an id: ignored
        ]
    )
    assert [c.id for c in pool.eligible("p", "m")] == [4, 5]
    assert [c.id for c in pool.eligible("p", None)] == [1, 2, 4, 5]
    assert pool.health(1).checked_at_ms == int(datetime(2025, 6, 15, tzinfo=UTC).timestamp() * 1000)
    assert pool.health(1).last_error == "upstream status 429"
    now[0] += 1_000
    assert [c.id for c in pool.eligible("p", "m")] == [1, 2, 4, 5]
    assert pool.take_dirty() == []  # loading is not a change to persist


def test_load_skips_credentials_with_unpersisted_changes() -> None:
    pool, _ = pool_with(1)
    pool.mark_dead(1, "upstream status 401")
    pool.load_statuses([{"credential_id": 1, "health_kind": "healthy"}])
    assert pool.health(1).kind == "dead"
    pool.take_dirty()
    pool.load_statuses([{"credential_id": 1, "health_kind": "healthy"}])
    assert pool.health(1).kind == "healthy"


def test_admin_status_upsert_revives_at_once() -> None:
    pool, _ = pool_with(1)
    pool.mark_dead(1, "upstream status 401")
    pool.set_status(1, {"credential_id": 1, "health_kind": "healthy"})
    assert [c.id for c in pool.eligible("p", "m")] == [1]
    assert pool.take_dirty() == []  # the admin path persisted it already
    pool.forget(1)
    assert pool.health(1) == CredentialHealth()


@pytest.mark.parametrize(
    ("kind", "health_json", "expected"),
    [
        ("healthy", None, ("healthy", {})),
        ("HEALTHY", "[]", ("healthy", {})),
        ("dead", [{"model": "m", "until_unix_ms": 1}], ("dead", {})),
        ("partial", [{"model": "m", "until_unix_ms": 9}], ("partial", {"m": 9})),
        ("partial", '[{"model":"/models/m","until_unix_ms":9.0}]', ("partial", {"m": 9})),
        ("partial", {"models": [{"model": "m", "until_unix_ms": 3}]}, ("partial", {"m": 3})),
        (
            "partial",
            [
                {"model": "m", "until_unix_ms": 3},
                {"model": "m", "until_unix_ms": 8},
                {"model": 1},
                "x",
            ],
            ("partial", {"m": 8}),
        ),
        ("partial", "not json", ("partial", {})),
        ("partial", [{"model": "m", "until_unix_ms": True}], ("partial", {})),
        (None, None, ("healthy", {})),
        ("zombie", None, ("healthy", {})),
    ],
)
def test_decode_health(kind: Any, health_json: Any, expected: tuple[str, dict[str, int]]) -> None:
    assert decode_health(kind, health_json) == expected


def test_encode_round_trip() -> None:
    health = CredentialHealth("partial", {"b": 2, "a": 1}, T0, "e")
    kind, entries = encode_health(health)
    assert entries == [{"model": "a", "until_unix_ms": 1}, {"model": "b", "until_unix_ms": 2}]
    back = health_from_row(
        {"health_kind": kind, "health_json": entries, "checked_at": T0, "last_error": "e"}
    )
    assert back == health
    assert StatusRecord.of(1, "openai", health).health_json == entries
    assert encode_health(CredentialHealth("dead")) == ("dead", None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (T0, T0),
        (T0 // 1000, T0),
        (str(T0), T0),
        ("2025-06-15T00:00:00+00:00", 1_749_945_600_000),
        ("2025-06-15T00:00:00Z", 1_749_945_600_000),
        ("2025-06-15 00:00:00", 1_749_945_600_000),
        (datetime(2025, 6, 15, tzinfo=UTC), 1_749_945_600_000),
        (None, None),
        ("", None),
        ("yesterday", None),
        (True, None),
    ],
)
def test_timestamp_ms(value: Any, expected: int | None) -> None:
    assert timestamp_ms(value) == expected


def test_effective_kind() -> None:
    health = CredentialHealth("partial", {"m": T0 + 10})
    assert health.effective_kind(T0) == "partial"
    assert health.effective_kind(T0 + 10) == "healthy"
    assert CredentialHealth("dead").effective_kind(T0) == "dead"
    assert health.active_cooldowns(T0 + 5) == {"m": T0 + 10}
