"""Credential health: the state model and its storage encoding (spec §2.5).

A credential is ``healthy``, ``partial`` (some models cooling down until a unix-ms instant) or
``dead``. Cooldowns are just timestamps: availability is computed against the clock, so a
cooldown ends by itself without timers or writes.

Storage encoding (``credential_statuses`` row): ``health_kind`` is the kind string;
``health_json`` is, for ``partial``, the JSON array ``[{"model": m, "until_unix_ms": t}]``
(the reader also accepts gproxy's ``{"models": [...]}`` and JSON text), else null. An unknown
kind reads as healthy. ``checked_at`` is written as unix milliseconds; the reader also takes
ISO-8601 text, a datetime, or seconds.

Pure and clock-free: every time-dependent function takes ``now`` (unix ms). A leaf module
(imports nothing of ours), so the service layer and the CLI can show a credential's
*effective* health (a partial whose cooldowns all ended reads healthy) without importing the
gateway.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

HealthKind = Literal["healthy", "partial", "dead"]
HEALTH_KINDS: tuple[HealthKind, ...] = ("healthy", "partial", "dead")


def normalize_model(model: str | None) -> str | None:
    """The cooldown key of a model: trimmed, no leading ``/`` or ``models/``, no trailing ``/``.

    None for no model (or one that normalises to nothing).
    """
    if model is None:
        return None
    name = model.strip().lstrip("/")
    while name.startswith("models/"):
        name = name[len("models/") :].lstrip("/")
    name = name.rstrip("/")
    return name or None


@dataclass(slots=True)
class CredentialHealth:
    """The in-memory health of one credential."""

    kind: HealthKind = "healthy"
    cooldowns: dict[str, int] = field(default_factory=dict)  # normalised model → until ms
    checked_at_ms: int | None = None
    last_error: str | None = None

    def copy(self) -> CredentialHealth:
        return CredentialHealth(
            self.kind, dict(self.cooldowns), self.checked_at_ms, self.last_error
        )

    def available(self, model: str | None, now: int) -> bool:
        """Healthy → yes; dead → no; partial → no only while ``model`` cools down.

        A request without a model (model lists) treats partial as available.
        """
        if self.kind == "dead":
            return False
        if self.kind == "healthy":
            return True
        key = normalize_model(model)
        if key is None:
            return True
        return self.cooldowns.get(key, 0) <= now

    def active_cooldowns(self, now: int) -> dict[str, int]:
        return {m: t for m, t in self.cooldowns.items() if t > now}

    def effective_kind(self, now: int) -> HealthKind:
        """The kind as a reader should show it: partial whose cooldowns all ended is healthy."""
        if self.kind == "partial" and not self.active_cooldowns(now):
            return "healthy"
        return self.kind

    def same_state(self, other: CredentialHealth) -> bool:
        """Equal apart from ``checked_at`` (what decides whether a write is needed)."""
        return (
            self.kind == other.kind
            and self.cooldowns == other.cooldowns
            and self.last_error == other.last_error
        )


# --------------------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------------------


def encode_health(health: CredentialHealth) -> tuple[HealthKind, list[dict[str, Any]] | None]:
    """``(health_kind, health_json)`` for a status row (cooldowns sorted by model)."""
    if health.kind != "partial":
        return health.kind, None
    entries = [
        {"model": model, "until_unix_ms": until}
        for model, until in sorted(health.cooldowns.items())
    ]
    return "partial", entries


def decode_health(kind: Any, health_json: Any) -> tuple[HealthKind, dict[str, int]]:
    """Read ``health_kind`` / ``health_json``; malformed cooldown entries are skipped."""
    text = kind.strip().lower() if isinstance(kind, str) else ""
    if text not in HEALTH_KINDS:
        return "healthy", {}
    if text != "partial":
        return text, {}
    value = health_json
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value) if value.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            value = None
    if isinstance(value, Mapping):
        value = value.get("models")
    cooldowns: dict[str, int] = {}
    if isinstance(value, list):
        for entry in value:
            if not isinstance(entry, Mapping):
                continue
            model = (
                normalize_model(entry.get("model")) if isinstance(entry.get("model"), str) else None
            )
            until = entry.get("until_unix_ms")
            if model is None or isinstance(until, bool) or not isinstance(until, int | float):
                continue
            cooldowns[model] = max(cooldowns.get(model, 0), int(until))
    return "partial", cooldowns


def timestamp_ms(value: Any) -> int | None:
    """A stored time as unix ms: int/float (ms, or seconds below 10^12), ISO text, datetime."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = int(value)
        return number * 1000 if 0 < number < 10**12 else number
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(when.timestamp() * 1000)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").isdigit():
            return timestamp_ms(int(text))
        try:
            return timestamp_ms(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def health_from_row(row: Mapping[str, Any]) -> CredentialHealth:
    """A :class:`CredentialHealth` from a status row (``health_kind``, ``health_json``, …)."""
    kind, cooldowns = decode_health(row.get("health_kind"), row.get("health_json"))
    last_error = row.get("last_error")
    return CredentialHealth(
        kind=kind,
        cooldowns=cooldowns,
        checked_at_ms=timestamp_ms(row.get("checked_at")),
        last_error=last_error if isinstance(last_error, str) and last_error else None,
    )


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """One credential's status as it should be persisted (the writer's unit of work)."""

    credential_id: int
    channel: str
    health_kind: HealthKind
    health_json: list[dict[str, Any]] | None
    checked_at_unix_ms: int | None
    last_error: str | None

    @classmethod
    def of(cls, credential_id: int, channel: str, health: CredentialHealth) -> StatusRecord:
        kind, entries = encode_health(health)
        return cls(credential_id, channel, kind, entries, health.checked_at_ms, health.last_error)

    def to_row(self) -> dict[str, Any]:
        """The ``credential_statuses`` columns; ``checked_at`` in unix ms."""
        return {
            "credential_id": self.credential_id,
            "channel": self.channel,
            "health_kind": self.health_kind,
            "health_json": self.health_json,
            "checked_at": self.checked_at_unix_ms,
            "last_error": self.last_error,
        }
