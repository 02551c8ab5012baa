"""End-to-end fixtures: a real gatewayctl server in front of the loopback fake upstreams.

One server and one set of fakes per test module (starting them costs more than most tests).
The server is the real one (``gatewayctl serve``'s bootstrap and app factory, in-process
Hypercorn on ``127.0.0.1:0``, see :mod:`tests.server.harness`); it is configured through its
admin API like an operator would. The fakes are reset before every test.

Providers created by :func:`gateway_env` — one per upstream protocol, each reachable by name:

=========  ==========================  ======================================================
name       channel                     what it speaks upstream
=========  ==========================  ======================================================
``oai``    openai                      Chat and Responses passthrough (native)
``chat``   custom, protocol openai     everything as Chat Completions
``resp``   openai + dispatch override  everything as Responses
``anth``   custom, protocol anthropic  everything as Anthropic Messages
``claude`` anthropic                   Messages passthrough (native)
``gem``    custom, protocol gemini     everything as Gemini generateContent
``studio`` aistudio                    Gemini passthrough (native)
=========  ==========================  ======================================================
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gatewayctl.dispatch import default_dispatch
from gatewayctl.server.proxy import ProxyResources
from tests.fakes import AnthropicFake, GeminiFake, OpenAIFake, RunningServer, start_server
from tests.server.harness import LiveServer, start_live_server

UPSTREAMS = ("chat", "resp", "anth", "gem")


def responses_dispatch() -> dict[str, Any]:
    """The openai channel's table with every generation sent as Responses."""
    table = default_dispatch("openai").to_json()
    for rule in table["rules"]:
        route = rule["route"]
        generation = route["operation"] in ("GenerateContent", "StreamGenerateContent")
        if generation and route["protocol"] != "OpenAi":
            rule["implementation"] = {
                "TransformTo": {
                    "destination": {"operation": route["operation"], "protocol": "OpenAi"}
                }
            }
    return table


@dataclass
class Fakes:
    openai: OpenAIFake
    anthropic: AnthropicFake
    gemini: GeminiFake
    servers: list[RunningServer] = field(default_factory=list)

    def reset(self) -> None:
        for fake in (self.openai, self.anthropic, self.gemini):
            fake.reset()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@dataclass
class GatewayEnv:
    """The server, a user key for provider calls, and the providers by name."""

    server: LiveServer
    fakes: Fakes
    user_id: int
    key: str
    key_id: int
    providers: dict[str, int]
    credentials: dict[str, list[int]]

    @property
    def url(self) -> str:
        return self.server.url

    def admin(self, path: str, body: Any = None) -> Any:
        return self.server.ok(path, body)

    def add_provider(
        self,
        name: str,
        channel: str,
        settings: dict[str, Any],
        keys: list[str],
        dispatch: dict[str, Any] | None = None,
    ) -> int:
        body: dict[str, Any] = {"name": name, "channel": channel, "settings_json": settings}
        if dispatch is not None:
            body["dispatch_json"] = dispatch
        provider = self.admin("/admin/providers/upsert", body)
        self.providers[name] = provider["id"]
        self.credentials[name] = []
        for i, key in enumerate(keys):
            cred = self.admin(
                "/admin/credentials/upsert",
                {"provider": name, "api_key": key, "name": f"{name}-{i}"},
            )
            self.credentials[name].append(cred["id"])
        self.wait_for_provider(name)
        return int(provider["id"])

    def wait_for_provider(self, name: str, timeout: float = 5.0) -> None:
        """Until the server's snapshot has the provider (it reloads on admin writes)."""
        state = self.server.app.extensions["gatewayctl"].state
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if name in state.current().providers:
                return
            time.sleep(0.02)
        raise AssertionError(f"provider {name} not in the server snapshot")

    @property
    def resources(self) -> ProxyResources:
        bp = self.server.app.blueprints["proxy"]
        resources: ProxyResources = bp.proxy_resources  # type: ignore[attr-defined]
        return resources

    def flush(self) -> None:
        """Write every queued log row now (usage estimates first)."""
        resources = self.resources
        if resources.recorder is not None:
            resources.recorder.drain()
        if resources.writer is not None:
            resources.writer.flush(10)

    def usages(self, **filters: Any) -> list[dict[str, Any]]:
        self.flush()
        body = {k: {"Eq": v} for k, v in filters.items()}
        rows: list[dict[str, Any]] = self.admin("/admin/usages/query", body)
        return rows

    def wait_usages(self, count: int, timeout: float = 5.0, **filters: Any) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        rows = self.usages(**filters)
        while len(rows) < count and time.monotonic() < deadline:
            time.sleep(0.05)
            rows = self.usages(**filters)
        return rows

    def statuses(self) -> dict[int, dict[str, Any]]:
        self.flush()
        rows = self.admin("/admin/credential-statuses/query", {})
        return {row["credential_id"]: row for row in rows}


def start_fakes() -> Fakes:
    openai, anthropic, gemini = (
        OpenAIFake(keys=None),
        AnthropicFake(keys=None),
        GeminiFake(keys=None),
    )
    fakes = Fakes(openai, anthropic, gemini)
    for fake in (openai, anthropic, gemini):
        fakes.servers.append(start_server(fake))
    return fakes


def build_env(data_dir: Path, fakes: Fakes) -> GatewayEnv:
    server = start_live_server(data_dir)
    try:
        user = server.ok("/admin/users/upsert", {"name": "alice"})
        raw_key = f"u{user['id']}_alice-key-1"  # already in the stored (normalized) form
        key = server.ok("/admin/user-keys/upsert", {"user_id": user["id"], "api_key": raw_key})
        env = GatewayEnv(server, fakes, user["id"], raw_key, key["id"], {}, {})
        env.add_provider("oai", "openai", {"base_url": fakes.openai.url}, ["sk-oai-1"])
        env.add_provider(
            "chat", "chatup", {"base_url": fakes.openai.url, "protocol": "openai"}, ["sk-chat-1"]
        )
        env.add_provider(
            "resp",
            "openai",
            {"base_url": fakes.openai.url + "/v1"},
            ["sk-resp-1"],
            dispatch=responses_dispatch(),
        )
        env.add_provider(
            "anth",
            "anthup",
            {"base_url": fakes.anthropic.url, "protocol": "anthropic"},
            ["sk-ant-1"],
        )
        env.add_provider("claude", "anthropic", {"base_url": fakes.anthropic.url}, ["sk-ant-2"])
        env.add_provider(
            "gem", "gemup", {"base_url": fakes.gemini.url, "protocol": "gemini"}, ["gm-key-1"]
        )
        env.add_provider("studio", "aistudio", {"base_url": fakes.gemini.url}, ["gm-key-2"])
    except BaseException:
        server.stop()
        raise
    return env


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    started = start_fakes()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def gateway_env(tmp_path_factory: pytest.TempPathFactory, fakes: Fakes) -> Iterator[GatewayEnv]:
    env = build_env(tmp_path_factory.mktemp("gateway") / "data", fakes)
    yield env
    env.server.stop()


@pytest.fixture
def env(gateway_env: GatewayEnv) -> Iterator[GatewayEnv]:
    """The module's gateway with freshly reset fakes."""
    gateway_env.fakes.reset()
    yield gateway_env
    gateway_env.fakes.reset()
