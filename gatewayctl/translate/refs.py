"""Naming a protocol in the translate API: an IR or dispatch protocol name, or a codec."""

from __future__ import annotations

from gatewayctl.protocols.base import Codec
from gatewayctl.protocols.registry import Framing, framing_for, get_codec

ProtocolRef = str | Codec


def resolve(protocol: ProtocolRef) -> Codec:
    """A codec from an IR/dispatch protocol name (``"anthropic"``, ``"Claude"``…), or the
    codec itself."""
    return get_codec(protocol) if isinstance(protocol, str) else protocol


def default_framing(protocol: ProtocolRef) -> Framing:
    """The stream framing a protocol name implies (``"GeminiNDJson"`` → NDJSON, else SSE)."""
    return framing_for(protocol) if isinstance(protocol, str) else "sse"
