"""Typed readers for the JSON documents every codec parses.

A wire body is untrusted JSON: a field may be missing, ``null`` or of the wrong type. Every
parser reads optional fields the same way — absent or ``null`` is ``None``, the right type is
returned, anything else raises :class:`gatewayctl.errors.InvalidInput` naming the field by its
path (``messages[2].content``) — so the rules and the error messages live here once.

Two layers:

* value checkers ``as_str``, ``as_int``, ``as_float``, ``as_bool``, ``as_dict``, ``as_list``
  take a value already looked up and the path that names it (Gemini looks fields up under
  two spellings, see :mod:`gatewayctl.protocols.gemini.common`);
* key readers ``get_str``, ``get_int``, … read ``obj[key]`` and name it ``where.key``.

Writers: ``put_present`` sets the fields whose value is known (not None) and ``add_missing``
replays opaque extra fields a parser kept, without overriding what the emitter wrote.

``require_dict`` is for values that must be an object (a body, a list item). ``count_or_none``
reads token counts leniently: usage objects are informational, a wrong type there is treated as
"not reported" rather than a failed answer.
"""

from __future__ import annotations

import re
from typing import Any

from gatewayctl.errors import InvalidInput

_DIGITS = re.compile(r"-?\d+")


def path(where: str, key: str) -> str:
    """``where.key`` (just ``key`` at the top level)."""
    return f"{where}.{key}" if where else key


# --------------------------------------------------------------------------------------
# value checkers
# --------------------------------------------------------------------------------------


def as_str(value: Any, name: str) -> str | None:
    """A string, None for null; InvalidInput otherwise."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidInput(f"{name} must be a string")


def as_int(value: Any, name: str, *, int_strings: bool = False) -> int | None:
    """An integer (a float with an integral value is accepted; with ``int_strings`` also a
    decimal string, as Google's JSON writes int64 values)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if int_strings and isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value)
    raise InvalidInput(f"{name} must be an integer")


def as_float(value: Any, name: str) -> float | None:
    """A number (ints are returned as they are)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number")
    return value


def as_bool(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput(f"{name} must be a boolean")


def as_dict(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise InvalidInput(f"{name} must be an object")


def as_list(value: Any, name: str) -> list[Any] | None:
    if value is None or isinstance(value, list):
        return value
    raise InvalidInput(f"{name} must be an array")


def require_dict(value: Any, where: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; InvalidInput naming ``where`` otherwise."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object")
    return value


def content_parts(content: Any, where: str) -> str | list[tuple[str, dict[str, Any]]]:
    """A ``content`` field that is a string or an array of part objects (OpenAI messages and
    items): the string (``""`` when absent), or each part with the path that names it
    (``where[i]``). InvalidInput for anything else, or a part that is not an object."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise InvalidInput(f"{where} must be a string or an array of parts")
    return [(f"{where}[{i}]", require_dict(raw, f"{where}[{i}]")) for i, raw in enumerate(content)]


def count_or_none(value: Any) -> int | None:
    """A token count from a usage object, or None when it is not a count (bools, other
    types); integral floats and digit strings are accepted."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# --------------------------------------------------------------------------------------
# key readers
# --------------------------------------------------------------------------------------


def get_str(obj: dict[str, Any], key: str, where: str = "") -> str | None:
    """``obj[key]`` if it is a string, None if absent/null; InvalidInput otherwise."""
    return as_str(obj.get(key), path(where, key))


def require_str(obj: dict[str, Any], key: str, where: str = "") -> str:
    """``obj[key]`` as a non-empty string; InvalidInput "``where.key`` is required" otherwise."""
    value = get_str(obj, key, where)
    if not value:
        raise InvalidInput(f"{path(where, key)} is required")
    return value


def get_int(obj: dict[str, Any], key: str, where: str = "") -> int | None:
    """An optional integer (a float with an integral value is accepted)."""
    return as_int(obj.get(key), path(where, key))


def get_float(obj: dict[str, Any], key: str, where: str = "") -> float | None:
    """An optional number (ints are returned as they are)."""
    return as_float(obj.get(key), path(where, key))


def get_bool(obj: dict[str, Any], key: str, where: str = "") -> bool | None:
    return as_bool(obj.get(key), path(where, key))


def get_dict(obj: dict[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    return as_dict(obj.get(key), path(where, key))


def get_list(obj: dict[str, Any], key: str, where: str = "") -> list[Any] | None:
    return as_list(obj.get(key), path(where, key))


# --------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------


def put_present(out: dict[str, Any], *pairs: tuple[str, Any]) -> None:
    """Set ``out[key] = value`` for each pair whose value is not None."""
    for key, value in pairs:
        if value is not None:
            out[key] = value


def add_missing(out: dict[str, Any], extra: Any) -> None:
    """Copy the keys of ``extra`` (when it is a dict) that ``out`` does not have yet."""
    if isinstance(extra, dict):
        for key, value in extra.items():
            out.setdefault(key, value)
