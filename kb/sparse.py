"""Sparse "latent term" vectors: the embedder's cross-lingual sparse head, kept as compact text.

A chunk's sparse vector travels with its other metadata in the store (Chroma metadata holds
scalars only), as `index:value` pairs of its strongest terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SparseVector:
    """Non-zero terms of one text's sparse vector: term indices and their weights."""

    indices: np.ndarray  # int32
    values: np.ndarray  # float32

    def top(self, terms: int) -> SparseVector:
        """The `terms` strongest entries (all of them when there are fewer)."""
        if len(self.values) <= terms:
            return self
        keep = np.argsort(-self.values, kind="stable")[:terms]
        return SparseVector(self.indices[keep], self.values[keep])

    def dense(self, dim: int) -> np.ndarray:
        """The vector as a dense float32 array of length `dim` (indices past `dim` are dropped)."""
        out = np.zeros(dim, dtype=np.float32)
        inside = self.indices < dim
        out[self.indices[inside]] = self.values[inside]
        return out


def to_text(vector: SparseVector) -> str:
    """`"12:0.531 907:0.2"`: what the store keeps (4 significant digits are plenty for ranking)."""
    return " ".join(f"{int(i)}:{float(v):.4g}" for i, v in zip(vector.indices, vector.values))


def from_text(text: str) -> SparseVector:
    """The inverse of `to_text`; empty or malformed text gives an empty vector."""
    pairs = [part.split(":", 1) for part in text.split()]
    try:
        indices = np.asarray([int(i) for i, _ in pairs], dtype=np.int32)
        values = np.asarray([float(v) for _, v in pairs], dtype=np.float32)
    except ValueError:
        return SparseVector(np.zeros(0, np.int32), np.zeros(0, np.float32))
    return SparseVector(indices, values)
