"""Vector-set legs: each chunk scored by the best of its stored vectors (its sentences), in memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from kb.sentences import from_text
from server.fusion import top_indices

logger = logging.getLogger(__name__)


class SentenceIndex:
    """Every chunk's stored vector set as one matrix, with the lexical index's row of each.

    The sentence leg keeps each chunk's sentence vectors; the muse leg keeps the second embedder's
    vector of the whole chunk first, then its sentences' (`lead` weighs that first vector).
    """

    def __init__(self, sets: Sequence[str], dim: int, name: str = "sentence") -> None:
        began = time.perf_counter()
        blocks: list[np.ndarray] = []
        owners: list[int] = []
        starts: list[int] = []
        count = 0
        for i, text in enumerate(sets):
            vectors = from_text(text, dim)  # none for "" (stored before the leg existed)
            if not len(vectors):
                continue
            blocks.append(vectors)
            owners.append(i)
            starts.append(count)
            count += len(vectors)
        self.rows = len(sets)
        self.covered = len(owners)
        self._matrix = np.concatenate(blocks) if blocks else np.zeros((0, dim), np.float32)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._starts = np.asarray(starts, dtype=np.int64)
        logger.info(
            "%s index: %d vectors of %d of %d chunks in %.0f ms",
            name,
            count,
            self.covered,
            len(sets),
            (time.perf_counter() - began) * 1e3,
        )

    def uncovered(self) -> np.ndarray:
        """The rows that have no vectors (a language the encoder does not know, an older store)."""
        return np.setdiff1d(np.arange(self.rows), self._owners)

    def search(
        self, vector: np.ndarray, depth: int, keep: np.ndarray | None = None, lead: float = 0.0
    ) -> list[tuple[int, float]]:
        """(row, score) of the best `depth` rows; `keep` masks rows out (0).

        A row's score is its best vector's cosine, or with `lead` > 0, `lead` x its first vector's
        cosine + (1 - `lead`) x the best one's.
        """
        if not self.covered:
            return []
        # einsum, not `@`: BLAS runs this product on every core and its threads then spin,
        # slowing the embedder's next query (library bench, 2 cores: hybrid p50 124 ms vs 47).
        cosines = np.einsum("ij,j->i", self._matrix, vector.astype(np.float32))
        best = np.maximum.reduceat(cosines, self._starts)
        if lead > 0:
            best = lead * cosines[self._starts] + (1.0 - lead) * best
        # Rows without vectors, and those `keep` masks out, are never hits; the rest rank by
        # score whatever its sign (see ChunkVectors.search).
        scores = np.full(self.rows, -np.inf, dtype=np.float32)
        scores[self._owners] = best
        return [(i, float(scores[i])) for i in top_indices(scores, depth, keep, floor=-np.inf)]
