"""Tool-call arguments: JSON *text* in the IR, a JSON *object* on some wires.

Chat and Responses carry a call's arguments as a string, exactly as streamed; Anthropic
(``tool_use.input``) and Gemini (``functionCall.args``) carry an object. The IR keeps the text
(``""`` meaning no arguments), so the two conversions — and what to do with text that is not
an object — are decided once, here (protocols.md §7.3):

* object → text: ``json.dumps(obj, ensure_ascii=False)``; a missing object is ``{}``;
* text → object: ``""`` is ``{}``; a JSON object is itself; other JSON (a bare value) is
  ``{"value": …}``; text that is not JSON (a stream cut mid-call) is ``{"raw": text}`` — kept,
  never a crash and never an invalid request; a free-form (custom) tool's raw text is
  ``{"input": text}``, matching the one-string-parameter function it is declared as.
"""

from __future__ import annotations

import json
from typing import Any


def to_object(arguments: str, kind: str = "function") -> dict[str, Any]:
    """IR arguments text → the object a JSON-object protocol sends (see the module doc)."""
    if kind == "custom":
        return {"input": arguments}
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return {"raw": arguments}
    return value if isinstance(value, dict) else {"value": value}


def to_text(value: Any) -> str:
    """A wire arguments object → IR arguments text (``None`` is ``{}``)."""
    return json.dumps({} if value is None else value, ensure_ascii=False)


__all__ = ["to_object", "to_text"]
