"""The issue's CLI acceptance: add, list --json (masked), remove, and the three failures."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli, one_line_error

API_KEY = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWX-7777"


def test_cli_round_trip(cli: Cli) -> None:
    assert cli("providers", "add", "openai", "--channel", "openai").code == 0
    r = cli(
        "providers", "add", "corp", "--channel", "corp-llm", "--base-url", "https://llm.corp.test"
    )
    assert r.code == 0 and "corp-llm" in r.stdout
    assert cli("credentials", "add", "openai", "--api-key", API_KEY, "--label", "main").code == 0
    assert cli("users", "add", "alice").code == 0
    created = cli("keys", "create", "--user", "alice", "--key", "alice-key", "--label", "laptop")
    assert created.code == 0 and created.stdout.strip() == "u1_alice-key"

    providers = cli("providers", "list", "--json").json()
    assert [(p["name"], p["channel"]) for p in providers] == [
        ("openai", "openai"),
        ("corp", "corp-llm"),
    ]
    assert providers[1]["settings_json"]["base_url"] == "https://llm.corp.test"
    creds = cli("credentials", "list", "--json")
    assert API_KEY not in creds.stdout
    (cred,) = creds.json()
    assert cred["secret_json"] == {"Builtin": {"OpenAi": {"api_key": "sk-…7777"}}}
    assert cli("users", "list", "--json").json()[1] == {"id": 1, "name": "alice", "enabled": True}
    keys = cli("keys", "list", "--json")
    assert "alice-key" not in keys.stdout
    assert keys.json()[0]["label"] == "laptop"

    assert cli("credentials", "remove", str(cred["id"])).code == 0
    assert cli("credentials", "list", "--json").json() == []
    assert cli("keys", "revoke", str(keys.json()[0]["id"])).code == 0
    assert cli("users", "remove", "alice").code == 0
    assert cli("providers", "remove", "corp").code == 0
    assert [p["name"] for p in cli("providers", "list", "--json").json()] == ["openai"]


def test_the_three_failures(cli: Cli) -> None:
    cli("providers", "add", "openai")
    err = one_line_error(cli("providers", "add", "mine", "--channel", "mystery"))
    assert "unknown channel 'mystery'" in err and "--base-url" in err
    err = one_line_error(cli("providers", "add", "openai", "--channel", "openai"))
    assert "provider 'openai' already exists" in err
    err = one_line_error(cli("credentials", "add", "openai", "--secret-json", "{not json"))
    assert "not valid JSON" in err
    err = one_line_error(cli("credentials", "add", "openai", "--secret-json", '{"Custom": {}}'))
    assert "built-in" in err
    # nothing was half-written
    assert cli("credentials", "list", "--json").json() == []
    assert len(cli("providers", "list", "--json").json()) == 1


def test_secret_from_stdin_and_file(cli: Cli, tmp_path: Path) -> None:
    cli("providers", "add", "codex")
    secret = tmp_path / "codex.json"
    secret.write_text('{"Codex": {"access_token": "at-1", "account_id": "acc"}}')
    assert cli("credentials", "add", "codex", "--secret-json", f"@{secret}").code == 0
    cli("providers", "add", "openai")
    assert cli("credentials", "add", "openai", "--api-key", "-", input="sk-from-stdin\n").code == 0
    rows = cli("credentials", "list", "--json").json()
    assert rows[0]["secret_json"]["Builtin"]["Codex"]["account_id"] == "acc"
    assert rows[1]["kind"] == "builtin/openai"
    one_line_error(cli("credentials", "add", "codex", "--secret-json", "@/no/such/file"), code=2)
