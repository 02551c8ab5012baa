"""Model lists answered from tables instead of upstream (spec §2.1, §4.4).

Two channels know their models without asking: vertexexpress, whose API keys cannot list
Vertex publisher models, answers Gemini ``models.list``/``models.get`` from the embedded
``data/models.gemini.json``; deepseek answers the OpenAI list from its two model ids.

Gemini paging follows gproxy: ``pageToken`` is a numeric offset into the table, ``pageSize``
(at least 1) the page length (default: the rest of the table), and ``nextPageToken`` the next
offset as a string, or null on the last page.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib import resources

from gatewayctl.channels.base import JsonObject, LocalResponse


@functools.cache
def _gemini_table() -> tuple[JsonObject, ...]:
    text = resources.files("gatewayctl.channels").joinpath("data/models.gemini.json").read_text()
    doc = json.loads(text)
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
        raise RuntimeError("channels/data/models.gemini.json: expected {'models': [objects]}")
    return tuple(models)


def gemini_models() -> list[JsonObject]:
    """A fresh copy of the embedded Gemini model table (callers may mutate it)."""
    return copy.deepcopy(list(_gemini_table()))


def _gemini_error(code: int, status: str, message: str) -> LocalResponse:
    return LocalResponse(code, {"error": {"code": code, "message": message, "status": status}})


def _int_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def gemini_model_list(models: list[JsonObject], query: Mapping[str, str]) -> LocalResponse:
    """One page of ``models`` as a Gemini ``ListModelsResponse``."""
    try:
        start = _int_param(query, "pageToken") or 0
        size = _int_param(query, "pageSize")
    except ValueError as exc:
        return _gemini_error(400, "INVALID_ARGUMENT", str(exc))
    start = min(start, len(models))
    end = len(models) if size is None else min(len(models), start + max(1, size))
    next_token = str(end) if end < len(models) else None
    return LocalResponse(200, {"models": models[start:end], "nextPageToken": next_token})


def gemini_model_get(models: list[JsonObject], name: str) -> LocalResponse:
    """The entry named ``name`` (``x`` or ``models/x``), or a Gemini 404."""
    wanted = name.strip().lstrip("/")
    candidates = {wanted, f"models/{wanted}"}
    for model in models:
        if model.get("name") in candidates:
            return LocalResponse(200, model)
    return _gemini_error(404, "NOT_FOUND", f"model {wanted} not found")


def openai_model_entry(model_id: str, owned_by: str) -> JsonObject:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owned_by}


def openai_model_list(model_ids: tuple[str, ...], owned_by: str) -> LocalResponse:
    return LocalResponse(
        200, {"object": "list", "data": [openai_model_entry(m, owned_by) for m in model_ids]}
    )


def openai_model_get(model_ids: tuple[str, ...], owned_by: str, wanted: str) -> LocalResponse:
    """The entry for ``wanted``, or OpenAI's ``model_not_found`` 404."""
    if wanted in model_ids:
        return LocalResponse(200, openai_model_entry(wanted, owned_by))
    return LocalResponse(
        404,
        {
            "error": {
                "message": f"model {wanted} not found",
                "type": "invalid_request_error",
                "param": "model",
                "code": "model_not_found",
            }
        },
    )
