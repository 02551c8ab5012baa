"""In-memory counters rendered as Prometheus text at ``GET /metrics``.

Cheap by design: a dict increment per request in ``after_request``, no locks (the event loop is
single-threaded), nothing stored. Counters are per process: with ``--workers N`` each scrape
sees the worker that answered it (the ``pid`` label tells them apart).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatewayctl.gateway.state import RuntimeState

# First path segment → route family; anything else is a provider route (/{provider}/…).
_FAMILIES = {
    "admin": "admin",
    "user": "user",
    "v1": "proxy",
    "v1beta": "proxy",
    "": "static",
    "healthz": "static",
    "favicon.ico": "static",
    "metrics": "static",
    "assets": "static",
}


def route_family(path: str) -> str:
    """``admin``, ``user``, ``static`` or ``proxy`` for a request path."""
    first = path.lstrip("/").split("/", 1)[0]
    return _FAMILIES.get(first, "proxy")


class Metrics:
    """Request counters plus gauges read from the runtime snapshot holder."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.requests: dict[tuple[str, int], int] = {}
        self._state: RuntimeState[Any] | None = None

    def bind_state(self, state: RuntimeState[Any]) -> None:
        self._state = state

    def observe(self, path: str, status: int) -> None:
        key = (route_family(path), status)
        self.requests[key] = self.requests.get(key, 0) + 1

    def render(self) -> str:
        """The Prometheus text exposition (version 0.0.4)."""
        pid = os.getpid()
        lines = [
            "# HELP gatewayctl_process_start_time_seconds Start time of the process (unix).",
            "# TYPE gatewayctl_process_start_time_seconds gauge",
            f'gatewayctl_process_start_time_seconds{{pid="{pid}"}} {self.started_at:.3f}',
        ]
        state = self._state
        if state is not None:
            version = state.current().config_version if state.loaded else -1
            lines += [
                "# HELP gatewayctl_snapshot_version Configuration version of the snapshot.",
                "# TYPE gatewayctl_snapshot_version gauge",
                f'gatewayctl_snapshot_version{{pid="{pid}"}} {version}',
                "# HELP gatewayctl_snapshot_loaded_time_seconds When the snapshot was loaded.",
                "# TYPE gatewayctl_snapshot_loaded_time_seconds gauge",
                f'gatewayctl_snapshot_loaded_time_seconds{{pid="{pid}"}} {state.loaded_at:.3f}',
                "# HELP gatewayctl_snapshot_reloads_total Snapshot loads (the first included).",
                "# TYPE gatewayctl_snapshot_reloads_total counter",
                f'gatewayctl_snapshot_reloads_total{{pid="{pid}"}} {state.reloads}',
                "# HELP gatewayctl_snapshot_reload_errors_total Failed snapshot loads.",
                "# TYPE gatewayctl_snapshot_reload_errors_total counter",
                f'gatewayctl_snapshot_reload_errors_total{{pid="{pid}"}} {state.reload_errors}',
            ]
            if state.loaded:
                lines += [
                    "# HELP gatewayctl_snapshot_providers Enabled providers in the snapshot.",
                    "# TYPE gatewayctl_snapshot_providers gauge",
                    f'gatewayctl_snapshot_providers{{pid="{pid}"}} '
                    f"{len(state.current().providers)}",
                ]
        lines += [
            "# HELP gatewayctl_http_requests_total HTTP requests by route family and status.",
            "# TYPE gatewayctl_http_requests_total counter",
        ]
        for (family, status), count in sorted(self.requests.items()):
            lines.append(
                f'gatewayctl_http_requests_total{{pid="{pid}",family="{family}",'
                f'status="{status}"}} {count}'
            )
        return "\n".join(lines) + "\n"
