"""Tool names across one exchange: renamed for the upstream, restored for the caller.

A caller's tools do not always fit the upstream protocol (rules in
:mod:`gatewayctl.protocols.toolnames`): Gemini CLI's ``server.tool`` is refused by Anthropic
and OpenAI, Claude Code's long ``mcp__…`` names by OpenAI and Gemini, and Codex's
``namespace`` tools exist only in the Responses API. Three things must then happen, and only
together do they work:

1. the request is emitted with names the upstream accepts — every declared tool, the forced
   ``tool_choice``, and every tool call and result in the history (so the model sees the same
   name in both places);
2. the upstream's tool calls, in a body or a stream, are renamed back to the caller's names
   (and namespaces), so the client finds the tool it declared;
3. a free-form (custom) tool offered to a protocol without free-form tools is declared as a
   function taking ``{"input": string}``; the upstream's call ``{"input": "…"}`` becomes the
   caller's custom tool call with that raw text again (Responses ``custom_tool_call``).

:class:`ToolNameMap` holds that state for one exchange. It is a pure function of the caller's
IR request and the upstream protocol, so both halves of the exchange can build it
independently and get the same map — which is how the translate API keeps the gateway's use
simple: :func:`gatewayctl.translate.emit_request` renames with ``ToolNameMap.build(request,
dst)``, and the answer side (``translate_response``, ``translate_stream_to_body``,
``translate_body_to_stream``, ``StreamTranslator``) rebuilds it from the
:class:`~gatewayctl.protocols.base.EncoderOptions` ``request`` the gateway already passes
(``encoder_options(request)``) and the upstream protocol. A caller that wants to hold the map
itself passes ``tool_names=`` to any of them.

Renaming is deterministic and never touches a name the upstream accepts: valid names are
reserved first, then the others are sanitised (forbidden characters → ``_``, never a case
change — CLIProxyAPI's lower-casing broke Claude Code's ``Bash``), namespace members get
Codex's flat ``<namespace>__<name>``, and a clash gets a hash of the original name.
"""

from __future__ import annotations

import json
from dataclasses import replace

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.toolnames import CUSTOM_TOOLS, RULES, NameRule, flat_name, with_hash
from gatewayctl.translate.refs import ProtocolRef, resolve

Key = tuple[str | None, str]  # (namespace, name) as the caller knows the tool


class ToolNameMap:
    """The caller ↔ upstream tool names of one exchange (see the module docstring)."""

    __slots__ = ("_custom", "_forward", "_namespaces", "_reverse", "target")

    def __init__(
        self,
        target: ir.ProtocolName,
        forward: dict[Key, str] | None = None,
        custom: set[Key] | None = None,
    ) -> None:
        self.target = target
        self._namespaces = RULES[target].namespaces
        self._forward: dict[Key, str] = {}
        self._reverse: dict[Key, Key] = {}
        for key, wire in (forward or {}).items():
            if wire != key[1] or (key[0] is not None and not self._namespaces):
                self._forward[key] = wire
                self._reverse[(self._wire_namespace(key), wire)] = key
        self._custom = set(custom or ()) if target not in CUSTOM_TOOLS else set()

    # -- building -----------------------------------------------------------------------

    @classmethod
    def build(cls, request: ir.Request, target: ProtocolRef) -> ToolNameMap:
        """The map for sending the caller's ``request`` to a ``target`` upstream."""
        name = resolve(target).name
        rule = RULES[name]
        keys: dict[Key, None] = {}  # in order of first appearance
        custom: set[Key] = set()
        taken: set[Key] = set()  # (wire namespace, wire name) the upstream will see
        for tool in request.tools:
            if tool.kind == "builtin":
                if name in tool.provider_data:  # replayed to this family under its own name
                    taken.add((None, tool.name))
                continue
            key = (tool.namespace, tool.name)
            keys[key] = None
            if tool.kind == "custom":
                custom.add(key)
        if request.tool_choice is not None and request.tool_choice.name:
            keys.setdefault(_choice_key(request), None)
        for message in request.messages:
            for part in message.parts:
                if isinstance(part, ir.ToolCallPart):
                    keys.setdefault((part.namespace, part.name), None)
                elif isinstance(part, ir.ToolResultPart) and part.name:
                    keys.setdefault((None, part.name), None)
        forward = _assign(list(keys), rule, taken)
        return cls(name, forward, custom)

    @classmethod
    def for_answer(
        cls, options: EncoderOptions | None, upstream: ProtocolRef
    ) -> ToolNameMap | None:
        """The map of an exchange whose caller request is ``options.request`` and whose answer
        comes from ``upstream`` (None when there is no request to build it from). Built once
        per options object and kept in ``options.extra``."""
        if options is None or options.request is None:
            return None
        name = resolve(upstream).name
        slot = f"tool_names:{name}"
        found = options.extra.get(slot)
        if not isinstance(found, ToolNameMap):
            found = cls.build(options.request, name)
            options.extra[slot] = found
        return found

    # -- questions ----------------------------------------------------------------------

    @property
    def identity(self) -> bool:
        """True when nothing is renamed and no call needs restoring."""
        return not self._forward and not self._custom

    def wire_name(self, name: str, namespace: str | None = None) -> str:
        """The upstream's name for the caller's tool ``name`` (in ``namespace``)."""
        return self._forward.get((namespace, name), name)

    def original(self, wire_name: str, wire_namespace: str | None = None) -> Key:
        """The caller's (namespace, name) for a name the upstream used."""
        return self._reverse.get((wire_namespace, wire_name), (wire_namespace, wire_name))

    def _wire_namespace(self, key: Key) -> str | None:
        return key[0] if self._namespaces else None

    # -- the request --------------------------------------------------------------------

    def apply(self, request: ir.Request) -> ir.Request:
        """``request`` with upstream names (a new object; ``request`` is not modified)."""
        if not self._forward:  # (a namespace member is always in it where it must be flattened)
            return request
        tools = [self._tool(t) for t in request.tools]
        choice = request.tool_choice
        if choice is not None and choice.name:
            key = _choice_key(request)
            choice = replace(choice, name=self.wire_name(key[1], key[0]))
        calls: dict[str, str] = {}  # call id → upstream name, for the results
        messages: list[ir.Message] = []
        for message in request.messages:
            parts: list[ir.Part] = []
            for part in message.parts:
                if isinstance(part, ir.ToolCallPart):
                    wire = self.wire_name(part.name, part.namespace)
                    calls[part.id] = wire
                    part = replace(part, name=wire, namespace=self._wire_namespace_of(part))
                elif isinstance(part, ir.ToolResultPart) and (part.name or part.call_id in calls):
                    wire = calls.get(part.call_id) or self.wire_name(part.name or "")
                    part = replace(part, name=wire)
                parts.append(part)
            messages.append(ir.Message(message.role, parts))
        return replace(request, tools=tools, tool_choice=choice, messages=messages)

    def _tool(self, tool: ir.Tool) -> ir.Tool:
        if tool.kind == "builtin":
            return tool
        wire = self.wire_name(tool.name, tool.namespace)
        namespace = tool.namespace if self._namespaces else None
        if wire == tool.name and namespace == tool.namespace:
            return tool
        return replace(tool, name=wire, namespace=namespace)

    def _wire_namespace_of(self, part: ir.ToolCallPart) -> str | None:
        return part.namespace if self._namespaces else None

    # -- the answer ---------------------------------------------------------------------

    def restore_call(self, part: ir.ToolCallPart) -> ir.ToolCallPart:
        """The caller's view of an upstream call: its name and namespace, and for a custom
        tool offered as a JSON function, the raw input unwrapped (a new part)."""
        namespace, name = self.original(part.name, part.namespace)
        restored = replace(part, name=name, namespace=namespace)
        if self.unwraps(restored):
            restored.kind = "custom"
            restored.arguments = unwrap_input(part.arguments)
        return restored

    def unwraps(self, part: ir.ToolCallPart) -> bool:
        """Whether a (restored) call is to a custom tool that came back as a JSON call."""
        return part.kind == "function" and (part.namespace, part.name) in self._custom

    def restore_response(self, response: ir.Response) -> ir.Response:
        """``response`` with the caller's tool names (a new object when anything changed)."""
        if self.identity or not any(isinstance(p, ir.ToolCallPart) for p in response.content):
            return response
        content = [
            self.restore_call(p) if isinstance(p, ir.ToolCallPart) else p for p in response.content
        ]
        return replace(response, content=content)

    def stream_restorer(self) -> ToolCallRestorer | None:
        """An IR stream filter applying :meth:`restore_call` (None when nothing to do)."""
        return None if self.identity else ToolCallRestorer(self)


class ToolCallRestorer:
    """Restores tool calls in a *sequenced* IR stream (one open block at a time).

    A renamed call is renamed in its ``BlockStart``. A custom tool's JSON call is held until
    its ``BlockStop`` (its text is known only once the JSON is complete) and then sent as one
    delta with the raw input; provider data arriving meanwhile passes through at once.
    """

    def __init__(self, names: ToolNameMap) -> None:
        self._names = names
        self._held: int | None = None  # index of the custom call being held
        self._buffer: list[str] = []

    def feed(self, event: ir.StreamEvent) -> list[ir.StreamEvent]:
        if isinstance(event, ir.BlockStart) and isinstance(event.part, ir.ToolCallPart):
            part = event.part
            namespace, name = self._names.original(part.name, part.namespace)
            restored = replace(part, name=name, namespace=namespace)
            if self._names.unwraps(restored):
                self._held = event.index
                self._buffer = [part.arguments]
                restored.kind = "custom"
                restored.arguments = ""
            return [ir.BlockStart(event.index, restored)]
        if self._held is not None and getattr(event, "index", None) == self._held:
            if isinstance(event, ir.BlockDelta):
                self._buffer.append(event.arguments)
                if event.provider_data:
                    return [ir.BlockDelta(event.index, provider_data=event.provider_data)]
                return []
            if isinstance(event, ir.BlockStop):
                text = unwrap_input("".join(self._buffer))
                self._held, self._buffer = None, []
                return [ir.BlockDelta(event.index, arguments=text), event]
        return [event]


def unwrap_input(arguments: str) -> str:
    """The raw input of a custom tool from the JSON call a JSON-only protocol made:
    ``{"input": "…"}`` → ``…``; any other single string value likewise; anything else (a
    truncated call, several fields) is passed on as the JSON text it is."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return arguments
    if isinstance(value, dict):
        if isinstance(value.get("input"), str):
            return str(value["input"])
        strings = [v for v in value.values() if isinstance(v, str)]
        if len(value) == 1 and strings:
            return strings[0]
        if not value:
            return ""
    return arguments


# -- helpers ------------------------------------------------------------------------------


def _choice_key(request: ir.Request) -> Key:
    """The tool a ``tool_choice`` names (a declared top-level tool first, else a member)."""
    assert request.tool_choice is not None and request.tool_choice.name
    name = request.tool_choice.name
    members = [t.namespace for t in request.tools if t.name == name and t.kind != "builtin"]
    if members and None not in members:
        return (members[0], name)
    return (None, name)


def _assign(keys: list[Key], rule: NameRule, taken: set[Key]) -> dict[Key, str]:
    """Upstream names for ``keys``: names the upstream accepts are kept (reserved first),
    the others sanitised and made unique."""
    out: dict[Key, str] = {}
    used = set(taken)

    def wire_ns(key: Key) -> str | None:
        return key[0] if rule.namespaces else None

    for key in keys:
        if (rule.namespaces or key[0] is None) and rule.accepts(key[1]):
            if (wire_ns(key), key[1]) not in used:
                out[key] = key[1]
                used.add((wire_ns(key), key[1]))
    for key in keys:
        if key in out:
            continue
        base = key[1] if rule.namespaces else flat_name(key[0], key[1])
        wire = rule.sanitize(base)
        original = f"{key[0]}/{key[1]}" if key[0] else key[1]
        n = 1
        first = wire
        while (wire_ns(key), wire) in used:  # a clash: the original's hash tells them apart
            salt = original if n == 1 else f"{original}#{n}"
            wire = with_hash(first, salt, min(rule.max_length, len(first) + 9))
            n += 1
        out[key] = wire
        used.add((wire_ns(key), wire))
    return out


__all__ = ["ToolCallRestorer", "ToolNameMap", "unwrap_input"]
