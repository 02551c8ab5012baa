"""``Retry-After`` header values, read once for every layer.

Used by the credential pool (how long a 429 cools a credential down) and by translation (the
delay an upstream error states, re-emitted in the caller's protocol). A leaf module: both
`channels` and `translate` import it.
"""

from __future__ import annotations

import math
import time
from datetime import UTC
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when absent or unreadable.

    Accepts delta-seconds (``"30"``, ``"1.5"``; negative, NaN or infinite is unreadable) and
    HTTP-dates (a date in the past gives 0; a date without a zone is taken as GMT).
    ``now`` is the current unix time (default: the clock).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return None
    return seconds
