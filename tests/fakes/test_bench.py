"""The benchmark harness (``bench/``): its mock upstream is a fake too, judged by the openai
SDK; its load generator and report; and short, bounded end-to-end runs of ``python -m bench``.
No timing assertions: these check that the harness measures correctly, not how fast."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from bench.cli import parse_args
from bench.load import Endpoint, run_load
from bench.mock import Answers, MockConfig, RawHTTP, wants_stream
from bench.procs import GatewayProcess, _env, cpu_seconds
from bench.report import Summary, percentile, ratios, table

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def mock_port() -> AsyncIterator[int]:
    """The raw mock served in the test's own event loop."""
    answers = Answers(MockConfig(chunks=5))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: RawHTTP(answers), "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_mock_speaks_openai_chat_to_the_sdk(mock_port: int) -> None:
    client = openai.AsyncOpenAI(
        base_url=f"http://127.0.0.1:{mock_port}/v1", api_key="x", max_retries=0
    )
    async with client:
        done = await client.chat.completions.create(
            model="gpt-bench", messages=[{"role": "user", "content": "hi"}]
        )
        assert done.choices[0].message.content == "tok " * 5
        stream = await client.chat.completions.create(
            model="gpt-bench",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "tok " * 5
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5


async def test_mock_pipelining_and_unknown_path(mock_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", mock_port)
    body = b'{"model":"m","stream":false}'
    request = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )
    writer.write(request + request + b"GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n")
    statuses = []
    for _ in range(3):
        head = await reader.readuntil(b"\r\n\r\n")
        statuses.append(int(head[9:12]))
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
    writer.close()
    assert statuses == [200, 200, 404]


def test_wants_stream() -> None:
    assert wants_stream(b'{"stream": true}')
    assert not wants_stream(b'{"stream":false}')
    assert not wants_stream(b'{"model":"m"}')
    assert not wants_stream(b'{"stream": broken')


@pytest.mark.parametrize("client", ["raw", "httpx"])
@pytest.mark.parametrize("stream", [False, True])
async def test_load_generator_counts_correctly(mock_port: int, client: str, stream: bool) -> None:
    endpoint = Endpoint("127.0.0.1", mock_port, "/v1/chat/completions", "gpt-bench")
    result = await run_load(
        endpoint,
        stream=stream,
        connections=3,
        warmup=0.05,
        duration=0.3,
        max_requests=50,
        client=client,
    )
    assert result.errors == 0, result.first_error
    assert 0 < result.requests <= 50
    assert len(result.latencies) == result.requests
    assert len(result.ttfbs) == result.requests
    assert result.rate > 0 and result.client_cpu > 0


async def test_load_generator_reports_errors(mock_port: int) -> None:
    endpoint = Endpoint("127.0.0.1", mock_port, "/v1/nothing", "gpt-bench")
    result = await run_load(
        endpoint, stream=False, connections=1, warmup=0, duration=0.2, max_requests=5
    )
    assert result.requests == 0
    assert result.errors == 5
    assert result.first_error is not None and result.first_error.startswith("HTTP 404")


def test_report_percentiles_ratios_and_table() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 0.99) == 99.0

    def summary(target: str, rps: float, p50: float) -> Summary:
        return Summary(
            "chat",
            False,
            32,
            target,
            100,
            0,
            1.0,
            rps,
            p50,
            p50 * 2,
            None,
            None,
            0.1,
            0.1,
            None,
            None,
        )

    rows = [summary("direct", 1000.0, 1.0), summary("gateway", 250.0, 3.5)]
    (pair,) = ratios(rows)
    assert (pair.rps_ratio, pair.added_p50_ms, pair.added_p99_ms) == (0.25, 2.5, 5.0)
    text = table(rows, [pair])
    assert "gw/direct req/s" in text and "0.250" in text and "gateway" in text


def test_cli_arguments() -> None:
    args = parse_args(["--target", "direct", "--connections", "1,8", "--scenarios", "chat"])
    assert [(s.name, s.stream, s.connections) for s in args.scenario_list] == [
        ("chat", False, 1),
        ("chat", False, 8),
    ]
    for bad in (["--scenarios", "nope"], ["--duration", "0"], ["--connections", "0"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_cpu_seconds_of_this_process() -> None:
    used = cpu_seconds(os.getpid())
    assert used is None or used > 0


def test_runs_inherit_only_the_transport_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAYCTL_UPSTREAM_TRANSPORT", "httpx")
    monkeypatch.setenv("GATEWAYCTL_ADMIN_KEY", "not-for-the-bench")
    env = _env()
    assert env["GATEWAYCTL_UPSTREAM_TRANSPORT"] == "httpx"
    assert "GATEWAYCTL_ADMIN_KEY" not in env
    gateway = GatewayProcess("http://127.0.0.1:9", transport="aiohttp")
    try:
        assert gateway._serve_env()["GATEWAYCTL_UPSTREAM_TRANSPORT"] == "aiohttp"
    finally:
        gateway.stop()
    assert parse_args(["--transport", "httpx"]).transport == "httpx"
    with pytest.raises(SystemExit):
        parse_args(["--transport", "curl"])


def _bench(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--duration", "0.3", "--warmup", "0", "--json", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_bench_direct_run() -> None:
    report = _bench("--target", "direct", "--connections", "2")
    results = report["results"]
    assert isinstance(results, list)
    assert [(r["scenario"], r["target"]) for r in results] == [
        ("chat", "direct"),
        ("chat-stream", "direct"),
    ]
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in results)
    assert report["comparison"] == []


def test_bench_through_the_gateway() -> None:
    """The gateway path: CLI-configured ``gatewayctl serve`` in front of the mock, on the
    upstream transport chosen in the environment (the comparison the bench reproduces)."""
    report = _bench(
        "--target", "gateway", "--connections", "2", env={"GATEWAYCTL_UPSTREAM_TRANSPORT": "httpx"}
    )
    meta = report["meta"]
    assert isinstance(meta, dict)
    assert (meta["transport_requested"], meta["transport_used"]) == ("httpx", "httpx")
    results = report["results"]
    assert isinstance(results, list)
    assert {r["target"] for r in results} == {"direct", "gateway"}
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in results)
    comparison = report["comparison"]
    assert isinstance(comparison, list) and len(comparison) == 2
    assert all(c["rps_ratio"] is not None for c in comparison)
