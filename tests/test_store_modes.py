"""Contract tests: the same ingest and search behaviour on an embedded store and on a `chroma run` server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import Syncer
from kb.settings import ChunkSettings, StoreSettings
from kb.store import Store
from kb.types import Filters
from server.retrieve import Retriever
from tests.search_library import DOCS, write_library

CHUNKING = ChunkSettings(max_tokens=48, overlap_tokens=8)


@pytest.fixture(params=["embedded", "server"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSettings:
    """Store settings for one mode; server-mode tests each get their own collections."""
    if request.param == "embedded":
        return StoreSettings(path=str(tmp_path / "store"))
    url = request.getfixturevalue("chroma_url")
    return StoreSettings(path=str(url), collection=f"t{uuid.uuid4().hex[:12]}")


def _store(settings: StoreSettings, embedder: Any) -> Store:
    return Store(settings, embedder.name, embedder.dim)


def test_sync_and_search_behave_alike_in_both_modes(
    location: StoreSettings, tmp_path: Path, tiny: Any
) -> None:
    library = write_library(tmp_path / "lib")
    store = _store(location, tiny)
    first = Syncer(store, tiny, CHUNKING).sync(library)
    assert not first.failed
    assert sorted(store.documents()) == sorted(DOCS)
    again = Syncer(store, tiny, CHUNKING).sync(library)
    assert again.totals()["embedded"] == 0  # unchanged files cost nothing
    retriever = Retriever(store, tiny)
    # The tiny embedder's vectors carry no meaning: the lexical leg decides, hybrid keeps it.
    lexical = retriever.search("berth occupancy", k=5, mode="lexical").hits
    assert lexical and lexical[0].chunk.doc_id == "en/berth-occupancy.txt"
    hits = retriever.search("berth occupancy", k=5).hits
    assert "en/berth-occupancy.txt" in {h.chunk.doc_id for h in hits}
    filtered = retriever.search("port", k=10, filters=Filters(country=("China",))).hits
    assert {h.chunk.doc_id for h in filtered} == {"zh/shore-power.txt"}


def test_both_modes_return_the_same_ranking(tmp_path: Path, tiny: Any, chroma_url: str) -> None:
    library = write_library(tmp_path / "lib")
    rankings = []
    for settings in (
        StoreSettings(path=str(tmp_path / "store")),
        StoreSettings(path=chroma_url, collection=f"t{uuid.uuid4().hex[:12]}"),
    ):
        store = _store(settings, tiny)
        Syncer(store, tiny, CHUNKING).sync(library)
        retriever = Retriever(store, tiny)
        rankings.append(
            [
                [h.chunk.id for h in retriever.search(query, k=8).hits]
                for query in ("berth occupancy", "岸电", "customs clearance", "ท่าเทียบเรือ")
            ]
        )
    assert rankings[0] == rankings[1]


def test_a_worker_sees_what_another_process_ingested(
    location: StoreSettings, tmp_path: Path, tiny: Any
) -> None:
    """Two API workers share one store: a document synced by one is found by the other's BM25."""
    names = list(DOCS)
    library = write_library(tmp_path / "lib", names[:-1])
    Syncer(_store(location, tiny), tiny, CHUNKING).sync(library)
    worker = Retriever(_store(location, tiny), tiny)
    assert worker.search("berth", k=3).hits  # the worker has built its index
    write_library(tmp_path / "lib", names)  # the last document arrives...
    Syncer(_store(location, tiny), tiny, CHUNKING).sync(library)  # ...through another client
    text = DOCS[names[-1]][0]
    found = worker.search(text[:60], k=3, mode="lexical").hits
    assert found and found[0].chunk.doc_id == names[-1]


def test_removed_and_changed_files_follow_in_both_modes(
    location: StoreSettings, tmp_path: Path, tiny: Any
) -> None:
    library = write_library(tmp_path / "lib")
    store = _store(location, tiny)
    Syncer(store, tiny, CHUNKING).sync(library)
    (library / "zh/shore-power.txt").unlink()
    (library / "en/berth-occupancy.txt").write_text(
        "Berth occupancy now counts pilotage waiting time too.\n", encoding="utf-8"
    )
    report = Syncer(store, tiny, CHUNKING).sync(library)
    statuses = {f.doc_id: f.status for f in report.files}
    assert statuses["zh/shore-power.txt"] == "removed"
    assert "zh/shore-power.txt" not in store.documents()
    ids = [chunk_id for chunk_id, _ in store.chunk_ids()["en/berth-occupancy.txt"]]
    assert ids and all("pilotage" in c.text for c in store.chunks(ids))
    assert store.count() == sum(r.chunk_count for r in store.documents().values())
