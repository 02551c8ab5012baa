"""The tool names each protocol's API accepts, and how a name is made acceptable.

Clients name tools freely within their own protocol's rules, and the rules differ:

=================  ===============================  ==========  =========================
protocol           characters                       max length  other
=================  ===============================  ==========  =========================
OpenAI Chat        ``A-Z a-z 0-9 _ -``              64
OpenAI Responses   ``A-Z a-z 0-9 _ -``              64          tools may sit in a
                                                                ``namespace`` (calls carry
                                                                ``name`` + ``namespace``)
Anthropic          ``A-Z a-z 0-9 _ -``              128         ``^[a-zA-Z0-9_-]{1,128}$``
Gemini             ``A-Z a-z 0-9 _ . : -``          64          starts with a letter or
                                                                ``_``
=================  ===============================  ==========  =========================

(OpenAI: "a-z, A-Z, 0-9, underscores and dashes, maximum length 64"; Anthropic's 400 names the
pattern; google-genai's ``FunctionDeclaration.name``: "Must start with a letter or an
underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes" — its
length limit has been 64 and lately 128 in the SDK text; we keep to 64, the limit every API
version accepts.) So Gemini CLI's ``server.tool`` names are refused by OpenAI and Anthropic,
and a long ``mcp__server__tool`` name from Claude Code by OpenAI and Gemini.

:class:`NameRule` says what a protocol accepts and rewrites a name into that set
(:meth:`NameRule.sanitize`: forbidden characters become ``_``, the case is never changed, an
over-long name is cut and given a hash of the original so two long names stay distinct).
:func:`flat_name` is how a Responses namespace member is named where there are no namespaces:
Codex's own convention ``<namespace>__<name>`` (``multi_agent_v1__spawn_agent``).

The per-exchange mapping (rename on the way out, restore in the answer) is
:class:`gatewayctl.translate.toolnames.ToolNameMap`, built on these rules.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from gatewayctl.protocols import ir

NAMESPACE_DELIMITER = "__"
_HASH_LEN = 8


@dataclass(frozen=True, slots=True)
class NameRule:
    """What one protocol accepts as a tool name."""

    forbidden: re.Pattern[str]  # one character the protocol does not accept
    max_length: int
    first: re.Pattern[str] | None = None  # the characters a name may start with
    namespaces: bool = False  # the protocol has tool namespaces (Responses)

    def accepts(self, name: str) -> bool:
        """Whether ``name`` is a valid tool name as it is."""
        if not name or len(name) > self.max_length or self.forbidden.search(name):
            return False
        return self.first is None or bool(self.first.match(name))

    def sanitize(self, name: str) -> str:
        """``name`` rewritten into this protocol's set (``name`` itself when accepted)."""
        if self.accepts(name):
            return name
        out = self.forbidden.sub("_", name) or "tool"
        if self.first is not None and not self.first.match(out):
            out = "_" + out
        if len(out) > self.max_length:
            out = with_hash(out, name, self.max_length)
        return out


def with_hash(base: str, original: str, max_length: int) -> str:
    """``base`` cut to fit ``max_length`` with ``_<8 hex of sha1(original)>`` at the end: the
    same original always gives the same name, different originals (almost surely) not."""
    digest = hashlib.sha1(original.encode("utf-8")).hexdigest()[:_HASH_LEN]
    return base[: max_length - _HASH_LEN - 1] + "_" + digest


def flat_name(namespace: str | None, name: str) -> str:
    """The flat name of a namespace member (Codex's ``ToolName::canonical_flat_name``: one
    ``__`` between the parts, stray underscores around it trimmed); ``name`` without one."""
    if not namespace:
        return name
    return f"{namespace.rstrip('_')}{NAMESPACE_DELIMITER}{name.lstrip('_')}"


_OPENAI = re.compile(r"[^A-Za-z0-9_-]")

RULES: dict[ir.ProtocolName, NameRule] = {
    "openai_chat": NameRule(_OPENAI, 64),
    "openai_responses": NameRule(_OPENAI, 64, namespaces=True),
    "anthropic": NameRule(re.compile(r"[^A-Za-z0-9_-]"), 128),
    "gemini": NameRule(re.compile(r"[^A-Za-z0-9_.:-]"), 64, first=re.compile(r"[A-Za-z_]")),
}

# Protocols with free-form (custom) tools; the others get a custom tool as a function taking
# ``{"input": string}`` and answer with such JSON calls.
CUSTOM_TOOLS: frozenset[str] = frozenset({"openai_chat", "openai_responses"})


__all__ = ["CUSTOM_TOOLS", "NAMESPACE_DELIMITER", "RULES", "NameRule", "flat_name", "with_hash"]
