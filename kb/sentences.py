"""Sentence vectors: each chunk's sentences embedded on their own, kept as compact text.

A question is usually answered by one sentence of a chunk, and the embedding of a whole 256-token
chunk blurs that sentence with its neighbours. Scored by its best sentence as well, a chunk is
found across languages more often (XQuAD th->en, 240 English passages, dense R@1 0.735 -> 0.792
with the passage and best-sentence scores averaged). The vectors travel with the chunk's other
metadata in the store (Chroma metadata holds scalars only) as base64 of float16 values:
hand-written because it is two numpy calls, and half precision loses nothing a ranking sees.
"""

from __future__ import annotations

import base64

import numpy as np

from kb.languages import lexical_tokens, split_sentences

MIN_WORDS = 3  # shorter lines (a slide's "Key points", a table cell) say too little on their own
MAX_SENTENCES = 24  # a chunk of 256 tokens rarely holds more; a bullet list of one-word lines might


def sentences_of(text: str) -> list[str]:
    """The chunk's sentences worth a vector of their own: three words or more, at most 24."""
    found = [s for s in split_sentences(text) if len(lexical_tokens(s)) >= MIN_WORDS]
    return found[:MAX_SENTENCES]


def to_text(vectors: np.ndarray) -> str:
    """The rows of `vectors` as one ASCII string (float16, base64)."""
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def from_text(text: str, dim: int) -> np.ndarray:
    """The inverse of `to_text`: a (sentences, dim) float32 array; empty or malformed text gives none."""
    try:
        raw = np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=np.float16)
    except (ValueError, UnicodeEncodeError):
        return np.zeros((0, dim), np.float32)
    if not raw.size or raw.size % dim:
        return np.zeros((0, dim), np.float32)
    return raw.reshape(-1, dim).astype(np.float32)
