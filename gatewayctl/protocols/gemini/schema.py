"""JSON Schema ↔ Gemini's ``Schema`` (the OpenAPI 3.0 subset), applied to schemas only.

Why we emit Gemini's own ``Schema`` (``functionDeclarations[].parameters``,
``generationConfig.responseSchema``) rather than passing JSON Schema through
``parametersJsonSchema``/``responseJsonSchema``: the ``Schema`` message has a closed, documented
field set that every Gemini backend accepts (AI Studio, Vertex, the Code Assist backends behind
Gemini CLI and Antigravity), so a schema reduced to it never gets the request rejected with
``Unknown name "…"``, while the JSON-Schema fields are newer and unevenly supported. The cost is
that keywords outside the subset are dropped or turned into description hints.

:func:`to_gemini_schema` (JSON Schema → Gemini ``Schema``):

* local ``$ref`` (``#/$defs/X``, ``#/definitions/X``, any ``#/`` pointer) is inlined, sibling
  keywords winning; a recursive reference is cut to ``{type, description}`` with a
  ``(recursive: X)`` hint; ``$defs``/``definitions`` are then dropped; other ``$ref`` → hint;
* ``allOf`` branches are merged (properties and required united, first value wins otherwise);
* ``anyOf``/``oneOf``: ``null`` branches become ``nullable: true``; one remaining branch is
  merged into the parent; several stay as ``anyOf``;
* type arrays: ``["string", "null"]`` → ``STRING`` + ``nullable``; several non-null types →
  ``anyOf`` of one branch per type; a missing type is inferred (``properties`` → ``OBJECT``,
  ``items`` → ``ARRAY``, string ``enum`` → ``STRING``); type names are upper-cased;
* ``const`` → ``enum: [value]``; ``enum`` keeps string values only (a ``null`` member → nullable);
  a non-string enum/const is dropped and listed in the description (``allowed values: 1, 2``),
  because Gemini's enum is strings-only and rewriting the type would change the arguments;
* ``format`` is kept only where Gemini supports it (string ``date-time``/``enum``, integer
  ``int32``/``int64``, number ``float``/``double``); other formats, ``pattern`` (Gemini uses RE2),
  ``exclusiveMinimum``/``exclusiveMaximum``, ``multipleOf``, ``uniqueItems`` become hints;
* keywords are kept only for the type they apply to (``properties``/``required`` on ``OBJECT``,
  ``items`` on ``ARRAY``…): Gemini rejects ``properties`` on a non-object;
* ``required`` lists only declared properties; a property's boolean ``required: true`` (a
  malformed MCP shape) is promoted to the parent's list;
* an empty ``properties`` map is omitted (``should be non-empty for OBJECT type``), an ``ARRAY``
  without ``items`` gets ``items: {type: STRING}`` (Gemini requires items);
* everything else (``$schema``, ``$id``, ``additionalProperties``, ``patternProperties``,
  ``propertyNames``, ``if``/``then``/``else``, ``not``, ``title``, ``examples``, ``x-*``,
  ``deprecated``, ``readOnly``…) is dropped.

:func:`from_gemini_schema` reads a Gemini ``Schema`` (either spelling, either type case) back
into JSON Schema: lower-case types, ``nullable`` → ``"null"`` in the type (or a null ``anyOf``
branch), ``propertyOrdering`` applied to the order of ``properties`` and dropped,
``example`` → ``examples: [value]``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}

_FORMATS = {
    "STRING": {"date-time", "enum"},
    "INTEGER": {"int32", "int64"},
    "NUMBER": {"float", "double"},
}

# keywords of the Gemini Schema that only make sense for one type
_BY_TYPE = {
    "OBJECT": ("properties", "required", "minProperties", "maxProperties", "propertyOrdering"),
    "ARRAY": ("items", "minItems", "maxItems"),
    "STRING": ("minLength", "maxLength", "enum"),
    "NUMBER": ("minimum", "maximum"),
    "INTEGER": ("minimum", "maximum"),
}
_COMMON = ("description", "nullable", "default", "example")

_HINT_KEYS = ("pattern", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems")

_MAX_DEPTH = 48


def to_gemini_schema(schema: dict[str, Any], *, order_properties: bool = False) -> dict[str, Any]:
    """Clean one JSON Schema into Gemini's ``Schema`` subset (see the module docstring).

    ``order_properties`` adds ``propertyOrdering`` (the declared property order) to objects
    with several properties: Gemini orders structured output alphabetically without it.
    """
    return _Cleaner(schema, order_properties).clean(schema, 0, ())


def function_parameters(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A tool's JSON Schema as ``FunctionDeclaration.parameters``; None for a tool without
    parameters (Gemini rejects an ``OBJECT`` with empty ``properties``, so we omit the field)."""
    if not schema:
        return None
    cleaned = to_gemini_schema(schema)
    if cleaned.get("type") == "OBJECT" and not cleaned.get("properties"):
        return None
    return cleaned


class _Cleaner:
    def __init__(self, root: dict[str, Any], order_properties: bool) -> None:
        self.root = root
        self.order = order_properties

    # -- entry -------------------------------------------------------------------------

    def clean(self, node: Any, depth: int, refs: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(node, dict) or depth > _MAX_DEPTH:
            return {}
        node, refs, hints = self._resolve(node, refs)
        node = self._merge_all_of(node, depth, refs)
        return self._clean_resolved(node, depth, refs, hints)

    # -- $ref and allOf --------------------------------------------------------------------

    def _resolve(
        self, node: dict[str, Any], refs: tuple[str, ...]
    ) -> tuple[dict[str, Any], tuple[str, ...], list[str]]:
        hints: list[str] = []
        seen = 0
        while isinstance(node.get("$ref"), str) and seen < _MAX_DEPTH:
            seen += 1
            ref = node["$ref"]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            name = ref.rsplit("/", 1)[-1]
            target = self._pointer(ref) if ref.startswith("#") else None
            if not isinstance(target, dict):
                hints.append(f"see: {name}")
                return siblings, refs, hints
            if ref in refs:  # recursion: keep only what is shallow
                cut = {k: target[k] for k in ("type", "description") if k in target}
                cut.update(siblings)
                hints.append(f"recursive: {name}")
                return cut, refs, hints
            refs = (*refs, ref)
            node = {**target, **siblings}
        return node, refs, hints

    def _pointer(self, ref: str) -> Any:
        if ref == "#":
            return self.root
        if not ref.startswith("#/"):
            return None
        current: Any = self.root
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(current, dict) and part in current:
                current = current[part]
            elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
                current = current[int(part)]
            else:
                return None
        return current

    def _merge_all_of(
        self, node: dict[str, Any], depth: int, refs: tuple[str, ...]
    ) -> dict[str, Any]:
        branches = node.get("allOf")
        if not isinstance(branches, list):
            return node
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for branch in branches:
            if not isinstance(branch, dict):
                continue
            branch, _, _ = self._resolve(branch, refs)
            branch = self._merge_all_of(branch, depth + 1, refs)
            for key, value in branch.items():
                if key == "properties" and isinstance(value, dict):
                    props = dict(merged.get("properties") or {})
                    for name, sub in value.items():
                        props.setdefault(name, sub)
                    merged["properties"] = props
                elif key == "required" and isinstance(value, list):
                    required = list(merged.get("required") or [])
                    required += [r for r in value if r not in required]
                    merged["required"] = required
                else:
                    merged.setdefault(key, value)
        return merged

    # -- one resolved node ---------------------------------------------------------------

    def _clean_resolved(
        self, node: dict[str, Any], depth: int, refs: tuple[str, ...], hints: list[str]
    ) -> dict[str, Any]:
        nullable = node.get("nullable") is True
        types, type_null = _types(node.get("type"))
        nullable = nullable or type_null

        # enum / const
        enum_values: list[Any] | None = None
        if "const" in node:
            enum_values = [node["const"]]
        elif isinstance(node.get("enum"), list):
            enum_values = list(node["enum"])
        string_enum: list[str] | None = None
        if enum_values is not None:
            if None in enum_values:
                nullable = True
                enum_values = [v for v in enum_values if v is not None]
            if enum_values and all(isinstance(v, str) for v in enum_values):
                string_enum = enum_values
                if not types:
                    types = ["string"]
            elif enum_values:
                hints.append("allowed values: " + ", ".join(_show(v) for v in enum_values))

        # unions
        union = node.get("anyOf") if isinstance(node.get("anyOf"), list) else node.get("oneOf")
        if isinstance(union, list):
            branches: list[dict[str, Any]] = []
            for branch in union:
                if not isinstance(branch, dict):
                    continue
                btypes, bnull = _types(branch.get("type"))
                if bnull and not btypes and not _has_content(branch):
                    nullable = True
                    continue
                cleaned = self.clean(branch, depth + 1, refs)
                if cleaned.pop("nullable", False):
                    nullable = True
                if cleaned:
                    branches.append(cleaned)
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
            if len(branches) == 1 and not types:
                single = branches[0]
                base = self._clean_resolved(rest, depth, refs, hints) if _has_content(rest) else {}
                out = {**single, **{k: v for k, v in base.items() if k != "type"}}
                if "type" not in out and "type" in base:
                    out["type"] = base["type"]
                if nullable:
                    out["nullable"] = True
                return out
            if len(branches) > 1:
                out = self._common(rest, hints)
                out["anyOf"] = branches
                if nullable:
                    out["nullable"] = True
                return out

        # infer a missing type
        if not types:
            if isinstance(node.get("properties"), dict):
                types = ["object"]
            elif "items" in node or "prefixItems" in node:
                types = ["array"]
        if len(types) > 1:
            rest = {k: v for k, v in node.items() if k not in ("type", "enum", "const")}
            out = self._common(rest, hints)
            out["anyOf"] = [
                self._typed(rest, t.upper(), string_enum, depth, refs, []) for t in types
            ]
            if nullable:
                out["nullable"] = True
            return out
        gtype = types[0].upper() if types else None
        out = self._typed(node, gtype, string_enum, depth, refs, hints)
        if nullable:
            out["nullable"] = True
        return out

    def _typed(
        self,
        node: dict[str, Any],
        gtype: str | None,
        string_enum: list[str] | None,
        depth: int,
        refs: tuple[str, ...],
        hints: list[str],
    ) -> dict[str, Any]:
        hints = list(hints)
        for key in _HINT_KEYS:
            if key in node and node[key] is not None and node[key] is not False:
                hints.append(f"{key}: {_show(node[key])}")
        fmt = node.get("format")
        keep_format = None
        if isinstance(fmt, str) and fmt:
            if gtype is not None and fmt in _FORMATS.get(gtype, set()):
                keep_format = fmt
            else:
                hints.append(f"format: {fmt}")
        out: dict[str, Any] = {}
        if gtype is not None and gtype != "NULL":
            out["type"] = gtype
        if keep_format:
            out["format"] = keep_format
        out.update(self._common(node, hints))
        if gtype == "OBJECT":
            self._object(node, out, depth, refs)
        elif gtype == "ARRAY":
            items = node.get("items")
            if isinstance(items, list):  # draft-4 tuple form
                items = {"anyOf": items} if items else None
            if items is None and isinstance(node.get("prefixItems"), list):
                items = {"anyOf": node["prefixItems"]}
            cleaned = self.clean(items, depth + 1, refs) if isinstance(items, dict) else {}
            out["items"] = cleaned or {"type": "STRING"}
        if gtype is not None:
            for key in _BY_TYPE.get(gtype, ()):
                if key in ("properties", "required", "items", "enum", "propertyOrdering"):
                    continue
                value = node.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    out[key] = value
        if string_enum is not None and gtype in (None, "STRING"):
            out["enum"] = string_enum
        return out

    def _object(
        self, node: dict[str, Any], out: dict[str, Any], depth: int, refs: tuple[str, ...]
    ) -> None:
        props = node.get("properties")
        required = [r for r in node.get("required") or [] if isinstance(r, str)]
        if isinstance(props, dict) and props:
            cleaned: dict[str, Any] = {}
            for name, sub in props.items():
                if isinstance(sub, dict) and isinstance(sub.get("required"), bool):
                    if sub["required"] and name not in required:
                        required.append(name)
                    sub = {k: v for k, v in sub.items() if k != "required"}
                cleaned[str(name)] = self.clean(sub, depth + 1, refs)
            out["properties"] = cleaned
            required = [r for r in required if r in cleaned]
            if required:
                out["required"] = required
            if self.order and len(cleaned) > 1:
                out["propertyOrdering"] = list(cleaned)

    def _common(self, node: dict[str, Any], hints: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        description = node.get("description")
        text = description if isinstance(description, str) else ""
        if hints:
            note = "(" + "; ".join(dict.fromkeys(hints)) + ")"
            text = f"{text} {note}" if text else note
        if text:
            out["description"] = text
        if "default" in node and node["default"] is not None:
            out["default"] = copy.deepcopy(node["default"])
        if "example" in node and node["example"] is not None:
            out["example"] = copy.deepcopy(node["example"])
        elif isinstance(node.get("examples"), list) and node["examples"]:
            out["example"] = copy.deepcopy(node["examples"][0])
        return out


def _types(value: Any) -> tuple[list[str], bool]:
    """Declared JSON Schema types (lower-case, without null) and whether null was one."""
    raw = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    names = [t.lower() for t in raw if isinstance(t, str) and t.lower() in _TYPES]
    is_null = "null" in names
    return [t for t in dict.fromkeys(names) if t != "null"], is_null


def _has_content(node: dict[str, Any]) -> bool:
    return any(k not in ("type", "description", "title", "$comment") for k in node)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------------------
# Gemini Schema → JSON Schema
# --------------------------------------------------------------------------------------

_SNAKE_KEYS = {
    "any_of": "anyOf",
    "max_items": "maxItems",
    "min_items": "minItems",
    "max_length": "maxLength",
    "min_length": "minLength",
    "max_properties": "maxProperties",
    "min_properties": "minProperties",
    "property_ordering": "propertyOrdering",
    "additional_properties": "additionalProperties",
    "defs": "$defs",
    "ref": "$ref",
}


def from_gemini_schema(schema: Any) -> dict[str, Any]:
    """A Gemini ``Schema`` (OpenAPI subset) as JSON Schema (see the module docstring)."""
    return _from(schema, 0)


def _from(node: Any, depth: int) -> dict[str, Any]:
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return {}
    src: dict[str, Any] = {_SNAKE_KEYS.get(str(k), str(k)): v for k, v in node.items()}
    out: dict[str, Any] = {}
    ordering = src.get("propertyOrdering")
    for key, value in src.items():
        if key in ("nullable", "propertyOrdering"):
            continue
        if key == "type":
            if isinstance(value, str) and value.lower() in _TYPES:
                out["type"] = value.lower()
            elif isinstance(value, list):
                out["type"] = [t.lower() if isinstance(t, str) else t for t in value]
        elif key == "properties" and isinstance(value, dict):
            names = list(value)
            if isinstance(ordering, list):
                first = [n for n in ordering if n in value]
                names = first + [n for n in names if n not in first]
            out["properties"] = {n: _from(value[n], depth + 1) for n in names}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _from(value, depth + 1)
        elif key == "anyOf" and isinstance(value, list):
            out["anyOf"] = [_from(b, depth + 1) for b in value]
        elif key == "$defs" and isinstance(value, dict):
            out["$defs"] = {n: _from(s, depth + 1) for n, s in value.items()}
        elif key == "example":
            out["examples"] = [copy.deepcopy(value)]
        elif key == "format" and value == "enum":
            continue
        else:
            out[key] = copy.deepcopy(value)
    if src.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list):
            if "null" not in kind:
                out["type"] = [*kind, "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out
