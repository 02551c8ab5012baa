"""Token usage the gateway works out itself: read from a passthrough body, or estimated.

These run on the recorder's background thread, never on the event loop (they parse whole
bodies and tokenise). Reading comes first — the upstream's own numbers are the truth — and
estimates (:mod:`gatewayctl.tokens`) fill only what the upstream did not report: the input
from the caller's request, the output from the text that was generated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.tokens import count_parts, count_text, count_tokens
from gatewayctl.translate import StreamAggregator, UsageSniffer, parse_count_request, parse_request
from gatewayctl.translate.refs import resolve


def has_any(usage: ir.Usage | None) -> bool:
    return usage is not None and any(
        v is not None for v in (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens)
    )


def input_estimate(model: str, protocol: str, body: dict[str, Any] | None) -> int:
    """Input tokens of the caller's generate request (0 when it cannot be read)."""
    if not body:
        return 0
    try:
        request = parse_request(protocol, body)
    except Exception:
        return count_text(model, json.dumps(body, ensure_ascii=False))
    return count_tokens(model, request)


def generate_estimate(
    model: str,
    protocol: str,
    body: dict[str, Any] | None,
    output: Callable[[], str | int],
) -> Callable[[], ir.Usage]:
    """An estimator for a generate call: input from ``body``, output from ``output()``
    (the generated text, or an already known token count)."""

    def run() -> ir.Usage:
        produced = output()
        out = produced if isinstance(produced, int) else count_text(model, produced)
        return ir.Usage(input_tokens=input_estimate(model, protocol, body), output_tokens=out)

    return run


def body_usage(protocol: str, body: bytes) -> ir.Usage | None:
    """The usage a non-stream generate body reports (None when none)."""
    sniffer = UsageSniffer(protocol, stream=False)
    sniffer.feed(body)
    usage = sniffer.usage
    return usage if has_any(usage) else None


def body_output_tokens(model: str, protocol: str, body: bytes) -> int:
    """Output tokens of a non-stream generate body, counted from its content."""
    try:
        doc = json.loads(body)
        if isinstance(doc, list) and doc:
            doc = doc[0]
        response = resolve(protocol).parse_response(doc)
    except Exception:
        return 0
    return count_parts(model, response.content)


def stream_output_text(protocol: str, captured: bytes) -> str:
    """The text a (possibly truncated) stream of ``protocol`` generated."""
    if not captured:
        return ""
    aggregator = StreamAggregator(protocol)
    try:
        aggregator.feed(captured)
        aggregator.result()
    except Exception:
        pass
    return aggregator.tap.output_text


def count_request_tokens(model: str, protocol: str, body: dict[str, Any]) -> int:
    """Local count-tokens answer: the caller's count request counted offline."""
    request = parse_count_request(protocol, body)
    return count_tokens(model, request)


def count_body_usage(protocol: str, body: bytes) -> ir.Usage | None:
    """Usage of a passthrough count-tokens answer: input = the count."""
    try:
        doc = json.loads(body)
        n = resolve(protocol).parse_count_response(doc)
    except Exception:
        return None
    return ir.Usage(input_tokens=n, output_tokens=0)


def embedding_body_usage(body: bytes) -> ir.Usage | None:
    """Usage of an OpenAI embeddings answer (Gemini reports none)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    usage = doc.get("usage") if isinstance(doc, dict) else None
    if not isinstance(usage, dict) or not isinstance(usage.get("prompt_tokens"), int):
        return None
    total = usage.get("total_tokens")
    prompt = usage["prompt_tokens"]
    out = total - prompt if isinstance(total, int) and total >= prompt else 0
    return ir.Usage(input_tokens=prompt, output_tokens=out)


def embedding_input_estimate(model: str, inputs: list[str]) -> int:
    return sum(count_text(model, text) for text in inputs)


def compact_body_usage(body: bytes) -> ir.Usage | None:
    """Usage of a Responses compaction answer (``usage`` with input/output tokens)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    usage = doc.get("usage") if isinstance(doc, dict) else None
    if not isinstance(usage, dict):
        return None
    details = usage.get("input_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return ir.Usage(
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        cache_read_tokens=cached if isinstance(cached, int) else None,
    )
