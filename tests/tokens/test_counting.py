"""count_text / count_tokens: exact for OpenAI models, documented estimates otherwise."""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib

import pytest

from gatewayctl.protocols import ir
from gatewayctl.tokens import (
    count_parts,
    count_text,
    count_tokens,
    counting,
    get_encoding,
    media,
    scheme_for_model,
)

pytestmark = pytest.mark.usefixtures("no_network")


@pytest.mark.parametrize(
    ("model", "encoding", "exact"),
    [
        ("gpt-4o", "o200k_base", True),
        ("gpt-4o-mini-2024-07-18", "o200k_base", True),
        ("gpt-4.1-nano", "o200k_base", True),
        ("gpt-5", "o200k_base", True),
        ("gpt-5-codex", "o200k_base", True),
        ("o3", "o200k_base", True),
        ("o4-mini", "o200k_base", True),
        ("o1-preview", "o200k_base", True),
        ("gpt-oss-120b", "o200k_base", True),
        ("openai/gpt-4o", "o200k_base", True),
        ("GPT-4O", "o200k_base", True),
        ("gpt-4", "cl100k_base", True),
        ("gpt-4-turbo", "cl100k_base", True),
        ("gpt-3.5-turbo", "cl100k_base", True),
        ("text-embedding-3-small", "cl100k_base", True),
        ("text-embedding-ada-002", "cl100k_base", True),
        ("claude-sonnet-4-5", "o200k_base", False),
        ("models/gemini-2.5-flash", "o200k_base", False),
        ("llama-3.3-70b", "o200k_base", False),
    ],
)
def test_scheme_for_model(model: str, encoding: str, exact: bool) -> None:
    scheme = scheme_for_model(model)
    assert scheme.encoding == encoding
    assert scheme.exact is exact


def test_scheme_families() -> None:
    assert scheme_for_model("claude-opus-4-1").family == "anthropic"
    assert scheme_for_model("gemini-3-pro-preview").family == "gemini"
    assert scheme_for_model("deepseek-chat").family == "other"
    assert scheme_for_model("gpt-5.5").family == "openai"


SAMPLES = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Здравствуйте! 你好，世界。 مرحبا",
    "```python\nfor i in range(10):\n    print(i)\n```",
    "<|endoftext|><|endofprompt|>",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_count_text_is_exact_for_openai(text: str) -> None:
    assert count_text("gpt-4o", text) == len(get_encoding("o200k_base").encode_ordinary(text))
    assert count_text("gpt-4", text) == len(get_encoding("cl100k_base").encode_ordinary(text))


def test_known_counts() -> None:
    assert count_text("gpt-4o", "hello world") == 2
    assert count_text("gpt-5", "tiktoken is great!") == 6
    assert count_text("gpt-3.5-turbo", "tiktoken is great!") == 6


def test_estimates_apply_family_factor() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20
    base = len(get_encoding("o200k_base").encode_ordinary(text))
    assert count_text("claude-sonnet-4-5", text) == math.ceil(base * counting.ANTHROPIC_FACTOR)
    assert count_text("gemini-2.5-pro", text) == math.ceil(base * counting.GEMINI_FACTOR)
    assert count_text("mistral-large", text) == base


def _enc(text: str) -> int:
    return len(get_encoding("o200k_base").encode_ordinary(text))


def test_count_request_openai_overhead() -> None:
    """Cookbook formula: 3 per message + content, +3 reply priming; system is one message."""
    req = ir.Request(
        model="gpt-4o",
        system=[ir.TextPart("You are terse.")],
        messages=[
            ir.Message("user", [ir.TextPart("What is the weather in Paris?")]),
            ir.Message(
                "assistant",
                [ir.ToolCallPart("call_1", "get_weather", '{"city":"Paris"}')],
            ),
            ir.Message(
                "user",
                [ir.ToolResultPart("call_1", [ir.TextPart("18C sunny")], name="get_weather")],
            ),
        ],
    )
    expected = (
        4 * 3
        + 3
        + _enc("You are terse.")
        + _enc("What is the weather in Paris?")
        + _enc("get_weather")
        + _enc('{"city":"Paris"}')
        + _enc("18C sunny")
    )
    assert count_tokens("gpt-4o", req) == expected


def test_count_request_includes_tools_and_schema() -> None:
    params = {"type": "object", "properties": {"city": {"type": "string"}}}
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    bare = ir.Request(model="gpt-4o", messages=[ir.Message("user", [ir.TextPart("hi")])])
    with_tools = ir.Request(
        model="gpt-4o",
        messages=[ir.Message("user", [ir.TextPart("hi")])],
        tools=[ir.Tool("get_weather", "Get the weather", params)],
        response_format=ir.ResponseFormat("json_schema", schema=schema, name="out"),
    )
    extra = (
        counting.TOKENS_PER_TOOL
        + _enc("get_weather")
        + _enc("Get the weather")
        + _enc(json.dumps(params))
        + _enc(json.dumps(schema))
    )
    assert count_tokens("gpt-4o", with_tools) == count_tokens("gpt-4o", bare) + extra


def test_count_tokens_accepts_plain_text_and_count_requests() -> None:
    assert count_tokens("gpt-4o", "hello world") == 2
    req = ir.Request(model="gpt-4o", messages=[ir.Message("user", [ir.TextPart("hello world")])])
    assert count_tokens("gpt-4o", ir.CountTokensRequest(req)) == count_tokens("gpt-4o", req) == 8


def test_claude_request_has_no_openai_overhead_and_is_scaled() -> None:
    text = "Summarise the attached report in three bullet points, please."
    req = ir.Request(model="claude-x", messages=[ir.Message("user", [ir.TextPart(text)])])
    assert count_tokens("claude-sonnet-4-5", req) == math.ceil(
        _enc(text) * counting.ANTHROPIC_FACTOR
    )


def _png(width: int, height: int) -> str:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    png = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )
    return base64.b64encode(png).decode()


def _gif(width: int, height: int) -> str:
    return base64.b64encode(b"GIF89a" + struct.pack("<HH", width, height) + b"\0" * 8).decode()


def _jpeg(width: int, height: int) -> str:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return base64.b64encode(b"\xff\xd8" + app0 + sof + b"\xff\xd9").decode()


def test_image_size_sniffing() -> None:
    assert media.image_size(_png(640, 480)) == (640, 480)
    assert media.image_size(_gif(32, 16)) == (32, 16)
    assert media.image_size(_jpeg(1920, 1080)) == (1920, 1080)
    assert media.image_size(base64.b64encode(b"not an image").decode()) is None
    assert media.image_size("!!!not base64") is None


def test_image_formulas() -> None:
    # OpenAI tile model: 1024x1024 -> 768x768 -> 4 tiles -> 85 + 4*170
    assert media.image_tokens("openai", (1024, 1024), None) == 765
    assert media.image_tokens("openai", (4000, 4000), "low") == 85
    # 2048x4096 -> fit 1024x2048 -> short side 768 -> 768x1536 -> 2x3 tiles
    assert media.image_tokens("openai", (2048, 4096), "high") == 85 + 170 * 6
    # Anthropic: w*h/750 after downscaling
    assert media.image_tokens("anthropic", (200, 200), None) == math.ceil(40000 / 750)
    assert media.image_tokens("anthropic", (5000, 5000), None) <= 1600
    # Gemini: 258 for small, per 768 tile otherwise
    assert media.image_tokens("gemini", (300, 300), None) == 258
    assert media.image_tokens("gemini", (1000, 800), None) == 258 * 4


def test_images_counted_by_family() -> None:
    image = ir.ImagePart(data=_png(200, 200), media_type="image/png")
    req = ir.Request(model="m", messages=[ir.Message("user", [image])])
    assert count_tokens("gpt-4o", req) == 3 + 3 + media.image_tokens("openai", (200, 200), None)
    assert count_tokens("claude-haiku-4-5", req) == media.image_tokens(
        "anthropic", (200, 200), None
    )
    url_image = ir.ImagePart(url="https://example.com/cat.jpg")
    url_req = ir.Request(model="m", messages=[ir.Message("user", [url_image])])
    assert count_tokens("gemini-2.5-flash", url_req) == media.image_tokens("gemini", None, None)


def test_files() -> None:
    pdf = b"%PDF-1.4\n1 0 obj <</Type /Pages /Count 2>>\n2 0 obj <</Type /Page>>\n3 0 obj <</Type/Page>>\n"
    part = ir.FilePart(data=base64.b64encode(pdf).decode(), media_type="application/pdf")
    assert media.pdf_pages(part.data or "") == 2
    assert media.file_part_tokens("gemini", part) == 2 * 258
    text_file = ir.FilePart(data=base64.b64encode(b"hello world").decode(), media_type="text/plain")
    req = ir.Request(model="gpt-4o", messages=[ir.Message("user", [text_file])])
    assert count_tokens("gpt-4o", req) == 3 + 3 + 2
    audio = ir.FilePart(data="AAAA", media_type="audio/wav")
    assert media.file_part_tokens("openai", audio) == media.FILE_DEFAULT_TOKENS


def test_count_parts_for_output_estimates() -> None:
    parts: list[ir.Part] = [
        ir.ReasoningPart("thinking hard"),
        ir.TextPart("hello world"),
        ir.ToolCallPart("c1", "lookup", '{"q":"x"}'),
    ]
    assert count_parts("gpt-4o", parts) == (
        _enc("thinking hard") + 2 + _enc("lookup") + _enc('{"q":"x"}')
    )
