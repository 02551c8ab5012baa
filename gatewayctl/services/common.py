"""Helpers every service module shares: body field parsing, v0.3 ``Scope`` filters, masking.

Admin/user HTTP bodies arrive as decoded JSON (``Any``). These helpers turn them into typed
values or raise :class:`~gatewayctl.errors.InvalidInput` naming the field, so the HTTP layer
never validates anything itself. Conventions (CONTRACT §5): JSON-valued fields accept an
object or a JSON string; a missing ``Scope`` filter means ``"All"``; timestamps are unix ms.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gatewayctl.errors import InvalidInput

T = TypeVar("T")
MISSING: Any = object()  # "field absent" (distinct from an explicit null)
MASK = "…"
FULL_MASK = "****"

# Name rules for providers and custom channel ids: they appear in URLs and model prefixes.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def body_object(body: Any, what: str = "request body") -> dict[str, Any]:
    """``body`` as a dict; ``None`` counts as ``{}``."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return body


def json_value(value: Any, field: str) -> Any:
    """A JSON-valued field given as a decoded value or as a JSON string."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"`{field}` is not valid JSON: {exc.msg} (position {exc.pos})"
            ) from exc
    return value


def json_object(value: Any, field: str, *, allow_none: bool = True) -> dict[str, Any] | None:
    decoded = json_value(value, field)
    if decoded is None:
        if allow_none:
            return None
        raise InvalidInput(f"`{field}` is required")
    if not isinstance(decoded, dict):
        raise InvalidInput(f"`{field}` must be a JSON object")
    return decoded


def get_int(
    body: Mapping[str, Any],
    field: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    value = body.get(field)
    if value is None:
        if required:
            raise InvalidInput(f"`{field}` is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidInput(f"`{field}` must be an integer")
    if minimum is not None and value < minimum:
        raise InvalidInput(f"`{field}` must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise InvalidInput(f"`{field}` must be <= {maximum}")
    return value


def body_id(body: Any) -> int:
    """The required integer ``id`` of a ``{"id": …}`` body (delete routes)."""
    row_id = get_int(body_object(body), "id", required=True)
    assert row_id is not None
    return row_id


def get_str(
    body: Mapping[str, Any], field: str, *, required: bool = False, strip: bool = True
) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise InvalidInput(f"`{field}` is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"`{field}` must be a string")
    value = value.strip() if strip else value
    if required and not value:
        raise InvalidInput(f"`{field}` must not be empty")
    return value


def get_bool(body: Mapping[str, Any], field: str, *, required: bool = False) -> bool | None:
    value = body.get(field)
    if value is None:
        if required:
            raise InvalidInput(f"`{field}` is required")
        return None
    if not isinstance(value, bool):
        raise InvalidInput(f"`{field}` must be true or false")
    return value


def scope(body: Mapping[str, Any], field: str, typ: type[T]) -> T | None:
    """A v0.3 ``Scope<T>`` filter: missing / null / ``"All"`` → None, ``{"Eq": v}`` → v."""
    value = body.get(field, "All")
    if value is None or value == "All":
        return None
    if isinstance(value, dict) and set(value) == {"Eq"}:
        inner = value["Eq"]
        ok = isinstance(inner, typ) and not (typ is int and isinstance(inner, bool))
        if ok:
            return inner
        raise InvalidInput(f'`{field}`: {{"Eq": ...}} must hold a {_type_name(typ)}')
    raise InvalidInput(f'`{field}` must be "All" or {{"Eq": <{_type_name(typ)}>}}')


def _type_name(typ: type) -> str:
    return {int: "integer", str: "string", bool: "boolean"}.get(typ, typ.__name__)


def limit_of(body: Mapping[str, Any]) -> int | None:
    """v0.3 ``limit``: applied only when > 0."""
    value = get_int(body, "limit", minimum=0)
    return value if value else None


def check_name(value: str, what: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidInput(f"{what} must not be empty")
    if not NAME_RE.match(name):
        raise InvalidInput(
            f"{what} {name!r} is invalid: use letters, digits, '.', '_' or '-' "
            "(max 64, starting with a letter or digit)"
        )
    return name


def check_url(value: Any, field: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"`{field}` must be a string URL")
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes or not parts.netloc:
        raise InvalidInput(f"`{field}` must be an {'/'.join(schemes)} URL, got {value!r}")
    return url


# --------------------------------------------------------------------------------------
# masking: secrets never leave a query in clear
# --------------------------------------------------------------------------------------

# Secret-body fields that identify an account rather than grant access: shown as is.
PUBLIC_SECRET_FIELDS = frozenset(
    {
        "project_id",
        "client_email",
        "client_id",
        "user_email",
        "account_id",
        "auth_uri",
        "token_uri",
        "auth_provider_x509_cert_url",
        "client_x509_cert_url",
        "universe_domain",
        "subscription_type",
        "rate_limit_tier",
        "expires_at",
        "enable_claude_1m_sonnet",
        "enable_claude_1m_opus",
    }
)


def mask_secret(value: str) -> str:
    """``sk-…abcd`` for long values; short ones are fully masked."""
    if len(value) >= 20:
        return value[:3] + MASK + value[-4:]
    return FULL_MASK if value else ""


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and (MASK in value or value == FULL_MASK)


def mask_secret_body(body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: (mask_secret(v) if isinstance(v, str) and k not in PUBLIC_SECRET_FIELDS else v)
        for k, v in body.items()
    }


def mask_secret_json(secret_json: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical ``secret_json`` with every sensitive string masked."""
    if "Custom" in secret_json:
        return {"Custom": mask_secret_body(secret_json["Custom"])}
    ((variant, body),) = secret_json["Builtin"].items()
    return {"Builtin": {variant: mask_secret_body(body)}}
