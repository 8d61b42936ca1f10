"""The sparse leg: the embedder's cross-lingual "latent term" vectors, scored by dot product in memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

from kb.sparse import SparseVector, from_text
from kb.store import StoredChunk
from server.fusion import top_indices

logger = logging.getLogger(__name__)


class SparseIndex:
    """Every chunk's stored sparse vector as one CSR matrix, rows in the lexical index's order."""

    def __init__(self, rows: Sequence[StoredChunk], dim: int) -> None:
        began = time.perf_counter()
        data: list[np.ndarray] = []
        indices: list[np.ndarray] = []
        indptr = [0]
        for row in rows:
            vector = from_text(row.sparse)
            inside = vector.indices < dim
            indices.append(vector.indices[inside])
            data.append(vector.values[inside])
            indptr.append(indptr[-1] + int(inside.sum()))
        self.dim = dim
        self.covered = sum(1 for row in rows if row.sparse)
        self._matrix = csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                np.asarray(indptr),
            ),
            shape=(len(rows), dim),
            dtype=np.float32,
        )
        logger.info(
            "sparse index: %d of %d chunks in %.0f ms",
            self.covered,
            len(rows),
            (time.perf_counter() - began) * 1e3,
        )

    def search(
        self, query: SparseVector, depth: int, keep: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, score) of the best `depth` rows with a positive score; `keep` masks rows out (0)."""
        if not self.covered:
            return []
        scores = np.asarray(self._matrix @ query.dense(self.dim), dtype=np.float32)
        return [(i, float(scores[i])) for i in top_indices(scores, depth, keep)]
