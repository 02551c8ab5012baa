"""The protocol-neutral helpers every codec uses: field readers, media facts, the reasoning
effort ↔ budget table — and that every codec applies the same table."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import arguments, errorkinds, fields, ir, media, reasoning
from gatewayctl.protocols.registry import get_codec
from gatewayctl.protocols.usage import merge_usage

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
JPEG = "/9j/4AAQSkZJRgABAQAAAQABAAD"

# fields ------------------------------------------------------------------------------


def test_value_checkers_name_the_field() -> None:
    assert fields.as_str(None, "a.b") is None
    assert fields.as_int(3.0, "n") == 3
    assert fields.as_int("42", "n", int_strings=True) == 42
    assert fields.as_float(2, "x") == 2
    assert fields.as_bool(False, "flag") is False
    assert fields.as_dict({}, "o") == {} and fields.as_list([], "l") == []
    for call, message in [
        (lambda: fields.as_str(1, "messages[0].role"), "messages[0].role must be a string"),
        (lambda: fields.as_int(True, "n"), "n must be an integer"),
        (lambda: fields.as_int("42", "n"), "n must be an integer"),
        (lambda: fields.as_int(1.5, "n"), "n must be an integer"),
        (lambda: fields.as_float("1", "t"), "t must be a number"),
        (lambda: fields.as_bool(0, "b"), "b must be a boolean"),
        (lambda: fields.as_dict([], "o"), "o must be an object"),
        (lambda: fields.as_list({}, "l"), "l must be an array"),
        (lambda: fields.require_dict("x", "request body"), "request body must be an object"),
        (lambda: fields.get_str({"k": 2}, "k", "where"), "where.k must be a string"),
    ]:
        with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
            call()


def test_counts_are_read_leniently() -> None:
    assert fields.count_or_none(7) == 7
    assert fields.count_or_none(7.0) == 7
    assert fields.count_or_none("12") == 12
    for value in (None, True, "x", 1.5, [], {}):
        assert fields.count_or_none(value) is None


def test_require_str_and_content_parts() -> None:
    assert fields.require_str({"name": "x"}, "name", "tools[0]") == "x"
    for obj in ({}, {"name": ""}, {"name": None}):
        with pytest.raises(InvalidInput, match=r"tools\[0\]\.name is required"):
            fields.require_str(obj, "name", "tools[0]")
    assert fields.content_parts(None, "c") == ""
    assert fields.content_parts("hi", "c") == "hi"
    assert fields.content_parts([{"type": "text"}], "m.content") == [
        ("m.content[0]", {"type": "text"})
    ]
    with pytest.raises(InvalidInput, match="c must be a string or an array of parts"):
        fields.content_parts(3, "c")
    with pytest.raises(InvalidInput, match=r"c\[1\] must be an object"):
        fields.content_parts([{}, "x"], "c")


def test_writers() -> None:
    out: dict[str, Any] = {"a": 1}
    fields.put_present(out, ("b", 2), ("c", None), ("d", 0), ("e", False))
    assert out == {"a": 1, "b": 2, "d": 0, "e": False}
    fields.add_missing(out, {"a": 9, "f": 3})
    fields.add_missing(out, None)
    assert out == {"a": 1, "b": 2, "d": 0, "e": False, "f": 3}


# errors, arguments, usage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "invalid_request"), (409, "invalid_request"), (401, "authentication")]
    + [(402, "permission"), (403, "permission"), (404, "not_found"), (408, "timeout")]
    + [(413, "request_too_large"), (418, "invalid_request"), (429, "rate_limit")]
    + [(500, "api_error"), (502, "api_error"), (503, "overloaded"), (529, "overloaded")]
    + [(504, "timeout"), (200, None)],
)
def test_kind_for_status(status: int, kind: str | None) -> None:
    assert errorkinds.kind_for_status(status) == kind
    if kind is not None:
        assert errorkinds.kind_for_status(errorkinds.status_for_kind(kind)) == kind  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind", "obj"),
    [
        ("", "function", {}),
        ('{"a": 1}', "function", {"a": 1}),
        ("[1, 2]", "function", {"value": [1, 2]}),
        ('{"a": ', "function", {"raw": '{"a": '}),
        ("*** Begin Patch", "custom", {"input": "*** Begin Patch"}),
    ],
)
def test_arguments_to_object(text: str, kind: str, obj: dict[str, Any]) -> None:
    assert arguments.to_object(text, kind) == obj


def test_arguments_to_text() -> None:
    assert arguments.to_text(None) == "{}"
    assert arguments.to_text({"city": "Zürich"}) == '{"city": "Zürich"}'


def test_merge_usage_keeps_what_was_reported_once() -> None:
    start = ir.Usage(input_tokens=10, cache_read_tokens=4)
    end = ir.Usage(output_tokens=3, input_tokens=None)
    merged = merge_usage(start, end)
    assert merged == ir.Usage(input_tokens=10, output_tokens=3, cache_read_tokens=4)
    assert merge_usage(None, None) is None
    copy = merge_usage(start, None)
    assert copy == start and copy is not start


# media --------------------------------------------------------------------------------


def test_data_uri_media_type_is_sniffed_when_missing() -> None:
    assert media.parse_data_uri(f"data:;base64,{PNG}") == ("image/png", PNG)
    assert media.parse_data_uri(f"data:image/jpeg;base64,{JPEG}") == ("image/jpeg", JPEG)
    text = base64.b64encode(b"hi").decode()
    assert media.parse_data_uri("data:,hi") == ("text/plain", text)
    assert media.parse_data_uri("https://example.com/a.png") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("https://example.com/cat.JPG?size=large#x", "image/jpeg"),
        ("https://example.com/pic.webp", "image/webp"),
        ("report.pdf", "application/pdf"),
        ("https://example.com/photo-123", None),
        ("https://example.com/dir.png/file", None),
        (None, None),
    ],
)
def test_guess_media_type(name: str | None, expected: str | None) -> None:
    assert media.guess_media_type(name, None) == expected


def test_sniff_media_type() -> None:
    assert media.sniff_media_type(PNG) == "image/png"
    assert media.sniff_media_type(JPEG) == "image/jpeg"
    assert media.sniff_media_type("R0lGODlh") == "image/gif"
    assert media.sniff_media_type("JVBERi0x", "x") == "application/pdf"
    assert media.sniff_media_type("AAAA", "application/octet-stream") == "application/octet-stream"


# reasoning ----------------------------------------------------------------------------


def test_effort_budget_table_round_trips() -> None:
    for effort in ("minimal", "low", "medium", "high", "xhigh"):
        assert reasoning.budget_to_effort(reasoning.effort_to_budget(effort)) == effort
    assert reasoning.budget_to_effort(0) == "none"
    assert reasoning.effort_to_budget("none") == 0
    assert reasoning.effort_to_budget(None) == reasoning.EFFORT_BUDGET["medium"]
    assert reasoning.budget_to_effort(31999) == "xhigh"  # Claude Code's 4.5-model budget
    assert reasoning.budget_to_effort(2048) == "medium"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("HIGH", "high"), ("max", "xhigh"), (" Low ", "low"), ("turbo", "medium"), (None, None)],
)
def test_normalize_effort(value: str | None, expected: str | None) -> None:
    assert reasoning.normalize_effort(value) == expected


def test_nearest_effort_prefers_the_closest_then_the_higher_level() -> None:
    assert reasoning.nearest_effort("xhigh", ("low", "medium", "high")) == "high"
    assert reasoning.nearest_effort("minimal", ("low", "medium", "high")) == "low"
    assert reasoning.nearest_effort("medium", ("low", "high")) == "high"
    assert reasoning.nearest_effort("none", ("minimal", "low")) == "minimal"
    assert reasoning.nearest_effort("high", ("high",)) == "high"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (None, None),
        (ir.ReasoningConfig(effort="high"), "high"),
        (ir.ReasoningConfig(enabled=True, budget_tokens=1024), "low"),
        (ir.ReasoningConfig(enabled=False), "none"),
        (ir.ReasoningConfig(enabled=True), None),  # "on", size unsaid
        (ir.ReasoningConfig(include_thoughts=True), None),
        (ir.ReasoningConfig(summary="auto"), None),
    ],
)
def test_requested_effort(config: ir.ReasoningConfig | None, expected: str | None) -> None:
    assert reasoning.requested_effort(config) == expected


def _emit(protocol: str, config: ir.ReasoningConfig, model: str) -> dict[str, Any]:
    request = ir.Request(
        model=model, messages=[ir.Message("user", [ir.TextPart("q")])], reasoning=config
    )
    return get_codec(protocol).emit_request(request)


@pytest.mark.parametrize("effort", ["minimal", "low", "medium", "high", "xhigh"])
def test_every_codec_applies_the_same_table(effort: str) -> None:
    """One effort maps to the same budget (Anthropic, Gemini 2.5) and the nearest level the
    target knows (OpenAI, Gemini 3) everywhere."""
    budget = reasoning.EFFORT_BUDGET[effort]
    config = ir.ReasoningConfig(effort=effort)
    anthropic = _emit("anthropic", config, "claude-sonnet-4-5")
    assert anthropic["thinking"] == {"type": "enabled", "budget_tokens": max(1024, budget)}
    gemini_pro = _emit("gemini", config, "gemini-2.5-pro")
    assert gemini_pro["generationConfig"]["thinkingConfig"]["thinkingBudget"] == budget
    gemini3 = _emit("gemini", config, "gemini-3-flash-preview")
    level = gemini3["generationConfig"]["thinkingConfig"]["thinkingLevel"]
    assert level == ("HIGH" if effort == "xhigh" else effort.upper())
    assert _emit("openai_chat", config, "o3")["reasoning_effort"] == effort
    assert _emit("openai_responses", config, "o3")["reasoning"]["effort"] == effort


@pytest.mark.parametrize(
    ("budget", "openai", "gemini3_flash"),
    [(300, "low", "MINIMAL"), (1024, "low", "LOW"), (4096, "medium", "MEDIUM")]
    + [(24576, "high", "HIGH"), (31999, "high", "HIGH")],
)
def test_a_budget_becomes_the_same_level_everywhere(
    budget: int, openai: str, gemini3_flash: str
) -> None:
    config = ir.ReasoningConfig(enabled=True, budget_tokens=budget)
    assert _emit("openai_chat", config, "o3")["reasoning_effort"] == openai
    assert _emit("openai_responses", config, "o3")["reasoning"]["effort"] == openai
    # Gemini takes a budget as is, also on Gemini 3
    gemini = _emit("gemini", config, "gemini-3-flash-preview")["generationConfig"]
    assert gemini["thinkingConfig"]["thinkingBudget"] == budget
    assert reasoning.nearest_effort(
        reasoning.budget_to_effort(budget), ("minimal", "low", "medium", "high")
    ).upper() == (gemini3_flash)


def test_gemini3_pro_gets_only_the_levels_it_knows() -> None:
    for effort, level in [("minimal", "LOW"), ("medium", "HIGH"), ("xhigh", "HIGH")]:
        body = _emit("gemini", ir.ReasoningConfig(effort=effort), "gemini-3-pro-preview")
        assert body["generationConfig"]["thinkingConfig"]["thinkingLevel"] == level
