"""The credential pool: eligibility, outcomes, failover loop, pick order, persisted statuses."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from gatewayctl.channels import build_channel, classify_exception, classify_status
from gatewayctl.channels.outcome import Outcome
from gatewayctl.errors import InvalidInput
from gatewayctl.gateway.pool import (
    AllCredentialsExhausted,
    CredentialPool,
    NoEligibleCredential,
    PoolCredential,
    pick_mode_from_settings,
)

T0 = 1_750_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def cred(cid: int, key: str | None = "sk-key-0000000", enabled: bool = True) -> PoolCredential:
    secret: dict[str, Any] = {"Builtin": {"OpenAi": {"api_key": key}}} if key is not None else {}
    return PoolCredential(cid, secret, enabled=enabled)


def make_pool(
    *creds: PoolCredential, settings: Mapping[str, Any] | None = None, channel: str = "openai"
) -> tuple[CredentialPool, Clock]:
    clock = Clock()
    pool = CredentialPool(clock=clock, rng=random.Random(7))
    pool.set_provider(
        "openai", build_channel(channel), creds or (cred(1), cred(2), cred(3)), settings
    )
    return pool, clock


def ids(creds: list[PoolCredential]) -> list[int]:
    return [c.id for c in creds]


# --------------------------------------------------------------------------------------
# eligibility
# --------------------------------------------------------------------------------------


def test_eligibility_needs_enabled_and_material() -> None:
    pool, _ = make_pool(
        cred(1), cred(2, enabled=False), cred(3, key="  "), cred(4, key=None), cred(5)
    )
    assert ids(pool.eligible("openai", "gpt-4.1")) == [1, 5]
    assert pool.eligible("nope", "gpt-4.1") == []


def test_no_eligible_credential_is_409() -> None:
    pool, _ = make_pool(cred(1, enabled=False))
    with pytest.raises(NoEligibleCredential) as info:
        pool.attempts("openai", "models/gpt-4.1")
    assert info.value.status == 409
    assert str(info.value) == "provider openai has no eligible credential for model=gpt-4.1"
    with pytest.raises(NoEligibleCredential, match="model=-"):
        pool.attempts("openai", None)
    with pytest.raises(NoEligibleCredential, match="provider ghost"):
        pool.attempts("ghost", "m")


def test_dead_credentials_are_never_eligible() -> None:
    pool, clock = make_pool()
    pool.mark_dead(2, "upstream status 401")
    clock.advance(10**9)
    assert ids(pool.eligible("openai", "m")) == [1, 3]
    assert ids(pool.eligible("openai", None)) == [1, 3]


def test_partial_blocks_only_the_cooling_model() -> None:
    pool, clock = make_pool()
    pool.mark_cooldown(1, "gpt-4.1", 5_000, "upstream status 429")
    assert ids(pool.eligible("openai", "gpt-4.1")) == [2, 3]
    assert ids(pool.eligible("openai", "models/gpt-4.1/")) == [2, 3]  # normalised
    assert ids(pool.eligible("openai", "gpt-4o")) == [1, 2, 3]
    assert ids(pool.eligible("openai", None)) == [1, 2, 3]  # model lists ignore cooldowns
    clock.advance(4_999)
    assert ids(pool.eligible("openai", "gpt-4.1")) == [2, 3]
    clock.advance(1)
    assert ids(pool.eligible("openai", "gpt-4.1")) == [1, 2, 3]  # expired by itself
    assert pool.health(1).effective_kind(clock.now) == "healthy"
    assert pool.health(1).kind == "partial"  # stored state unchanged until the next write


# --------------------------------------------------------------------------------------
# outcomes through the attempt loop
# --------------------------------------------------------------------------------------


def test_429_with_retry_after_cools_that_model_then_clears() -> None:
    pool, clock = make_pool(cred(1), cred(2))
    plan = pool.attempts("openai", "gpt-4.1")
    first = plan.next()
    assert first is not None and first.id == 1
    assert plan.report(first, classify_status(429, {"retry-after": "2"})) == "next"
    second = plan.next()
    assert second is not None and second.id == 2
    assert plan.report(second, classify_status(200)) == "return"
    health = pool.health(1)
    assert health.kind == "partial"
    assert health.cooldowns == {"gpt-4.1": T0 + 2_000}
    assert health.last_error == "upstream status 429"
    assert ids(pool.eligible("openai", "gpt-4.1")) == [2]
    assert ids(pool.eligible("openai", "gpt-4o")) == [1, 2]
    clock.advance(2_000)
    assert ids(pool.eligible("openai", "gpt-4.1")) == [1, 2]


def test_429_without_retry_after_is_sixty_seconds() -> None:
    pool, clock = make_pool(cred(1))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    plan.report(c, classify_status(429, {}))
    assert pool.health(1).cooldowns == {"m": T0 + 60_000}


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_marks_dead(status: int) -> None:
    pool, clock = make_pool(cred(1), cred(2))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    assert plan.report(c, classify_status(status)) == "next"
    health = pool.health(1)
    assert health.kind == "dead" and health.last_error == f"upstream status {status}"
    # a later cooldown does not resurrect it; only a success does
    pool.mark_cooldown(1, "m", 1_000, "upstream status 429")
    assert pool.health(1).kind == "dead"
    clock.advance(10**8)
    assert ids(pool.eligible("openai", "m")) == [2]
    pool.mark_success(1)
    assert pool.health(1).kind == "healthy" and pool.health(1).last_error is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_cool_fifteen_seconds(status: int) -> None:
    pool, clock = make_pool(cred(1))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    assert plan.report(c, classify_status(status)) == "next"
    assert pool.health(1).cooldowns == {"m": T0 + 15_000}
    clock.advance(15_000)
    assert ids(pool.eligible("openai", "m")) == [1]


def test_network_error_is_transient() -> None:
    pool, _ = make_pool(cred(1))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    assert plan.report(c, classify_exception(httpx.ConnectError("refused"))) == "next"
    health = pool.health(1)
    assert health.cooldowns == {"m": T0 + 15_000}
    assert health.last_error == "ConnectError: refused"


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_other_statuses_are_returned_without_state_change(status: int) -> None:
    pool, _ = make_pool(cred(1), cred(2))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    assert plan.report(c, classify_status(status)) == "return"
    assert pool.health(1).kind == "healthy" and pool.health(1).checked_at_ms is None
    assert pool.take_dirty() == []


def test_success_clears_cooldowns_and_error() -> None:
    pool, clock = make_pool(cred(1))
    pool.mark_cooldown(1, "a", 60_000, "upstream status 429")
    pool.mark_cooldown(1, "b", 60_000, "upstream status 503")
    clock.advance(1)
    pool.mark_success(1)
    health = pool.health(1)
    assert (health.kind, health.cooldowns, health.last_error) == ("healthy", {}, None)
    assert health.checked_at_ms == T0 + 1


def test_all_failing_is_503_with_details() -> None:
    pool, _ = make_pool(cred(1), cred(2), cred(3))
    plan = pool.attempts("openai", "gpt-4.1")
    answers = [classify_status(429), classify_status(401), classify_status(502)]
    while (c := plan.next()) is not None:
        assert plan.report(c, answers.pop(0)) == "next"
    error = plan.exhausted()
    assert isinstance(error, AllCredentialsExhausted) and error.status == 503
    assert str(error) == (
        "all eligible credentials exhausted for provider=openai, attempts=3, "
        "last_status=502, last_error=upstream status 502"
    )
    assert (error.attempts, error.last_status) == (3, 502)
    with pytest.raises(NoEligibleCredential):  # everyone is cooling down or dead now
        pool.attempts("openai", "gpt-4.1")


def test_exhausted_by_network_errors_has_no_status() -> None:
    pool, _ = make_pool(cred(1))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    plan.report(c, classify_exception(httpx.ReadTimeout("slow")))
    assert str(plan.exhausted()) == (
        "all eligible credentials exhausted for provider=openai, attempts=1, "
        "last_status=none, last_error=ReadTimeout: slow"
    )


def test_cooldown_keeps_the_later_end_and_other_models() -> None:
    pool, clock = make_pool(cred(1))
    pool.mark_cooldown(1, "a", 30_000, "e1")
    pool.mark_cooldown(1, "models/a", 10_000, "e2")  # shorter: the existing end stays
    pool.mark_cooldown(1, "b", 5_000, "e3")
    assert pool.health(1).cooldowns == {"a": T0 + 30_000, "b": T0 + 5_000}
    assert pool.health(1).last_error == "e3"
    clock.advance(6_000)
    pool.mark_cooldown(1, "a", 60_000, "e4")  # longer: extended; expired "b" pruned
    assert pool.health(1).cooldowns == {"a": T0 + 66_000}


def test_cooldown_without_model_only_records_the_error() -> None:
    pool, clock = make_pool(cred(1))
    clock.advance(5)
    pool.mark_cooldown(1, None, 15_000, "upstream status 503")
    health = pool.health(1)
    assert health.kind == "healthy" and health.cooldowns == {}
    assert health.last_error == "upstream status 503" and health.checked_at_ms == T0 + 5


def test_token_channels_retry_the_same_credential_once_on_auth_failure() -> None:
    pool, _ = make_pool(
        PoolCredential(1, {"Builtin": {"Vertex": {"project_id": "p", "access_token": "t"}}}),
        PoolCredential(2, {"Builtin": {"Vertex": {"project_id": "p", "access_token": "t"}}}),
        channel="vertex",
    )
    plan = pool.attempts("openai", "gemini-2.5-flash")
    c = plan.next()
    assert c is not None and c.id == 1
    assert plan.report(c, classify_status(401)) == "retry_same"
    assert pool.health(1).kind == "healthy"
    assert plan.report(c, classify_status(401)) == "next"
    assert pool.health(1).kind == "dead"
    c2 = plan.next()
    assert c2 is not None and c2.id == 2
    assert plan.report(c2, classify_status(403)) == "retry_same"
    assert plan.report(c2, classify_status(200)) == "return"
    assert plan.attempts == 4


def test_token_refresh_failures_do_not_retry_same() -> None:
    pool, _ = make_pool(
        PoolCredential(1, {"Builtin": {"Vertex": {"project_id": "p", "access_token": "t"}}}),
        channel="vertex",
    )
    plan = pool.attempts("openai", "g")
    c = plan.next()
    assert c is not None
    assert plan.report(c, Outcome("dead", None, error="invalid_grant")) == "next"
    assert pool.health(1).kind == "dead"


def test_api_key_channels_never_retry_same() -> None:
    pool, _ = make_pool(cred(1), cred(2))
    plan = pool.attempts("openai", "m")
    c = plan.next()
    assert c is not None
    assert plan.report(c, classify_status(401)) == "next"


# --------------------------------------------------------------------------------------
# pick order
# --------------------------------------------------------------------------------------


def first_pick(pool: CredentialPool, model: str = "m") -> int:
    chosen = pool.attempts("openai", model).next()
    assert chosen is not None
    return chosen.id


def test_round_robin_rotates_across_requests() -> None:
    pool, _ = make_pool(cred(3), cred(1), cred(2))
    assert [first_pick(pool) for _ in range(7)] == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_skips_ineligible_and_continues_in_failover() -> None:
    pool, _ = make_pool(cred(1), cred(2), cred(3), cred(4))
    assert first_pick(pool) == 1
    pool.mark_cooldown(2, "m", 60_000, "x")
    assert first_pick(pool) == 3  # 2 cools down on "m"
    plan = pool.attempts("openai", "m")
    order = []
    while (c := plan.next()) is not None:
        order.append(c.id)
        plan.report(c, classify_status(503))
    assert order == [4, 1, 3]
    assert first_pick(pool, "other") == 4  # the rotation carried on from the last pick


def test_round_robin_is_the_default_and_setting_false_is_sticky() -> None:
    assert pick_mode_from_settings(None) == "round_robin"
    assert pick_mode_from_settings({"credential_round_robin_enabled": True}) == "round_robin"
    pool, _ = make_pool(
        cred(2), cred(1), cred(3), settings={"credential_round_robin_enabled": "false"}
    )
    assert [first_pick(pool) for _ in range(4)] == [1, 1, 1, 1]
    pool.mark_dead(1, "x")
    assert first_pick(pool) == 2


def test_legacy_pick_modes_and_random() -> None:
    assert pick_mode_from_settings({"credential_pick_mode": "sticky_no_cache"}) == "sticky"
    assert (
        pick_mode_from_settings({"credential_pick_mode": "round_robin_with_cache"}) == "round_robin"
    )
    assert (
        pick_mode_from_settings({"credential_pick_mode": "ROUND_ROBIN_NO_CACHE"}) == "round_robin"
    )
    assert (
        pick_mode_from_settings(
            {"credential_pick_mode": "random", "credential_round_robin_enabled": False}
        )
        == "random"
    )
    with pytest.raises(InvalidInput, match="credential_pick_mode"):
        pick_mode_from_settings({"credential_pick_mode": "fastest"})
    with pytest.raises(InvalidInput, match="credential_round_robin_enabled"):
        pick_mode_from_settings({"credential_round_robin_enabled": "maybe"})
    pool, _ = make_pool(cred(1), cred(2), cred(3), settings={"credential_pick_mode": "random"})
    picks = {first_pick(pool) for _ in range(60)}
    assert picks == {1, 2, 3}
    plan = pool.attempts("openai", "m")
    tried = []
    while (c := plan.next()) is not None:
        tried.append(c.id)
    assert sorted(tried) == [1, 2, 3]  # without replacement


def test_set_provider_keeps_health_and_rotation() -> None:
    pool, _ = make_pool(cred(1), cred(2), cred(3))
    assert first_pick(pool) == 1
    pool.mark_dead(3, "x")
    pool.set_provider("openai", build_channel("openai"), [cred(1), cred(2), cred(3), cred(4)])
    assert [first_pick(pool) for _ in range(3)] == [2, 4, 1]
    pool.remove_provider("openai")
    assert pool.eligible("openai", "m") == []
