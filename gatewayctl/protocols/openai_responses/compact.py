"""``POST /v1/responses/compact`` served by a generation request on any upstream.

OpenAI's compact endpoint returns the caller's user messages followed by one ``compaction``
item whose ``encrypted_content`` only OpenAI can read (protocols.md §2.5). A gateway routing
compaction to another upstream (dispatch ``Compact → GenerateContent``) cannot produce that
item and must never invent ``encrypted_content``. It summarises instead:

1. :func:`parse_compact_request` turns the compact body into an IR *generation* request: the
   conversation as sent plus a final user instruction (:data:`COMPACT_PROMPT`) asking for a
   summary that lets the work continue. ``stream: true`` is refused (the endpoint does not
   stream), as the real API does.
2. The gateway sends that request to the upstream in the upstream's protocol.
3. :func:`emit_compact_response` builds the ``response.compaction`` object from the IR answer:
   every user message of the original input (as the real endpoint keeps them), then an
   assistant ``message`` holding the summary. The caller replaces its history with ``output``
   and continues; the summary is plain text every protocol can read back.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import GatewayError, InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import require_dict
from gatewayctl.protocols.openai_responses.request import parse_request
from gatewayctl.protocols.openai_responses.request_emit import emit_request
from gatewayctl.protocols.openai_responses.response import message_item, text_content
from gatewayctl.protocols.openai_responses.shared import (
    new_id,
    now,
    own,
    response_id,
    usage_object,
    with_own,
)

# The fields of a compact request (protocols.md §2.5; the SDK's ResponseCompactParams).
COMPACT_FIELDS = (
    "model",
    "input",
    "instructions",
    "previous_response_id",
    "prompt_cache_key",
    "prompt_cache_retention",
    "prompt_cache_options",
    "service_tier",
)

COMPACT_PROMPT = (
    "Compact the conversation above so it can continue in a fresh context. Write a concise "
    "but complete summary: the user's goals and constraints, decisions made, work done so far "
    "(files, commands, tool results that matter), the current state, open questions and the "
    "next steps. Reply with the summary only."
)


def parse_compact_request(body: Any) -> ir.Request:
    """A compact request body → the IR generation request that produces the summary.

    The instruction is the last user part, marked ``compact_prompt`` in provider data so
    :func:`emit_compact_response` leaves it out of the returned history.
    """
    body = require_dict(body, "request")
    if body.get("stream") is True:
        raise InvalidInput("Streaming not supported for compact responses")
    request = parse_request({k: body[k] for k in COMPACT_FIELDS if k in body})
    request.stream = False
    prompt = ir.TextPart(COMPACT_PROMPT, provider_data=with_own({"compact_prompt": True}))
    if request.messages and request.messages[-1].role == "user":
        request.messages[-1].parts.append(prompt)
    else:
        request.messages.append(ir.Message("user", [prompt]))
    return request


def _is_prompt(part: ir.Part) -> bool:
    return isinstance(part, ir.TextPart) and bool(own(part.provider_data).get("compact_prompt"))


def _user_items(request: ir.Request) -> list[dict[str, Any]]:
    """The user messages of the compacted conversation, as output message items."""
    history = ir.Request(
        model=request.model,
        messages=[
            ir.Message(
                "user",
                [
                    p
                    for p in m.parts
                    if isinstance(p, ir.TextPart | ir.ImagePart | ir.FilePart) and not _is_prompt(p)
                ],
            )
            for m in request.messages
            if m.role == "user"
        ],
    )
    items = []
    for item in emit_request(history)["input"]:
        if item.get("type") == "message" and item.get("role") == "user":
            items.append({"id": new_id("msg"), "status": "completed", **item})
    return items


def emit_compact_response(response: ir.Response, request: ir.Request) -> dict[str, Any]:
    """The ``response.compaction`` object for a summary produced by :func:`parse_compact_request`.

    ``request`` is the IR request :func:`parse_compact_request` returned; ``response`` is the
    upstream's answer to it. Raises GatewayError (500) when the answer holds no summary text:
    answering with the user messages alone would silently drop the rest of the history.
    """
    summary = "".join(
        p.text
        for p in response.content
        if isinstance(p, ir.TextPart) and not own(p.provider_data).get("refusal")
    ).strip()
    if not summary:
        raise GatewayError("compaction failed: the upstream returned no summary text")
    message = message_item(new_id("msg"))
    message["content"].append(text_content(ir.TextPart(summary)))
    return {
        "id": response_id(response.id),
        "object": "response.compaction",
        "created_at": response.created if response.created is not None else now(),
        "output": [*_user_items(request), message],
        "usage": usage_object(response.usage),
    }


__all__ = ["COMPACT_PROMPT", "emit_compact_response", "parse_compact_request"]
