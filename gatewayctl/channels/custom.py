"""Custom channels: any upstream that already speaks a standard OpenAI, Anthropic or Gemini API.

Settings:

* ``base_url`` (required) — the upstream root; the ``/v1`` join rule applies;
* ``protocol`` — the upstream's shape: ``openai`` (default), ``anthropic`` (alias ``claude``)
  or ``gemini``. It picks the default dispatch table (:func:`gatewayctl.dispatch.default_dispatch`): an openai
  upstream gets gproxy's custom table (Chat Completions as the hub), an anthropic upstream has
  everything sent as Messages, a gemini upstream as generateContent;
* ``mask_table`` — request fields to strip (:mod:`gatewayctl.channels.masking`).

Paths and auth headers follow the family of the route actually sent (spec §4.5): OpenAI
routes → ``/v1/...`` with ``Authorization: Bearer``; Claude routes → ``/v1/messages...`` with
``x-api-key`` + ``anthropic-version``; Gemini routes → ``/v1beta/models/...`` with
``x-goog-api-key``. So a custom dispatch table may mix families on an upstream that serves
several (as many self-hosted gateways do).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from gatewayctl.channels.base import (
    Channel,
    JsonObject,
    Target,
    UnsupportedUpstreamRoute,
    UpstreamCall,
    setting_str,
)
from gatewayctl.channels.masking import parse_mask_table
from gatewayctl.channels.paths import claude_path, gemini_path, openai_path
from gatewayctl.dispatch import DispatchTable, parse_shape, shape_dispatch
from gatewayctl.errors import InvalidInput


class CustomChannel(Channel):
    id = "custom"

    def __init__(self, settings: Mapping[str, Any] | None = None, channel_id: str = "custom"):
        self.id = channel_id
        settings = dict(settings or {})
        if setting_str(settings, "base_url") is None:
            raise InvalidInput(f"custom channel {channel_id} needs a base_url setting")
        super().__init__(settings)
        self.shape = parse_shape(self.settings.get("protocol"))
        self.mask_table = parse_mask_table(self.settings.get("mask_table"))

    def default_dispatch(self) -> DispatchTable:
        return shape_dispatch(self.shape)

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        protocol = call.route.protocol
        if protocol in ("OpenAi", "OpenAiChatCompletion"):
            plan = openai_path(call)
            auth: Literal["bearer", "anthropic", "goog"] = "bearer"
        elif protocol == "Claude":
            plan = claude_path(call)
            auth = "anthropic"
        else:
            plan = gemini_path(call)
            auth = "goog"
        if plan is None:
            raise UnsupportedUpstreamRoute(self.id, call.route)
        method, path, query = plan
        return Target(method, path, auth, query)

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        if not self.mask_table.rules:
            return body
        target = self.target(call, {})
        shaped: JsonObject = self.mask_table.apply(target.method, target.path, body)
        return shaped
