"""Upstream channel adapters: one module per upstream kind, behind :class:`Channel`.

:func:`build_channel` turns a provider's ``(channel, settings)`` into an adapter instance;
build one per provider snapshot and reuse it for every request. The dispatch table a provider
without an explicit ``dispatch`` uses is :func:`gatewayctl.dispatch.default_dispatch` (custom
channels pick theirs by their ``protocol`` setting).

The OAuth channels (geminicli, claudecode, codex, antigravity) come later; building one raises
:class:`gatewayctl.errors.NotImplementedByGateway`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewayctl.catalog import CHANNELS, canonical_channel
from gatewayctl.channels.aistudio import AIStudioChannel
from gatewayctl.channels.anthropic import AnthropicChannel
from gatewayctl.channels.base import (
    Channel,
    LocalResponse,
    UnsupportedUpstreamRoute,
    UpstreamCall,
    UpstreamRequest,
    join_url,
)
from gatewayctl.channels.custom import CustomChannel
from gatewayctl.channels.deepseek import DeepseekChannel
from gatewayctl.channels.groq import GroqChannel
from gatewayctl.channels.nvidia import NvidiaChannel
from gatewayctl.channels.openai import OpenAIChannel
from gatewayctl.channels.outcome import Outcome, classify_exception, classify_status
from gatewayctl.channels.vertex import VertexChannel
from gatewayctl.channels.vertex_auth import TokenRefreshError, VertexTokenSource, httpx_post
from gatewayctl.channels.vertexexpress import VertexExpressChannel
from gatewayctl.errors import NotImplementedByGateway

__all__ = [
    "CHANNEL_CLASSES",
    "Channel",
    "LocalResponse",
    "Outcome",
    "TokenRefreshError",
    "UnsupportedUpstreamRoute",
    "UpstreamCall",
    "UpstreamRequest",
    "VertexTokenSource",
    "build_channel",
    "classify_exception",
    "classify_status",
    "httpx_post",
    "join_url",
]

CHANNEL_CLASSES: dict[str, type[Channel]] = {
    cls.id: cls
    for cls in (
        OpenAIChannel,
        AnthropicChannel,
        AIStudioChannel,
        VertexExpressChannel,
        VertexChannel,
        NvidiaChannel,
        DeepseekChannel,
        GroqChannel,
    )
}


def build_channel(
    channel: str,
    settings: Mapping[str, Any] | None = None,
    *,
    vertex_tokens: VertexTokenSource | None = None,
) -> Channel:
    """The adapter for a provider; raises InvalidInput for bad settings (named)."""
    cid = canonical_channel(channel)
    if cid == "vertex":
        return VertexChannel(settings, vertex_tokens)
    cls = CHANNEL_CLASSES.get(cid)
    if cls is not None:
        return cls(settings)
    if cid in CHANNELS:
        raise NotImplementedByGateway(f"channel {cid} is not supported yet")
    return CustomChannel(settings, channel_id=cid)
