"""One request on its way through the gateway, and how its dispatch rule is chosen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from gatewayctl.channels import UpstreamCall
from gatewayctl.dispatch import (
    Implementation,
    Local,
    Passthrough,
    RouteKey,
    TransformTo,
    Unsupported,
)
from gatewayctl.errors import GatewayError, InvalidInput
from gatewayctl.gateway.entrance import Entrance
from gatewayctl.gateway.providers import ProviderRuntime
from gatewayctl.gateway.recording import UsageKey

if TYPE_CHECKING:
    from gatewayctl.gateway.attempt import Answer

UNSUPPORTED_MESSAGE = "unsupported request for upstream execution"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling (from the key table): ids for the usage and audit rows."""

    user_id: int | None
    key_id: int | None


@dataclass(slots=True)
class Job:
    """One request on its way: the entrance, the provider, and the dispatch decision.

    ``caller`` is the route key the caller's shape follows (for model lists: the candidate
    the provider supports); ``dest`` is what is sent upstream (``caller`` unless transformed).
    ``answers``: the upstream answers obtained for this job, closed by the pipeline if the
    flow fails before handing them on.
    """

    entrance: Entrance
    provider: ProviderRuntime
    principal: Principal
    headers: Mapping[str, str]
    caller: RouteKey
    impl: Implementation
    answers: list[Answer] = field(default_factory=list)

    @property
    def dest(self) -> RouteKey:
        return self.impl.destination if isinstance(self.impl, TransformTo) else self.caller

    @property
    def passthrough(self) -> bool:
        return isinstance(self.impl, Passthrough)

    @property
    def local(self) -> bool:
        return isinstance(self.impl, Local)

    @property
    def model(self) -> str | None:
        return self.entrance.model

    def usage_key(self, credential_id: int | None) -> UsageKey:
        return UsageKey(
            provider_id=self.provider.id,
            credential_id=credential_id,
            user_id=self.principal.user_id,
            user_key_id=self.principal.key_id,
            operation=self.caller.operation,
            protocol=self.caller.protocol,
            model=self.entrance.model,
        )

    def upstream_call(
        self,
        body: dict[str, Any] | None,
        raw_body: bytes | None = None,
        route: RouteKey | None = None,
        *,
        batch: bool = False,
    ) -> UpstreamCall:
        return UpstreamCall(
            route or self.dest,
            model=self.entrance.model,
            body=body,
            raw_body=raw_body,
            query=self.entrance.query,
            headers=self.headers,
            batch=batch,
        )


def read_caller_body(protocol: str, parse: Callable[[], T]) -> T:
    """Run ``parse`` over the caller's body (the only input a request parser has): when a
    parser trips over a malformed body, that is the caller's 400 naming the problem, never a
    500 — whatever the parser raised."""
    try:
        return parse()
    except GatewayError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidInput(f"invalid {protocol} request body: {type(exc).__name__}: {exc}") from exc


def resolve(provider: ProviderRuntime, entrance: Entrance) -> tuple[RouteKey, Implementation]:
    """The caller route key and its rule; model lists take the first supported candidate."""
    if entrance.candidates:
        first: tuple[RouteKey, Implementation] | None = None
        for protocol in entrance.candidates:
            key = RouteKey(entrance.route.operation, protocol)
            impl = provider.dispatch.resolve(key)
            if first is None:
                first = (key, impl)
            if not isinstance(impl, Unsupported):
                return key, impl
        assert first is not None
        return first
    return entrance.route, provider.dispatch.resolve(entrance.route)
