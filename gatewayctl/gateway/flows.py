"""Generate requests (``GenerateContent`` / ``StreamGenerateContent``) through the gateway.

Four shapes, decided by the dispatch rule and whether caller and upstream stream:

============================  ==============================================================
passthrough                   caller bytes up, upstream bytes down; usage sniffed on the side
transform, stream → stream    StreamTranslator: upstream events → caller events, as they come
transform, stream → body      stream-only upstream, non-stream caller: read it all, aggregate
transform, body → stream      non-stream upstream, stream caller: one synthesized burst
============================  ==============================================================

Upstream errors that are not failed over come back with their status: verbatim on
passthrough, translated into the caller's error shape otherwise (spec §5.1). Usage is recorded
once per call — from the upstream's numbers, completed with estimates when it gave none
(including a stream cut short by the client).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gatewayctl.gateway.attempt import Answer, shaped_body
from gatewayctl.gateway.entrance import sized_call
from gatewayctl.gateway.estimate import (
    body_output_tokens,
    body_usage,
    generate_estimate,
    stream_output_text,
)
from gatewayctl.gateway.job import Job, read_caller_body
from gatewayctl.gateway.relay import ESTIMATE_CAPTURE_BYTES, Ending, StreamHooks, once, relay
from gatewayctl.gateway.response import (
    GatewayResponse,
    dumps,
    forwarded_headers,
    json_response,
    relayed_response,
    stream_headers,
)
from gatewayctl.protocols import ir
from gatewayctl.protocols.registry import framing_for
from gatewayctl.tokens import count_tokens
from gatewayctl.translate import (
    StreamTranslator,
    UpstreamAnswerError,
    UsageSniffer,
    emit_request,
    encoder_options,
    error_body,
    parse_request,
    translate_body_to_stream,
    translate_error,
    translate_response,
    translate_stream_to_body,
)

if TYPE_CHECKING:
    from gatewayctl.gateway.pipeline import Gateway

# Passthrough bodies up to this size have their usage read on the event loop.
INLINE_USAGE_BYTES = 16 * 1024
# Caller bodies up to this size are tokenised on the event loop for a stream's up-front input
# estimate (Anthropic ``message_start``); larger ones are estimated at ~4 bytes a token.
INLINE_ESTIMATE_BYTES = 16 * 1024
BYTES_PER_TOKEN = 4


async def generate(gw: Gateway, job: Job) -> GatewayResponse:
    if job.passthrough:
        return await _passthrough(gw, job)
    return await _transform(gw, job)


# --------------------------------------------------------------------------------------
# passthrough
# --------------------------------------------------------------------------------------


def answered_json(answer: Answer, protocol: str) -> bool:
    """A 2xx JSON body where an SSE stream was asked for (an upstream that ignores
    ``stream``, or answers an error document with 200). Gemini's stream without ``alt=sse``
    (``GeminiNDJson``) *is* a JSON array sent as ``application/json``: never this case."""
    if protocol == "GeminiNDJson":
        return False
    content_type = (answer.headers.get("content-type") or "").lower()
    return content_type.startswith("application/json")


class _Sniff(StreamHooks):
    """Passthrough: forward each chunk untouched; sniff usage, keep a head for estimates."""

    def __init__(self, protocol: str) -> None:
        self.sniffer = UsageSniffer(protocol, stream=True)
        self.captured = bytearray()

    def feed(self, chunk: bytes) -> bytes:
        self.sniffer.feed(chunk)
        room = ESTIMATE_CAPTURE_BYTES - len(self.captured)
        if room > 0:
            self.captured += chunk[:room]
        return chunk


async def _passthrough(gw: Gateway, job: Job) -> GatewayResponse:
    entrance = job.entrance
    call = job.upstream_call(entrance.body, entrance.raw_body)
    answer = await gw.call(job, call, stream=entrance.stream)
    if not answer.ok:  # verbatim, as the upstream said it
        return relayed_response(answer.status, answer.headers, await answer.read())
    model = job.model or ""
    protocol = job.dest.protocol
    if entrance.stream and not answered_json(answer, protocol):
        hooks = _Sniff(protocol)

        def on_end(ending: Ending) -> None:
            # the sniffer kept a handful of events: reading their usage is cheap, so it is
            # done here; only a missing usage sends the estimate to the recorder's thread
            hooks.sniffer.close()
            captured = hooks.captured  # no more feeding after the end
            gw.recorder.usage(
                job.usage_key(answer.credential_id),
                hooks.sniffer.usage,
                estimate=generate_estimate(
                    model,
                    job.caller.protocol,
                    entrance.body,
                    lambda: stream_output_text(protocol, bytes(captured)),
                ),
            )

        headers = stream_headers(framing_for(job.caller.protocol))
        if job.caller.protocol == "GeminiNDJson":
            upstream_type = answer.headers.get("content-type")
            if upstream_type:  # Gemini without alt=sse answers a JSON array: say so
                headers[0] = ("content-type", upstream_type)
        return GatewayResponse(
            answer.status,
            headers + forwarded_headers(answer.headers),
            stream=relay(answer, hooks, on_end),
        )
    body = shaped_body(job.provider.channel, call, answer.status, await answer.read())
    # a small body is read here (cheaper than a thread hand-off); a large one off the loop
    reported: ir.Usage | None | Callable[[], ir.Usage | None] = (
        body_usage(protocol, body)
        if len(body) <= INLINE_USAGE_BYTES
        else lambda: body_usage(protocol, body)
    )
    gw.recorder.usage(
        job.usage_key(answer.credential_id),
        reported,
        estimate=generate_estimate(
            model,
            job.caller.protocol,
            entrance.body,
            lambda: body_output_tokens(model, protocol, body),
        ),
    )
    return relayed_response(answer.status, answer.headers, body)


# --------------------------------------------------------------------------------------
# transform
# --------------------------------------------------------------------------------------


class _Translate(StreamHooks):
    """TransformTo: upstream events → caller events; ``pending`` is already translated output
    (the first chunk, translated before the response was committed) to send first."""

    def __init__(self, translator: StreamTranslator, pending: bytes = b"") -> None:
        self.translator = translator
        self.pending = pending

    def _with_pending(self, out: bytes) -> bytes:
        if self.pending:
            out, self.pending = self.pending + out, b""
        return out

    def feed(self, chunk: bytes) -> bytes:
        return self._with_pending(self.translator.feed(chunk))

    def close(self) -> bytes:
        return self._with_pending(self.translator.close())

    def fail(self, error: ir.ErrorInfo) -> bytes | None:
        return self._with_pending(self.translator.fail(error))


def upfront_input_estimate(job: Job, request: ir.Request) -> int | None:
    """The input tokens a translated stream states before the upstream reported any (only
    Anthropic's ``message_start`` does; the real count follows in ``message_delta``).

    Cheap on purpose, as it runs on the event loop: the tokenizer for small bodies, the body
    size over :data:`BYTES_PER_TOKEN` for large ones (inflated by inline media, which is fine
    for a figure the final usage replaces)."""
    if job.caller.protocol != "Claude":
        return None
    size = job.entrance.size
    if size > INLINE_ESTIMATE_BYTES:
        return size // BYTES_PER_TOKEN
    return count_tokens(job.model or "", request)


def _upstream_request(
    caller: str, dest: str, caller_body: dict[str, Any], model: str | None, stream: bool
) -> tuple[ir.Request, dict[str, Any], bytes]:
    """The caller's request read, translated, and serialised for the upstream."""
    request = read_caller_body(caller, lambda: parse_request(caller, caller_body))
    body = emit_request(dest, request, model=model, stream=stream)
    return request, body, dumps(body)


async def _transform(gw: Gateway, job: Job) -> GatewayResponse:
    entrance = job.entrance
    caller, dest = job.caller.protocol, job.dest.protocol
    assert entrance.body is not None
    dest_stream = job.dest.operation == "StreamGenerateContent"
    request, body, raw_body = await sized_call(
        entrance.size, _upstream_request, caller, dest, entrance.body, entrance.model, dest_stream
    )
    call = job.upstream_call(body, raw_body)
    answer = await gw.call(job, call, stream=entrance.stream and dest_stream)
    model = job.model or ""
    options = encoder_options(
        request,
        model=entrance.model,
        input_tokens_estimate=upfront_input_estimate(job, request) if entrance.stream else None,
    )
    if not answer.ok:
        raw = await answer.read()
        translated = translate_error(
            dest, caller, answer.status, raw, retry_after=answer.headers.get("retry-after")
        )
        return json_response(translated.status, translated.body, list(translated.headers.items()))
    key = job.usage_key(answer.credential_id)
    if dest_stream and answered_json(answer, dest):
        dest_stream = False  # the upstream ignored the stream flag: read it as a body
    if entrance.stream and dest_stream:
        translator = StreamTranslator(dest, caller, options)
        # Nothing is committed yet: an upstream whose first event is an error still gets a
        # real HTTP error status, in the caller's shape, instead of a 200 stream.
        first = translator.feed(answer.take_first())
        if translator.tap.error_before_start and translator.tap.error is not None:
            await answer.close()
            failed = error_body(caller, translator.tap.error)
            return json_response(failed.status, failed.body, list(failed.headers.items()))

        def on_end(ending: Ending) -> None:
            text = translator.output_text
            gw.recorder.usage(
                key,
                translator.usage,
                estimate=generate_estimate(model, caller, entrance.body, lambda: text),
            )

        return GatewayResponse(
            200,
            stream_headers(framing_for(caller)) + forwarded_headers(answer.headers),
            stream=relay(answer, _Translate(translator, first), on_end),
        )
    raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
    if entrance.stream:  # non-stream upstream, stream caller
        try:
            data, response = translate_body_to_stream(
                dest, caller, answer.status, raw, options=options
            )
        except UpstreamAnswerError as exc:
            failed = error_body(caller, exc.error)
            return json_response(failed.status, failed.body, list(failed.headers.items()))
        text = "".join(
            p.text for p in response.content if isinstance(p, ir.TextPart | ir.ReasoningPart)
        )
        gw.recorder.usage(
            key,
            response.usage,
            estimate=generate_estimate(model, caller, entrance.body, lambda: text),
        )
        return GatewayResponse(200, stream_headers(framing_for(caller)), stream=once(data))
    if dest_stream:  # stream-only upstream, non-stream caller
        translated = translate_stream_to_body(dest, caller, raw, options=options)
    else:
        translated = translate_response(dest, caller, answer.status, raw, options=options)
    if translated.error is None:
        gw.recorder.usage(
            key,
            translated.usage,
            estimate=generate_estimate(
                model,
                caller,
                entrance.body,
                lambda: body_output_tokens(model, caller, dumps(translated.body)),
            ),
        )
    headers = list(translated.headers.items()) + forwarded_headers(answer.headers)
    return json_response(translated.status, translated.body, headers)
