"""Benchmark results: per-run summaries, direct-vs-gateway ratios, a text table and JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.load import RunResult


def percentile(samples: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of ``samples``; None when empty."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass(frozen=True, slots=True)
class Summary:
    """One scenario on one target (latencies in milliseconds, CPU as share of one core)."""

    scenario: str
    stream: bool
    connections: int
    target: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    ttfb_p50_ms: float | None
    ttfb_p99_ms: float | None
    cpu_client: float
    cpu_mock: float | None
    cpu_gateway: float | None
    first_error: str | None

    @classmethod
    def of(
        cls,
        scenario: str,
        stream: bool,
        target: str,
        run: RunResult,
        cpu_mock: float | None,
        cpu_gateway: float | None,
    ) -> Summary:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 3)

        return cls(
            scenario=scenario,
            stream=stream,
            connections=run.connections,
            target=target,
            requests=run.requests,
            errors=run.errors,
            seconds=round(run.elapsed, 3),
            rps=round(run.rate, 1),
            p50_ms=ms(percentile(run.latencies, 0.50)),
            p99_ms=ms(percentile(run.latencies, 0.99)),
            ttfb_p50_ms=ms(percentile(run.ttfbs, 0.50)) if stream else None,
            ttfb_p99_ms=ms(percentile(run.ttfbs, 0.99)) if stream else None,
            cpu_client=round(run.client_cpu, 2),
            cpu_mock=None if cpu_mock is None else round(cpu_mock, 2),
            cpu_gateway=None if cpu_gateway is None else round(cpu_gateway, 2),
            first_error=run.first_error,
        )


@dataclass(frozen=True, slots=True)
class Ratio:
    """Gateway against direct-to-mock for one scenario."""

    scenario: str
    connections: int
    rps_ratio: float | None  # gateway req/s ÷ direct req/s
    added_p50_ms: float | None  # gateway p50 − direct p50
    added_p99_ms: float | None
    added_ttfb_p50_ms: float | None


def ratios(summaries: list[Summary]) -> list[Ratio]:
    """Pair each gateway summary with the direct one of the same scenario and connections."""
    direct = {(s.scenario, s.connections): s for s in summaries if s.target == "direct"}
    out = []
    for gateway in (s for s in summaries if s.target == "gateway"):
        base = direct.get((gateway.scenario, gateway.connections))
        if base is None:
            continue

        def diff(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round(a - b, 3)

        out.append(
            Ratio(
                scenario=gateway.scenario,
                connections=gateway.connections,
                rps_ratio=round(gateway.rps / base.rps, 3) if base.rps else None,
                added_p50_ms=diff(gateway.p50_ms, base.p50_ms),
                added_p99_ms=diff(gateway.p99_ms, base.p99_ms),
                added_ttfb_p50_ms=diff(gateway.ttfb_p50_ms, base.ttfb_p50_ms),
            )
        )
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def table(summaries: list[Summary], pairs: list[Ratio]) -> str:
    """The human report: one row per run, then the gateway/direct comparison."""
    header = (
        "scenario",
        "conns",
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "ttfb p50",
        "ttfb p99",
        "reqs",
        "errors",
        "cpu load/mock/gw",
    )
    rows = [header]
    for s in summaries:
        cpu = "/".join(_fmt(v, 2) for v in (s.cpu_client, s.cpu_mock, s.cpu_gateway))
        rows.append(
            (
                s.scenario,
                str(s.connections),
                s.target,
                _fmt(s.rps, 0),
                _fmt(s.p50_ms, 3),
                _fmt(s.p99_ms, 3),
                _fmt(s.ttfb_p50_ms, 3),
                _fmt(s.ttfb_p99_ms, 3),
                str(s.requests),
                str(s.errors),
                cpu,
            )
        )
    lines = _align(rows)
    if pairs:
        lines.append("")
        compare = [
            (
                "scenario",
                "conns",
                "gw/direct req/s",
                "added p50 ms",
                "added p99 ms",
                "added ttfb p50 ms",
            )
        ]
        for r in pairs:
            compare.append(
                (
                    r.scenario,
                    str(r.connections),
                    _fmt(r.rps_ratio, 3),
                    _fmt(r.added_p50_ms, 3),
                    _fmt(r.added_p99_ms, 3),
                    _fmt(r.added_ttfb_p50_ms, 3),
                )
            )
        lines.extend(_align(compare))
    errors = [s for s in summaries if s.first_error]
    for s in errors:
        lines.append(
            f"! {s.scenario}/{s.connections}/{s.target}: {s.errors} errors, first: {s.first_error}"
        )
    return "\n".join(lines)


def _align(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i < 3 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def as_json(meta: dict[str, Any], summaries: list[Summary], pairs: list[Ratio]) -> dict[str, Any]:
    return {
        "meta": meta,
        "results": [asdict(s) for s in summaries],
        "comparison": [asdict(r) for r in pairs],
    }
