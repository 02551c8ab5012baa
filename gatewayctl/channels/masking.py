"""Custom-channel ``mask_table``: strip request body fields before they go upstream (spec §5.9).

``settings.mask_table = {"rules": [{"method"?, "path"?, "remove_fields": [...]}]}``

A rule applies when its ``method`` matches case-insensitively (absent: any) and its ``path``
matches the *upstream* path (``/v1/chat/completions``): exact, ``*`` for any, or ``prefix*``.
Field paths are dot-separated: a name selects an object key, ``*`` every key of an object or
every element of an array, a number an array index. The last segment is removed (``a.*``
empties ``a``). Only JSON object bodies are touched; the input is never mutated — changed
branches are copied, untouched ones shared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatewayctl.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class MaskRule:
    method: str | None
    path: str | None
    remove_fields: tuple[tuple[str, ...], ...]

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if not self.path or self.path == "*":
            return True
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


@dataclass(frozen=True, slots=True)
class MaskTable:
    rules: tuple[MaskRule, ...] = ()

    def apply(self, method: str, path: str, body: Any) -> Any:
        """``body`` with every matching rule's fields removed (the same object if none)."""
        if not isinstance(body, dict):
            return body
        out: Any = body
        for rule in self.rules:
            if rule.matches(method, path):
                for keys in rule.remove_fields:
                    out = remove_path(out, keys)
        return out


def _opt_str(rule: dict[str, Any], name: str, where: str) -> str | None:
    value = rule.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where}.{name} must be a string")
    return value.strip() or None


def parse_mask_table(value: Any) -> MaskTable:
    """Parse the ``mask_table`` setting (object or JSON text); InvalidInput names the fault."""
    if value is None or value == "":
        return MaskTable()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"mask_table is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise InvalidInput('mask_table must be an object {"rules": [...]}')
    rules_in = value.get("rules", [])
    if not isinstance(rules_in, list):
        raise InvalidInput("mask_table.rules must be a list")
    rules: list[MaskRule] = []
    for i, rule in enumerate(rules_in):
        where = f"mask_table.rules[{i}]"
        if not isinstance(rule, dict):
            raise InvalidInput(f"{where} must be an object")
        fields = rule.get("remove_fields", [])
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise InvalidInput(f"{where}.remove_fields must be a list of strings")
        paths = tuple(
            keys for keys in (tuple(s for s in f.split(".") if s.strip()) for f in fields) if keys
        )
        rules.append(
            MaskRule(_opt_str(rule, "method", where), _opt_str(rule, "path", where), paths)
        )
    return MaskTable(tuple(rules))


def remove_path(node: Any, keys: Sequence[str]) -> Any:
    """``node`` without the field at ``keys``; unchanged branches are shared, not copied."""
    if not keys:
        return node
    head, tail = keys[0], keys[1:]
    if isinstance(node, dict):
        if head == "*":
            if not tail:
                return {} if node else node
            changed = {k: remove_path(v, tail) for k, v in node.items()}
            return changed if any(changed[k] is not node[k] for k in node) else node
        if head not in node:
            return node
        if not tail:
            return {k: v for k, v in node.items() if k != head}
        child = remove_path(node[head], tail)
        if child is node[head]:
            return node
        out = dict(node)
        out[head] = child
        return out
    if isinstance(node, list):
        if head == "*":
            if not tail:
                return [] if node else node
            items = [remove_path(v, tail) for v in node]
            return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
        if not head.isdigit():
            return node
        index = int(head)
        if index >= len(node):
            return node
        if not tail:
            return node[:index] + node[index + 1 :]
        child = remove_path(node[index], tail)
        if child is node[index]:
            return node
        return [*node[:index], child, *node[index + 1 :]]
    return node
