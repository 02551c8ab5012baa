"""JSON Schema → Gemini Schema cleaning, judged by the SDK's strict ``types.Schema``."""

from __future__ import annotations

import json

import pytest
from google.genai import types

from gatewayctl.protocols.gemini import from_gemini_schema, function_parameters, to_gemini_schema

_ALLOWED = set(types.Schema.model_fields) - {"additional_properties", "defs", "ref", "title"}


def _keys_ok(node: object) -> None:
    """Only the Gemini Schema subset, recursively (camelCase keys of allowed fields)."""
    assert isinstance(node, dict)
    allowed = {types.Schema.model_fields[f].alias or f for f in _ALLOWED}
    assert set(node) <= allowed, set(node) - allowed
    for sub in (node.get("properties") or {}).values():
        _keys_ok(sub)
    if "items" in node:
        _keys_ok(node["items"])
    for sub in node.get("anyOf") or []:
        _keys_ok(sub)
    if node.get("properties") == {}:
        raise AssertionError("empty properties map")
    if "properties" in node or "required" in node:
        assert node.get("type") == "OBJECT"
    if "items" in node:
        assert node.get("type") == "ARRAY"
    if node.get("type") == "ARRAY":
        assert "items" in node
    for name in node.get("required") or []:
        assert name in node["properties"]
    if "enum" in node:
        assert all(isinstance(v, str) for v in node["enum"])


def check(schema: dict) -> dict:
    cleaned = to_gemini_schema(schema)
    _keys_ok(cleaned)
    types.Schema.model_validate_json(json.dumps(cleaned))
    return cleaned


MCP_LIKE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "$defs": {
        "Point": {
            "type": "object",
            "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
            "required": ["x", "y"],
        },
        "Node": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "child": {"$ref": "#/$defs/Node"}},
        },
    },
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "Record id"},
        "when": {"type": "string", "format": "date-time"},
        "kind": {"const": "point"},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "count": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10, "multipleOf": 2},
        "tags": {"type": "array", "uniqueItems": True},
        "maybe": {"type": ["string", "null"], "maxLength": 5, "minLength": 1},
        "either": {"type": ["string", "integer"]},
        "origin": {"$ref": "#/$defs/Point", "description": "Start"},
        "tree": {"$ref": "#/$defs/Node"},
        "shape": {"oneOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}]},
        "union": {
            "anyOf": [{"type": "string", "pattern": "^a+$"}, {"type": "number", "minimum": 0}]
        },
        "merged": {
            "allOf": [
                {"properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "boolean"}}},
            ]
        },
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
        "loose": {},
        "flag": {"type": "boolean", "required": True},
        "x-vendor": {"type": "string", "x-internal": True, "deprecated": True, "title": "Vendor"},
    },
    "required": ["id", "ghost"],
}


def test_mcp_like_schema_is_cleaned_to_the_subset() -> None:
    out = check(MCP_LIKE)
    props = out["properties"]
    assert out["type"] == "OBJECT"
    assert out["required"] == ["id", "flag"]  # "ghost" dropped, boolean required promoted
    assert props["id"] == {"type": "STRING", "description": "Record id (format: uuid)"}
    assert props["when"] == {"type": "STRING", "format": "date-time"}
    assert props["kind"] == {"type": "STRING", "enum": ["point"]}
    assert props["level"] == {"type": "INTEGER", "description": "(allowed values: 1, 2, 3)"}
    assert props["count"] == {
        "type": "INTEGER",
        "description": "(exclusiveMinimum: 0; multipleOf: 2)",
        "maximum": 10,
    }
    assert props["tags"] == {
        "type": "ARRAY",
        "description": "(uniqueItems: true)",
        "items": {"type": "STRING"},
    }
    assert props["maybe"] == {"type": "STRING", "minLength": 1, "maxLength": 5, "nullable": True}
    assert props["either"] == {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}
    point = {
        "type": "OBJECT",
        "properties": {"x": {"type": "NUMBER"}, "y": {"type": "NUMBER"}},
        "required": ["x", "y"],
    }
    assert props["origin"] == {**point, "description": "Start"}
    tree = props["tree"]
    assert tree["properties"]["name"] == {"type": "STRING"}
    assert tree["properties"]["child"] == {
        "type": "OBJECT",
        "description": "(recursive: Node)",
    }
    assert props["shape"] == {**point, "nullable": True}
    assert props["union"] == {
        "anyOf": [
            {"type": "STRING", "description": "(pattern: ^a+$)"},
            {"type": "NUMBER", "minimum": 0},
        ]
    }
    assert props["merged"] == {
        "type": "OBJECT",
        "properties": {"a": {"type": "STRING"}, "b": {"type": "BOOLEAN"}},
        "required": ["a"],
    }
    assert props["meta"] == {"type": "OBJECT"}
    assert props["loose"] == {}
    assert props["flag"] == {"type": "BOOLEAN"}
    assert props["x-vendor"] == {"type": "STRING"}


def test_cleaning_never_touches_the_input() -> None:
    before = json.dumps(MCP_LIKE, sort_keys=True)
    to_gemini_schema(MCP_LIKE)
    assert json.dumps(MCP_LIKE, sort_keys=True) == before


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"q": {"type": "string", "enum": ["a", None]}}},
        {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
        {"type": "array", "prefixItems": [{"type": "string"}]},
        {"properties": {"nested": {"properties": {"deep": {"type": "string"}}}}},
        {"type": "object", "properties": {"a": {"$ref": "#/definitions/missing"}}},
        {"type": "object", "properties": {"a": {"$ref": "https://example.com/schema.json"}}},
        {"type": "object", "properties": {"n": {"type": "null"}}},
        {
            "type": "object",
            "properties": {"e": {"enum": ["x", "y"], "default": "x", "examples": ["y"]}},
        },
        {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "opt"},
        {"type": "number", "format": "float", "minimum": 1.5},
        {"type": "integer", "format": "int64"},
        {"type": "string", "format": "email"},
        {"if": {"type": "string"}, "then": {"minLength": 1}, "not": {"const": "x"}},
    ],
)
def test_odd_schemas_stay_valid(schema: dict) -> None:
    check(schema)


def test_function_parameters_omitted_when_empty() -> None:
    assert function_parameters(None) is None
    assert function_parameters({}) is None
    assert function_parameters({"type": "object", "properties": {}}) is None
    assert (
        function_parameters({"type": "object", "additionalProperties": {"type": "string"}}) is None
    )
    assert function_parameters({"type": "object", "properties": {"a": {"type": "string"}}}) == {
        "type": "OBJECT",
        "properties": {"a": {"type": "STRING"}},
    }


def test_property_ordering_for_response_schemas() -> None:
    schema = {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "string"}}}
    out = to_gemini_schema(schema, order_properties=True)
    assert out["propertyOrdering"] == ["b", "a"]
    assert "propertyOrdering" not in to_gemini_schema(schema)


def test_gemini_schema_back_to_json_schema() -> None:
    gemini = {
        "type": "OBJECT",
        "properties": {
            "b": {"type": "STRING", "nullable": True, "format": "enum", "enum": ["x"]},
            "a": {"type": "ARRAY", "items": {"type": "INTEGER"}, "max_items": 3},
            "c": {
                "any_of": [{"type": "STRING"}, {"type": "NUMBER"}],
                "nullable": True,
                "example": "q",
            },
        },
        "property_ordering": ["a", "b", "c"],
        "required": ["a"],
    }
    assert from_gemini_schema(gemini) == {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
            "b": {"type": ["string", "null"], "enum": ["x"]},
            "c": {
                "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}],
                "examples": ["q"],
            },
        },
        "required": ["a"],
    }
    # cleaning the converted schema gives back an equivalent Gemini schema
    again = check(from_gemini_schema(gemini))
    assert again["properties"]["b"] == {"type": "STRING", "enum": ["x"], "nullable": True}
    assert list(again["properties"]) == ["a", "b", "c"]
