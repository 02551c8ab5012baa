"""Entry routes (/, /healthz, /favicon.ico, /metrics) and the one-place error mapping."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gatewayctl import __version__
from gatewayctl.errors import Conflict
from gatewayctl.server.app import create_app
from gatewayctl.server.config import ServerConfig
from gatewayctl.server.metrics import route_family
from gatewayctl.server.static import is_loopback
from tests.server.harness import LiveServer, live_server_at


def test_healthz_needs_no_key(live_server: LiveServer) -> None:
    response = live_server.request("GET", "/healthz", key=None)
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_favicon_is_204(live_server: LiveServer) -> None:
    response = live_server.request("GET", "/favicon.ico", key=None)
    assert response.status_code == 204 and response.content == b""


def test_index_is_a_placeholder_page(live_server: LiveServer) -> None:
    response = live_server.request("GET", "/", key=None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "gatewayctl — console coming soon" in response.text
    assert __version__ in response.text


def test_unknown_path_and_wrong_method_are_json(live_server: LiveServer) -> None:
    missing = live_server.request("GET", "/no/such/thing", key=None)
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found: /no/such/thing"}
    unknown_admin = live_server.request("POST", "/admin/nothing-here")
    assert unknown_admin.status_code == 404 and "error" in unknown_admin.json()
    wrong = live_server.request("GET", "/admin/users/query")
    assert wrong.status_code == 405
    assert wrong.json() == {"error": "method not allowed: GET /admin/users/query"}
    assert "POST" in wrong.headers["allow"]
    assert live_server.request("POST", "/healthz").status_code == 405


def test_metrics_from_loopback(live_server: LiveServer) -> None:
    live_server.request("GET", "/healthz", key=None)
    live_server.post("/admin/users/query", key=None)  # a 401 to count
    response = live_server.request("GET", "/metrics", key=None)  # loopback: no key needed
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert "gatewayctl_process_start_time_seconds{" in text
    assert "gatewayctl_snapshot_version{" in text
    assert "gatewayctl_snapshot_reloads_total{" in text
    assert 'family="static",status="200"' in text
    assert 'family="admin",status="401"' in text
    for line in text.splitlines():
        assert line.startswith("#") or line.rsplit(" ", 1)[1].replace(".", "").lstrip("-").isdigit()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("", False),
        (None, False),
        ("garbage", False),
    ],
)
def test_is_loopback(address: str | None, expected: bool) -> None:
    assert is_loopback(address) is expected


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/admin/users/query", "admin"),
        ("/user/keys/query", "user"),
        ("/", "static"),
        ("/healthz", "static"),
        ("/v1/chat/completions", "proxy"),
        ("/v1beta/models", "proxy"),
        ("/openai/v1/responses", "proxy"),
    ],
)
def test_route_family(path: str, family: str) -> None:
    assert route_family(path) == family


def test_body_limit_is_413_with_the_limit(tmp_path: Path) -> None:
    with live_server_at(tmp_path / "data", max_body_mb=1) as server:
        small = server.post("/admin/users/query", {"pad": "x" * 1000})
        assert small.status_code == 200
        big = server.request(
            "POST",
            "/admin/users/query",
            content=b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413
        assert big.json() == {"error": "request body too large (limit 1 MiB)"}
        # the unread rest of the body makes the connection unusable: the client is told so,
        # instead of sending its next request on a connection the server is closing
        assert big.headers["connection"] == "close"
        assert server.post("/admin/users/query", {}).status_code == 200  # still serving


def test_default_body_limit_is_64_mib() -> None:
    app = create_app(ServerConfig())
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024
    assert app.config["BODY_TIMEOUT"] == ServerConfig().body_timeout


async def test_unexpected_exception_is_a_bare_500(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(ServerConfig())

    @app.route("/boom")
    async def boom() -> str:
        raise RuntimeError("secret detail")

    @app.route("/conflict")
    async def conflict() -> str:
        raise Conflict("provider 'x' already exists")

    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="gatewayctl.server"):
        response = await client.get("/boom")
    assert response.status_code == 500
    assert await response.get_json() == {"error": "internal error"}
    assert "secret detail" not in (await response.get_data(as_text=True))
    assert any(r.exc_info and "secret detail" in str(r.exc_info[1]) for r in caplog.records)

    response = await client.get("/conflict")
    assert response.status_code == 400
    assert await response.get_json() == {"error": "provider 'x' already exists"}


async def test_metrics_from_elsewhere_needs_the_admin_key(isolated_env: Path) -> None:
    from gatewayctl.server.run import bootstrap

    boot = bootstrap(ServerConfig())
    app = create_app(boot.config)
    remote = {"client": ("10.1.2.3", 40000)}
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/metrics", scope_base=remote)).status_code == 401
        with_key = await client.get(
            "/metrics", scope_base=remote, headers={"x-api-key": boot.admin_key}
        )
        assert with_key.status_code == 200
        assert "gatewayctl_http_requests_total" in await with_key.get_data(as_text=True)
