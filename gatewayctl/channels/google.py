"""Gemini-on-Vertex shapes shared by the ``vertex`` and ``vertexexpress`` channels.

Vertex AI serves the Gemini API under ``publishers/google/models/{id}`` with a few request and
response differences from AI Studio, smoothed over here so callers see the AI Studio shapes:

* model references in bodies are ``publishers/google/models/{id}``, not ``models/{id}``;
* ``countTokens`` takes the generate fields flat (``contents``, ``systemInstruction``,
  ``tools``, ``generationConfig``) instead of a nested ``generateContentRequest``;
* text embeddings are ``:predict`` with ``instances``, answered with ``predictions``;
* the model list is ``publisherModels`` of publisher-model objects.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.channels.base import JsonObject, with_fields

VERTEX_MODEL_PREFIX = "publishers/google/models/"


def vertex_model_id(model: str) -> str:
    """The bare model id: ``models/x``, ``publishers/google/models/x``, ``…/models/x`` → ``x``."""
    name = model.strip().lstrip("/")
    if "/models/" in name:
        return name.rsplit("/models/", 1)[1]
    if name.startswith("models/"):
        return name[len("models/") :]
    return name


def vertex_model_ref(model: str | None, fallback_id: str) -> str:
    """A body ``model`` value in Vertex form (``publishers/{publisher}/models/{id}``)."""
    name = (model or "").strip().lstrip("/")
    if not name:
        return VERTEX_MODEL_PREFIX + fallback_id
    if name.startswith("publishers/") and "/models/" in name:
        return name
    if name.startswith("models/"):
        return VERTEX_MODEL_PREFIX + name[len("models/") :]
    publisher, sep, rest = name.partition("/")
    if sep and publisher and rest:
        return f"publishers/{publisher}/models/{rest}"
    return VERTEX_MODEL_PREFIX + name


def vertex_generate_body(body: JsonObject, model_id: str) -> JsonObject:
    """A generateContent body for Vertex: only a present ``model`` field needs rewriting."""
    model = body.get("model")
    if isinstance(model, str):
        ref = vertex_model_ref(model, model_id)
        if ref != model:
            return with_fields(body, model=ref)
    return body


_COUNT_FIELDS = ("contents", "systemInstruction", "tools", "generationConfig")
_SNAKE = {"systemInstruction": "system_instruction", "generationConfig": "generation_config"}


def vertex_count_tokens_body(body: JsonObject, model_id: str) -> JsonObject:
    """Flatten an AI Studio countTokens body into Vertex's ``CountTokensRequest``."""
    out: JsonObject = {"model": VERTEX_MODEL_PREFIX + model_id}
    nested = body.get("generateContentRequest") or body.get("generate_content_request")
    sources = [body] + ([nested] if isinstance(nested, dict) else [])
    for source in sources:
        for name in _COUNT_FIELDS:
            if name in out:
                continue
            value = source.get(name, source.get(_SNAKE.get(name, name)))
            if value is not None:
                out[name] = value
    if isinstance(nested, dict) and isinstance(nested.get("model"), str):
        out["model"] = vertex_model_ref(nested["model"], model_id)
    return out


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return ""
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n".join(texts)


def _embed_instance(request: Any) -> JsonObject:
    request = request if isinstance(request, dict) else {}
    instance: JsonObject = {"content": _content_text(request.get("content"))}
    task = request.get("taskType", request.get("task_type"))
    if task is not None:
        instance["task_type"] = task
    title = request.get("title")
    if title is not None:
        instance["title"] = title
    return instance


def vertex_embed_predict_body(body: JsonObject, *, batch: bool = False) -> JsonObject:
    """An AI Studio ``embedContent`` body (``batchEmbedContents`` with ``batch``: one instance
    per request) as a Vertex text-embedding ``:predict`` body."""
    requests = body.get("requests") if batch else [body]
    if not isinstance(requests, list):
        requests = []
    parameters: JsonObject = {"autoTruncate": True}
    first = requests[0] if requests and isinstance(requests[0], dict) else {}
    dims = first.get("outputDimensionality", first.get("output_dimensionality"))
    if dims is not None:
        parameters["outputDimensionality"] = dims
    return {"instances": [_embed_instance(r) for r in requests], "parameters": parameters}


def _prediction_values(prediction: Any) -> list[Any] | None:
    if not isinstance(prediction, dict):
        return None
    holder = prediction.get("embeddings") or prediction.get("embedding") or prediction
    values = holder.get("values") if isinstance(holder, dict) else None
    return values if isinstance(values, list) else None


def vertex_embed_response(body: Any, *, batch: bool = False) -> Any:
    """A ``:predict`` answer as an ``embedContent`` answer (``{"embedding": {"values"}}``), or
    with ``batch`` as a ``batchEmbedContents`` one (``{"embeddings": [{"values"}, …]}``)."""
    if not isinstance(body, dict) or "embedding" in body or "embeddings" in body:
        return body
    predictions = body.get("predictions")
    if not isinstance(predictions, list) or not predictions:
        return body
    values = [_prediction_values(p) for p in predictions]
    if any(v is None for v in values):
        return body
    if batch:
        return {"embeddings": [{"values": v} for v in values]}
    return {"embedding": {"values": values[0]}}


_MODEL_FIELDS = (
    "baseModelId",
    "version",
    "displayName",
    "description",
    "inputTokenLimit",
    "outputTokenLimit",
    "supportedGenerationMethods",
    "thinking",
    "temperature",
    "maxTemperature",
    "topP",
    "topK",
)


def publisher_model_to_gemini(model: Any) -> Any:
    """A Vertex publisher model (``publishers/google/models/x``) as a Gemini ``Model``."""
    if not isinstance(model, dict):
        return model
    raw = model.get("name")
    model_id = vertex_model_id(raw) if isinstance(raw, str) and raw.strip() else "unknown"
    out: JsonObject = {"name": f"models/{model_id}"}
    for name in _MODEL_FIELDS:
        value = model.get(name)
        if value is not None and value != "":
            out[name] = value
    if "version" not in out and isinstance(model.get("versionId"), str):
        out["version"] = model["versionId"]
    out.setdefault("baseModelId", model_id)
    return out


def vertex_model_list_response(body: Any) -> Any:
    """``{"publisherModels": [...]}`` → ``{"models": [...], "nextPageToken"?}``."""
    if not isinstance(body, dict) or "models" in body:
        return body
    items = body.get("publisherModels")
    models = [publisher_model_to_gemini(m) for m in items] if isinstance(items, list) else []
    out: JsonObject = {"models": models}
    token = body.get("nextPageToken")
    if token:
        out["nextPageToken"] = token
    return out


def vertex_model_get_response(body: Any) -> Any:
    """A publisher model (or ``{"publisherModel": ...}``) as a Gemini ``Model``."""
    if not isinstance(body, dict):
        return body
    name = body.get("name")
    if isinstance(name, str) and name.startswith("models/"):
        return body
    inner = body.get("publisherModel")
    return publisher_model_to_gemini(inner if isinstance(inner, dict) else body)
