"""The credential pool: who may serve a request, in what order, and what each failure costs.

In-memory health per credential (:mod:`gatewayctl.health`), the provider → credentials
membership of the current snapshot, and the selection rules of spec §8.1–§8.2. The pipeline
drives one request like this::

    plan = pool.attempts("openai", model)     # 409 NoEligibleCredential when nobody may serve
    while (cred := plan.next()) is not None:
        force = False
        while True:
            try:
                req = await channel.prepare(call, cred.id, cred.secret, force_refresh=force)
            except TokenRefreshError as exc:
                decision = plan.report(cred, exc.outcome())
            else:
                ... send ...; outcome = channel.classify(status, headers)
                      (or classify_exception(exc) on a transport error)
                decision = plan.report(cred, outcome)
            if decision != "retry_same":
                break
            force = True                       # token channels: refresh once, same credential
        if decision == "return":
            return the response               # success, or a status passed to the client as-is
    raise plan.exhausted()                    # 503 AllCredentialsExhausted

    writer.put(pool.take_dirty())             # status rows to persist, off the request path

Pick order (provider settings):

* ``credential_round_robin_enabled`` (default true): **round robin** — a real rotation by
  credential id: each pick takes the next eligible id after the provider's last pick,
  wrapping around, so consecutive requests spread over every eligible credential and a
  failover moves on to the next one;
* ``credential_round_robin_enabled = false``: **sticky** — always the smallest eligible id;
* ``credential_pick_mode`` (legacy, wins when set): ``round_robin_with_cache`` /
  ``round_robin_no_cache`` / ``round_robin`` → round robin, ``sticky_no_cache`` / ``sticky`` →
  sticky, ``random`` → uniform random without replacement (gproxy v0.3's actual behaviour).

Cache affinity (spec §8.2) is not implemented: every mode ignores
``credential_cache_affinity_enabled``.

Outcomes (see :mod:`gatewayctl.channels.outcome`): success → healthy (cooldowns and
last_error cleared, a dead credential revived); dead → dead until a success or an admin
status upsert; cooldown / transient → the model cools down until ``now + ms`` (the later of
the existing and the new end; a dead credential stays dead; without a model only
``last_error``/``checked_at`` change); ``return`` → no change.

Everything here is synchronous: the state is mutated with no ``await`` in between, so
concurrent requests on one event loop never see a half-applied change. Time comes from an
injected clock (unix ms), randomness from an injected ``random.Random``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from gatewayctl.channels.base import setting_bool
from gatewayctl.channels.outcome import Outcome
from gatewayctl.errors import GatewayError, InvalidInput
from gatewayctl.health import (
    CredentialHealth,
    StatusRecord,
    health_from_row,
    normalize_model,
)

Clock = Callable[[], int]
PickMode = Literal["round_robin", "sticky", "random"]
Decision = Literal["return", "next", "retry_same"]

_LEGACY_PICK_MODES: dict[str, PickMode] = {
    "round_robin": "round_robin",
    "round_robin_with_cache": "round_robin",
    "round_robin_no_cache": "round_robin",
    "sticky": "sticky",
    "sticky_no_cache": "sticky",
    "random": "random",
}


def now_ms() -> int:
    return int(time.time() * 1000)


class NoEligibleCredential(GatewayError):
    """No credential of the provider may serve this model (answered 409)."""

    status = 409


class AllCredentialsExhausted(GatewayError):
    """Every eligible credential was tried and failed over (answered 503)."""

    status = 503

    def __init__(
        self, provider: str, attempts: int, last_status: int | None, last_error: str | None
    ) -> None:
        super().__init__(
            f"all eligible credentials exhausted for provider={provider}, attempts={attempts}, "
            f"last_status={last_status if last_status is not None else 'none'}, "
            f"last_error={last_error or 'none'}"
        )
        self.provider = provider
        self.attempts = attempts
        self.last_status = last_status
        self.last_error = last_error


class MaterialCheck(Protocol):
    """What the pool needs from a channel adapter (``gatewayctl.channels.Channel``)."""

    @property
    def id(self) -> str: ...

    @property
    def token_based(self) -> bool: ...

    def has_material(self, secret_json: Mapping[str, Any] | None) -> bool: ...


@dataclass(frozen=True, slots=True)
class PoolCredential:
    """One credential as the pool sees it (``secret`` = decrypted ``secret_json``)."""

    id: int
    secret: Mapping[str, Any]
    enabled: bool = True
    label: str | None = None


@dataclass(slots=True)
class _Provider:
    name: str
    channel: MaterialCheck
    credentials: tuple[PoolCredential, ...]  # sorted by id
    usable: frozenset[int]
    mode: PickMode
    cursor: int | None = None  # id of the last round-robin pick


def pick_mode_from_settings(settings: Mapping[str, Any] | None) -> PickMode:
    """The provider's pick mode (see the module docstring); InvalidInput on a bad value."""
    settings = settings or {}
    legacy = settings.get("credential_pick_mode")
    if isinstance(legacy, str) and legacy.strip():
        mode = _LEGACY_PICK_MODES.get(legacy.strip().lower())
        if mode is None:
            raise InvalidInput(
                f"setting `credential_pick_mode` must be one of {', '.join(_LEGACY_PICK_MODES)}, "
                f"got {legacy!r}"
            )
        return mode
    if legacy is not None and not isinstance(legacy, str):
        raise InvalidInput("setting `credential_pick_mode` must be a string")
    if setting_bool(settings, "credential_round_robin_enabled", True):
        return "round_robin"
    return "sticky"


class CredentialPool:
    """Health, membership and pick state for every provider of the running snapshot."""

    def __init__(self, clock: Clock = now_ms, rng: random.Random | None = None) -> None:
        self._clock = clock
        self._rng = rng or random.Random()
        self._health: dict[int, CredentialHealth] = {}
        self._providers: dict[str, _Provider] = {}
        self._channel_of: dict[int, str] = {}
        self._dirty: dict[int, StatusRecord] = {}

    # -- membership ----------------------------------------------------------------------

    def set_provider(
        self,
        name: str,
        channel: MaterialCheck,
        credentials: Iterable[PoolCredential],
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """(Re)define a provider's credentials; health of known credentials is kept."""
        creds = tuple(sorted(credentials, key=lambda c: c.id))
        usable = frozenset(c.id for c in creds if channel.has_material(c.secret))
        previous = self._providers.get(name)
        self._providers[name] = _Provider(
            name=name,
            channel=channel,
            credentials=creds,
            usable=usable,
            mode=pick_mode_from_settings(settings),
            cursor=previous.cursor if previous else None,
        )
        for cred in creds:
            self._channel_of[cred.id] = channel.id

    def remove_provider(self, name: str) -> None:
        self._providers.pop(name, None)

    def provider_names(self) -> list[str]:
        return sorted(self._providers)

    # -- health --------------------------------------------------------------------------

    def load_statuses(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Replace the health of the credentials in ``rows`` (status rows from the store).

        Rows for credentials with a change not yet handed out by :meth:`take_dirty` are
        skipped, so a reload never undoes a change the store has not seen.
        """
        for row in rows:
            cid = row.get("credential_id")
            if isinstance(cid, bool) or not isinstance(cid, int) or cid in self._dirty:
                continue
            self._health[cid] = health_from_row(row)

    def set_status(self, credential_id: int, row: Mapping[str, Any]) -> None:
        """An admin status upsert: replaces the state at once (``healthy`` revives the dead)."""
        self._health[credential_id] = health_from_row(row)
        self._dirty.pop(credential_id, None)

    def forget(self, credential_id: int) -> None:
        """Drop a deleted credential's state."""
        self._health.pop(credential_id, None)
        self._dirty.pop(credential_id, None)
        self._channel_of.pop(credential_id, None)

    def health(self, credential_id: int) -> CredentialHealth:
        """A copy of the credential's health (healthy when never seen)."""
        current = self._health.get(credential_id)
        return current.copy() if current else CredentialHealth()

    # -- selection -----------------------------------------------------------------------

    def _provider(self, name: str) -> _Provider:
        provider = self._providers.get(name)
        if provider is None:
            raise NoEligibleCredential(f"provider {name} has no eligible credential")
        return provider

    def eligible(self, provider: str, model: str | None) -> list[PoolCredential]:
        """Enabled credentials with usable material that are available for ``model``."""
        entry = self._providers.get(provider)
        if entry is None:
            return []
        now = self._clock()
        out = []
        for cred in entry.credentials:
            if not cred.enabled or cred.id not in entry.usable:
                continue
            current = self._health.get(cred.id)
            if current is None or current.available(model, now):
                out.append(cred)
        return out

    def attempts(self, provider: str, model: str | None) -> AttemptPlan:
        """A fresh attempt plan; raises NoEligibleCredential (409) when nobody may serve."""
        candidates = self.eligible(provider, model)
        if not candidates:
            shown = normalize_model(model) or "-"
            raise NoEligibleCredential(
                f"provider {provider} has no eligible credential for model={shown}"
            )
        return AttemptPlan(self, provider, model, candidates)

    def pick(self, provider: str, candidates: Sequence[PoolCredential]) -> PoolCredential:
        """Choose among ``candidates`` by the provider's pick mode (does not remove it)."""
        if not candidates:
            raise ValueError("no candidates to pick from")
        entry = self._provider(provider)
        if entry.mode == "random":
            return self._rng.choice(list(candidates))
        ordered = sorted(candidates, key=lambda c: c.id)
        if entry.mode == "sticky":
            return ordered[0]
        chosen = ordered[0]
        if entry.cursor is not None:
            chosen = next((c for c in ordered if c.id > entry.cursor), ordered[0])
        entry.cursor = chosen.id
        return chosen

    def token_based(self, provider: str) -> bool:
        entry = self._providers.get(provider)
        return bool(entry and entry.channel.token_based)

    # -- outcomes ------------------------------------------------------------------------

    def _update(self, credential_id: int, change: Callable[[CredentialHealth], None]) -> None:
        before = self._health.get(credential_id) or CredentialHealth()
        after = before.copy()
        now = self._clock()
        after.cooldowns = after.active_cooldowns(now)
        change(after)
        if after.kind == "partial" and not after.cooldowns:
            after.kind = "healthy"
        after.checked_at_ms = now
        self._health[credential_id] = after
        if not after.same_state(before) or credential_id in self._dirty:
            channel = self._channel_of.get(credential_id, "")
            self._dirty[credential_id] = StatusRecord.of(credential_id, channel, after)

    def mark_success(self, credential_id: int) -> None:
        def change(h: CredentialHealth) -> None:
            h.kind, h.cooldowns, h.last_error = "healthy", {}, None

        self._update(credential_id, change)

    def mark_dead(self, credential_id: int, error: str | None) -> None:
        def change(h: CredentialHealth) -> None:
            h.kind, h.cooldowns, h.last_error = "dead", {}, error

        self._update(credential_id, change)

    def mark_cooldown(
        self, credential_id: int, model: str | None, duration_ms: int, error: str | None
    ) -> None:
        key = normalize_model(model)
        until = self._clock() + max(0, duration_ms)

        def change(h: CredentialHealth) -> None:
            h.last_error = error
            if h.kind == "dead" or key is None:
                return
            h.cooldowns[key] = max(h.cooldowns.get(key, 0), until)
            h.kind = "partial"

        self._update(credential_id, change)

    def record(self, credential_id: int, model: str | None, outcome: Outcome) -> None:
        """Apply an attempt's outcome to the credential's health."""
        if outcome.action == "success":
            self.mark_success(credential_id)
        elif outcome.action == "dead":
            self.mark_dead(credential_id, outcome.error)
        elif outcome.action in ("cooldown", "transient"):
            self.mark_cooldown(credential_id, model, outcome.cooldown_ms, outcome.error)

    def take_dirty(self) -> list[StatusRecord]:
        """Status changes since the last call, one record per credential, for the writer."""
        records = [self._dirty[cid] for cid in sorted(self._dirty)]
        self._dirty.clear()
        return records


@dataclass(slots=True)
class AttemptPlan:
    """The failover loop of one request (see the module docstring for how to drive it)."""

    pool: CredentialPool
    provider: str
    model: str | None
    remaining: list[PoolCredential]
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    _refreshed: set[int] = field(default_factory=set)

    def next(self) -> PoolCredential | None:
        """The next credential to try (removed from the remaining ones), or None when done."""
        if not self.remaining:
            return None
        chosen = self.pool.pick(self.provider, self.remaining)
        self.remaining = [c for c in self.remaining if c.id != chosen.id]
        return chosen

    def report(self, credential: PoolCredential, outcome: Outcome) -> Decision:
        """Record one attempt: ``return`` the answer, try the ``next`` credential, or
        ``retry_same`` after forcing a token refresh (token channels, first 401/403 only)."""
        self.attempts += 1
        if outcome.action in ("success", "return"):
            if outcome.action == "success":
                self.pool.mark_success(credential.id)
            return "return"
        self.last_status = outcome.status
        self.last_error = outcome.error
        if (
            outcome.action == "dead"
            and outcome.status in (401, 403)
            and self.pool.token_based(self.provider)
            and credential.id not in self._refreshed
        ):
            self._refreshed.add(credential.id)
            return "retry_same"
        self.pool.record(credential.id, self.model, outcome)
        return "next"

    def exhausted(self) -> AllCredentialsExhausted:
        """The 503 error to raise when :meth:`next` ran dry."""
        return AllCredentialsExhausted(
            self.provider, self.attempts, self.last_status, self.last_error
        )
