"""Request bodies of the admin/user API: JSON, decoded here, validated by the services.

Any content type is accepted (``curl -d`` sends form-urlencoded) as long as the bytes are
JSON; an empty body is ``None`` (the services treat it as ``{}`` where that makes sense).
Malformed bytes are a 400 that says why, never a framework error page.
"""

from __future__ import annotations

import json
from typing import Any

from quart import request

from gatewayctl.errors import InvalidInput


def decode_json_body(data: bytes) -> Any:
    """The JSON value in ``data`` (None when blank); InvalidInput when not JSON."""
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"invalid JSON body: not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"invalid JSON body: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"invalid JSON body: {exc}") from exc


async def read_json_body() -> Any:
    """The current request's body as JSON (413/408 surface as Werkzeug errors)."""
    data = await request.get_data(cache=True, as_text=False)
    return decode_json_body(data.encode("utf-8") if isinstance(data, str) else data)
