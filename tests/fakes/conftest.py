"""The fakes' own tests use the fixtures other areas import."""

from __future__ import annotations

from tests.fakes.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    anthropic_fake,
    gemini_fake,
    openai_fake,
    start_fake,
)
