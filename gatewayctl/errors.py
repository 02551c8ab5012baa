"""Domain errors shared by every layer.

One exception type per outcome the outside world can tell apart. The CLI maps them to exit
codes and a one-line message; the HTTP server maps them to a status and `{"error": "..."}`.
Nothing here knows about Typer or Quart, so services raise these and stay transport-agnostic.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class: `status` is the HTTP status the server answers with."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(GatewayError):
    """Malformed or semantically invalid input (bad JSON, wrong type, unknown channel…)."""

    status = 400


class Unauthorized(GatewayError):
    status = 401


class Forbidden(GatewayError):
    status = 403


class NotFound(GatewayError):
    status = 404


class Conflict(GatewayError):
    """A uniqueness rule would be broken (duplicate name, duplicate key).

    Answered as 400 on the HTTP side, as the seed does for duplicate keys.
    """

    status = 400


class PayloadTooLarge(GatewayError):
    status = 413


class NotImplementedByGateway(GatewayError):
    """A route that exists but is not (yet) served: answered 501."""

    status = 501


class SecretStoreUnavailable(GatewayError):
    """No way to obtain the master key that encrypts secrets at rest."""

    status = 500
