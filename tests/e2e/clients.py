"""The official SDKs as a user would set them up: only the base URL and the key change.

Each ``*_client`` helper points one SDK at a provider of the gateway (scoped: the provider
name in the base URL) or at the gateway root (unscoped: the provider in the model name).
Retries are off so a failure shows at once.
"""

from __future__ import annotations

import anthropic
import openai
from google import genai
from google.genai import types

from tests.e2e.conftest import GatewayEnv

ENTRANCES = ("chat", "responses", "messages", "gemini")

# What each upstream is asked for (any name: the fakes echo it back).
MODELS = {
    "chat": "gpt-4o",
    "resp": "gpt-4o",
    "oai": "gpt-4o",
    "anth": "claude-sonnet-4-6",
    "claude": "claude-sonnet-4-6",
    "gem": "gemini-2.5-flash",
    "studio": "gemini-2.5-flash",
}


def base(env: GatewayEnv, provider: str | None) -> str:
    return f"{env.url}/{provider}" if provider else env.url


def openai_client(env: GatewayEnv, provider: str | None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base(env, provider) + "/v1", api_key=env.key, max_retries=0, timeout=20
    )


def anthropic_client(env: GatewayEnv, provider: str | None) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=base(env, provider), api_key=env.key, max_retries=0, timeout=20
    )


def gemini_client(
    env: GatewayEnv, provider: str | None, api_version: str = "v1beta"
) -> genai.Client:
    return genai.Client(
        api_key=env.key,
        http_options=types.HttpOptions(
            base_url=base(env, provider),
            api_version=api_version,
            timeout=20_000,
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


def model_for(provider: str, scoped: bool) -> str:
    return MODELS[provider] if scoped else f"{provider}/{MODELS[provider]}"
