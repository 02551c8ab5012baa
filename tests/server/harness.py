"""A real gatewayctl server for tests: in-process Hypercorn in a thread, or a subprocess.

In-process (:func:`start_live_server` / :func:`live_server_at`): the same bootstrap and app
factory as ``gatewayctl serve`` (:func:`gatewayctl.server.run.bootstrap`,
:func:`gatewayctl.server.app.create_app`), served by Hypercorn on its own event loop in a
daemon thread, on a socket bound to ``127.0.0.1:0`` before start, so the URL is known at once.
Fast enough to share one server per test module.

Secrets: the server (and every subprocess given :attr:`LiveServer.env`) uses a fixed
``GATEWAYCTL_SECRET_KEY``, so the CLI in another process can share the data dir and nothing
ever touches an OS keyring.

Subprocess (:func:`spawn_serve`): ``python -m gatewayctl serve`` with ``PYTHONPATH`` = the
repo root, for banner and signal tests.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from quart import Quart

from gatewayctl.server.app import create_app
from gatewayctl.server.config import ServerConfig
from gatewayctl.server.run import bind_socket, bootstrap, hypercorn_config, listen_url, serve_app

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET_KEY = "0123456789abcdef" * 4  # 64 hex chars = 32 bytes
ADMIN = object()  # sentinel: "use the admin key"


def subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for ``python -m gatewayctl …`` on ``data_dir`` (no GATEWAYCTL_* leaks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAYCTL_")}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        GATEWAYCTL_DATA_DIR=str(data_dir),
        GATEWAYCTL_SECRET_KEY=TEST_SECRET_KEY,
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(
    env: dict[str, str], *args: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gatewayctl ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "gatewayctl", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )


@contextmanager
def _secret_key_env() -> Iterator[None]:
    """``GATEWAYCTL_SECRET_KEY`` set while the server unlocks its store."""
    previous = os.environ.get("GATEWAYCTL_SECRET_KEY")
    os.environ["GATEWAYCTL_SECRET_KEY"] = TEST_SECRET_KEY
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("GATEWAYCTL_SECRET_KEY", None)
        else:
            os.environ["GATEWAYCTL_SECRET_KEY"] = previous


@dataclass
class LiveServer:
    """A running in-process server; ``url`` has no trailing slash."""

    url: str
    admin_key: str
    data_dir: Path
    config: ServerConfig
    app: Quart
    env: dict[str, str]
    _thread: threading.Thread
    _loop: asyncio.AbstractEventLoop
    _stop: asyncio.Event
    _errors: list[BaseException] = field(default_factory=list)
    _clients: list[httpx.Client] = field(default_factory=list)
    _http: httpx.Client | None = None

    def client(self, key: Any = ADMIN, **kwargs: Any) -> httpx.Client:
        """An httpx client on this server sending ``x-api-key`` (admin key by default,
        none when ``key=None``). Closed when the server stops."""
        headers = dict(kwargs.pop("headers", {}))
        if key is ADMIN:
            headers["x-api-key"] = self.admin_key
        elif key is not None:
            headers["x-api-key"] = str(key)
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10, **kwargs)
        self._clients.append(client)
        return client

    @property
    def http(self) -> httpx.Client:
        """A shared client without default headers (one per server: building an httpx
        client loads the CA bundle, far slower than a loopback request)."""
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=10)
            self._clients.append(self._http)
        return self._http

    def request(self, method: str, path: str, *, key: Any = ADMIN, **kwargs: Any) -> httpx.Response:
        """One request with ``x-api-key`` (admin key by default, none when ``key=None``)."""
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["x-api-key"] = self.admin_key if key is ADMIN else str(key)
        return self.http.request(method, path, headers=headers, **kwargs)

    def post(self, path: str, body: Any = None, *, key: Any = ADMIN) -> httpx.Response:
        """One POST with a JSON body (``None`` = empty body)."""
        content = b"" if body is None else httpx_json(body)
        return self.request(
            "POST", path, key=key, content=content, headers={"content-type": "application/json"}
        )

    def ok(self, path: str, body: Any = None, *, key: Any = ADMIN) -> Any:
        """POST ``body`` to ``path``, assert a 200, return the decoded JSON answer."""
        response = self.post(path, body, key=key)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def cli(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """``python -m gatewayctl ARGS`` on this server's data dir."""
        return run_cli(self.env, *args, timeout=timeout)

    def stop(self, timeout: float = 10.0) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._http = None
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"server at {self.url} did not stop within {timeout}s")
        if self._errors:
            raise RuntimeError(f"server failed: {self._errors[0]!r}")


def httpx_json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode("utf-8")


def start_live_server(data_dir: Path, **overrides: Any) -> LiveServer:
    """Bootstrap ``data_dir`` and serve it on a free loopback port; returns once it answers."""
    config = ServerConfig(data_dir=str(data_dir), host="127.0.0.1", port=0, **overrides)
    with _secret_key_env():
        boot = bootstrap(config)
        sock = bind_socket(boot.host, boot.port)
        url = listen_url(sock)
        hc = hypercorn_config(boot.config, sock)
        hc.graceful_timeout = min(hc.graceful_timeout, 2.0)
        hc.errorlog = None
        app = create_app(boot.config)
        started = threading.Event()
        box: dict[str, Any] = {"errors": []}

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            box["loop"], box["stop"] = loop, asyncio.Event()
            started.set()
            try:
                loop.run_until_complete(serve_app(app, hc, box["stop"].wait))
            except BaseException as exc:
                box["errors"].append(exc)
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        thread = threading.Thread(target=run, name=f"gatewayctl-test-{url}", daemon=True)
        thread.start()
        started.wait(5)
        server = LiveServer(
            url=url,
            admin_key=boot.admin_key,
            data_dir=Path(boot.settings.data_dir),
            config=boot.config,
            app=app,
            env=subprocess_env(Path(boot.settings.data_dir)),
            _thread=thread,
            _loop=box["loop"],
            _stop=box["stop"],
            _errors=box["errors"],
        )
        _wait_healthy(server)
    return server


def _wait_healthy(server: LiveServer, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if server._errors:
            raise RuntimeError(f"server failed to start: {server._errors[0]!r}")
        try:
            if httpx.get(server.url + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.02)
    raise RuntimeError(f"server at {server.url} not healthy within {timeout}s: {last!r}")


@contextmanager
def live_server_at(data_dir: Path, **overrides: Any) -> Iterator[LiveServer]:
    """Context manager form of :func:`start_live_server`."""
    server = start_live_server(data_dir, **overrides)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------
# `python -m gatewayctl serve` as a subprocess
# --------------------------------------------------------------------------------------


@dataclass
class ServeProcess:
    proc: subprocess.Popen[str]
    stderr_path: Path
    lines: list[str] = field(default_factory=list)  # stdout lines read so far

    def read_banner(self, timeout: float = 30.0) -> dict[str, str]:
        """Read stdout until the banner's ``admin key:`` line; ``{"listen": …, …}``."""
        fields: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip()] = value.strip()
            if "admin key" in fields and "listen" in fields:
                return fields
        raise AssertionError(f"no banner; stdout={self.lines!r} stderr={self.stderr_tail()!r}")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stderr_tail(self) -> str:
        return self.stderr()[-2000:]

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise


def spawn_serve(env: dict[str, str], stderr_path: Path, *args: str) -> ServeProcess:
    """Start ``python -m gatewayctl serve --port 0 ARGS``: stdout piped (the banner), stderr
    to ``stderr_path`` (a pipe nobody reads could fill up and block the server)."""
    with stderr_path.open("w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gatewayctl", "serve", "--port", "0", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=REPO_ROOT,
        )
    return ServeProcess(proc, stderr_path)
