"""Usage snapshots: how two reports of the same exchange's token usage combine.

Upstreams report usage as *cumulative snapshots*, often partial: Anthropic states input usage
in ``message_start`` and output in ``message_delta``; Gemini repeats ``usageMetadata`` on every
chunk; Chat sends it once after the finish chunk. Every stream encoder, decoder and the
translate layer merge them the same way — field by field, the newer value winning where it is
known, a value reported once never lost to a later partial report — so that rule is here once.
"""

from __future__ import annotations

from dataclasses import fields, replace

from gatewayctl.protocols import ir

_FIELDS = tuple(f.name for f in fields(ir.Usage))


def merge_usage(old: ir.Usage | None, new: ir.Usage | None) -> ir.Usage | None:
    """Field-wise merge of two snapshots (a new object; None only when both are None)."""
    if new is None:
        return None if old is None else replace(old)
    if old is None:
        return replace(new)
    return ir.Usage(
        **{
            name: getattr(old, name) if getattr(new, name) is None else getattr(new, name)
            for name in _FIELDS
        }
    )


__all__ = ["merge_usage"]
