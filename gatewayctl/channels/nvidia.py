"""NVIDIA NIM (integrate.api.nvidia.com): OpenAI Chat Completions, embeddings and models.

No Responses API and no upstream token counting: the default dispatch turns Responses,
Claude and Gemini traffic into Chat, and counts tokens locally.
"""

from __future__ import annotations

from gatewayctl.channels.openai import OpenAICompatibleChannel


class NvidiaChannel(OpenAICompatibleChannel):
    id = "nvidia"
    routes = frozenset(
        {
            ("ModelList", "OpenAi"),
            ("ModelGet", "OpenAi"),
            ("GenerateContent", "OpenAiChatCompletion"),
            ("StreamGenerateContent", "OpenAiChatCompletion"),
            ("Embedding", "OpenAi"),
        }
    )
