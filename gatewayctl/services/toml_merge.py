"""Write a fresh export into an existing TOML file without losing its comments.

``export-toml FILE`` onto a file that already exists (say, a hand-commented config) merges
the new document into the parsed old one instead of replacing the text: tables are merged
key by key, arrays of tables are matched by identity (providers and users by ``name``,
credentials by ``label``, keys by ``label`` then ``api_key``; anything else by position),
unchanged values keep their exact text and inline comments, changed values keep their inline
comment, entries that no longer exist are removed, new ones appended in export order.
Comments attached to removed entries go with them. If the old file does not parse, it is
simply replaced.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Item, Table

IDENTITY = {
    "providers": ("name",),
    "users": ("name",),
    "credentials": ("label",),
    "keys": ("label", "api_key"),
}


def _identity(table: Table, fields: tuple[str, ...]) -> Any:
    for name in fields:
        if name in table:
            return (name, table[name].unwrap() if isinstance(table[name], Item) else table[name])
    return None


def _merge_aot(old: AoT, new: AoT, key: str) -> AoT:
    fields = IDENTITY.get(key)
    remaining = list(old.body)
    merged = tomlkit.aot()
    for position, new_table in enumerate(new.body):
        match = None
        if fields is not None:
            ident = _identity(new_table, fields)
            match = next(
                (t for t in remaining if ident is not None and _identity(t, fields) == ident),
                None,
            )
        elif position < len(old.body) and old.body[position] in remaining:
            match = old.body[position]
        if match is not None:
            remaining.remove(match)
            _merge_table(match, new_table)
            merged.append(match)
        else:
            merged.append(new_table)
    return merged


def _merge_table(old: Table | Container | tomlkit.TOMLDocument, new: Any) -> None:
    for key in [k for k in old if k not in new]:
        del old[key]
    for key in new:
        new_item = new[key]
        if key not in old:
            old[key] = new_item
            continue
        old_item = old[key]
        if isinstance(old_item, Table) and isinstance(new_item, Table):
            _merge_table(old_item, new_item)
        elif isinstance(old_item, AoT) and isinstance(new_item, AoT):
            old[key] = _merge_aot(old_item, new_item, key)
        elif _plain(old_item) == _plain(new_item) and type(old_item) is type(new_item):
            continue  # unchanged: keep the exact text
        else:
            replacement = tomlkit.item(_plain(new_item))
            if isinstance(old_item, Item) and old_item.trivia.comment:
                replacement.trivia.comment_ws = old_item.trivia.comment_ws
                replacement.trivia.comment = old_item.trivia.comment
            old[key] = replacement


def _plain(value: Any) -> Any:
    return value.unwrap() if isinstance(value, Item) else value


def merge_into(existing: str, new: tomlkit.TOMLDocument) -> str:
    """``new`` written into the document parsed from ``existing`` (see module docstring)."""
    try:
        old = tomlkit.parse(existing)
    except Exception:
        return tomlkit.dumps(new)
    _merge_table(old, new)
    return tomlkit.dumps(old)
