"""The real entry point (``python -m gatewayctl``) in a fresh process, headless."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli, one_line_error

API_KEY = "sk-subprocess-SECRET-0123456789abcdef"


def test_end_to_end_in_a_subprocess(proc: Cli, isolated_env: Path, tmp_path: Path) -> None:
    assert proc("providers", "add", "openai").code == 0
    first = proc("credentials", "add", "openai", "--api-key", API_KEY, "--label", "main")
    assert first.code == 0
    # headless: the key file fallback is announced once, on stderr, in one line
    assert "no OS keyring available" in first.stderr and first.stderr.count("\n") == 1
    assert (isolated_env / "secret.key").exists()
    listed = proc("credentials", "list", "--json")
    assert listed.code == 0 and listed.stderr == "" and API_KEY not in listed.stdout
    # the key is nowhere in clear in the SQLite files
    raw = b"".join(
        p.read_bytes() for p in isolated_env.iterdir() if p.name.startswith("gatewayctl.db")
    )
    assert raw and API_KEY.encode() not in raw
    # the global option places the store elsewhere
    other = tmp_path / "elsewhere"
    assert proc("--data-dir", str(other), "users", "add", "zed").code == 0
    assert (other / "gatewayctl.db").exists()
    assert proc("users", "list", "--json").json()[-1]["name"] == "admin"


def test_errors_in_a_subprocess(proc: Cli) -> None:
    proc("providers", "add", "openai")
    one_line_error(proc("providers", "add", "openai"), code=1)
    one_line_error(proc("providers", "add", "x", "--channel", "mystery"), code=1)
    one_line_error(proc("providers", "nope"), code=2)
    one_line_error(proc("--dsn", "postgres://u@h/db", "providers", "list"), code=1)


def test_wrong_secret_key_is_a_clear_error(proc: Cli, isolated_env: Path) -> None:
    proc("users", "add", "alice")
    proc("keys", "create", "--user", "alice", "--key", "k")
    key_file = isolated_env / "secret.key"
    key_file.write_text("00" * 32 + "\n")
    err = one_line_error(proc("keys", "list"), code=1)
    assert "does not match this database" in err
