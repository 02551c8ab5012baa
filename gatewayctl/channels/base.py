"""The channel interface: how one upstream kind is addressed, authenticated and shaped.

A :class:`Channel` instance is built once per provider snapshot from the provider's settings
(``base_url`` override and channel-specific keys) and answers, for a route key the dispatch
table chose and one credential's decrypted ``secret_json``, the exact request to send
(:class:`UpstreamRequest`). It never sends anything itself — the gateway pipeline owns the
HTTP client, retries and streaming — except where authentication needs a network exchange of
its own (vertex service-account tokens), which goes through :meth:`Channel.prepare`.

How the pipeline drives a channel, per attempt::

    local = channel.local_response(call)          # embedded tables (vertexexpress, deepseek)
    if local is None:
        req = await channel.prepare(call, cred.id, cred.secret, force_refresh=False)
        ... send req ...
        outcome = channel.classify(status, headers)     # or classify_exception(exc)
        body = channel.shape_response(call, status, body)   # non-stream JSON only

Everything here is pure and synchronous except :meth:`Channel.prepare`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlencode

from gatewayctl.catalog import channel_spec, secret_body
from gatewayctl.channels.outcome import Outcome, classify_status
from gatewayctl.dispatch import RouteKey
from gatewayctl.errors import InvalidInput, NotImplementedByGateway

JsonObject = dict[str, Any]

# How a request authenticates upstream.
#   bearer     Authorization: Bearer <key or access token>
#   anthropic  x-api-key + anthropic-version (+ the client's anthropic-beta)
#   goog       x-goog-api-key
#   query_key  ?key=<key> (vertexexpress)
AuthStyle = Literal["bearer", "anthropic", "goog", "query_key"]

ANTHROPIC_DEFAULT_VERSION = "2023-06-01"

# Client headers a channel may forward, by auth style. Everything else the client sent —
# above all its gateway key (authorization, x-api-key, x-goog-api-key), cookies, host and
# hop-by-hop headers — stays behind.
_FORWARDED: dict[AuthStyle, tuple[str, ...]] = {
    "anthropic": ("anthropic-beta",),
    "bearer": (),
    "goog": (),
    "query_key": (),
}


class UnsupportedUpstreamRoute(NotImplementedByGateway):
    """The channel has no upstream endpoint for this route key (answered 501)."""

    def __init__(self, channel: str, route: RouteKey) -> None:
        super().__init__("unsupported request for upstream execution")
        self.channel = channel
        self.route = route


@dataclass(slots=True)
class UpstreamCall:
    """What the pipeline asks a channel to send, after dispatch (``route`` is the destination).

    ``model``: the upstream model id (provider prefix already stripped) — the Gemini path model
    or the model-get id for GET routes, ``body["model"]`` for the others (the pipeline fills
    it in so the pool can key cooldowns without re-reading the body; left None, it is taken
    from ``body["model"]``).
    ``body``: the JSON request body, never mutated by a channel; None for GET routes.
    ``raw_body``: the client's bytes for ``body``; sent verbatim when no shaping changed it.
    ``query``: client query parameters the upstream understands (Claude ``after_id``,
    ``before_id``, ``limit``; Gemini ``pageSize``, ``pageToken``); others are ignored.
    ``headers``: the client's request headers, lower-case names.
    ``batch``: the body is a batch of requests (Gemini ``batchEmbedContents`` on the Embedding
    route, rather than one ``embedContent``).
    """

    route: RouteKey
    model: str | None = None
    body: JsonObject | None = None
    raw_body: bytes | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    batch: bool = False

    def __post_init__(self) -> None:
        if self.model is None and self.body is not None and isinstance(self.body.get("model"), str):
            self.model = self.body["model"]

    @property
    def stream(self) -> bool:
        return self.route.operation == "StreamGenerateContent"


@dataclass(slots=True)
class UpstreamRequest:
    """One fully built upstream request.

    ``model`` is the key for model-level cooldowns. ``secrets`` are the credential values in
    ``url``/``headers``, masked by :meth:`log_url` / :meth:`log_headers` for the audit log.
    ``credential_update``: new ``secret_json`` fields learned while preparing (a refreshed
    vertex access token) for the pipeline to persist; None when nothing changed.
    """

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    model: str | None
    stream: bool
    secrets: tuple[str, ...] = ()
    credential_update: JsonObject | None = None

    def log_url(self) -> str:
        return _redact(self.url, self.secrets)

    def log_headers(self) -> dict[str, str]:
        return {name: _redact(value, self.secrets) for name, value in self.headers.items()}


@dataclass(frozen=True, slots=True)
class LocalResponse:
    """An answer the channel gives without calling upstream (embedded model tables)."""

    status: int
    body: JsonObject


@dataclass(frozen=True, slots=True)
class Target:
    """Where a route goes: method, path (joined to the base URL), query pairs, auth style."""

    method: str
    path: str
    auth: AuthStyle
    query: tuple[tuple[str, str], ...] = ()
    base_url: str | None = None  # overrides the channel base URL (vertex regional host)


# --------------------------------------------------------------------------------------
# helpers shared by every channel
# --------------------------------------------------------------------------------------


def mask_secret(value: str) -> str:
    """``sk-…abcd``: enough to recognise a key, not enough to use it."""
    if len(value) <= 8:
        return "…"
    return f"{value[:3]}…{value[-4:]}"


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, mask_secret(secret))
    return text


def join_url(base_url: str, path: str) -> str:
    """Join a base URL and an upstream path (spec §3).

    The base loses trailing ``/``; when it ends in a version segment (``/v1``, ``/v1beta``,
    ``/v1beta1``) and the path starts with the same segment, the duplicate is dropped — so
    ``https://api.openai.com`` and ``https://api.openai.com/v1`` both work.
    """
    base = base_url.strip().rstrip("/")
    if not path.startswith("/"):
        path = "/" + path
    last = base.rsplit("/", 1)[-1]
    if last in ("v1", "v1beta", "v1beta1") and (path == f"/{last}" or path.startswith(f"/{last}/")):
        base = base[: -len(last) - 1]
    return base + path


def quote_path(segment: str) -> str:
    """Quote a client-supplied path piece (model ids keep their ``/``, ``:`` and ``@``)."""
    return quote(segment, safe="/:@-._~!$&'()*+,;=")


def dumps_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON, the form every upstream body is sent in."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def setting_str(settings: Mapping[str, Any], key: str) -> str | None:
    """A non-empty, trimmed string setting, else None."""
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"setting `{key}` must be a string")
    value = value.strip()
    return value or None


def setting_bool(settings: Mapping[str, Any], key: str, default: bool) -> bool:
    """A boolean setting; accepts JSON booleans and the strings true/false/1/0/yes/no/on/off."""
    value = settings.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        if not text:
            return default
    raise InvalidInput(f"setting `{key}` must be true or false, got {value!r}")


def secret_field(secret_json: Mapping[str, Any] | None, name: str) -> Any:
    """A field of a credential's secret body (tagged or bare), or None."""
    if not isinstance(secret_json, Mapping):
        return None
    try:
        body = secret_body(dict(secret_json))
    except (KeyError, ValueError, TypeError, AttributeError):
        body = dict(secret_json)
    return body.get(name) if isinstance(body, dict) else None


def secret_str(secret_json: Mapping[str, Any] | None, name: str) -> str | None:
    value = secret_field(secret_json, name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def with_fields(body: JsonObject, **changes: Any) -> JsonObject:
    """A shallow copy of ``body`` with ``changes`` applied (channels never mutate input)."""
    out = dict(body)
    out.update(changes)
    return out


def without_fields(body: JsonObject, *names: str) -> JsonObject:
    """``body`` minus ``names``; the same object when none of them is present."""
    if not any(name in body for name in names):
        return body
    return {k: v for k, v in body.items() if k not in names}


def force_stream_flags(route: RouteKey, body: JsonObject) -> JsonObject:
    """Stream routes in JSON-flagged protocols carry ``stream: true``; Chat streams also ask
    for a final usage chunk (``stream_options.include_usage``) so usage can be recorded."""
    if route.operation != "StreamGenerateContent" or route.protocol not in (
        "OpenAi",
        "OpenAiChatCompletion",
        "Claude",
    ):
        return body
    out = body
    if body.get("stream") is not True:
        out = with_fields(out, stream=True)
    if route.protocol == "OpenAiChatCompletion":
        options = body.get("stream_options")
        if not isinstance(options, dict) or options.get("include_usage") is not True:
            merged = dict(options) if isinstance(options, dict) else {}
            merged["include_usage"] = True
            out = with_fields(out, stream_options=merged)
    return out


# --------------------------------------------------------------------------------------
# the interface
# --------------------------------------------------------------------------------------


class Channel:
    """Base class of every channel adapter; subclasses fill in :meth:`target`.

    Subclasses set ``id`` (the catalogue id) and override what differs: :meth:`target` (always),
    :meth:`shape_body`, :meth:`local_response`, :meth:`shape_response`, :meth:`has_material`,
    :meth:`prepare` (token-based auth).
    """

    id: str  # the catalogue id (a custom channel's own id for custom channels)
    # True when auth material is a short-lived token the channel can refresh: on 401/403 the
    # pipeline retries the same credential once with ``force_refresh=True`` before giving up.
    token_based: ClassVar[bool] = False

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings: dict[str, Any] = dict(settings or {})
        self.base_url = setting_str(self.settings, "base_url") or self.default_base_url()
        if not self.base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"base_url must be an http(s) URL, got {self.base_url!r}")
        # Extension setting: a fixed upstream user-agent (else the HTTP client's own).
        self.user_agent = setting_str(self.settings, "user_agent")

    # -- identity ------------------------------------------------------------------------

    def default_base_url(self) -> str:
        spec = channel_spec(self.id)
        if spec is None:
            raise InvalidInput(f"channel {self.id} needs a base_url setting")
        return spec.default_base_url

    @property
    def base_url_overridden(self) -> bool:
        spec = channel_spec(self.id)
        return spec is None or self.base_url.rstrip("/") != spec.default_base_url.rstrip("/")

    # -- credentials ---------------------------------------------------------------------

    def api_key(self, secret_json: Mapping[str, Any] | None) -> str | None:
        return secret_str(secret_json, "api_key")

    def has_material(self, secret_json: Mapping[str, Any] | None) -> bool:
        """Whether the credential carries what this channel needs to authenticate."""
        return self.api_key(secret_json) is not None

    # -- request building ----------------------------------------------------------------

    def supports(self, route: RouteKey) -> bool:
        """Whether the channel has an upstream endpoint (or a local answer) for ``route``."""
        probe = UpstreamCall(route, model="m")
        try:
            self.target(probe, {})
        except UnsupportedUpstreamRoute:
            return self.local_response(probe) is not None
        except InvalidInput:
            return True  # the route exists; the probe just lacks credential fields
        return True

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        """Method, path, query and auth style for ``call.route``; raises
        :class:`UnsupportedUpstreamRoute` when the channel has none."""
        raise UnsupportedUpstreamRoute(self.id, call.route)

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        """Channel-specific body rewriting; returns ``body`` itself when nothing changes."""
        return body

    def upstream_model(self, call: UpstreamCall) -> str | None:
        """The model the upstream sees (the cooldown key of the attempt)."""
        return call.model

    def build(
        self,
        call: UpstreamCall,
        secret_json: Mapping[str, Any],
        *,
        access_token: str | None = None,
    ) -> UpstreamRequest:
        """The complete upstream request for one credential (sync; no token exchange)."""
        target = self.target(call, secret_json)
        token = access_token if access_token is not None else self.api_key(secret_json)
        if not token:
            raise InvalidInput(f"credential has no usable secret for channel {self.id}")
        body_bytes: bytes | None = None
        if call.body is not None and target.method != "GET":
            shaped = self.shape_body(call, force_stream_flags(call.route, call.body))
            if shaped is call.body and call.raw_body is not None:
                body_bytes = call.raw_body
            else:
                body_bytes = dumps_json(shaped)
        query = list(target.query)
        headers: dict[str, str] = {}
        if target.auth == "bearer":
            headers["authorization"] = f"Bearer {token}"
        elif target.auth == "anthropic":
            headers["x-api-key"] = token
            headers["anthropic-version"] = (
                call.headers.get("anthropic-version") or ANTHROPIC_DEFAULT_VERSION
            )
        elif target.auth == "goog":
            headers["x-goog-api-key"] = token
        elif target.auth == "query_key":
            query.insert(0, ("key", token))
        for name in _FORWARDED[target.auth]:
            value = call.headers.get(name)
            if value:
                headers[name] = value
        if body_bytes is not None:
            headers["content-type"] = "application/json"
        if self.user_agent:
            headers["user-agent"] = self.user_agent
        url = join_url(target.base_url or self.base_url, target.path)
        if query:
            url += "?" + urlencode(query)
        return UpstreamRequest(
            method=target.method,
            url=url,
            headers=headers,
            body=body_bytes,
            model=self.upstream_model(call),
            stream=call.stream,
            secrets=tuple(dict.fromkeys((token, quote(token, safe="")))),
        )

    async def prepare(
        self,
        call: UpstreamCall,
        credential_id: int,
        secret_json: Mapping[str, Any],
        *,
        force_refresh: bool = False,
    ) -> UpstreamRequest:
        """Build the request, first obtaining a token where the channel needs one."""
        return self.build(call, secret_json)

    # -- answers -------------------------------------------------------------------------

    def local_response(self, call: UpstreamCall) -> LocalResponse | None:
        """An answer from the channel's embedded tables, or None to go upstream."""
        return None

    def shape_response(self, call: UpstreamCall, status: int, body: Any) -> Any:
        """Rewrite a non-stream JSON response into the route's standard shape."""
        return body

    def classify(self, status: int, headers: Mapping[str, str] | None = None) -> Outcome:
        return classify_status(status, headers)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"
