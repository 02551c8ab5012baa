"""``python -m gatewayctl serve`` as a real process: banner, admin key, --config, signals."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from gatewayctl.errors import InvalidInput
from gatewayctl.server.config import ENV_SERVER_CONFIG, ServerConfig, from_env
from tests.server.harness import ServeProcess, run_cli, spawn_serve, subprocess_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return subprocess_env(tmp_path / "data")


def _spawn(tmp_path: Path, env: dict[str, str], *args: str) -> ServeProcess:
    return spawn_serve(env, tmp_path / "serve.stderr", *args)


def _stop_cleanly(server: ServeProcess, sig: int = signal.SIGTERM) -> None:
    server.proc.send_signal(sig)
    code = server.proc.wait(30)
    assert code == 0, server.stderr_tail()
    assert "Traceback" not in server.stderr()


def test_banner_generated_key_then_stored_key(tmp_path: Path, env: dict[str, str]) -> None:
    first = _spawn(tmp_path, env)
    try:
        banner = first.read_banner()
        url = banner["listen"]
        assert url.startswith("http://127.0.0.1:")
        key = banner["admin key"].split()[0]
        assert "generated" in banner["admin key"]
        assert httpx.get(url + "/healthz", timeout=10).json() == {"ok": True}
        assert (
            httpx.get(url + "/admin/global-settings", headers={"x-api-key": key}, timeout=10)
        ).status_code == 200
        _stop_cleanly(first)
    finally:
        first.stop()

    # the stored key is reused, shown masked, and `admin-key show` prints it
    second = _spawn(tmp_path, env)
    try:
        line = second.read_banner()["admin key"]
        assert key not in line and "admin-key show" in line
        shown = run_cli(env, "admin-key", "show")
        assert shown.returncode == 0 and shown.stdout.strip() == key
        _stop_cleanly(second, signal.SIGINT)
    finally:
        second.stop()


def test_admin_key_flag_is_honoured_and_stored(tmp_path: Path, env: dict[str, str]) -> None:
    server = _spawn(tmp_path, env, "--admin-key", "my-admin-key")
    try:
        banner = server.read_banner()
        assert banner["admin key"] == "my-admin-key"
        url = banner["listen"]
        ok = httpx.post(url + "/admin/users/query", headers={"x-api-key": "my-admin-key"})
        assert ok.status_code == 200
        _stop_cleanly(server)
    finally:
        server.stop()
    assert run_cli(env, "admin-key", "show").stdout.strip() == "my-admin-key"


def test_env_and_config_file(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "gatewayctl.toml"
    config.write_text(
        """
[global]
mask_sensitive_info = false

[[providers]]
name = "from-config"
channel = "openai"

[[users]]
name = "carol"
[[users.keys]]
api_key = "u1_carol-key"
""",
        encoding="utf-8",
    )
    env = {**env, "GATEWAYCTL_ADMIN_KEY": "env-admin", "GATEWAYCTL_CONFIG": str(config)}
    server = _spawn(tmp_path, env)
    try:
        banner = server.read_banner()
        assert banner["admin key"] == "env-admin"
        url = banner["listen"]
        admin = {"x-api-key": "env-admin"}
        names = [
            p["name"] for p in httpx.post(url + "/admin/providers/query", headers=admin).json()
        ]
        assert "from-config" in names
        settings = httpx.get(url + "/admin/global-settings", headers=admin).json()
        assert settings["mask_sensitive_info"] is False
        carol = httpx.post(url + "/user/keys/query", headers={"x-api-key": "u1_carol-key"})
        assert carol.status_code == 200
        _stop_cleanly(server)
    finally:
        server.stop()


def test_bad_config_file_fails_with_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[[nope", encoding="utf-8")
    result = run_cli(env, "serve", "--port", "0", "--config", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid toml")
    assert len(result.stderr.strip().splitlines()) == 1
    missing = run_cli(env, "serve", "--port", "0", "--config", str(tmp_path / "none.toml"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_port_in_use_fails_with_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(env, "serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr


def test_bad_proxy_flag_is_rejected(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_cli(env, "serve", "--port", "0", "--proxy", "not a url")
    assert result.returncode == 1 and result.stderr.startswith("error: ")


def test_two_workers_serve_and_stop(tmp_path: Path, env: dict[str, str]) -> None:
    server = _spawn(tmp_path, env, "--workers", "2", "--admin-key", "multi")
    try:
        url = server.read_banner()["listen"]
        for _ in range(6):  # whichever worker answers, it knows the admin key
            response = httpx.post(
                url + "/admin/users/query", headers={"x-api-key": "multi"}, timeout=20
            )
            assert response.status_code == 200
        _stop_cleanly(server)
    finally:
        server.stop()


def test_server_config_round_trips_through_env() -> None:
    config = ServerConfig(data_dir="/tmp/x", port=0, workers=3, proxy="", max_body_mb=8)
    assert from_env(config.to_env()) == config
    assert from_env({}) == ServerConfig()
    with pytest.raises(InvalidInput):
        from_env({ENV_SERVER_CONFIG: "{nope"})
    with pytest.raises(InvalidInput):
        ServerConfig(workers=0)
    with pytest.raises(InvalidInput):
        ServerConfig(proxy="ftp://x")
    assert os.environ.get(ENV_SERVER_CONFIG) is None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_right_after_the_banner_is_a_clean_stop(
    tmp_path: Path, env: dict[str, str], sig: int
) -> None:
    server = _spawn(tmp_path, env, "--admin-key", "quick")
    try:
        server.read_banner()
        _stop_cleanly(server, sig)  # no wait: the loop may not have its handlers yet
    finally:
        server.stop()
