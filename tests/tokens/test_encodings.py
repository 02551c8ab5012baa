"""The vendored encodings load offline, match tiktoken's pinned hashes and constants."""

from __future__ import annotations

import hashlib
import socket
from importlib import resources
from typing import Any

import pytest
import tiktoken
import tiktoken_ext.openai_public as openai_public

from gatewayctl.tokens import encodings
from gatewayctl.tokens.encodings import SPECS, EncodingFileError, get_encoding

pytestmark = pytest.mark.usefixtures("no_network")


def test_network_really_is_disabled() -> None:
    with pytest.raises(RuntimeError, match="network disabled"):
        socket.create_connection(("openaipublic.blob.core.windows.net", 443), timeout=1)


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_vendored_file_matches_tiktoken_expected_hash(name: str) -> None:
    spec = SPECS[name]
    raw = resources.files("gatewayctl.tokens").joinpath("data", spec.filename).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == spec.sha256
    # the hash we pin is the one tiktoken pins for its download
    source = resources.files("tiktoken_ext").joinpath("openai_public.py").read_text()
    assert f'expected_hash="{spec.sha256}"' in source


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_constants_equal_what_tiktoken_builds(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build tiktoken's own constructor with our ranks injected: same pat_str and specials."""
    ranks = encodings.read_ranks(SPECS[name])

    def fake_load(path: str, expected_hash: str | None = None) -> dict[bytes, int]:
        assert expected_hash == SPECS[name].sha256
        return ranks

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    params: dict[str, Any] = openai_public.ENCODING_CONSTRUCTORS[name]()
    assert params["pat_str"] == SPECS[name].pat_str
    assert params["special_tokens"] == SPECS[name].special_tokens
    reference = tiktoken.Encoding(**params)
    ours = get_encoding(name)
    samples = [
        "hello world",
        "Ünïcödé — naïve café, 東京タワー, емоджі 🎉🎉",
        "def f(x):\n    return x ** 2  # comment\n\n\n",
        "   leading and trailing   \r\n\tspaces ",
        "<|endoftext|> is plain text here",
        "1234567890 3.14159 -42 1e10",
    ]
    for text in samples:
        assert ours.encode_ordinary(text) == reference.encode_ordinary(text)
    assert ours.n_vocab == reference.n_vocab


def test_known_token_ids() -> None:
    # values published in the OpenAI cookbook ("How to count tokens with tiktoken")
    o200k = get_encoding("o200k_base")
    cl100k = get_encoding("cl100k_base")
    assert o200k.encode("hello world") == [24912, 2375]
    assert cl100k.encode("hello world") == [15339, 1917]
    assert o200k.encode("tiktoken is great!") == [83, 8251, 2488, 382, 2212, 0]
    assert cl100k.encode("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert o200k.decode(o200k.encode("round trip ✓")) == "round trip ✓"


def test_encoding_is_cached() -> None:
    assert get_encoding("o200k_base") is get_encoding("o200k_base")


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="p50k_base"):
        get_encoding("p50k_base")


def test_corrupted_file_is_refused() -> None:
    bad = encodings.EncodingSpec("o200k_base", "o200k_base.tiktoken", "0" * 64, "", {})
    with pytest.raises(EncodingFileError, match="expected 0000"):
        encodings.read_ranks(bad)
    missing = encodings.EncodingSpec("x", "nope.tiktoken", "0" * 64, "", {})
    with pytest.raises(EncodingFileError, match="not installed"):
        encodings.read_ranks(missing)
