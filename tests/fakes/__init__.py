"""Loopback fake upstreams (OpenAI, Anthropic, Gemini) for end-to-end tests.

Each fake is a small ASGI app that speaks its vendor's wire protocol: deterministic answers
built from the request by default, scriptable per test (:class:`Reply` for exact bytes,
:class:`Answer` for a rendered answer), and a record of every request including when a
streaming client went away. Run one with :func:`start_server`, or use the pytest fixtures in
:mod:`tests.fakes.fixtures`.
"""

from __future__ import annotations

from tests.fakes.anthropic import ANTHROPIC_KEY, AnthropicFake
from tests.fakes.base import BadRequest, FakeUpstream, RecordedRequest
from tests.fakes.gemini import GEMINI_KEY, GeminiFake
from tests.fakes.openai import OPENAI_KEY, OpenAIFake
from tests.fakes.plan import Answer, ToolCall, Usage
from tests.fakes.server import RunningServer, serving, start_server
from tests.fakes.wire import Chunk, Reply, replay, replay_exchange

__all__ = [
    "ANTHROPIC_KEY",
    "GEMINI_KEY",
    "OPENAI_KEY",
    "AnthropicFake",
    "Answer",
    "BadRequest",
    "Chunk",
    "FakeUpstream",
    "GeminiFake",
    "OpenAIFake",
    "RecordedRequest",
    "Reply",
    "RunningServer",
    "ToolCall",
    "Usage",
    "replay",
    "replay_exchange",
    "serving",
    "start_server",
]
