"""The sentence leg: each chunk scored by its best sentence's similarity to the question, in memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from kb.sentences import from_text
from kb.store import StoredChunk
from server.fusion import top_indices

logger = logging.getLogger(__name__)


class SentenceIndex:
    """Every chunk's stored sentence vectors as one matrix, with the lexical index's row of each."""

    def __init__(self, rows: Sequence[StoredChunk], dim: int) -> None:
        began = time.perf_counter()
        blocks: list[np.ndarray] = []
        owners: list[int] = []
        starts: list[int] = []
        count = 0
        for i, row in enumerate(rows):
            vectors = from_text(row.sentences, dim)  # none for "" (stored before the leg existed)
            if not len(vectors):
                continue
            blocks.append(vectors)
            owners.append(i)
            starts.append(count)
            count += len(vectors)
        self.rows = len(rows)
        self.covered = len(owners)
        self._matrix = np.concatenate(blocks) if blocks else np.zeros((0, dim), np.float32)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._starts = np.asarray(starts, dtype=np.int64)
        logger.info(
            "sentence index: %d sentences of %d of %d chunks in %.0f ms",
            count,
            self.covered,
            len(rows),
            (time.perf_counter() - began) * 1e3,
        )

    def search(
        self, vector: np.ndarray, depth: int, keep: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, best sentence's cosine) of the best `depth` rows; `keep` masks rows out (0)."""
        if not self.covered:
            return []
        # einsum, not `@`: BLAS runs this product on every core and its threads then spin,
        # slowing the embedder's next query (library bench, 2 cores: hybrid p50 124 ms vs 47).
        cosines = np.einsum("ij,j->i", self._matrix, vector.astype(np.float32))
        best = np.maximum.reduceat(cosines, self._starts)
        scores = np.zeros(self.rows, dtype=np.float32)
        scores[self._owners] = best
        if keep is not None:
            scores = scores * keep
        return [(i, float(scores[i])) for i in top_indices(scores, depth)]
