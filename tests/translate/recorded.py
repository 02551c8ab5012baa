"""The recorded upstream fixtures (tests/fixtures/recorded) as (protocol, bytes) inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import FIXTURES, RECORDED

PROTOCOLS = ("openai_chat", "openai_responses", "anthropic", "gemini")


@dataclass(frozen=True)
class StreamFixture:
    protocol: str
    path: Path

    @property
    def id(self) -> str:
        return self.path.relative_to(FIXTURES).as_posix().removeprefix("recorded/")

    def raw(self) -> bytes:
        """The upstream bytes, re-framed as SSE for ``.chunks.jsonl`` recordings."""
        data = self.path.read_bytes()
        if not self.path.name.endswith(".chunks.jsonl"):
            return data
        out = bytearray()
        for line in data.splitlines():
            if not line.strip():
                continue
            if self.protocol == "openai_responses":
                kind = json.loads(line)["type"]
                out += b"event: " + kind.encode() + b"\ndata: " + line + b"\n\n"
            else:
                out += b"data: " + line + b"\r\n\r\n"
        return bytes(out)


@dataclass(frozen=True)
class BodyFixture:
    protocol: str
    path: Path
    status: int

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


def _protocol_of(vendor: str, name: str) -> str:
    if vendor == "openai":
        return "openai_responses" if name.startswith("responses_") else "openai_chat"
    return vendor


def stream_fixtures() -> list[StreamFixture]:
    out: list[StreamFixture] = []
    for vendor in ("anthropic", "openai", "gemini"):
        for path in sorted((RECORDED / vendor).iterdir()):
            if path.name.endswith((".sse", ".chunks.jsonl")):
                out.append(StreamFixture(_protocol_of(vendor, path.name), path))
    # the codec helpers' own real-shaped stream transcripts, when present
    for proto in PROTOCOLS:
        folder = FIXTURES / proto
        if folder.is_dir():
            for path in sorted(folder.rglob("*.sse")):
                out.append(StreamFixture(proto, path))
    return out


def request_fixtures() -> list[tuple[str, Path]]:
    """The codec helpers' real-shaped request bodies: (protocol, path)."""
    out: list[tuple[str, Path]] = []
    for proto in PROTOCOLS:
        folder = FIXTURES / proto
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.json")):
            rel = path.relative_to(folder).as_posix()
            if "request" in rel:
                out.append((proto, path))
    return out


def _status_of(name: str) -> int:
    if "error_insufficient_quota" in name:
        return 429
    for token in name.replace(".", "_").split("_"):
        if token.isdigit() and len(token) == 3:
            return int(token)
    return 200


def body_fixtures() -> list[BodyFixture]:
    out: list[BodyFixture] = []
    for vendor in ("anthropic", "openai", "gemini"):
        for path in sorted((RECORDED / vendor).glob("*.json")):
            if "exchange" in path.name:
                continue
            out.append(BodyFixture(_protocol_of(vendor, path.name), path, _status_of(path.name)))
    return out
