"""The channel catalogue: which upstream kinds exist and what their credentials look like.

A pure table, shared by the service layer (validation, TOML import/export) and the gateway
(channel adapters). It knows names, defaults and secret shapes — never how to call anyone.

Secret shapes follow gproxy v0.3 (spec §2.4): ``secret_json`` is
``{"Builtin": {"<Variant>": {...}}}`` for built-in channels and ``{"Custom": {"api_key": ...}}``
for custom ones. The ``claude`` channel id and ``Claude`` variant are accepted as aliases of
``anthropic`` / ``Anthropic``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gatewayctl.errors import InvalidInput

CredentialKind = Literal["api_key", "service_account", "oauth"]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    id: str
    variant: str  # the Builtin variant name in secret_json
    default_base_url: str
    credential: CredentialKind
    oauth: bool = False  # has /{provider}/v1/oauth
    upstream_usage: bool = False  # has /{provider}/v1/usage
    # builtin secret fields: name -> (type, required)
    fields: tuple[tuple[str, type, bool], ...] = (("api_key", str, True),)

    @property
    def kind(self) -> str:
        """The `credentials.kind` value stored for this channel."""
        return f"builtin/{self.id}"


_GOOGLE_OAUTH_FIELDS: tuple[tuple[str, type, bool], ...] = (
    ("access_token", str, False),
    ("refresh_token", str, False),
    ("expires_at", int, False),
    ("project_id", str, False),
    ("client_id", str, False),
    ("client_secret", str, False),
    ("user_email", str, False),
)

CHANNELS: dict[str, ChannelSpec] = {
    spec.id: spec
    for spec in (
        ChannelSpec("openai", "OpenAi", "https://api.openai.com", "api_key"),
        ChannelSpec("anthropic", "Anthropic", "https://api.anthropic.com", "api_key"),
        ChannelSpec("aistudio", "AiStudio", "https://generativelanguage.googleapis.com", "api_key"),
        ChannelSpec(
            "vertexexpress", "VertexExpress", "https://aiplatform.googleapis.com", "api_key"
        ),
        ChannelSpec(
            "vertex",
            "Vertex",
            "https://aiplatform.googleapis.com",
            "service_account",
            fields=(
                ("project_id", str, True),
                ("client_email", str, True),
                ("private_key", str, True),
                ("private_key_id", str, False),
                ("client_id", str, False),
                ("auth_uri", str, False),
                ("token_uri", str, False),
                ("auth_provider_x509_cert_url", str, False),
                ("client_x509_cert_url", str, False),
                ("universe_domain", str, False),
                ("access_token", str, False),
                ("expires_at", int, False),
            ),
        ),
        ChannelSpec(
            "geminicli",
            "GeminiCli",
            "https://cloudcode-pa.googleapis.com",
            "oauth",
            oauth=True,
            upstream_usage=True,
            fields=_GOOGLE_OAUTH_FIELDS,
        ),
        ChannelSpec(
            "claudecode",
            "ClaudeCode",
            "https://api.anthropic.com",
            "oauth",
            oauth=True,
            upstream_usage=True,
            fields=(
                ("access_token", str, False),
                ("refresh_token", str, False),
                ("expires_at", int, False),
                ("enable_claude_1m_sonnet", bool, False),
                ("enable_claude_1m_opus", bool, False),
                ("subscription_type", str, False),
                ("rate_limit_tier", str, False),
                ("cookie", str, False),
                ("user_email", str, False),
            ),
        ),
        ChannelSpec(
            "codex",
            "Codex",
            "https://chatgpt.com/backend-api/codex",
            "oauth",
            oauth=True,
            upstream_usage=True,
            fields=(
                ("access_token", str, False),
                ("refresh_token", str, False),
                ("id_token", str, False),
                ("user_email", str, False),
                ("account_id", str, False),
                ("expires_at", int, False),
            ),
        ),
        ChannelSpec(
            "antigravity",
            "Antigravity",
            "https://daily-cloudcode-pa.sandbox.googleapis.com",
            "oauth",
            oauth=True,
            upstream_usage=True,
            fields=_GOOGLE_OAUTH_FIELDS,
        ),
        ChannelSpec("nvidia", "Nvidia", "https://integrate.api.nvidia.com", "api_key"),
        ChannelSpec("deepseek", "Deepseek", "https://api.deepseek.com", "api_key"),
        ChannelSpec("groq", "Groq", "https://api.groq.com/openai", "api_key"),
    )
}

CHANNEL_ALIASES = {"claude": "anthropic"}
VARIANT_ALIASES = {"Claude": "Anthropic"}
CUSTOM_KIND = "custom/apikey"

# Names a provider may not take: they collide with literal routes (CONTRACT §4).
RESERVED_PROVIDER_NAMES = frozenset(
    {"v1", "v1beta", "admin", "user", "assets", "favicon.ico", "metrics", "healthz"}
)


def canonical_channel(channel: str) -> str:
    """Trimmed, lower-cased channel id with aliases resolved (``claude`` → ``anthropic``)."""
    cid = channel.strip().lower()
    return CHANNEL_ALIASES.get(cid, cid)


def is_builtin(channel: str) -> bool:
    return canonical_channel(channel) in CHANNELS


def channel_spec(channel: str) -> ChannelSpec | None:
    """The built-in spec, or None for a custom channel."""
    return CHANNELS.get(canonical_channel(channel))


def credential_kind(channel: str) -> str:
    spec = channel_spec(channel)
    return spec.kind if spec else CUSTOM_KIND


def accepts_api_key(channel: str) -> bool:
    """Whether a bare API key (`--api-key`, TOML ``secret``) is a valid credential."""
    spec = channel_spec(channel)
    return spec is None or spec.credential == "api_key"


def secret_from_api_key(channel: str, api_key: str) -> dict[str, Any]:
    """The ``secret_json`` for an API key on ``channel``."""
    key = api_key.strip()
    if not key:
        raise InvalidInput("api key is empty")
    spec = channel_spec(channel)
    if spec is None:
        return {"Custom": {"api_key": key}}
    if spec.credential != "api_key":
        raise InvalidInput(
            f"channel {spec.id} requires a builtin credential object (--secret-json), not an api key"
        )
    return {"Builtin": {spec.variant: {"api_key": key}}}


def normalize_secret(channel: str, secret: Any) -> dict[str, Any]:
    """Validate ``secret`` for ``channel`` and return its canonical ``secret_json``.

    Accepts the tagged form (``{"Builtin": {"OpenAi": {...}}}`` / ``{"Custom": {...}}``), the
    bare variant body (``{"api_key": "..."}`` or the builtin fields), or, for API-key
    channels, a plain string key. Raises InvalidInput naming the problem.
    """
    spec = channel_spec(channel)
    if isinstance(secret, str):
        return secret_from_api_key(channel, secret)
    if not isinstance(secret, dict):
        raise InvalidInput("secret must be a JSON object")
    body: Any = secret
    if "Builtin" in secret or "Custom" in secret:
        if len(secret) != 1:
            raise InvalidInput("secret must have exactly one of Builtin / Custom")
        if "Custom" in secret:
            if spec is not None:
                raise InvalidInput(f"channel {spec.id} is built-in: use a Builtin secret")
            body = secret["Custom"]
        else:
            if spec is None:
                raise InvalidInput('a custom channel takes a Custom secret ({"api_key": ...})')
            inner = secret["Builtin"]
            if not isinstance(inner, dict) or len(inner) != 1:
                raise InvalidInput("Builtin secret must be an object with exactly one variant")
            ((variant, body),) = inner.items()
            variant = VARIANT_ALIASES.get(variant, variant)
            if variant != spec.variant:
                raise InvalidInput(
                    f"secret variant {variant} does not match channel {spec.id} (expected {spec.variant})"
                )
    if not isinstance(body, dict):
        raise InvalidInput("secret body must be a JSON object")
    fields = spec.fields if spec else (("api_key", str, True),)
    clean: dict[str, Any] = {}
    for name, typ, required in fields:
        value = body.get(name)
        if value is None:
            if required:
                raise InvalidInput(f"secret is missing `{name}`")
            continue
        if typ is int and isinstance(value, bool) or not isinstance(value, typ):
            raise InvalidInput(f"secret field `{name}` must be {typ.__name__}")
        if isinstance(value, str):
            value = value.strip()
            if required and not value:
                raise InvalidInput(f"secret field `{name}` is empty")
        clean[name] = value
    known = [name for name, _, _ in fields]
    unknown = sorted(k for k in body if k not in known)
    if unknown:
        raise InvalidInput(
            f"secret has unknown field(s) {', '.join(unknown)} (known: {', '.join(known)})"
        )
    if not any(value not in ("", 0, False) for value in clean.values()):
        raise InvalidInput(f"secret has none of the fields {', '.join(known)}")
    if spec is None:
        return {"Custom": clean}
    return {"Builtin": {spec.variant: clean}}


def secret_body(secret_json: dict[str, Any]) -> dict[str, Any]:
    """The variant's field dict of a canonical ``secret_json``."""
    if "Custom" in secret_json:
        body = secret_json["Custom"]
    else:
        (body,) = secret_json["Builtin"].values()
    return dict(body)


def api_key_of(secret_json: dict[str, Any]) -> str | None:
    """The API key of an API-key credential, else None."""
    value = secret_body(secret_json).get("api_key")
    return value if isinstance(value, str) else None
