"""``python -m bench``: run the scenarios, print the table (or ``--json``).

Scenarios are same-protocol OpenAI chat, non-stream and SSE stream, each at every
``--connections`` value. With ``--target gateway`` (the default) each scenario runs first
direct-to-mock, then through the gateway, against the same mock in the same run, so the
comparison holds on a shared, noisy machine. Progress goes to stderr; stdout carries only the
report.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.load import Endpoint, run_load
from bench.procs import TRANSPORTS, BenchError, GatewayProcess, MockProcess, cpu_seconds
from bench.report import Summary, as_json, ratios, table
from gatewayctl.gateway.upstream import ENV_TRANSPORT


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    stream: bool
    connections: int


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("connection counts must be positive")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Loopback benchmark: direct-to-mock baseline vs through gatewayctl serve.",
    )
    parser.add_argument(
        "--target",
        choices=["direct", "gateway"],
        default="gateway",
        help="direct: the mock only; gateway: direct baseline + through the gateway (default)",
    )
    parser.add_argument(
        "--scenarios", default="chat,chat-stream", help="chat, chat-stream (comma list)"
    )
    parser.add_argument("--connections", type=_ints, default=[1, 32], help="default 1,32")
    parser.add_argument("--duration", type=float, default=3.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds per run")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per run")
    parser.add_argument("--stream-chunks", type=int, default=20, help="content deltas per stream")
    parser.add_argument("--chunk-delay-ms", type=float, default=0.0, help="mock delay per chunk")
    parser.add_argument("--mock", choices=["raw", "hypercorn"], default="raw", help="mock server")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw", help="load generator")
    parser.add_argument("--route", choices=["scoped", "unscoped"], default="scoped")
    parser.add_argument("--gateway-workers", type=int, default=1)
    parser.add_argument(
        "--transport",
        choices=list(TRANSPORTS),
        default=None,
        help="the gateway's upstream transport (sets GATEWAYCTL_UPSTREAM_TRANSPORT for it; "
        "default: that variable as set in this environment, else auto)",
    )
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of the table")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    unknown = sorted(set(kinds) - {"chat", "chat-stream"})
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)} (chat, chat-stream)")
    if args.duration <= 0 or args.duration > 60 or args.warmup < 0 or args.max_requests < 1:
        parser.error("--duration must be in (0, 60], --warmup >= 0, --max-requests >= 1")
    args.scenario_list = [
        Scenario(kind, kind == "chat-stream", c) for kind in kinds for c in args.connections
    ]
    return args


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "target": args.target,
        "mock": args.mock,
        "client": args.client,
        "route": args.route,
        "gateway_workers": args.gateway_workers,
        "transport_requested": args.transport or os.environ.get(ENV_TRANSPORT) or "auto",
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "max_requests": args.max_requests,
        "stream_chunks": args.stream_chunks,
        "chunk_delay_ms": args.chunk_delay_ms,
    }


def _measure(
    args: argparse.Namespace,
    scenario: Scenario,
    target: str,
    endpoint: Endpoint,
    mock: MockProcess,
    gateway: GatewayProcess | None,
) -> Summary:
    mock_cpu = cpu_seconds(mock.pid)
    gateway_cpu = cpu_seconds(gateway.pid) if gateway is not None and target == "gateway" else None
    started = time.perf_counter()
    run = asyncio.run(
        run_load(
            endpoint,
            stream=scenario.stream,
            connections=scenario.connections,
            warmup=args.warmup,
            duration=args.duration,
            max_requests=args.max_requests,
            client=args.client,
        )
    )
    wall = time.perf_counter() - started

    def share(pid: int, before: float | None) -> float | None:
        after = cpu_seconds(pid)
        return None if before is None or after is None else (after - before) / wall

    return Summary.of(
        scenario.name,
        scenario.stream,
        target,
        run,
        share(mock.pid, mock_cpu),
        share(gateway.pid, gateway_cpu) if gateway is not None and target == "gateway" else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    meta = _meta(args)
    summaries: list[Summary] = []
    gateway_error: str | None = None
    mock = MockProcess(
        impl=args.mock, chunks=args.stream_chunks, chunk_delay_ms=args.chunk_delay_ms
    )
    gateway: GatewayProcess | None = None
    try:
        mock.start()
        _log(f"mock ({args.mock}) at {mock.url}")
        direct = Endpoint("127.0.0.1", mock.port, "/v1/chat/completions", "gpt-bench")
        through: Endpoint | None = None
        if args.target == "gateway":
            gateway = GatewayProcess(
                mock.url, workers=args.gateway_workers, route=args.route, transport=args.transport
            )
            try:
                gateway.start()
                through = Endpoint(
                    "127.0.0.1",
                    gateway.port,
                    gateway.path,
                    gateway.model,
                    (("authorization", f"Bearer {gateway.api_key}"),),
                )
                _log(f"gateway at http://127.0.0.1:{gateway.port}{gateway.path}")
            except BenchError as exc:
                gateway_error = str(exc)
                _log(f"gateway unavailable, measuring direct only: {exc}")
                gateway.stop()
                gateway = None
        for scenario in args.scenario_list:
            targets = [("direct", direct)] + ([("gateway", through)] if through else [])
            for target, endpoint in targets:
                summary = _measure(args, scenario, target, endpoint, mock, gateway)
                summaries.append(summary)
                _log(
                    f"{scenario.name:<11} c={scenario.connections:<3} {target:<7}"
                    f" {summary.rps:>9.1f} req/s  p50 {summary.p50_ms} ms  p99 {summary.p99_ms} ms"
                    f"  errors {summary.errors}"
                )
    except BenchError as exc:
        _log(f"benchmark failed: {exc}")
        return 2
    finally:
        if gateway is not None:
            meta["transport_used"] = ",".join(gateway.used_transports()) or None
            gateway.stop()
        mock.stop()
    meta["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    meta["gateway_error"] = gateway_error
    pairs = ratios(summaries)
    if args.json:
        print(json.dumps(as_json(meta, summaries, pairs), indent=2))
    else:
        print(
            f"gatewayctl loopback benchmark — {meta['date']}, {meta['cpus']} CPUs,"
            f" load avg {', '.join(f'{v:.2f}' for v in meta['loadavg_start'] or [])};"
            f" mock={args.mock}, client={args.client},"
            f" upstream transport={meta.get('transport_used') or meta['transport_requested']},"
            f" {args.duration}s per run,"
            f" stream {args.stream_chunks} chunks x {args.chunk_delay_ms} ms"
        )
        print(table(summaries, pairs))
        if gateway_error:
            print(f"\ngateway not measured: {gateway_error}")
    if gateway_error is not None or any(s.errors for s in summaries):
        return 1
    return 0
