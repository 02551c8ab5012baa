"""Dispatch tables: how a provider serves each kind of request.

Every incoming request is classified into a route key ``(operation, protocol)``; the
provider's dispatch table maps it to Passthrough, TransformTo(destination key), Local or
Unsupported (spec §4). The table is data: each channel has a default (:func:`default_dispatch`,
the v0.3 matrix of spec §4.3) and a provider may override it with ``dispatch_json`` of the form
``{"rules": [{"route": {"operation": ..., "protocol": ...}, "implementation": ...}]}``,
where implementation is ``"Passthrough" | "Local" | "Unsupported" |
{"TransformTo": {"destination": {"operation": ..., "protocol": ...}}}``.
Resolution is the first rule whose route equals the key; no rule means unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from gatewayctl.catalog import canonical_channel
from gatewayctl.errors import InvalidInput

Operation = Literal[
    "ModelList",
    "ModelGet",
    "CountToken",
    "Compact",
    "GenerateContent",
    "StreamGenerateContent",
    "Embedding",
]
Protocol = Literal["OpenAi", "OpenAiChatCompletion", "Claude", "Gemini", "GeminiNDJson"]

OPERATIONS: tuple[str, ...] = get_args(Operation)
PROTOCOLS: tuple[str, ...] = get_args(Protocol)


@dataclass(frozen=True, slots=True)
class RouteKey:
    operation: Operation
    protocol: Protocol

    def to_json(self) -> dict[str, str]:
        return {"operation": self.operation, "protocol": self.protocol}


@dataclass(frozen=True, slots=True)
class Passthrough:
    def to_json(self) -> Any:
        return "Passthrough"


@dataclass(frozen=True, slots=True)
class Local:
    def to_json(self) -> Any:
        return "Local"


@dataclass(frozen=True, slots=True)
class Unsupported:
    def to_json(self) -> Any:
        return "Unsupported"


@dataclass(frozen=True, slots=True)
class TransformTo:
    destination: RouteKey

    def to_json(self) -> Any:
        return {"TransformTo": {"destination": self.destination.to_json()}}


Implementation = Passthrough | Local | Unsupported | TransformTo

PASSTHROUGH = Passthrough()
LOCAL = Local()
UNSUPPORTED = Unsupported()


@dataclass(frozen=True, slots=True)
class DispatchTable:
    rules: tuple[tuple[RouteKey, Implementation], ...]

    def resolve(self, key: RouteKey) -> Implementation:
        for route, impl in self.rules:
            if route == key:
                return impl
        return UNSUPPORTED

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": [
                {"route": route.to_json(), "implementation": impl.to_json()}
                for route, impl in self.rules
            ]
        }


# --------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------


def parse_route_key(obj: Any, where: str) -> RouteKey:
    if not isinstance(obj, dict):
        raise InvalidInput(f"{where}: route must be an object with operation and protocol")
    op, proto = obj.get("operation"), obj.get("protocol")
    if op not in OPERATIONS:
        raise InvalidInput(f"{where}: unknown operation {op!r} (one of {', '.join(OPERATIONS)})")
    if proto not in PROTOCOLS:
        raise InvalidInput(f"{where}: unknown protocol {proto!r} (one of {', '.join(PROTOCOLS)})")
    return RouteKey(op, proto)


def parse_implementation(obj: Any, where: str) -> Implementation:
    if obj == "Passthrough":
        return PASSTHROUGH
    if obj == "Local":
        return LOCAL
    if obj == "Unsupported":
        return UNSUPPORTED
    if isinstance(obj, dict) and set(obj) == {"TransformTo"}:
        inner = obj["TransformTo"]
        if isinstance(inner, dict) and "destination" in inner:
            return TransformTo(parse_route_key(inner["destination"], where + ".destination"))
    raise InvalidInput(
        f"{where}: implementation must be Passthrough, Local, Unsupported or "
        '{"TransformTo": {"destination": {...}}}'
    )


def parse_dispatch(obj: Any) -> DispatchTable:
    """Parse a ``dispatch_json`` object; raises InvalidInput naming the bad rule."""
    if not isinstance(obj, dict) or not isinstance(obj.get("rules"), list):
        raise InvalidInput('dispatch must be an object {"rules": [...]}')
    rules: list[tuple[RouteKey, Implementation]] = []
    for i, rule in enumerate(obj["rules"]):
        where = f"dispatch.rules[{i}]"
        if not isinstance(rule, dict):
            raise InvalidInput(f"{where}: rule must be an object with route and implementation")
        rules.append(
            (
                parse_route_key(rule.get("route"), where + ".route"),
                parse_implementation(rule.get("implementation"), where + ".implementation"),
            )
        )
    return DispatchTable(tuple(rules))


# --------------------------------------------------------------------------------------
# default tables (spec §4.3)
# --------------------------------------------------------------------------------------

# Column order of the matrix below.
_COLUMNS = (
    "openai",
    "anthropic",
    "aistudio",
    "vertexexpress",
    "vertex",
    "geminicli",  # and antigravity
    "claudecode",
    "codex",
    "nvidia",
    "deepseek",
    "groq",
    "custom",
)

# Cell codes: P passthrough; L local; - none; >Resp/>Chat/>Cl/>Gm/>OpenAi transform to the same
# operation in that protocol; S>Resp transform to StreamGenerateContent; G>X to GenerateContent.
_MATRIX: dict[tuple[str, str], str] = {
    ("ModelList", "OpenAi"): "P P P >Gm >Gm >Gm >Cl P P P P P",
    ("ModelList", "Claude"): ">Resp P >Gm >Gm >Gm >Gm P >Resp >Resp >Resp >Resp >Resp",
    ("ModelList", "Gemini"): ">Resp >Cl P L P P >Cl >Resp >Resp >Resp >Resp >Resp",
    ("ModelGet", "OpenAi"): "P P P >Gm >Gm >Gm >Cl P P P P P",
    ("ModelGet", "Claude"): ">Resp P >Gm >Gm >Gm >Gm P >Resp >Resp >Resp >Resp >Resp",
    ("ModelGet", "Gemini"): ">Resp >Cl P L P P >Cl >Resp >Resp >Resp >Resp >Resp",
    ("CountToken", "OpenAi"): "P >Cl >Gm >Gm >Gm >Gm >Cl P L L L L",
    ("CountToken", "Claude"): ">Resp P >Gm >Gm >Gm >Gm P >Resp L L L L",
    ("CountToken", "Gemini"): ">Resp >Cl P P P P >Cl >Resp L L L L",
    ("GenerateContent", "OpenAi"): "P >Cl >Gm >Gm >Gm >Gm >Cl S>Resp >Chat >Chat P >Chat",
    ("GenerateContent", "OpenAiChatCompletion"): "P P P >Gm P >Gm >Cl S>Resp P P P P",
    ("GenerateContent", "Claude"): ">Resp P >Gm >Gm >Gm >Gm P S>Resp >Chat P >Resp >Chat",
    ("GenerateContent", "Gemini"): ">Resp >Cl P P P P >Cl S>Resp >Chat >Chat >Resp >Chat",
    ("StreamGenerateContent", "OpenAi"): "P >Cl >Gm >Gm >Gm >Gm >Cl P >Chat >Chat P >Chat",
    ("StreamGenerateContent", "OpenAiChatCompletion"): "P P P >Gm P >Gm >Cl >Resp P P P P",
    ("StreamGenerateContent", "Claude"): ">Resp P >Gm >Gm >Gm >Gm P >Resp >Chat P >Resp >Chat",
    ("StreamGenerateContent", "Gemini"): ">Resp >Cl P P P P >Cl >Resp >Chat >Chat >Resp >Chat",
    (
        "StreamGenerateContent",
        "GeminiNDJson",
    ): ">Resp >Cl P P P P >Cl >Resp >Chat >Chat >Resp >Chat",
    ("Embedding", "OpenAi"): "P - >Gm - >Gm >Gm - - P - - -",
    ("Embedding", "Gemini"): ">OpenAi - P - P P - - >OpenAi - - -",
    ("Compact", "OpenAi"): "P G>Cl G>Gm G>Gm G>Gm G>Gm G>Cl P G>Chat G>Chat G>Resp G>Chat",
}

_PROTO_CODES: dict[str, Protocol] = {
    "Resp": "OpenAi",
    "OpenAi": "OpenAi",
    "Chat": "OpenAiChatCompletion",
    "Cl": "Claude",
    "Gm": "Gemini",
}


def _cell(op: Operation, code: str) -> Implementation | None:
    if code == "P":
        return PASSTHROUGH
    if code == "L":
        return LOCAL
    if code == "-":
        return None
    prefix, _, proto = code.partition(">")
    dest_op: Operation = {"": op, "S": "StreamGenerateContent", "G": "GenerateContent"}[prefix]
    return TransformTo(RouteKey(dest_op, _PROTO_CODES[proto]))


def _build_defaults() -> dict[str, DispatchTable]:
    tables: dict[str, list[tuple[RouteKey, Implementation]]] = {c: [] for c in _COLUMNS}
    for (op, proto), row in _MATRIX.items():
        cells = row.split()
        assert len(cells) == len(_COLUMNS), (op, proto)
        for column, code in zip(_COLUMNS, cells, strict=True):
            impl = _cell(op, code)  # type: ignore[arg-type]
            if impl is not None:
                tables[column].append((RouteKey(op, proto), impl))  # type: ignore[arg-type]
    return {c: DispatchTable(tuple(rules)) for c, rules in tables.items()}


_DEFAULTS = _build_defaults()


# --------------------------------------------------------------------------------------
# custom channels: the default table follows the upstream's shape (setting ``protocol``)
# --------------------------------------------------------------------------------------

Shape = Literal["openai", "anthropic", "gemini"]
_SHAPE_ALIASES: dict[str, Shape] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "claude": "anthropic",
    "gemini": "gemini",
}


def parse_shape(value: Any) -> Shape:
    """A custom channel's ``protocol`` setting: openai (default), anthropic (claude), gemini."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "openai"
    if isinstance(value, str) and value.strip().lower() in _SHAPE_ALIASES:
        return _SHAPE_ALIASES[value.strip().lower()]
    raise InvalidInput(f"setting `protocol` must be openai, anthropic or gemini, got {value!r}")


def _hub_table(native: Protocol, embedding: Protocol | None) -> DispatchTable:
    """Everything sent in one protocol: its own routes pass through, the rest transform to it
    (token counts are local; compact becomes a non-stream generate)."""
    rules: list[tuple[RouteKey, Implementation]] = []
    for operation in get_args(Operation):
        for protocol in get_args(Protocol):
            key = RouteKey(operation, protocol)
            if operation in ("ModelList", "ModelGet", "CountToken"):
                if protocol not in ("OpenAi", "Claude", "Gemini"):
                    continue
                if operation == "CountToken":
                    # Counted locally, as gproxy's custom table does: compatible upstreams
                    # rarely implement the count endpoints.
                    rules.append((key, LOCAL))
                    continue
            elif operation == "Embedding":
                if embedding is None or protocol not in ("OpenAi", "Gemini"):
                    continue
                impl: Implementation = (
                    PASSTHROUGH
                    if protocol == embedding
                    else TransformTo(RouteKey(operation, embedding))
                )
                rules.append((key, impl))
                continue
            elif operation == "Compact":
                if protocol != "OpenAi":
                    continue
                rules.append((key, TransformTo(RouteKey("GenerateContent", native))))
                continue
            elif protocol == "GeminiNDJson" and operation != "StreamGenerateContent":
                continue
            same = protocol == native or (native == "Gemini" and protocol == "GeminiNDJson")
            rules.append((key, PASSTHROUGH if same else TransformTo(RouteKey(operation, native))))
    return DispatchTable(tuple(rules))


_SHAPE_TABLES: dict[Shape, DispatchTable] = {
    "openai": _DEFAULTS["custom"],
    "anthropic": _hub_table("Claude", None),
    "gemini": _hub_table("Gemini", "Gemini"),
}


def shape_dispatch(shape: Shape) -> DispatchTable:
    """The default dispatch of a custom channel whose upstream speaks ``shape``."""
    return _SHAPE_TABLES[shape]


def default_dispatch(channel: str, settings: Mapping[str, Any] | None = None) -> DispatchTable:
    """The table used when a provider has no explicit ``dispatch``.

    Built-in channels: the v0.3 matrix column (antigravity shares geminicli's). Any other id
    is a custom channel: its table follows the ``protocol`` setting (:func:`parse_shape`).
    """
    cid = canonical_channel(channel)
    if cid == "antigravity":
        cid = "geminicli"
    if cid in _DEFAULTS and cid != "custom":
        return _DEFAULTS[cid]
    return shape_dispatch(parse_shape((settings or {}).get("protocol")))
