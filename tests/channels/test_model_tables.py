"""Local model tables: vertexexpress Gemini list/get (paging, 404) and deepseek's emulated list."""

from __future__ import annotations

import pytest

from gatewayctl.channels import build_channel
from gatewayctl.channels.model_tables import gemini_model_list, gemini_models
from tests.channels.helpers import call


def vx_list(**query: str) -> tuple[int, dict]:
    resp = build_channel("vertexexpress").local_response(
        call("ModelList", "Gemini", model=None, query=query)
    )
    assert resp is not None
    return resp.status, resp.body


def test_embedded_table_is_real_gemini_shape() -> None:
    models = gemini_models()
    assert len(models) >= 5
    names = [m["name"] for m in models]
    assert len(set(names)) == len(names)
    for model in models:
        assert model["name"].startswith("models/")
        assert model["baseModelId"] == model["name"].removeprefix("models/")
        assert isinstance(model["inputTokenLimit"], int) and isinstance(
            model["outputTokenLimit"], int
        )
        assert "generateContent" in model["supportedGenerationMethods"]
    assert "models/gemini-2.5-flash" in names


def test_list_without_paging_returns_everything() -> None:
    status, body = vx_list()
    assert status == 200
    assert body == {"models": gemini_models(), "nextPageToken": None}


def test_paging_walks_the_whole_table() -> None:
    everything = gemini_models()
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"pageSize": "4"} | ({"pageToken": token} if token else {})
        status, body = vx_list(**query)
        assert status == 200
        assert len(body["models"]) <= 4
        seen += [m["name"] for m in body["models"]]
        pages += 1
        token = body["nextPageToken"]
        if token is None:
            break
        assert token == str(len(seen))
    assert seen == [m["name"] for m in everything]
    assert pages == -(-len(everything) // 4)


def test_paging_edges() -> None:
    total = len(gemini_models())
    assert vx_list(pageSize="0")[1]["models"] == gemini_models()[:1]  # at least one per page
    assert vx_list(pageToken=str(total + 5))[1] == {"models": [], "nextPageToken": None}
    status, body = vx_list(pageToken=str(total - 1), pageSize="10")
    assert len(body["models"]) == 1 and body["nextPageToken"] is None


@pytest.mark.parametrize("query", [{"pageSize": "ten"}, {"pageToken": "abc"}, {"pageSize": "-1"}])
def test_bad_paging_is_a_gemini_400(query: dict[str, str]) -> None:
    status, body = vx_list(**query)
    assert status == 400
    assert body["error"]["code"] == 400 and body["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    "name", ["gemini-2.5-flash", "models/gemini-2.5-flash", "/models/gemini-2.5-flash"]
)
def test_get_known_model(name: str) -> None:
    resp = build_channel("vertexexpress").local_response(call("ModelGet", "Gemini", model=name))
    assert resp is not None and resp.status == 200
    assert resp.body["name"] == "models/gemini-2.5-flash"


def test_get_unknown_model_is_gemini_404() -> None:
    resp = build_channel("vertexexpress").local_response(
        call("ModelGet", "Gemini", model="gemini-9-ultra")
    )
    assert resp is not None
    assert resp.status == 404
    assert resp.body == {
        "error": {"code": 404, "message": "model gemini-9-ultra not found", "status": "NOT_FOUND"}
    }


def test_local_answers_are_copies() -> None:
    adapter = build_channel("vertexexpress")
    first = adapter.local_response(call("ModelList", "Gemini", model=None))
    assert first is not None
    first.body["models"].clear()
    again = adapter.local_response(call("ModelList", "Gemini", model=None))
    assert again is not None and again.body["models"]


def test_vertexexpress_generation_is_not_local() -> None:
    adapter = build_channel("vertexexpress")
    assert adapter.local_response(call("GenerateContent", "Gemini", model="g")) is None
    assert adapter.local_response(call("ModelList", "OpenAi", model=None)) is None


def test_page_helper_directly() -> None:
    models = [{"name": f"models/m{i}"} for i in range(5)]
    resp = gemini_model_list(models, {"pageSize": "2", "pageToken": "2"})
    assert resp.body == {"models": models[2:4], "nextPageToken": "4"}


def test_deepseek_emulated_list_and_get() -> None:
    adapter = build_channel("deepseek")
    listed = adapter.local_response(call("ModelList", "OpenAi", model=None))
    assert listed is not None and listed.status == 200
    assert listed.body == {
        "object": "list",
        "data": [
            {"id": "deepseek-chat", "object": "model", "created": 0, "owned_by": "deepseek"},
            {"id": "deepseek-reasoner", "object": "model", "created": 0, "owned_by": "deepseek"},
        ],
    }
    got = adapter.local_response(call("ModelGet", "OpenAi", model="reasoner"))
    assert got is not None and got.status == 200 and got.body["id"] == "deepseek-reasoner"
    missing = adapter.local_response(call("ModelGet", "OpenAi", model="gpt-4"))
    assert missing is not None and missing.status == 404
    assert missing.body["error"]["code"] == "model_not_found"
    assert adapter.local_response(call("GenerateContent", "OpenAiChatCompletion")) is None


def test_other_channels_have_no_local_answers() -> None:
    for channel in ("openai", "anthropic", "aistudio", "nvidia", "groq"):
        assert (
            build_channel(channel).local_response(call("ModelList", "OpenAi", model=None)) is None
        )
