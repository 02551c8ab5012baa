"""Local token counting: exact text counts for OpenAI models, documented estimates otherwise.

Used for count-token routes the dispatch table answers locally and for usage when an upstream
reports none (protocols.md §9.2, §9.6).

* **OpenAI-family models** (names tiktoken knows: gpt-5*, gpt-4.1*, gpt-4o*, o1/o3/o4*, gpt-4,
  gpt-3.5, text-embedding-*…): text is counted exactly with the model's encoding (o200k_base or
  cl100k_base; gpt-oss's o200k_harmony has the same ranks as o200k_base). A whole request adds
  the chat-format overhead of the OpenAI cookbook (3 tokens per message, +1 with a name, +3 to
  prime the reply); tool definitions are counted as name + description + JSON schema text,
  which OpenAI does not document, so a request count is close, not exact.
* **Claude** has no public tokenizer since Claude 3. We count with o200k_base and multiply by
  :data:`ANTHROPIC_FACTOR`. The factor is not measured here (no Claude tokenizer is available
  offline); it follows published side-by-side comparisons in which Claude 3+/4 tokenizers yield
  roughly 15–30 % more tokens than o200k on English prose and code. Expect ±15 %.
* **Gemini** (and Gemma): Gemini's tokenizer (Gemma-3 SentencePiece, 262k vocabulary) is close
  to o200k on English; factor :data:`GEMINI_FACTOR`. Expect ±15 %, more on non-Latin scripts.
* **Other models** (Llama, DeepSeek, Qwen… behind custom channels): o200k_base as is, the
  fallback CPA uses.
* Images and files are priced by each family's published formula (:mod:`.media`).

Nothing here touches the network: the encodings load from files shipped in the package.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Literal

import tiktoken.model

from gatewayctl.protocols import ir
from gatewayctl.tokens import media
from gatewayctl.tokens.encodings import get_encoding

ANTHROPIC_FACTOR = 1.2
GEMINI_FACTOR = 1.0
# OpenAI cookbook chat overhead (gpt-3.5/4 family; used for every OpenAI model).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
TOKENS_PER_TOOL = 8  # rough wrapper cost of one function definition

Family = Literal["openai", "anthropic", "gemini", "other"]


@dataclass(frozen=True, slots=True)
class CountingScheme:
    """How a model's tokens are counted here. ``exact`` means text counts are exact."""

    model: str
    family: Family
    encoding: str
    exact: bool
    factor: float


def bare_model(model: str) -> str:
    """``openai/gpt-4o`` → ``gpt-4o``; ``models/gemini-2.5-pro`` → ``gemini-2.5-pro``."""
    name = model.strip()
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    return name.lower()


def scheme_for_model(model: str) -> CountingScheme:
    """Pick the encoding, family and factor for ``model`` (any gateway spelling)."""
    name = bare_model(model)
    try:
        enc_name = tiktoken.model.encoding_name_for_model(name)
    except KeyError:
        enc_name = None
    if enc_name is not None:
        if enc_name in ("o200k_base", "o200k_harmony"):
            return CountingScheme(name, "openai", "o200k_base", True, 1.0)
        if enc_name == "cl100k_base":
            return CountingScheme(name, "openai", "cl100k_base", True, 1.0)
        # gpt2/r50k/p50k models (long retired): cl100k is the nearest shipped encoding
        return CountingScheme(name, "openai", "cl100k_base", False, 1.0)
    if name.startswith(("claude", "anthropic")):
        return CountingScheme(name, "anthropic", "o200k_base", False, ANTHROPIC_FACTOR)
    if name.startswith(("gemini", "gemma", "learnlm")):
        return CountingScheme(name, "gemini", "o200k_base", False, GEMINI_FACTOR)
    if name.startswith(("gpt-", "chatgpt", "codex", "o1", "o3", "o4", "text-embedding")):
        return CountingScheme(name, "openai", "o200k_base", False, 1.0)
    return CountingScheme(name, "other", "o200k_base", False, 1.0)


def _raw_count(encoding: str, text: str) -> int:
    if not text:
        return 0
    # encode_ordinary: special-token strings in user text are plain text, never an error
    return len(get_encoding(encoding).encode_ordinary(text))


def count_text(model: str, text: str) -> int:
    """Tokens of ``text`` for ``model``: exact for OpenAI models, an estimate otherwise."""
    scheme = scheme_for_model(model)
    return _scale(_raw_count(scheme.encoding, text), scheme)


def _scale(n: int, scheme: CountingScheme) -> int:
    return n if scheme.factor == 1.0 else math.ceil(n * scheme.factor)


def _media_family(scheme: CountingScheme) -> media.MediaFamily:
    if scheme.family == "anthropic":
        return "anthropic"
    if scheme.family == "gemini":
        return "gemini"
    return "openai"


class _Tally:
    """Collects text segments and media estimates for one count."""

    def __init__(self, scheme: CountingScheme) -> None:
        self.scheme = scheme
        self.text_tokens = 0
        self.fixed = 0  # overhead and media, not scaled by the family factor

    def text(self, text: str) -> None:
        self.text_tokens += _raw_count(self.scheme.encoding, text)

    def part(self, part: ir.Part) -> None:
        fam = _media_family(self.scheme)
        if isinstance(part, ir.TextPart):
            self.text(part.text)
        elif isinstance(part, ir.ReasoningPart):
            self.text(part.text)
        elif isinstance(part, ir.ToolCallPart):
            self.text(part.name)
            self.text(part.arguments)
        elif isinstance(part, ir.ToolResultPart):
            for sub in part.content:
                self.part(sub)
        elif isinstance(part, ir.ImagePart):
            self.fixed += media.image_part_tokens(fam, part)
        elif isinstance(part, ir.FilePart):
            text = media.decoded_text(part)
            if text is not None:
                self.text(text)
            else:
                self.fixed += media.file_part_tokens(fam, part)

    def total(self) -> int:
        return _scale(self.text_tokens, self.scheme) + self.fixed


def count_tokens(model: str, request: ir.Request | ir.CountTokensRequest | str) -> int:
    """Input tokens of ``request`` (an IR request, or plain text) for ``model``."""
    if isinstance(request, str):
        return count_text(model, request)
    if isinstance(request, ir.CountTokensRequest):
        request = request.request
    scheme = scheme_for_model(model)
    tally = _Tally(scheme)
    messages = 0
    if request.system:
        messages += 1
        for sys_part in request.system:
            tally.part(sys_part)
    for message in request.messages:
        messages += 1
        for part in message.parts:
            tally.part(part)
    for tool in request.tools:
        tally.fixed += TOKENS_PER_TOOL
        tally.text(tool.name)
        if tool.description:
            tally.text(tool.description)
        if tool.parameters:
            tally.text(json.dumps(tool.parameters, ensure_ascii=False))
    fmt = request.response_format
    if fmt is not None and fmt.schema:
        tally.text(json.dumps(fmt.schema, ensure_ascii=False))
    if scheme.family == "openai":
        tally.fixed += messages * TOKENS_PER_MESSAGE + REPLY_PRIMING
    return tally.total()


def count_parts(model: str, parts: list[ir.Part]) -> int:
    """Tokens of response content (text, reasoning, tool calls) — for output estimates."""
    tally = _Tally(scheme_for_model(model))
    for part in parts:
        tally.part(part)
    return tally.total()
