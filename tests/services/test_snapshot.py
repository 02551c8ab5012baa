"""The server's in-memory snapshot and change detection."""

from __future__ import annotations

from gatewayctl.dispatch import Passthrough, RouteKey
from gatewayctl.services import credentials, keys, providers, snapshot, statuses, users
from gatewayctl.services.context import Context, open_context


def test_snapshot_contents(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    providers.add_provider(
        ctx,
        None,
        "custom1",
        settings={"base_url": "https://c.test"},
        dispatch={
            "rules": [
                {
                    "route": {"operation": "ModelList", "protocol": "OpenAi"},
                    "implementation": "Passthrough",
                }
            ]
        },
    )
    providers.add_provider(ctx, None, "groq", enabled=False)
    on = credentials.add_credential(ctx, "openai", api_key="sk-on-0123456789", label="on")
    credentials.add_credential(ctx, "openai", api_key="sk-off", label="off", enabled=False)
    statuses.set_status(ctx, on["id"], "partial", health=[{"model": "m", "until_unix_ms": 9}])
    users.add_user(ctx, "alice")
    users.add_user(ctx, "bob")
    alice_key = keys.create_key(ctx, "alice", raw="a")["api_key"]
    bob_key = keys.create_key(ctx, "bob", raw="b")["api_key"]
    users.set_user_enabled(ctx, "bob", False)
    admin_key, _ = keys.ensure_admin_key(ctx)

    snap = snapshot.load_snapshot(ctx)
    assert set(snap.providers) == {"openai", "custom1"}  # disabled providers are not routed
    openai = snap.providers["openai"]
    assert openai.dispatch is None  # follows the channel's default (the gateway picks it)
    assert [c.label for c in openai.credentials] == ["on"]
    assert openai.credentials[0].secret == {"Builtin": {"OpenAi": {"api_key": "sk-on-0123456789"}}}
    custom = snap.providers["custom1"].dispatch
    assert isinstance(custom.resolve(RouteKey("ModelList", "OpenAi")), Passthrough)
    assert snap.statuses[on["id"]].cooldowns == (("m", 9),)
    a = snap.authenticate(alice_key)
    assert a is not None and (a.user_id, a.is_admin) == (1, False)
    assert snap.authenticate(bob_key) is None  # user disabled
    assert snap.auth[snapshot.hash_api_key(ctx, bob_key)].user_enabled is False
    admin = snap.authenticate(admin_key)
    assert admin is not None and admin.is_admin
    assert snap.authenticate("nope") is None
    assert snap.settings.port == 8787


def test_change_watcher_sees_other_processes(ctx: Context) -> None:
    watcher = snapshot.ChangeWatcher(ctx)
    assert watcher.changed()  # first call: build the first snapshot
    assert not watcher.changed()
    with open_context() as cli:  # "another process": its own connection
        providers.add_provider(cli, None, "openai")
    assert watcher.changed()
    assert not watcher.changed()
    # appending usage rows commits too, but is not a configuration change
    ctx.store.append_rows("usages", [{"operation": "GenerateContent", "protocol": "OpenAi"}])
    assert not watcher.changed()
    providers.set_provider_enabled(ctx, "openai", False)  # the server's own admin write
    assert watcher.changed()
    assert not watcher.changed()
    watcher.reset()  # after a failed load: the next check answers True without a change
    assert watcher.changed()
    assert not watcher.changed()
