"""Token estimates for images and files, which no local tokenizer can count.

Each provider bills images by its own published formula (protocols.md §9.5); all need the
pixel size. For base64 images we read the size from the image header (PNG, GIF, JPEG, WebP —
only the first few kilobytes are decoded); for URLs and unknown formats we assume a
1024×1024 image, a typical photo/screenshot after client-side resizing. Files: a PDF's page
count is read from its ``/Type /Page`` objects and priced per page; other files get a flat
estimate. These are estimates, documented as such: use them for usage when an upstream reports
none and for local count-tokens answers, never for billing-grade numbers.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from typing import Literal

from gatewayctl.protocols import ir

MediaFamily = Literal["openai", "anthropic", "gemini"]

DEFAULT_IMAGE_SIZE = (1024, 1024)
# Per PDF page: Gemini documents 258; Anthropic "1,500–3,000" (text + page image); OpenAI sends
# extracted text + a page image (~1k). Unknown non-PDF files (audio, video…) get a flat 1000.
PDF_PAGE_TOKENS: dict[MediaFamily, int] = {"openai": 1000, "anthropic": 1500, "gemini": 258}
FILE_DEFAULT_TOKENS = 1000
_HEADER_B64_CHARS = 96 * 1024  # JPEG SOF may sit after a large EXIF block
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def image_size(data_b64: str) -> tuple[int, int] | None:
    """(width, height) of a base64 PNG/GIF/JPEG/WebP, or None if not recognised."""
    head = data_b64[:_HEADER_B64_CHARS]
    head = head[: len(head) - len(head) % 4]
    try:
        raw = base64.b64decode(head, validate=False)
    except (binascii.Error, ValueError):
        return None
    return _sniff_size(raw)


def _sniff_size(raw: bytes) -> tuple[int, int] | None:
    if raw.startswith(b"\x89PNG\r\n\x1a\n") and len(raw) >= 24:
        w, h = struct.unpack(">II", raw[16:24])
        return w, h
    if raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
        w, h = struct.unpack("<HH", raw[6:10])
        return w, h
    if raw.startswith(b"RIFF") and raw[8:12] == b"WEBP" and len(raw) >= 30:
        kind = raw[12:16]
        if kind == b"VP8X":
            w = 1 + int.from_bytes(raw[24:27], "little")
            h = 1 + int.from_bytes(raw[27:30], "little")
            return w, h
        if kind == b"VP8 " and len(raw) >= 30:
            w, h = struct.unpack("<HH", raw[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if kind == b"VP8L" and len(raw) >= 25:
            bits = int.from_bytes(raw[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if raw.startswith(b"\xff\xd8"):
        return _jpeg_size(raw)
    return None


def _jpeg_size(raw: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(raw)
    while i + 4 <= n:
        if raw[i] != 0xFF:
            i += 1
            continue
        marker = raw[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", raw[i + 2 : i + 4])[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            h, w = struct.unpack(">HH", raw[i + 5 : i + 9])
            return w, h
        i += 2 + length
    return None


def image_tokens(family: MediaFamily, size: tuple[int, int] | None, detail: str | None) -> int:
    """The provider formula for one image of ``size`` pixels (None → default size)."""
    w, h = size or DEFAULT_IMAGE_SIZE
    w, h = max(w, 1), max(h, 1)
    if family == "openai":
        if detail == "low":
            return 85
        scale = min(1.0, 2048 / max(w, h))
        w2, h2 = w * scale, h * scale
        scale = min(1.0, 768 / min(w2, h2))
        w2, h2 = w2 * scale, h2 * scale
        return 85 + 170 * math.ceil(w2 / 512) * math.ceil(h2 / 512)
    if family == "anthropic":
        scale = min(1.0, 1568 / max(w, h), math.sqrt(1_150_000 / (w * h)))
        return max(1, math.ceil(w * scale * h * scale / 750))
    if w <= 384 and h <= 384:
        return 258
    return 258 * math.ceil(w / 768) * math.ceil(h / 768)


def image_part_tokens(family: MediaFamily, part: ir.ImagePart) -> int:
    size = image_size(part.data) if part.data else None
    return image_tokens(family, size, part.detail)


def pdf_pages(data_b64: str) -> int | None:
    """Page count of a base64 PDF (``/Type /Page`` objects), None if not a readable PDF."""
    try:
        raw = base64.b64decode(data_b64, validate=False)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(b"%PDF"):
        return None
    return len(_PDF_PAGE.findall(raw)) or 1


def file_part_tokens(family: MediaFamily, part: ir.FilePart) -> int:
    """Estimate for a document/file part (see module docstring)."""
    media = (part.media_type or "").lower()
    if part.data and (media == "application/pdf" or not media):
        pages = pdf_pages(part.data)
        if pages is not None:
            return pages * PDF_PAGE_TOKENS[family]
    if media == "application/pdf":
        return PDF_PAGE_TOKENS[family]
    return FILE_DEFAULT_TOKENS


def decoded_text(part: ir.FilePart) -> str | None:
    """The text of a base64 text-like file (text/*, JSON, XML…), None otherwise."""
    media = (part.media_type or "").lower()
    texty = media.startswith("text/") or media in ("application/json", "application/xml")
    if not (texty and part.data):
        return None
    try:
        return base64.b64decode(part.data, validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
