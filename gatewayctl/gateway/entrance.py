"""Which provider route a request took: path + body → an :class:`Entrance` (spec §4.1, §5.3–§5.5).

The server hands over the raw pieces (method, the provider segment of a scoped route, the API
version segment and the rest of the path, the query, the body bytes); this module decides,
without I/O, what the caller asks for:

* the **kind** of request (generate, count, embeddings, compact, model list/get, the 426
  upgrade entrances) and its route key ``(operation, protocol)`` in the dispatch vocabulary;
* the **provider**: the path segment on scoped routes, else the ``provider/`` prefix of the
  body ``model`` or of the Gemini target (split at the first ``/``);
* the **model** to send upstream (prefix stripped) and, when the prefix had to go, the body
  bytes rewritten without re-serialising when that can be done safely
  (:func:`replace_model_bytes`) — passthrough keeps the caller's bytes.

Only what routing needs is parsed: the JSON body once (for ``model`` and ``stream``), never the
messages. Errors are :class:`~gatewayctl.errors.GatewayError` subclasses with gproxy's
messages (400 for a bad prefix or body, 404 for a path that is no provider route).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec, TypeVar

from gatewayctl.dispatch import Operation, Protocol, RouteKey
from gatewayctl.errors import InvalidInput, NotFound

Kind = Literal[
    "generate",
    "count",
    "embedding",
    "compact",
    "model_list",
    "model_get",
    "upgrade",
    "unsupported",
]
Version = Literal["v1", "v1beta"]
P = ParamSpec("P")
R = TypeVar("R")
GeminiMethod = Literal[
    "generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"
]

_OAUTH_ROUTES = frozenset({"oauth", "oauth/callback", "usage"})

_GEMINI_METHODS: tuple[str, ...] = (
    "generateContent",
    "streamGenerateContent",
    "countTokens",
    "embedContent",
    "batchEmbedContents",
)

# POST /v1/<path> → (kind, protocol)
_V1_POST: dict[str, tuple[Kind, Protocol]] = {
    "messages": ("generate", "Claude"),
    "messages/count_tokens": ("count", "Claude"),
    "chat/completions": ("generate", "OpenAiChatCompletion"),
    "responses": ("generate", "OpenAi"),
    "responses/input_tokens": ("count", "OpenAi"),
    "responses/compact": ("compact", "OpenAi"),
    "embeddings": ("embedding", "OpenAi"),
}

# Model list/get on /v1: the OpenAI shape unless the caller is an Anthropic client (it sends
# ``anthropic-version``) or a Gemini one (google-genai's default API version is v1; it sends
# ``x-goog-api-key`` / ``x-goog-api-client``).
_MODEL_CANDIDATES: tuple[Protocol, ...] = ("OpenAi", "Claude", "Gemini")
_ANTHROPIC_MODEL_CANDIDATES: tuple[Protocol, ...] = ("Claude", "OpenAi", "Gemini")
_GEMINI_MODEL_CANDIDATES: tuple[Protocol, ...] = ("Gemini", "OpenAi", "Claude")


def model_candidates(headers: Mapping[str, str], query: Mapping[str, str]) -> tuple[Protocol, ...]:
    """Which list shape a ``GET /v1/models`` caller expects, by the headers its SDK sends."""
    if "anthropic-version" in headers:
        return _ANTHROPIC_MODEL_CANDIDATES
    if "x-goog-api-key" in headers or "x-goog-api-client" in headers or "key" in query:
        return _GEMINI_MODEL_CANDIDATES
    return _MODEL_CANDIDATES


@dataclass(slots=True)
class Entrance:
    """One classified provider-route request.

    ``route`` is the caller's route key; for model list/get it is the first of
    ``candidates`` and the pipeline picks the first candidate the provider supports.
    ``provider`` is None only for the unscoped model lists (which merge every provider).
    ``model`` is the upstream model (no provider prefix; Gemini path models keep ``models/``
    off). ``body`` is the parsed JSON body (None for GET); ``raw_body`` the bytes to forward
    on passthrough — the caller's own, or rewritten without the model prefix (None when that
    could not be done safely: the parsed body is re-serialised); ``size`` the length of the
    caller's body in bytes.
    """

    kind: Kind
    route: RouteKey
    provider: str | None
    scoped: bool
    model: str | None = None
    body: dict[str, Any] | None = None
    raw_body: bytes | None = None
    gemini_method: GeminiMethod | None = None
    candidates: tuple[Protocol, ...] = ()
    query: Mapping[str, str] = field(default_factory=dict)
    size: int = 0

    @property
    def stream(self) -> bool:
        return self.route.operation == "StreamGenerateContent"

    @property
    def protocol(self) -> Protocol:
        return self.route.protocol


# --------------------------------------------------------------------------------------
# model prefixes
# --------------------------------------------------------------------------------------


def split_prefixed_model(raw: Any) -> tuple[str, str]:
    """``"openai/gpt-4.1"`` → ``("openai", "gpt-4.1")``; the first ``/`` splits (spec §5.3)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidInput("model is empty")
    if not isinstance(raw, str):
        raise InvalidInput("model must be a string")
    text = raw.strip()
    if "/" not in text:
        raise InvalidInput(f"model must be prefixed as `<provider>/...`: {text}")
    provider, _, model = text.partition("/")
    if not provider.strip() or not model.strip():
        raise InvalidInput(f"invalid provider-prefixed model: {text}")
    return provider.strip(), model.strip()


def replace_model_bytes(raw: bytes, old: str, new: str) -> bytes | None:
    """``raw`` with its top-level ``"model": "<old>"`` value replaced by ``new``, or None
    when that cannot be done safely (then the caller re-serialises the parsed body).

    Safe means: ``"model"`` followed by exactly the JSON text of ``old`` occurs exactly once.
    Text inside other strings has its quotes escaped and cannot match, so a single match is
    the top-level field the parser read.
    """
    old_literal = json.dumps(old, ensure_ascii=False)
    pattern = re.compile(rb'"model"\s*:\s*' + re.escape(old_literal.encode()))
    matches = pattern.findall(raw)
    if len(matches) != 1:
        return None
    replacement = b'"model":' + json.dumps(new, ensure_ascii=False).encode()
    return pattern.sub(lambda _m: replacement, raw, count=1)


# --------------------------------------------------------------------------------------
# bodies
# --------------------------------------------------------------------------------------


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body; 400 naming the problem otherwise."""
    if not raw or not raw.strip():
        raise InvalidInput("request body is empty: a JSON object is required")
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"invalid JSON body: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidInput("request body must be a JSON object")
    return doc


def _stream_flag(body: Mapping[str, Any]) -> bool:
    value = body.get("stream")
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidInput("`stream` must be a boolean")
    return value


# --------------------------------------------------------------------------------------
# classification
# --------------------------------------------------------------------------------------


# Bodies larger than this are parsed (and, on TransformTo routes, translated) on a worker
# thread: parsing megabytes of JSON takes tens of milliseconds every other stream on the event
# loop would wait for, while a thread hand-off costs microseconds.
OFFLOAD_BYTES = 256 * 1024


async def sized_call(size: int, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)`` for a body of ``size`` bytes: on a worker thread past
    OFFLOAD_BYTES, else right here (cheaper than a hand-off)."""
    if size > OFFLOAD_BYTES:
        return await asyncio.to_thread(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def classify(
    method: str,
    version: Version,
    rest: str,
    *,
    provider: str | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> Entrance:
    """Classify a provider route. ``provider`` is the scoped path segment (None: unscoped);
    ``rest`` is the path after ``/v1/`` or ``/v1beta/`` (no leading slash)."""
    query = query or {}
    headers = headers or {}
    method = method.upper()
    rest = rest.strip("/")
    scoped = provider is not None
    if method == "GET":
        return _classify_get(version, rest, provider, query, headers)
    if method != "POST":
        raise NotFound(f"not found: {method} /{version}/{rest}")
    if version == "v1" and rest in _V1_POST:
        kind, protocol = _V1_POST[rest]
        return _body_route(kind, protocol, provider, scoped, query, body)
    return _gemini_post(version, rest, provider, query, body)


def _body_route(
    kind: Kind,
    protocol: Protocol,
    provider: str | None,
    scoped: bool,
    query: Mapping[str, str],
    raw: bytes,
) -> Entrance:
    body = parse_body(raw)
    operation: Operation
    if kind == "generate":
        operation = "StreamGenerateContent" if _stream_flag(body) else "GenerateContent"
    elif kind == "count":
        operation = "CountToken"
    elif kind == "embedding":
        operation = "Embedding"
    else:
        operation = "Compact"
    raw_model = body.get("model")
    if protocol == "OpenAi" and kind in ("generate", "count", "compact") and raw_model is None:
        raise InvalidInput("missing `model` in OpenAI responses request body")
    if scoped:
        if raw_model is not None and not isinstance(raw_model, str):
            raise InvalidInput("model must be a string")
        model = raw_model.strip() if isinstance(raw_model, str) else None
        if not model:
            raise InvalidInput("model is empty")
        return Entrance(
            kind,
            RouteKey(operation, protocol),
            provider,
            True,
            model,
            body,
            raw,
            query=query,
            size=len(raw),
        )
    provider, model = split_prefixed_model(raw_model)
    new_body = dict(body)
    new_body["model"] = model
    assert isinstance(raw_model, str)
    rewritten = replace_model_bytes(raw, raw_model, model)
    return Entrance(
        kind,
        RouteKey(operation, protocol),
        provider,
        False,
        model,
        new_body,
        rewritten,
        query=query,
        size=len(raw),
    )


def _split_target(target: str) -> tuple[str, str]:
    """``models/x:generateContent`` → (``models/x``, ``generateContent``)."""
    name, sep, action = target.rpartition(":")
    if not sep or not name:
        raise NotFound(f"unsupported gemini endpoint target: {target}")
    return name, action


def _gemini_model(name: str, provider: str | None) -> tuple[str | None, str]:
    """(provider, model) from a Gemini resource name; unscoped names carry the provider."""
    path = name.strip("/")
    if path.startswith("models/"):
        path = path[len("models/") :]
    if provider is not None:
        if not path:
            raise InvalidInput("model is empty")
        return provider, path
    prov, model = split_prefixed_model(path)
    return prov, model


def _gemini_post(
    version: Version,
    rest: str,
    provider: str | None,
    query: Mapping[str, str],
    raw: bytes,
) -> Entrance:
    name, action = _split_target(rest)
    if action not in _GEMINI_METHODS:
        raise NotFound(f"unsupported gemini endpoint target: {rest}")
    if not name.startswith("models/") and version == "v1":
        raise NotFound(f"unsupported gemini endpoint target: {rest}")
    prov, model = _gemini_model(name, provider)
    try:
        body = parse_body(raw)
    except InvalidInput as exc:
        raise InvalidInput(f"invalid gemini {action} request body: {exc}") from exc
    protocol: Protocol = "Gemini"
    operation: Operation
    kind: Kind
    if action == "generateContent":
        kind, operation = "generate", "GenerateContent"
    elif action == "streamGenerateContent":
        kind, operation = "generate", "StreamGenerateContent"
        alt = query.get("alt")
        if alt is None or alt == "":
            protocol = "GeminiNDJson"
        elif alt != "sse":
            raise InvalidInput(f"unsupported alt={alt}: use alt=sse or omit it")
    elif action == "countTokens":
        kind, operation = "count", "CountToken"
    else:
        kind, operation = "embedding", "Embedding"
    return Entrance(
        kind,
        RouteKey(operation, protocol),
        prov,
        provider is not None,
        model,
        body,
        raw,
        gemini_method=action,  # type: ignore[arg-type]
        query=query,
        size=len(raw),
    )


def _classify_get(
    version: Version,
    rest: str,
    provider: str | None,
    query: Mapping[str, str],
    headers: Mapping[str, str],
) -> Entrance:
    scoped = provider is not None
    if version == "v1":
        if rest == "responses" or (scoped and (rest == "realtime" or rest.startswith("realtime/"))):
            return Entrance("upgrade", RouteKey("GenerateContent", "OpenAi"), provider, scoped)
        if scoped and rest in _OAUTH_ROUTES:
            # OAuth / upstream-usage entrances: only OAuth channels serve them (their own
            # routes take precedence when registered); every other provider answers 501.
            return Entrance("unsupported", RouteKey("ModelList", "OpenAi"), provider, scoped)
        candidates = model_candidates(headers, query)
        if rest == "models":
            return Entrance(
                "model_list",
                RouteKey("ModelList", candidates[0]),
                provider,
                scoped,
                candidates=candidates,
                query=query,
            )
        if rest.startswith("models/") and len(rest) > len("models/"):
            model_id = rest[len("models/") :]
            prov, model = (provider, model_id) if scoped else split_prefixed_model(model_id)
            return Entrance(
                "model_get",
                RouteKey("ModelGet", candidates[0]),
                prov,
                scoped,
                model,
                candidates=candidates,
                query=query,
            )
        raise NotFound(f"not found: GET /{version}/{rest}")
    if rest == "models":
        return Entrance(
            "model_list",
            RouteKey("ModelList", "Gemini"),
            provider,
            scoped,
            candidates=("Gemini",),
            query=query,
        )
    if rest:
        prov, model = _gemini_model(rest, provider)
        return Entrance(
            "model_get",
            RouteKey("ModelGet", "Gemini"),
            prov,
            scoped,
            model,
            candidates=("Gemini",),
            query=query,
        )
    raise NotFound(f"not found: GET /{version}/")
