"""Local token counting (see :mod:`gatewayctl.tokens.counting` for the rules).

Public surface::

    count_text(model, text) -> int
    count_tokens(model, request: ir.Request | str) -> int
    count_parts(model, parts: list[ir.Part]) -> int
    scheme_for_model(model) -> CountingScheme   # .exact tells whether text counts are exact
    get_encoding("o200k_base" | "cl100k_base") -> tiktoken.Encoding  # offline, cached
"""

from __future__ import annotations

from gatewayctl.tokens.counting import (
    CountingScheme,
    count_parts,
    count_text,
    count_tokens,
    scheme_for_model,
)
from gatewayctl.tokens.encodings import EncodingFileError, get_encoding

__all__ = [
    "CountingScheme",
    "EncodingFileError",
    "count_parts",
    "count_text",
    "count_tokens",
    "get_encoding",
    "scheme_for_model",
]
