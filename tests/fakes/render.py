"""Helpers the vendor fakes share to read requests and render replies.

Kept apart from :mod:`tests.fakes.base` (the ASGI machinery) so each vendor module reads as
"parse the request, decide, render": request body and key parsing, the stream :class:`Frames`
a vendor renders, and the conversion of frames or JSON into a :class:`~tests.fakes.wire.Reply`
with a scripted :class:`~tests.fakes.plan.Answer`'s wire controls applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.base import BadRequest, RecordedRequest
from tests.fakes.plan import Answer
from tests.fakes.wire import Reply


def bearer_token(req: RecordedRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    auth = req.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# Text part types: Anthropic and Chat ``text``, Responses ``input_text`` / ``output_text``.
TEXT_PART_TYPES = ("text", "input_text", "output_text")


def text_of(content: Any) -> str:
    """The text of a message content value: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES
        )
    return ""


def tool_result_text(content: Any) -> str:
    """Flatten a tool-result payload (string, list of text parts, or JSON) to text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            p.get("text", "") if isinstance(p, dict) else str(p)
            for p in content
            if not isinstance(p, dict) or "text" in p
        ]
        return "".join(texts)
    return json.dumps(content, separators=(",", ":"), sort_keys=True)


@dataclass(slots=True)
class Frames:
    """A rendered stream: ``opening`` + ``body`` + ``closing`` frames, and ``delta(i)``, an
    extra text delta used to keep an endless stream going after ``body``."""

    opening: list[bytes]
    body: list[bytes]
    closing: list[bytes]
    delta: Callable[[int], bytes]


def stream_reply(
    frames: Frames,
    answer: Answer | None,
    *,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Turn rendered frames into a streamed :class:`Reply`, applying the answer's wire controls."""
    merged = dict(headers or {})
    if answer is None:
        return Reply(
            chunks=frames.opening + frames.body + frames.closing,
            content_type=content_type,
            headers=merged,
        )
    merged.update(answer.headers)
    if answer.endless:
        chunks = frames.opening + frames.body
    else:
        chunks = frames.opening + frames.body + frames.closing
    abort = answer.abort_after is not None
    if answer.abort_after is not None:
        chunks = chunks[: answer.abort_after]
    return Reply(
        status=answer.status,
        chunks=chunks,
        content_type=content_type,
        headers=merged,
        delay=answer.delay,
        chunk_delay=answer.chunk_delay,
        abort=abort,
        endless=frames.delta if answer.endless and not abort else None,
        endless_interval=answer.endless_interval,
    )


def json_reply(
    payload: Any,
    answer: Answer | None,
    *,
    indent: int | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A JSON :class:`Reply`, applying the answer's status, headers and delay."""
    merged = dict(headers or {})
    if answer is None:
        return Reply(json=payload, indent=indent, headers=merged)
    merged.update(answer.headers)
    return Reply(
        status=answer.status, json=payload, indent=indent, headers=merged, delay=answer.delay
    )


def split_json_text(text: str, parts: int = 3) -> list[str]:
    """Split a JSON string into ``parts`` fragments (as vendors stream tool arguments)."""
    if len(text) <= parts:
        return [text] if text else []
    size = -(-len(text) // parts)
    return [text[i : i + size] for i in range(0, len(text), size)]


def body_object(req: RecordedRequest) -> dict[str, Any]:
    """The request body as a JSON object, or :class:`BadRequest` (vendor message set later)."""
    try:
        data = json.loads(req.body) if req.body else None
    except ValueError:
        raise BadRequest("invalid JSON body") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data
