"""What an upstream answer means for the credential that produced it.

The pipeline sends a request with one credential and must decide: give this answer to the
client, or mark the credential and try another. The rules are the same for every API-key
channel (spec §8.1), so they live here once; a channel may override :meth:`Channel.classify`
when its upstream bends them.

========================  ===========  =========================================
upstream                  action       credential effect
========================  ===========  =========================================
2xx                       success      healthy (cooldowns and last error cleared)
401, 403                  dead         dead until a success or an admin upsert
429                       cooldown     model cooldown: ``Retry-After`` or 60 s
500, 502, 503, 504        transient    model cooldown 15 s
network error             transient    model cooldown 15 s
anything else             return       none: the answer goes to the client as-is
========================  ===========  =========================================

``Retry-After`` is read as integer (or decimal) seconds, or as an HTTP-date; a value that is
neither falls back to the default.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from gatewayctl.retry_after import parse_retry_after

Action = Literal["success", "dead", "cooldown", "transient", "return"]

RATE_LIMIT_COOLDOWN_MS = 60_000
TRANSIENT_COOLDOWN_MS = 15_000
AUTH_FAILURE_STATUSES = frozenset({401, 403})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one attempt.

    ``cooldown_ms`` is set for ``cooldown`` and ``transient``; ``error`` is the text kept as
    the credential's ``last_error`` (``"upstream status 429"``, the network error, …).
    """

    action: Action
    status: int | None = None
    cooldown_ms: int = 0
    error: str | None = None

    @property
    def fails_over(self) -> bool:
        """Whether the pipeline should try another credential."""
        return self.action in ("dead", "cooldown", "transient")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


def classify_status(
    status: int,
    headers: Mapping[str, str] | None = None,
    *,
    now: Callable[[], float] = time.time,
) -> Outcome:
    """Classify an upstream HTTP status (with its headers, for ``Retry-After``)."""
    if 200 <= status < 300:
        return Outcome("success", status)
    error = f"upstream status {status}"
    if status in AUTH_FAILURE_STATUSES:
        return Outcome("dead", status, error=error)
    if status == 429:
        wait_s = parse_retry_after(_header(headers, "retry-after"), now=now())
        wait = None if wait_s is None else math.ceil(wait_s * 1000)
        return Outcome(
            "cooldown", status, RATE_LIMIT_COOLDOWN_MS if wait is None else wait, error=error
        )
    if status in TRANSIENT_STATUSES:
        return Outcome("transient", status, TRANSIENT_COOLDOWN_MS, error=error)
    return Outcome("return", status)


def classify_exception(exc: BaseException) -> Outcome:
    """Classify a transport error (connect/read failure, timeout, reset): transient."""
    text = str(exc).strip()
    name = type(exc).__name__
    return Outcome(
        "transient", None, TRANSIENT_COOLDOWN_MS, error=f"{name}: {text}" if text else name
    )
