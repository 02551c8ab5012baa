"""The two OpenAI BPE encodings, loaded from files shipped inside the package.

Why not ``tiktoken.get_encoding``: it downloads the BPE ranks from a public blob store on first
use, and gateway machines may have no internet. The exact ``.tiktoken`` files are vendored in
``gatewayctl/tokens/data/`` (provenance in the README there) and checked against the sha256 that
tiktoken itself pins (``tiktoken_ext/openai_public.py``), so a corrupted or swapped file fails
loudly instead of counting wrong.

We read and parse the file ourselves (the same two-column format ``load_tiktoken_bpe`` reads)
rather than calling ``load_tiktoken_bpe``: that helper copies every file it reads into a cache
directory under the system temp dir, a side effect we do not want on each process start.

Encodings are built lazily, once per process, under a lock (building o200k takes ~0.3 s).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from importlib import resources

import tiktoken

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

# Constants copied from tiktoken 0.14 `tiktoken_ext/openai_public.py` (a test checks they still
# equal what the installed tiktoken builds).
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    name: str
    filename: str
    sha256: str
    pat_str: str
    special_tokens: dict[str, int]


SPECS: dict[str, EncodingSpec] = {
    "o200k_base": EncodingSpec(
        name="o200k_base",
        filename="o200k_base.tiktoken",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str=O200K_PAT_STR,
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
    "cl100k_base": EncodingSpec(
        name="cl100k_base",
        filename="cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=CL100K_PAT_STR,
        special_tokens={
            ENDOFTEXT: 100257,
            FIM_PREFIX: 100258,
            FIM_MIDDLE: 100259,
            FIM_SUFFIX: 100260,
            ENDOFPROMPT: 100276,
        },
    ),
}

_lock = threading.Lock()
_cache: dict[str, tiktoken.Encoding] = {}


class EncodingFileError(RuntimeError):
    """A vendored encoding file is missing or does not match its pinned hash."""


def read_ranks(spec: EncodingSpec) -> dict[bytes, int]:
    """Read and verify the vendored ``.tiktoken`` file of ``spec`` (base64 token, rank)."""
    ref = resources.files("gatewayctl.tokens").joinpath("data", spec.filename)
    try:
        raw = ref.read_bytes()
    except FileNotFoundError as exc:
        raise EncodingFileError(f"encoding file {spec.filename} is not installed") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise EncodingFileError(
            f"encoding file {spec.filename} has sha256 {digest}, expected {spec.sha256}"
        )
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if not line:
            continue
        token, rank = line.split()
        ranks[base64.b64decode(token)] = int(rank)
    return ranks


def get_encoding(name: str) -> tiktoken.Encoding:
    """The encoding ``name`` (``o200k_base`` or ``cl100k_base``), built once per process."""
    enc = _cache.get(name)
    if enc is not None:
        return enc
    spec = SPECS.get(name)
    if spec is None:
        raise KeyError(f"unknown encoding {name!r} (shipped: {', '.join(SPECS)})")
    with _lock:
        enc = _cache.get(name)
        if enc is None:
            enc = tiktoken.Encoding(
                spec.name,
                pat_str=spec.pat_str,
                mergeable_ranks=read_ranks(spec),
                special_tokens=spec.special_tokens,
            )
            _cache[name] = enc
    return enc
