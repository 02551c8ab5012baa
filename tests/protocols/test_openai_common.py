"""Tests for the pieces both OpenAI codecs share (errors, models, embeddings, media)."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from openai.types import CreateEmbeddingResponse, Model

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import fields, ir, media
from gatewayctl.protocols import openai_common as oc
from tests.conftest import RECORDED

OPENAI = RECORDED / "openai"


# errors -----------------------------------------------------------------------------


def test_parse_recorded_400_error() -> None:
    body = (OPENAI / "chat_error_400_unsupported_value.json").read_bytes()
    info = oc.parse_error(400, body)
    assert info.status == 400
    assert info.kind == "invalid_request"
    assert info.code == "unsupported_value"
    assert info.param == "messages[0].role"
    assert "developer" in info.message


def test_parse_recorded_insufficient_quota() -> None:
    info = oc.parse_error(429, (OPENAI / "error_insufficient_quota.json").read_bytes())
    assert (info.kind, info.code, info.status) == ("rate_limit", "insufficient_quota", 429)
    status, body = oc.emit_error(info)
    assert status == 429
    assert body["error"]["type"] == "insufficient_quota"
    assert body["error"]["code"] == "insufficient_quota"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request"),
        (401, "authentication"),
        (403, "permission"),
        (404, "not_found"),
        (413, "request_too_large"),
        (422, "invalid_request"),
        (429, "rate_limit"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "overloaded"),
        (529, "overloaded"),
        (504, "timeout"),
    ],
)
def test_status_to_kind(status: int, kind: str) -> None:
    info = oc.parse_error(status, b'{"error":{"message":"x","type":"whatever"}}')
    assert info.kind == kind
    assert info.status == status


def test_parse_non_json_and_other_shapes() -> None:
    info = oc.parse_error(502, b"<html>Bad gateway</html>")
    assert (info.kind, info.status) == ("api_error", 502)
    assert "Bad gateway" in info.message
    assert oc.parse_error(500, b"").message == "upstream answered HTTP 500"
    assert oc.parse_error(400, b'{"error":"plain text"}').message == "plain text"
    gem = oc.parse_error(404, b'[{"error":{"code":404,"message":"no model","status":"NOT_FOUND"}}]')
    assert (gem.kind, gem.message, gem.code) == ("not_found", "no model", "404")


def test_in_stream_error_gets_status_from_type() -> None:
    info = oc.parse_error_object({"message": "slow down", "type": "rate_limit_exceeded"}, 200)
    assert (info.kind, info.status) == ("rate_limit", 429)
    info = oc.parse_error_object({"message": "boom", "type": "server_error"})
    assert (info.kind, info.status) == ("api_error", 500)


@pytest.mark.parametrize(
    ("kind", "status", "type_"),
    [
        ("invalid_request", 400, "invalid_request_error"),
        ("authentication", 401, "authentication_error"),
        ("permission", 403, "permission_error"),
        ("not_found", 404, "invalid_request_error"),
        ("request_too_large", 413, "invalid_request_error"),
        ("rate_limit", 429, "rate_limit_exceeded"),
        ("api_error", 500, "server_error"),
        ("overloaded", 503, "server_error"),
        ("timeout", 504, "server_error"),
    ],
)
def test_emit_error_round_trip(kind: ir.ErrorKind, status: int, type_: str) -> None:
    err = ir.ErrorInfo(status=status, kind=kind, message="m", code="c", param="p")
    out_status, body = oc.emit_error(err)
    assert out_status == status
    assert body == {"error": {"message": "m", "type": type_, "param": "p", "code": "c"}}
    back = oc.parse_error(out_status, json.dumps(body).encode())
    assert (back.kind, back.message, back.code, back.param) == (kind, "m", "c", "p")


def test_emit_error_maps_529_and_bad_status() -> None:
    assert oc.emit_error(ir.ErrorInfo(529, "overloaded", "busy"))[0] == 503
    assert oc.emit_error(ir.ErrorInfo(200, "rate_limit", "later"))[0] == 429


def test_openai_sdk_maps_our_error_status() -> None:
    import httpx
    import openai

    status, body = oc.emit_error(ir.ErrorInfo(401, "authentication", "bad key"))
    client = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1")
    resp = httpx.Response(status, json=body, request=httpx.Request("GET", "http://x"))
    exc = client._make_status_error_from_response(resp)
    assert isinstance(exc, openai.AuthenticationError)
    assert exc.code == "invalid_api_key"
    assert "bad key" in str(exc)


# models ------------------------------------------------------------------------------


def test_model_list_round_trip_and_sdk() -> None:
    body = {
        "object": "list",
        "data": [
            {"id": "gpt-4o", "object": "model", "created": 1686935002, "owned_by": "openai"},
            {"id": "models/gemini-2.5-pro", "object": "model", "created": 0, "owned_by": "g"},
        ],
    }
    models = oc.parse_model_list(body)
    assert [m.id for m in models] == ["gpt-4o", "gemini-2.5-pro"]
    assert models[0].created == 1686935002 and models[0].owned_by == "openai"
    out = oc.emit_model_list(models)
    assert out["object"] == "list"
    for item in out["data"]:
        Model.model_validate(item)
    assert oc.emit_model(ir.ModelInfo(id="x")) == {
        "id": "x",
        "object": "model",
        "created": 0,
        "owned_by": "gatewayctl",
    }
    with pytest.raises(InvalidInput, match="data"):
        oc.parse_model_list({"object": "list"})
    with pytest.raises(InvalidInput, match="id"):
        oc.parse_model({"object": "model"})


# embeddings --------------------------------------------------------------------------


def test_embedding_request_parse_emit() -> None:
    req = oc.parse_embedding_request(
        {
            "model": "text-embedding-3-small",
            "input": ["a", "b"],
            "dimensions": 8,
            "encoding_format": "base64",
        }
    )
    assert req == ir.EmbeddingRequest(
        model="text-embedding-3-small", inputs=["a", "b"], dimensions=8, encoding_format="base64"
    )
    out = oc.emit_embedding_request(req)
    assert out == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "encoding_format": "float",
        "dimensions": 8,
    }
    single = oc.parse_embedding_request({"model": "m", "input": "hello"})
    assert single.inputs == ["hello"]
    assert oc.emit_embedding_request(single)["input"] == "hello"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"model": "m", "input": [1, 2, 3]}, "token-id arrays"),
        ({"model": "m", "input": [[1, 2], [3]]}, "token-id arrays"),
        ({"model": "m", "input": 5}, "string or an array"),
        ({"model": "m"}, "input is required"),
        ({"model": "m", "input": []}, "must not be empty"),
        ({"input": "x"}, "model is required"),
        ({"model": "m", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"model": "m", "input": "x", "dimensions": 0}, "dimensions"),
    ],
)
def test_embedding_request_rejects(body: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        oc.parse_embedding_request(body)


def test_embedding_response_float_and_base64_sdk() -> None:
    resp = ir.EmbeddingResponse(
        model="text-embedding-3-small",
        embeddings=[[0.5, -1.25, 3.0], [0.0, 1.0, 2.0]],
        usage=ir.Usage(input_tokens=5),
    )
    body = oc.emit_embedding_response(resp)
    parsed = CreateEmbeddingResponse.model_validate(body)
    assert parsed.data[1].embedding == [0.0, 1.0, 2.0]
    assert parsed.usage.prompt_tokens == 5 and parsed.usage.total_tokens == 5
    b64 = oc.emit_embedding_response(resp, "base64")
    raw = base64.b64decode(b64["data"][0]["embedding"])
    assert list(struct.unpack("<3f", raw)) == [0.5, -1.25, 3.0]
    back = oc.parse_embedding_response(b64)
    assert back.embeddings == resp.embeddings
    assert back.usage.input_tokens == 5


def test_embedding_response_sorted_by_index() -> None:
    body = {
        "object": "list",
        "model": "m",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [2.0]},
            {"object": "embedding", "index": 0, "embedding": [1.0]},
        ],
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }
    assert oc.parse_embedding_response(body).embeddings == [[1.0], [2.0]]
    with pytest.raises(InvalidInput, match="embedding"):
        oc.parse_embedding_response({"data": [{"embedding": {"x": 1}}]})


# counting ---------------------------------------------------------------------------


def test_input_tokens_shape() -> None:
    body = oc.emit_input_tokens_response(42)
    assert body == {"object": "response.input_tokens", "input_tokens": 42}
    assert oc.parse_input_tokens_response(body) == 42
    with pytest.raises(InvalidInput):
        oc.parse_input_tokens_response({"object": "response.input_tokens"})


# media --------------------------------------------------------------------------------


def test_data_uri() -> None:
    assert media.parse_data_uri("data:image/png;base64,iVBORw0KGgo=") == (
        "image/png",
        "iVBORw0KGgo=",
    )
    assert media.parse_data_uri("https://x/y.png") is None
    assert media.parse_data_uri("data:,hello%20world") == (
        "text/plain",
        base64.b64encode(b"hello world").decode(),
    )
    with pytest.raises(InvalidInput, match="base64"):
        media.parse_data_uri("data:image/png;base64,***")
    with pytest.raises(InvalidInput, match="separat"):
        media.parse_data_uri("data:image/png;base64")
    assert media.build_data_uri("image/jpeg", "AAAA") == "data:image/jpeg;base64,AAAA"


def test_image_and_file_helpers() -> None:
    img = oc.image_from_url("data:image/webp;base64,UklGRg==", "low")
    assert (img.data, img.media_type, img.detail, img.url) == (
        "UklGRg==",
        "image/webp",
        "low",
        None,
    )
    assert oc.image_to_url(img) == "data:image/webp;base64,UklGRg=="
    remote = oc.image_from_url("https://example.com/a.png")
    assert remote.url == "https://example.com/a.png" and oc.image_to_url(remote) == remote.url
    f = oc.file_from_fields(file_data="data:application/pdf;base64,JVBERi0=", filename="a.pdf")
    assert (f.data, f.media_type, f.filename) == ("JVBERi0=", "application/pdf", "a.pdf")
    assert oc.file_data_uri(f) == "data:application/pdf;base64,JVBERi0="
    bare = oc.file_from_fields(file_data="JVBERi0=", filename="b.pdf")
    assert bare.media_type == "application/pdf"
    assert oc.file_from_fields(file_id="file-1").file_id == "file-1"
    with pytest.raises(InvalidInput, match="file_data"):
        oc.file_from_fields(filename="x")


def test_field_readers() -> None:
    body = {"s": "x", "i": 3, "f": 2.0, "b": True, "bad": [1]}
    assert fields.get_str(body, "s") == "x"
    assert fields.get_int(body, "f") == 2
    assert fields.get_float(body, "i") == 3
    assert fields.get_bool(body, "b") is True
    assert fields.get_str(body, "missing") is None
    with pytest.raises(InvalidInput, match="req.bad must be a string"):
        fields.get_str(body, "bad", "req")
    with pytest.raises(InvalidInput, match="must be an integer"):
        fields.get_int(body, "b")
