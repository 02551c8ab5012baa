"""Every command of CONTRACT §3 (but serve / oauth login): outputs, masking, exit codes."""

from __future__ import annotations

import json

import pytest

from gatewayctl.services.context import open_context
from tests.cli.conftest import Cli, one_line_error


def test_usage_errors_exit_2_with_one_line(cli: Cli) -> None:
    for args in (
        ["bogus"],
        ["providers", "add", "x", "--bogus"],
        ["providers", "add"],
        ["credentials", "add", "openai"],
        ["credentials", "add", "openai", "--api-key", "a", "--secret-json", "{}"],
        ["credentials", "remove", "not-a-number"],
        ["keys", "create"],
        ["usage", "list", "--limit", "-1"],
        ["requests", "list", "--provider", "x"],
    ):
        err = one_line_error(cli(*args), code=2)
        assert "--help" in err


def test_no_arguments_shows_help(cli: Cli) -> None:
    r = cli()
    assert r.code in (0, 2) and "providers" in r.stdout + r.stderr


def test_help_texts(cli: Cli) -> None:
    top = cli("--help")
    assert top.code == 0
    for word in ("--data-dir", "--dsn", "providers", "credentials", "users", "keys", "admin-key",
                 "export-toml", "import-toml", "usage", "requests"):  # fmt: skip
        assert word in top.stdout
    assert "--base-url" in cli("providers", "add", "--help").stdout
    assert "--secret-json" in cli("credentials", "add", "--help").stdout
    assert "--redact" in cli("export-toml", "--help").stdout
    assert "--upstream" in cli("requests", "list", "--help").stdout


def test_providers_commands(cli: Cli) -> None:
    assert cli("providers", "add", "--channel", "claude").code == 0  # name defaults to channel
    r = cli("providers", "add", "eu", "-c", "openai", "--setting", "base_url=https://eu.test",
            "--setting", "credential_round_robin_enabled=false", "--disabled", "--json")  # fmt: skip
    view = r.json()
    assert view["settings_json"] == {
        "base_url": "https://eu.test",
        "credential_round_robin_enabled": False,
    }
    assert view["enabled"] is False
    assert cli("providers", "enable", "eu").code == 0
    assert cli("providers", "show", "eu", "--json").json()["enabled"] is True
    assert cli("providers", "disable", "eu").code == 0
    shown = cli("providers", "show", "claude")
    assert shown.code == 0 and "anthropic" in shown.stdout and "channel default" in shown.stdout
    table = cli("providers", "list")
    assert "claude" in table.stdout and "https://eu.test" in table.stdout
    one_line_error(cli("providers", "show", "nope"))
    one_line_error(cli("providers", "remove", "nope"))
    one_line_error(cli("providers", "add", "x", "--setting", "novalue"), code=2)
    one_line_error(cli("providers", "add", "admin", "-c", "openai"))
    one_line_error(cli("providers", "add", "x", "-c", "openai", "--dispatch-json", '{"rules": 1}'))


def test_credentials_commands_and_status(cli: Cli) -> None:
    cli("providers", "add", "openai")
    cid = cli(
        "credentials", "add", "openai", "--api-key", "sk-0123456789abcdefghij", "--json"
    ).json()["id"]
    with open_context() as ctx:
        from gatewayctl.services import statuses

        statuses.set_status(
            ctx, cid, "partial", health=[{"model": "gpt-4.1", "until_unix_ms": 4_102_444_800_000}],
            checked_at=1_767_225_600_000, last_error="429 rate limited",
        )  # fmt: skip
    status = cli("credentials", "status", "--json").json()
    assert status[0]["health_kind"] == "partial" and status[0]["cooldowns"][0]["model"] == "gpt-4.1"
    human = cli("credentials", "status", "--provider", "openai")
    assert "partial" in human.stdout and "gpt-4.1" in human.stdout
    listed = cli("credentials", "list", "--provider", "openai")
    assert "sk-…ghij" in listed.stdout and "0123456789" not in listed.stdout
    assert cli("credentials", "disable", str(cid)).code == 0
    assert cli("credentials", "list", "--json").json()[0]["enabled"] is False
    assert cli("credentials", "enable", str(cid)).code == 0
    one_line_error(cli("credentials", "remove", "999"))
    one_line_error(cli("credentials", "add", "nope", "--api-key", "k"))


def test_users_and_keys(cli: Cli) -> None:
    assert cli("users", "add", "bob", "--json").json() == {"id": 1, "name": "bob", "enabled": True}
    one_line_error(cli("users", "add", "bob"))
    generated = cli("keys", "create", "--user", "bob")
    key = generated.stdout.strip()
    assert key.startswith("u1_") and "shown again" in generated.stderr
    assert (
        cli("keys", "create", "-u", "bob", "--key", "u1_explicit", "--json").json()["api_key"]
        == "u1_explicit"
    )
    one_line_error(cli("keys", "create", "--user", "bob", "--key", "explicit"))  # duplicate
    one_line_error(cli("keys", "create", "--user", "nobody"))
    table = cli("keys", "list", "--user", "bob")
    assert key not in table.stdout and "bob" in table.stdout
    assert cli("users", "disable", "bob").code == 0
    assert cli("users", "list", "--json").json()[1]["enabled"] is False
    assert cli("users", "enable", "bob").code == 0
    one_line_error(cli("users", "disable", "admin"))
    one_line_error(cli("users", "remove", "admin"))
    one_line_error(cli("keys", "revoke", "999"))


def test_admin_key(cli: Cli) -> None:
    err = one_line_error(cli("admin-key", "show"))
    assert "admin-key rotate" in err
    first = cli("admin-key", "rotate")
    assert first.code == 0 and "created" in first.stderr
    key = first.stdout.strip()
    assert cli("admin-key", "show").stdout.strip() == key
    second = cli("admin-key", "rotate").stdout.strip()
    assert second != key and cli("admin-key", "show").stdout.strip() == second
    keys = cli("keys", "list", "--user", "admin", "--json").json()
    assert len(keys) == 1 and keys[0]["label"] == "bootstrap-admin-key"
    assert second not in json.dumps(keys)
    one_line_error(cli("keys", "revoke", str(keys[0]["id"])))


@pytest.fixture
def recorded(cli: Cli) -> Cli:
    cli("providers", "add", "openai")
    cli("users", "add", "alice")
    with open_context() as ctx:
        from gatewayctl.services.common import now_ms

        now = now_ms()
        ctx.store.append_rows(
            "usages",
            [
                {"at": now - 1000, "provider_id": 1, "user_id": 1, "user_key_id": 1,
                 "operation": "GenerateContent", "protocol": "OpenAi", "model": "gpt-4.1",
                 "input_tokens": 10, "output_tokens": 2},
                {"at": now - 10 * 86_400_000, "provider_id": 1, "user_id": 1,
                 "operation": "GenerateContent", "protocol": "Claude", "model": "gpt-4.1-mini",
                 "input_tokens": 100, "output_tokens": 20},
            ],
        )  # fmt: skip
        ctx.store.append_rows(
            "upstream_requests",
            [{"at": now, "provider_id": 1, "request_method": "POST",
              "request_url": "https://api.openai.com/v1/responses", "response_status": 200}],
        )  # fmt: skip
        ctx.store.append_rows(
            "downstream_requests",
            [{"at": now, "user_id": 1, "request_method": "POST", "request_path": "/v1/responses",
              "response_status": 200}],
        )  # fmt: skip
    return cli


def test_usage_and_requests(recorded: Cli) -> None:
    cli = recorded
    assert cli("usage", "summary", "--json").json()["count"] == 2
    day = cli("usage", "summary", "--since", "24h", "--provider", "openai", "--json").json()
    assert day == {"count": 1, "input_tokens": 10, "output_tokens": 2,
                   "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}  # fmt: skip
    assert (
        cli("usage", "summary", "--model", "gpt-4.1-mini", "--user", "alice", "--json").json()[
            "count"
        ]
        == 1
    )
    rows = cli("usage", "list", "--limit", "1", "--json").json()
    assert len(rows) == 1 and rows[0]["model"] == "gpt-4.1" and rows[0]["provider_name"] == "openai"
    assert "gpt-4.1-mini" in cli("usage", "list").stdout
    assert "input_tokens" in cli("usage", "summary").stdout
    one_line_error(cli("usage", "summary", "--since", "yesterday"))
    one_line_error(cli("usage", "list", "--provider", "nope"))
    down = cli("requests", "list", "--json").json()
    assert down[0]["request_path"] == "/v1/responses"
    up = cli("requests", "list", "--upstream", "--provider", "openai", "--json").json()
    assert up[0]["request_url"].endswith("/v1/responses")
    assert "/v1/responses" in cli("requests", "list", "--downstream", "--user", "alice").stdout


def test_json_output_is_pure_json_even_with_notices(cli: Cli) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # first secret use prints the key-file notice
    cli("providers", "add", "openai")
    r = cli("credentials", "add", "openai", "--api-key", "sk-1", "--json")
    assert r.code == 0 and "secret key is stored in" in r.stderr
    assert r.json()["kind"] == "builtin/openai"
