"""Find the codec of a protocol by name.

Codec modules are imported on first use, not at import time: a process that only relays
passthrough traffic never pays for the codecs it does not need, and a broken codec module
fails the requests that need it instead of the whole package import.

Two vocabularies name protocols: the IR's :data:`ir.ProtocolName` (``openai_chat``,
``openai_responses``, ``anthropic``, ``gemini``) and the dispatch tables' route protocols
(``OpenAi`` = Responses, ``OpenAiChatCompletion``, ``Claude``, ``Gemini``, ``GeminiNDJson``).
:func:`protocol_name` maps either to the IR name; :func:`framing_for` tells how a dispatch
protocol's streams are framed (Gemini's NDJSON mode differs from the others only there).
"""

from __future__ import annotations

import importlib
import threading
from typing import Literal, cast

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import Codec

Framing = Literal["sse", "ndjson"]

PROTOCOL_NAMES: tuple[ir.ProtocolName, ...] = (
    "openai_chat",
    "openai_responses",
    "anthropic",
    "gemini",
)

_MODULES: dict[str, str] = {
    "openai_chat": "gatewayctl.protocols.openai_chat",
    "openai_responses": "gatewayctl.protocols.openai_responses",
    "anthropic": "gatewayctl.protocols.anthropic",
    "gemini": "gatewayctl.protocols.gemini",
}

# dispatch.Protocol → IR protocol name
_DISPATCH: dict[str, ir.ProtocolName] = {
    "OpenAi": "openai_responses",
    "OpenAiChatCompletion": "openai_chat",
    "Claude": "anthropic",
    "Gemini": "gemini",
    "GeminiNDJson": "gemini",
}

_lock = threading.Lock()
_codecs: dict[str, Codec] = {}


def protocol_name(name: str) -> ir.ProtocolName:
    """The IR protocol name for an IR name or a dispatch protocol name."""
    if name in _MODULES:
        return cast(ir.ProtocolName, name)
    mapped = _DISPATCH.get(name)
    if mapped is None:
        known = ", ".join([*PROTOCOL_NAMES, *_DISPATCH])
        raise InvalidInput(f"unknown protocol {name!r} (one of {known})")
    return mapped


def framing_for(name: str) -> Framing:
    """How streams of protocol ``name`` are framed: NDJSON for ``GeminiNDJson``, else SSE."""
    if name == "GeminiNDJson":
        return "ndjson"
    protocol_name(name)  # validate
    return "sse"


def get_codec(name: str) -> Codec:
    """The codec (``<module>.CODEC``) for an IR or dispatch protocol name, imported lazily."""
    key = protocol_name(name)
    codec = _codecs.get(key)
    if codec is not None:
        return codec
    with _lock:
        codec = _codecs.get(key)
        if codec is None:
            module = importlib.import_module(_MODULES[key])
            codec = cast(Codec, module.CODEC)
            _codecs[key] = codec
    return codec
