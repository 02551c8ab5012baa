"""The canonical representation every protocol is translated through.

Why a canonical middle (and not 12 pairwise translators): with four protocols, an IR needs
one parser and one emitter per protocol (requests, responses, stream events) instead of twelve
directed converters, and every translation bug is fixed once. The price is that the IR must be
a *superset* rich enough not to lose what a same-family round trip needs. So it follows the
Anthropic content-block model (ordered parts: text, image, file, reasoning+signature, tool
call, tool result; a top-level system list) plus the few things only other protocols have
(Responses reasoning items with encrypted content, Gemini thought signatures on any part).

Conventions every parser and emitter follows:

* Roles: ``"user"`` and ``"assistant"`` messages carry the conversation. The *leading*
  system/developer instructions live in :attr:`Request.system`. An instruction that appears
  *later* in the conversation (Chat/Responses ``system``/``developer`` message after the first
  turn, Anthropic ``role: "system"`` message as Claude Code sends) is a ``Message(role="system")``
  in place, text parts only. Emitters with an in-place form use it (Chat: ``system`` message;
  Responses: ``developer`` message); Anthropic and Gemini emitters append its text to the
  top-level ``system`` / ``systemInstruction`` (always accepted upstream).
  Tool results are :class:`ToolResultPart` items inside a *user* message; tool calls are
  :class:`ToolCallPart` items inside an *assistant* message. Emitters regroup as their wire
  needs (OpenAI Chat: one ``tool`` message per result; Anthropic/Gemini: consecutive same-role
  messages merged).
* Opaque, family-specific data (thinking signatures, Gemini ``thoughtSignature``, Responses
  ``encrypted_content`` and item ids, Anthropic ``cache_control``) rides in a part's
  :attr:`provider_data`, keyed by :data:`Family`. An emitter reads only its own family's entry,
  so a signature is replayed to the family that made it and silently dropped for any other —
  never sent to a provider that would reject it.
* Tool call arguments are JSON *text* (``arguments``), exactly as streamed. Parsers of
  protocols that carry objects (Anthropic ``input``, Gemini ``args``) serialise them with
  ``json.dumps(obj, ensure_ascii=False)``; emitters that need an object parse the text
  (``""`` means ``{}``).
* Usage semantics are OpenAI's (see :class:`Usage`): ``input_tokens`` *includes* cached
  tokens, ``output_tokens`` *includes* reasoning tokens.
* Unknown request fields are not carried: translation keeps what the target can express.
  Same-protocol traffic is passed through untouched and never goes through the IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# Protocol families. OpenAI Chat and Responses are distinct families because their opaque
# data (Responses reasoning `encrypted_content`, item ids) does not survive Chat.
Family = Literal["openai_chat", "openai_responses", "anthropic", "gemini"]

# The protocols a request can arrive in / be sent in. `gemini` covers generateContent and
# the SSE stream; NDJSON vs SSE framing is a transport detail handled by the framer.
ProtocolName = Literal["openai_chat", "openai_responses", "anthropic", "gemini"]

Role = Literal["user", "assistant", "system"]

ProviderData = dict[str, dict[str, Any]]


# --------------------------------------------------------------------------------------
# Content parts
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class TextPart:
    text: str
    provider_data: ProviderData = field(default_factory=dict)
    type: Literal["text"] = "text"


@dataclass(slots=True)
class ImagePart:
    """An image given by URL or by base64 data (exactly one of ``url``/``data`` is set)."""

    url: str | None = None
    data: str | None = None  # base64, no data: prefix
    media_type: str | None = None  # e.g. image/png; required with ``data``
    detail: str | None = None  # OpenAI "low" | "high" | "auto"
    provider_data: ProviderData = field(default_factory=dict)
    type: Literal["image"] = "image"


@dataclass(slots=True)
class FilePart:
    """A document/file (PDF, audio, …) by base64 data, URL or provider file id."""

    data: str | None = None  # base64
    url: str | None = None
    file_id: str | None = None
    media_type: str | None = None
    filename: str | None = None
    provider_data: ProviderData = field(default_factory=dict)
    type: Literal["file"] = "file"


@dataclass(slots=True)
class ReasoningPart:
    """Model reasoning / thinking.

    ``text`` is the visible thinking (Anthropic ``thinking``, Gemini ``thought`` text,
    Responses reasoning summary or reasoning text, Chat ``reasoning_content``).
    ``redacted`` marks Anthropic ``redacted_thinking`` (its ``data`` sits in provider_data).
    Signatures / encrypted content live in ``provider_data[family]``:
    anthropic ``{"signature": ...}`` or ``{"redacted_data": ...}``;
    openai_responses ``{"id": ..., "encrypted_content": ..., "summary": bool}``;
    gemini ``{"thoughtSignature": ...}``.
    """

    text: str = ""
    redacted: bool = False
    provider_data: ProviderData = field(default_factory=dict)
    type: Literal["reasoning"] = "reasoning"


@dataclass(slots=True)
class ToolCallPart:
    """A call the model makes. ``arguments`` is JSON text (may be ``""`` → ``{}``).

    ``kind`` is ``"function"`` for JSON-argument tools, ``"custom"`` for free-form input
    tools (Responses custom tools). Gemini ``thoughtSignature`` on a functionCall part rides in
    ``provider_data["gemini"]``; a Responses item id in ``provider_data["openai_responses"]``.
    ``namespace`` is the Responses ``namespace`` tool the called tool belongs to (None for a
    top-level tool).
    """

    id: str
    name: str
    arguments: str = ""
    kind: Literal["function", "custom"] = "function"
    provider_data: ProviderData = field(default_factory=dict)
    type: Literal["tool_call"] = "tool_call"
    namespace: str | None = None


@dataclass(slots=True)
class ToolResultPart:
    """The result of a tool call, sent back by the client.

    ``name`` is the called tool's name when known (Gemini's functionResponse needs it; parsers
    of protocols that omit it fill it from the matching earlier call when they can).
    ``content`` is text and images.
    """

    call_id: str
    content: list[TextPart | ImagePart | FilePart] = field(default_factory=list)
    name: str | None = None
    is_error: bool = False
    provider_data: ProviderData = field(default_factory=dict)
    type: Literal["tool_result"] = "tool_result"


Part = TextPart | ImagePart | FilePart | ReasoningPart | ToolCallPart | ToolResultPart


@dataclass(slots=True)
class Message:
    role: Role
    parts: list[Part] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Request
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tool:
    """A tool the model may call. ``parameters`` is a JSON Schema object (may be empty).

    ``kind`` ``"function"`` for ordinary tools; ``"custom"`` for Responses free-form tools.
    Built-in/server tools (web search, code execution…) that only one family knows are kept in
    ``provider_data[family]`` with ``kind="builtin"`` and dropped by other emitters.
    ``namespace`` names the Responses ``namespace`` tool a function/custom tool was declared in
    (None for a top-level tool); only the Responses emitter writes namespaces, other protocols
    get the tool under a flat name (``gatewayctl.translate.toolnames``).
    """

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    kind: Literal["function", "custom", "builtin"] = "function"
    provider_data: ProviderData = field(default_factory=dict)
    namespace: str | None = None


@dataclass(slots=True)
class ToolChoice:
    """``mode``: auto | none | required (any tool) | tool (the one named ``name``)."""

    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None


@dataclass(slots=True)
class ResponseFormat:
    """Structured output. ``kind``: text | json_object | json_schema."""

    kind: Literal["text", "json_object", "json_schema"] = "text"
    schema: dict[str, Any] | None = None
    name: str | None = None
    strict: bool | None = None
    description: str | None = None


@dataclass(slots=True)
class ReasoningConfig:
    """Reasoning request. ``effort``: minimal|low|medium|high (|none|xhigh as sent);
    ``budget_tokens``: an explicit thinking budget (Anthropic/Gemini);
    ``enabled``: False means thinking explicitly off; ``summary``: Responses summary mode;
    ``include_thoughts``: Gemini includeThoughts."""

    enabled: bool | None = None
    effort: str | None = None
    budget_tokens: int | None = None
    summary: str | None = None
    include_thoughts: bool | None = None


@dataclass(slots=True)
class Request:
    model: str
    messages: list[Message] = field(default_factory=list)
    system: list[TextPart] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    stream: bool = False
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    candidate_count: int | None = None  # Chat `n`, Gemini candidateCount
    response_format: ResponseFormat | None = None
    reasoning: ReasoningConfig | None = None
    user: str | None = None  # end-user id (Chat/Responses `user`, Anthropic metadata.user_id)
    metadata: dict[str, Any] | None = None
    include_usage: bool | None = None  # Chat stream_options.include_usage as asked
    # Opaque per-family request fields with no cross-protocol meaning, replayed only to the
    # same family (e.g. anthropic cache_control on the top level, gemini safetySettings,
    # responses previous_response_id/store/include/prompt_cache_key).
    provider_data: ProviderData = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Response
# --------------------------------------------------------------------------------------

# Canonical stop reasons (Anthropic-like names; each protocol maps both ways):
#   end_turn        natural stop          (chat "stop", gemini STOP, responses completed)
#   max_tokens      output limit hit      (chat "length", gemini MAX_TOKENS, responses incomplete)
#   stop_sequence   a stop sequence hit   (chat "stop")
#   tool_use        model called tools    (chat "tool_calls")
#   content_filter  blocked by safety     (chat "content_filter", gemini SAFETY/RECITATION/…)
#   refusal         model refused         (anthropic "refusal")
#   pause_turn      server tool paused    (anthropic "pause_turn")
#   error           failed mid-way
StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "content_filter",
    "refusal",
    "pause_turn",
    "error",
]


@dataclass(slots=True)
class Usage:
    """Token usage, OpenAI semantics.

    ``input_tokens`` = all prompt tokens *including* cache reads and cache writes;
    ``output_tokens`` = all generated tokens *including* reasoning tokens;
    ``cache_read_tokens`` / ``cache_creation_tokens`` are parts of ``input_tokens``;
    ``reasoning_tokens`` is part of ``output_tokens``. ``None`` = not reported.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(slots=True)
class Response:
    """A complete (non-stream) model answer: one assistant turn."""

    id: str
    model: str
    content: list[Part] = field(default_factory=list)  # text / reasoning / tool_call parts
    stop_reason: StopReason | None = None
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
    created: int | None = None  # unix seconds
    provider_data: ProviderData = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Stream events
# --------------------------------------------------------------------------------------
#
# A decoded stream is: StreamStart, then blocks (BlockStart, BlockDelta*, BlockStop) each
# with a distinct ``index`` (0, 1, 2… in order of first appearance), UsageUpdate events
# anywhere, then exactly one StreamEnd — or a StreamError, after which nothing follows.
# Decoders may interleave deltas of several open tool-call blocks (OpenAI Chat parallel
# calls can); `translate.stream.sequence_blocks` turns any valid stream into one where blocks
# are strictly sequential, so encoders may assume one open block at a time.


@dataclass(slots=True)
class StreamStart:
    id: str
    model: str
    created: int | None = None
    usage: Usage | None = None  # input usage known up front (Anthropic message_start)
    type: Literal["start"] = "start"


@dataclass(slots=True)
class BlockStart:
    """Opens block ``index``. ``part`` is a skeleton: TextPart(""), ReasoningPart(),
    ToolCallPart(id, name, arguments="") — content arrives in deltas. Provider data known at
    start (e.g. a Responses item id) may already be set on the skeleton."""

    index: int
    part: TextPart | ReasoningPart | ToolCallPart
    type: Literal["block_start"] = "block_start"


@dataclass(slots=True)
class BlockDelta:
    """A fragment for block ``index``: text (text/reasoning blocks) or arguments (tool calls).

    ``provider_data`` carries opaque data that arrives mid-block (Anthropic signature_delta,
    Gemini thoughtSignature, Responses encrypted_content); it is merged into the block's part.
    """

    index: int
    text: str = ""
    arguments: str = ""
    provider_data: ProviderData | None = None
    type: Literal["block_delta"] = "block_delta"


@dataclass(slots=True)
class BlockStop:
    index: int
    type: Literal["block_stop"] = "block_stop"


@dataclass(slots=True)
class UsageUpdate:
    """Usage known so far (cumulative snapshot, not an increment)."""

    usage: Usage
    type: Literal["usage"] = "usage"


@dataclass(slots=True)
class StreamEnd:
    stop_reason: StopReason | None
    stop_sequence: str | None = None
    usage: Usage | None = None
    type: Literal["end"] = "end"


@dataclass(slots=True)
class StreamError:
    """An error after the stream started. ``status`` is the HTTP status it would have had."""

    error: ErrorInfo
    type: Literal["error"] = "error"


StreamEvent = (
    StreamStart | BlockStart | BlockDelta | BlockStop | UsageUpdate | StreamEnd | StreamError
)


# --------------------------------------------------------------------------------------
# Errors, counting, models, embeddings
# --------------------------------------------------------------------------------------

# Canonical error kinds (map both ways to OpenAI error.type, Anthropic error.type, Gemini
# error.status; see protocols.md §7.9).
ErrorKind = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "request_too_large",
    "rate_limit",
    "api_error",
    "overloaded",
    "timeout",
]


@dataclass(slots=True)
class ErrorInfo:
    status: int
    kind: ErrorKind
    message: str
    code: str | None = None  # provider error code, e.g. "insufficient_quota"
    param: str | None = None
    retry_after_s: float | None = None


@dataclass(slots=True)
class CountTokensRequest:
    """A count-tokens request is a generation request without generating."""

    request: Request


@dataclass(slots=True)
class ModelInfo:
    id: str  # bare id, no "models/" prefix
    display_name: str | None = None
    created: int | None = None  # unix seconds
    owned_by: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    provider_data: ProviderData = field(default_factory=dict)


@dataclass(slots=True)
class EmbeddingRequest:
    model: str
    inputs: list[str]
    dimensions: int | None = None
    task_type: str | None = None  # Gemini taskType
    encoding_format: str | None = None  # OpenAI "float" | "base64", as the caller asked


@dataclass(slots=True)
class EmbeddingResponse:
    model: str
    embeddings: list[list[float]]
    usage: Usage = field(default_factory=Usage)
