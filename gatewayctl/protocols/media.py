"""Media facts every codec needs: data URIs, media types from names and from bytes.

Images and files cross protocols in three shapes — a ``data:`` URI (OpenAI), base64 plus a
media type (Anthropic ``source``, Gemini ``inlineData``) and a URL (everyone, with different
rules). Which media type a blob has matters: Anthropic and Gemini require one, and a part
without one may be taken for a generic file instead of an image. So the answers live here once:

* :func:`parse_data_uri` / :func:`build_data_uri` — ``data:<mime>[;params];base64,<b64>``;
* :func:`guess_media_type` — from a file name or URL path extension;
* :func:`sniff_media_type` — from the first bytes of base64 data (PNG, JPEG, GIF, WebP, PDF).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import urllib.parse

from gatewayctl.errors import InvalidInput

OCTET_STREAM = "application/octet-stream"

_EXT_MEDIA = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
}

# base64 prefixes of the magic numbers (the first 3 bytes encode to the first 4 characters)
_MAGIC = (
    ("iVBORw0KGgo", "image/png"),
    ("/9j/", "image/jpeg"),
    ("R0lGOD", "image/gif"),
    ("UklGR", "image/webp"),
    ("JVBERi", "application/pdf"),
)


def parse_data_uri(uri: str) -> tuple[str, str] | None:
    """``data:<mime>[;params];base64,<b64>`` → (media_type, base64 data); None if ``uri`` is
    not a data URI. A non-base64 (percent-encoded) data URI is re-encoded as base64. A missing
    media type is sniffed from the data (``text/plain`` as RFC 2397 says when nothing fits).
    Raises InvalidInput for a malformed data URI."""
    if uri[:5].lower() != "data:":
        return None
    head, sep, payload = uri[5:].partition(",")
    if not sep:
        raise InvalidInput("data URI has no ',' separating header and data")
    params = [p.strip() for p in head.split(";")]
    media_type = params[0]
    if any(p.lower() == "base64" for p in params[1:]):
        data = "".join(payload.split())
        try:
            base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("data URI: invalid base64 data") from exc
    else:
        data = base64.b64encode(urllib.parse.unquote_to_bytes(payload)).decode("ascii")
    return media_type or sniff_media_type(data, "text/plain"), data


def build_data_uri(media_type: str | None, data: str) -> str:
    """A base64 data URI (``application/octet-stream`` when the media type is unknown)."""
    return f"data:{media_type or OCTET_STREAM};base64,{data}"


def guess_media_type(name: str | None, default: str | None = OCTET_STREAM) -> str | None:
    """The media type a file name or URL implies by its extension (query and fragment
    ignored), ``default`` when it implies none."""
    if not name:
        return default
    path = urllib.parse.urlsplit(name).path if "://" in name else name
    leaf = path.rsplit("/", 1)[-1]
    if "." in leaf:
        ext = leaf.rsplit(".", 1)[1].lower()
        known = _EXT_MEDIA.get(ext) or mimetypes.types_map.get("." + ext)
        if known:
            return known
    return default


def sniff_media_type(data: str, default: str = "image/png") -> str:
    """The media type of base64 data from its first bytes, ``default`` when unknown."""
    for prefix, media in _MAGIC:
        if data.startswith(prefix):
            return media
    return default


__all__ = [
    "OCTET_STREAM",
    "build_data_uri",
    "guess_media_type",
    "parse_data_uri",
    "sniff_media_type",
]
