"""Service-account access tokens for the ``vertex`` channel (spec §8.3).

A Google service account proves itself with a JWT it signs (RS256, its private key) and
trades at the token endpoint (``token_uri``) for a one-hour OAuth access token with the
``cloud-platform`` scope (RFC 7523 ``jwt-bearer`` grant). Tokens are cached per credential
and reused until ``expires_at − 60 s``; a refresh can be forced (after an upstream 401).

The HTTP exchange goes through an injected ``post(url, headers, body) -> (status, body)``
coroutine so tests use a fake endpoint; :func:`httpx_post` adapts an ``httpx.AsyncClient``.
Concurrent requests for the same credential share one refresh (a lock per credential).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gatewayctl.channels.base import secret_field, secret_str
from gatewayctl.channels.outcome import TRANSIENT_COOLDOWN_MS, Outcome
from gatewayctl.errors import GatewayError

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_SKEW_MS = 60_000
ASSERTION_LIFETIME_S = 3600

HttpPost = Callable[[str, Mapping[str, str], bytes], Awaitable[tuple[int, bytes]]]
Clock = Callable[[], int]

# OAuth error codes that mean the service account itself is unusable.
_PERMANENT_ERRORS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "access_denied", "invalid_scope"}
)


def now_ms() -> int:
    return int(time.time() * 1000)


class TokenRefreshError(GatewayError):
    """The token exchange failed; ``permanent`` when the credential is invalid (→ dead)."""

    status = 502

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent

    def outcome(self) -> Outcome:
        """The pool outcome for the credential whose token could not be obtained."""
        if self.permanent:
            return Outcome("dead", None, error=self.message)
        return Outcome("transient", None, TRANSIENT_COOLDOWN_MS, error=self.message)


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    project_id: str
    client_email: str
    private_key: str
    private_key_id: str | None
    token_uri: str | None
    access_token: str | None
    expires_at_ms: int

    @classmethod
    def from_secret(cls, secret_json: Mapping[str, Any] | None) -> ServiceAccount:
        expires = secret_field(secret_json, "expires_at")
        return cls(
            project_id=secret_str(secret_json, "project_id") or "",
            client_email=secret_str(secret_json, "client_email") or "",
            private_key=secret_str(secret_json, "private_key") or "",
            private_key_id=secret_str(secret_json, "private_key_id"),
            token_uri=secret_str(secret_json, "token_uri"),
            access_token=secret_str(secret_json, "access_token"),
            expires_at_ms=normalize_expires_at(expires),
        )

    @property
    def can_sign(self) -> bool:
        return bool(self.client_email and self.private_key)


def normalize_expires_at(value: Any) -> int:
    """An ``expires_at`` in unix ms; values below 10^12 are taken as seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    value = int(value)
    return value * 1000 if 0 < value < 10**12 else max(value, 0)


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_at_ms: int
    refreshed: bool  # obtained from the token endpoint by this call


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _load_rsa_key(pem: str) -> rsa.RSAPrivateKey:
    text = pem if "\n" in pem else pem.replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise TokenRefreshError(
            f"vertex service account private_key is not a PEM private key: {exc}",
            permanent=True,
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TokenRefreshError(
            "vertex service account private_key is not an RSA key", permanent=True
        )
    return key


def build_assertion(account: ServiceAccount, audience: str, now_s: int) -> str:
    """The signed JWT (RS256) a service account trades for an access token."""
    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if account.private_key_id:
        header["kid"] = account.private_key_id
    claims = {
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": audience,
        "iat": now_s,
        "exp": now_s + ASSERTION_LIFETIME_S,
    }
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    key = _load_rsa_key(account.private_key)
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64url(signature)


def httpx_post(client: httpx.AsyncClient, timeout: float = 30.0) -> HttpPost:
    """Adapt a shared ``httpx.AsyncClient`` to the ``post`` callable the token source uses."""

    async def post(url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        response = await client.post(url, headers=dict(headers), content=body, timeout=timeout)
        return response.status_code, response.content

    return post


class VertexTokenSource:
    """Access tokens per credential: cached, refreshed when within 60 s of expiry."""

    def __init__(self, post: HttpPost, clock: Clock = now_ms) -> None:
        self._post = post
        self._clock = clock
        self._cache: dict[str, tuple[str, int]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _valid(self, entry: tuple[str, int] | None) -> bool:
        return entry is not None and entry[1] - REFRESH_SKEW_MS > self._clock()

    async def get(
        self,
        cache_key: str,
        account: ServiceAccount,
        token_url: str,
        *,
        force: bool = False,
    ) -> AccessToken:
        """A usable token for ``account``; ``force`` skips the cache (after an upstream 401)."""
        before = self._cache.get(cache_key)
        if not force:
            if before is not None and self._valid(before):
                return AccessToken(before[0], before[1], refreshed=False)
            stored = (account.access_token or "", account.expires_at_ms)
            if account.access_token and self._valid(stored):
                self._cache[cache_key] = stored
                return AccessToken(stored[0], stored[1], refreshed=False)
        lock = self._locks.setdefault(cache_key, asyncio.Lock())
        async with lock:
            current = self._cache.get(cache_key)
            if current is not before and current is not None and self._valid(current):
                return AccessToken(current[0], current[1], refreshed=False)  # refreshed meanwhile
            token, expires_at = await self._refresh(account, token_url)
            self._cache[cache_key] = (token, expires_at)
            return AccessToken(token, expires_at, refreshed=True)

    async def _refresh(self, account: ServiceAccount, token_url: str) -> tuple[str, int]:
        if not account.can_sign:
            raise TokenRefreshError(
                "vertex credential lacks client_email/private_key to obtain a token",
                permanent=True,
            )
        now = self._clock()
        assertion = build_assertion(account, token_url, now // 1000)
        body = urlencode({"grant_type": JWT_GRANT, "assertion": assertion}).encode()
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "accept": "application/json",
        }
        try:
            status, raw = await self._post(token_url, headers, body)
        except (httpx.HTTPError, OSError) as exc:
            raise TokenRefreshError(
                f"vertex token endpoint unreachable: {type(exc).__name__}: {exc}", permanent=False
            ) from None
        try:
            payload = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        if 200 <= status < 300:
            token = payload.get("access_token")
            if not isinstance(token, str) or not token.strip():
                raise TokenRefreshError(
                    "vertex token endpoint answered without access_token", permanent=False
                )
            expires_in = payload.get("expires_in")
            seconds = expires_in if isinstance(expires_in, int) and expires_in > 0 else 3600
            return token.strip(), now + seconds * 1000
        error = payload.get("error")
        description = payload.get("error_description")
        detail = " ".join(str(x) for x in (error, description) if x) or raw[:200].decode(
            "utf-8", "replace"
        )
        permanent = status in (400, 401, 403) and (error in _PERMANENT_ERRORS or status != 400)
        raise TokenRefreshError(
            f"vertex token endpoint status {status}: {detail}".rstrip(), permanent=permanent
        )
