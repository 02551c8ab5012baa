"""The processes a benchmark run starts: the mock upstream and, for ``--target gateway``, a
real ``gatewayctl serve`` configured through the ``gatewayctl`` CLI on a throw-away data dir.

Each runs in its own process so the load generator, the mock and the gateway do not share a
GIL, and so their CPU use can be read from ``/proc`` to tell which one was the bottleneck.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gatewayctl.gateway.upstream import ENV_TRANSPORT

REPO_ROOT = Path(__file__).resolve().parent.parent
PROVIDER = "mock"
UPSTREAM_KEY = "sk-bench-upstream"
USER = "bench"
RAW_USER_KEY = "bench-key"


class BenchError(RuntimeError):
    """A process the benchmark needs could not be started or configured."""


# The only GATEWAYCTL_* variable a run inherits: the upstream transport under comparison.
# The others (data dir, keys, log level…) would point the throw-away gateway at real state.
INHERITED_ENV = (ENV_TRANSPORT,)
TRANSPORTS = ("auto", "httpx", "aiohttp")


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GATEWAYCTL_") or k in INHERITED_ENV
    }
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + path if path else "")
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of ``pid`` and its live descendants, from /proc; None if
    /proc is not there."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    if pid not in stats:
        return None
    family = {pid}
    grew = True
    while grew:
        grew = False
        for child, (parent, _) in stats.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return sum(stats[p][1] for p in family)


class MockProcess:
    """``python -m bench.mock`` in a subprocess."""

    def __init__(self, *, impl: str, chunks: int, chunk_delay_ms: float) -> None:
        self.args = [
            sys.executable,
            "-m",
            "bench.mock",
            "--impl",
            impl,
            "--stream-chunks",
            str(chunks),
            "--chunk-delay-ms",
            str(chunk_delay_ms),
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            self.args, cwd=REPO_ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("LISTENING ") or time.monotonic() > deadline:
            self.stop()
            raise BenchError(f"mock upstream did not start (said {line!r})")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


class GatewayProcess:
    """``gatewayctl serve`` on a temp data dir, with the mock as provider ``mock`` (channel
    openai), one upstream credential, and one user key — all set up with the CLI (CONTRACT §3)."""

    def __init__(
        self,
        mock_url: str,
        *,
        workers: int = 1,
        route: str = "scoped",
        transport: str | None = None,
    ) -> None:
        if transport is not None and transport not in TRANSPORTS:
            raise BenchError(f"unknown transport {transport!r} ({', '.join(TRANSPORTS)})")
        self.mock_url = mock_url
        self.workers = workers
        self.route = route
        self.transport = transport  # None: inherit GATEWAYCTL_UPSTREAM_TRANSPORT (else auto)
        self.tmp = tempfile.TemporaryDirectory(prefix="gatewayctl-bench-")
        self.data_dir = Path(self.tmp.name) / "data"
        self.log_path = Path(self.tmp.name) / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.api_key = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def path(self) -> str:
        """The chat path clients call: scoped ``/mock/v1/…`` or unscoped ``/v1/…``."""
        return (
            f"/{PROVIDER}/v1/chat/completions" if self.route == "scoped" else "/v1/chat/completions"
        )

    @property
    def model(self) -> str:
        return "gpt-bench" if self.route == "scoped" else f"{PROVIDER}/gpt-bench"

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gatewayctl", *args],
            cwd=REPO_ROOT,
            env=_env(GATEWAYCTL_DATA_DIR=str(self.data_dir)),
            capture_output=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise BenchError(
                f"gatewayctl {' '.join(args[:2])} failed (exit {done.returncode}): "
                f"{done.stderr.decode(errors='replace').strip() or done.stdout.decode(errors='replace').strip()}"
            )
        return done.stdout.decode()

    def configure(self) -> None:
        """Provider, credential, user and key through the CLI."""
        self._cli("providers", "add", PROVIDER, "--channel", "openai", "--base-url", self.mock_url)
        self._cli("credentials", "add", PROVIDER, "--api-key", UPSTREAM_KEY, "--label", "bench")
        self._cli("users", "add", USER)
        out = self._cli("keys", "create", "--user", USER, "--key", RAW_USER_KEY, "--json")
        try:
            self.api_key = str(_json_loads(out)["api_key"])
        except (ValueError, KeyError, TypeError):
            lines = [line.strip() for line in out.splitlines() if line.strip()]
            if not lines:
                raise BenchError(f"gatewayctl keys create printed no key: {out!r}") from None
            self.api_key = lines[-1]

    def start(self, timeout: float = 60.0) -> None:
        self.configure()
        self.port = free_port()
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gatewayctl",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            cwd=REPO_ROOT,
            env=self._serve_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_healthy(timeout)
        self._preflight()

    def _serve_env(self) -> dict[str, str]:
        extra = {"GATEWAYCTL_DATA_DIR": str(self.data_dir), "GATEWAYCTL_LOG_LEVEL": "INFO"}
        if self.transport is not None:
            extra[ENV_TRANSPORT] = self.transport
        return _env(**extra)

    def used_transports(self) -> list[str]:
        """The upstream transports the gateway reported building clients with (its log)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        marker = "upstream client: "
        found = [
            line.split(marker, 1)[1].split(" ", 1)[0]
            for line in text.splitlines()
            if marker in line
        ]
        return sorted(set(found))

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise BenchError(
                    f"gatewayctl serve exited ({self.proc.returncode}):\n{self.log_tail()}"
                )
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise BenchError(f"gatewayctl serve not healthy within {timeout}s:\n{self.log_tail()}")

    def _preflight(self) -> None:
        """One request through the gateway must work before anything is measured."""
        for stream in (False, True):
            response = httpx.post(
                f"http://127.0.0.1:{self.port}{self.path}",
                headers={"Authorization": f"Bearer {self.api_key}"},
                json={
                    "model": self.model,
                    "messages": [{"role": "user", "content": "hi"}],
                    "stream": stream,
                },
                timeout=30,
            )
            if response.status_code != 200 or (stream and "[DONE]" not in response.text):
                raise BenchError(
                    f"preflight {'stream' if stream else 'chat'} request through the gateway got"
                    f" HTTP {response.status_code}: {response.text[:500]}"
                )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
        self.tmp.cleanup()


def _json_loads(text: str) -> dict[str, object]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value
