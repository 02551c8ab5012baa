"""Groq (api.groq.com/openai): OpenAI Responses, Chat Completions, embeddings and models.

The default base URL already carries the ``/openai`` prefix, so upstream paths are the plain
OpenAI ones (``/openai/v1/chat/completions`` on the wire). No token counting upstream.
"""

from __future__ import annotations

from gatewayctl.channels.openai import OpenAICompatibleChannel


class GroqChannel(OpenAICompatibleChannel):
    id = "groq"
    routes = frozenset(
        {
            ("ModelList", "OpenAi"),
            ("ModelGet", "OpenAi"),
            ("GenerateContent", "OpenAi"),
            ("StreamGenerateContent", "OpenAi"),
            ("GenerateContent", "OpenAiChatCompletion"),
            ("StreamGenerateContent", "OpenAiChatCompletion"),
            ("Embedding", "OpenAi"),
        }
    )
