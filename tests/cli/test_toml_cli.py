"""``export-toml`` / ``import-toml`` through the CLI."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.cli.conftest import REPO, Cli, one_line_error


def seed(cli: Cli) -> None:
    cli("providers", "add", "openai")
    cli("providers", "add", "corp", "-c", "corp-llm", "--base-url", "https://corp.test")
    cli("credentials", "add", "openai", "--api-key", "sk-export-0123456789abcdef", "--label", "m")
    cli("credentials", "add", "corp", "--api-key", "corp-key-0123456789abcdef")
    cli("users", "add", "alice")
    cli("keys", "create", "--user", "alice", "--key", "alice", "--label", "laptop")
    cli("admin-key", "rotate")


def test_export_import_export_is_identical(cli: Cli, tmp_path: Path) -> None:
    seed(cli)
    backup = tmp_path / "backup.toml"
    r = cli("export-toml", str(backup))
    assert r.code == 0 and r.stdout == "" and "mode 0600" in r.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    text = backup.read_text()
    assert "sk-export-0123456789abcdef" in text  # a full backup
    assert cli("export-toml").stdout == text  # stdout form is the same document
    empty = tmp_path / "empty-data"
    imported = cli("--data-dir", str(empty), "import-toml", str(backup))
    assert imported.code == 0 and "created" in imported.stdout
    again = cli("--data-dir", str(empty), "export-toml")
    assert again.stdout == text
    second = tmp_path / "second.toml"
    cli("--data-dir", str(empty), "export-toml", str(second))
    assert second.read_bytes() == backup.read_bytes()


def test_redacted_export(cli: Cli) -> None:
    seed(cli)
    text = cli("export-toml", "--redact").stdout
    assert "sk-export-0123456789abcdef" not in text and "sk-…cdef" in text


def test_gproxy_import(cli: Cli) -> None:
    r = cli("import-toml", str(REPO / "examples" / "gproxy.example.toml"), "--json")
    assert r.code == 0 and r.json()["created"] == {"providers": 4, "credentials": 5}
    providers = {p["name"]: p["channel"] for p in cli("providers", "list", "--json").json()}
    assert providers == {
        "openai": "openai",
        "claude": "anthropic",
        "codex": "codex",
        "mycustom": "mycustom",
    }
    creds = cli("credentials", "list", "--json").json()
    assert [(c["provider"], c["name"]) for c in creds] == [
        ("openai", "primary"),
        ("openai", "backup"),
        ("claude", "main"),
        ("codex", "oauth"),
        ("mycustom", "custom"),
    ]
    assert cli("admin-key", "show").stdout.strip() == "gproxy-admin-key-0123456789"


def test_import_errors(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[providers]]\nchannel = 'mystery'\n")
    err = one_line_error(cli("import-toml", str(bad)))
    assert "providers[0]" in err and "base_url" in err
    one_line_error(cli("import-toml", str(tmp_path / "missing.toml")))
    assert cli("import-toml", "-", input="[[providers]]\nchannel = 'groq'\n").code == 0
    assert cli("providers", "list", "--json").json()[0]["name"] == "groq"
