"""Reasoning effort ↔ thinking budget: the one table every codec uses.

Protocols ask for reasoning in two currencies: an *effort level* (OpenAI ``reasoning_effort`` /
``reasoning.effort``, Anthropic ``output_config.effort``, Gemini 3 ``thinkingLevel``) or a
*token budget* (Anthropic ``thinking.budget_tokens``, Gemini 2.5 ``thinkingBudget``). There is
no standard exchange rate (protocols.md §7.4); we use CLIProxyAPI's, in both directions:

    effort → budget:  minimal 512 · low 1024 · medium 8192 · high 24576 · xhigh 32768
    budget → effort:  0 none · ≤512 minimal · ≤1024 low · ≤8192 medium · ≤24576 high · xhigh

Each emitter then fits the result to what its target accepts: a budget is clamped to the
target's range (Anthropic's minimum is 1024; Gemini Flash's maximum 24576) and an effort is
moved to the nearest level the target knows (:func:`nearest_effort`), e.g. ``xhigh`` is
``HIGH`` for Gemini, ``minimal`` is ``low`` for OpenAI models that have no ``minimal``.
Levels are ordered ``none < minimal < low < medium < high < xhigh``; Anthropic's ``max`` reads
as ``xhigh``.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatewayctl.protocols import ir

EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")
DEFAULT_EFFORT = "medium"
EFFORT_BUDGET: dict[str, int] = {
    "minimal": 512,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
    "xhigh": 32768,
}
_ALIASES = {"max": "xhigh", "maximum": "xhigh", "min": "minimal", "off": "none"}


def normalize_effort(value: str | None) -> str | None:
    """An effort as sent (any case, Anthropic ``max``) → one of :data:`EFFORTS`; an unknown
    word reads as the default level; None stays None."""
    if value is None or not value.strip():
        return None
    word = value.strip().lower()
    word = _ALIASES.get(word, word)
    return word if word in EFFORTS else DEFAULT_EFFORT


def budget_to_effort(budget: int) -> str:
    """A thinking budget → the effort level it amounts to (0 or less is ``none``)."""
    if budget <= 0:
        return "none"
    for effort in ("minimal", "low", "medium", "high"):
        if budget <= EFFORT_BUDGET[effort]:
            return effort
    return "xhigh"


def effort_to_budget(effort: str | None) -> int:
    """An effort level → a thinking budget (unknown or missing effort: the default level's;
    ``none`` is 0)."""
    level = normalize_effort(effort) or DEFAULT_EFFORT
    if level == "none":
        return 0
    return EFFORT_BUDGET[level]


def nearest_effort(effort: str, supported: Sequence[str]) -> str:
    """The level of ``supported`` closest to ``effort`` (ties go to the higher level, so a
    request never thinks less than asked when it can think more)."""
    level = normalize_effort(effort) or DEFAULT_EFFORT
    if level in supported:
        return level
    rank = EFFORTS.index(level)
    ranked = [s for s in supported if s in EFFORTS]
    if not ranked:
        raise ValueError("nearest_effort needs at least one known level")
    return min(ranked, key=lambda s: (abs(EFFORTS.index(s) - rank), -EFFORTS.index(s)))


def requested_effort(config: ir.ReasoningConfig | None) -> str | None:
    """The effort a reasoning request amounts to: the effort as sent, else its budget's level
    (a dynamic ``-1`` budget or a bare "on" is the default level), ``none`` when thinking is
    switched off, None when the request says nothing about effort (e.g. only Gemini
    ``includeThoughts`` or a Responses summary mode)."""
    if config is None:
        return None
    if config.enabled is False:
        return "none"
    effort = normalize_effort(config.effort)
    if effort is not None:
        return effort
    if config.budget_tokens is not None:
        return budget_to_effort(config.budget_tokens) if config.budget_tokens >= 0 else None
    return None


__all__ = [
    "DEFAULT_EFFORT",
    "EFFORTS",
    "EFFORT_BUDGET",
    "budget_to_effort",
    "effort_to_budget",
    "nearest_effort",
    "normalize_effort",
    "requested_effort",
]
