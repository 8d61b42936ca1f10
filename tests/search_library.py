"""A small multilingual library with a catalog, written in code, for the search tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingest.pipeline import Syncer
from kb.settings import ChunkSettings, StoreSettings
from kb.store import Store, StoredChunk

CHUNKING = ChunkSettings(max_tokens=48, overlap_tokens=8)

# file -> (text, catalog fields)
DOCS: dict[str, tuple[str, dict[str, object]]] = {
    "en/berth-occupancy.txt": (
        "Berth occupancy ratio is the share of time a berth is occupied by ships. "
        "Above seventy percent, ships begin to queue at anchor.",
        {
            "kind": "lecture",
            "event": "Course A",
            "year": 2019,
            "topics": ["port-kpis"],
            "country": "Vietnam",
            "audience": "port-managers",
        },
    ),
    "th/berth-th.txt": (
        "อัตราการใช้ท่าเทียบเรือ คือสัดส่วนของเวลาที่เรือจอดอยู่ที่ท่าเทียบเรือ ท่าเรือแหลมฉบังติดตามตัวชี้วัดนี้ทุกเดือน",
        {
            "kind": "case-study",
            "event": "Course B",
            "year": 2023,
            "topics": ["port-kpis"],
            "country": "Thailand",
            "audience": "port-managers",
        },
    ),
    "zh/shore-power.txt": (
        "岸电系统让靠港船舶关闭辅机，使用码头提供的电力，从而减少港口排放。",
        {
            "kind": "guideline",
            "event": "Course B",
            "year": 2021,
            "topics": ["green-port"],
            "country": "China",
            "audience": "engineers",
        },
    ),
    "km/customs.txt": (
        "អគ្គនាយកដ្ឋានគយ និងរដ្ឋាករកម្ពុជា ប្រើប្រព័ន្ធអេឡិចត្រូនិក សម្រាប់ការបញ្ចេញទំនិញនៅកំពង់ផែ។",
        {
            "kind": "report",
            "event": "Course A",
            "year": 2022,
            "topics": ["trade-facilitation"],
            "country": "Cambodia",
            "audience": "policy-makers",
        },
    ),
    "lo/dry-port.txt": (
        "ທ່າບົກທ່ານາແລ້ງ ເຊື່ອມຕໍ່ທາງລົດໄຟ ລາວ-ຈີນ ກັບທ່າເຮືອ ແລະ ຫຼຸດຕົ້ນທຶນການຂົນສົ່ງ.",
        {
            "kind": "lecture",
            "event": "Course A",
            "year": 2020,
            "topics": ["hinterland"],
            "country": "Laos",
            "audience": "policy-makers",
        },
    ),
    "de/anchorage.txt": (
        "Schiffe warten auf der Reede, bis ein Liegeplatz frei wird. "
        "Lange Wartezeiten erhöhen die Emissionen im Hafen.",
        {
            "kind": "lecture",
            "event": "Course B",
            "year": 2023,
            "topics": ["port-kpis", "green-port"],
            "country": "Germany",
            "audience": "port-managers",
        },
    ),
    "en/reefer-handbook.txt": (
        "\n\n".join(
            f"Reefer section {n}. Reefer containers need power plugs in the yard; the reefer "
            f"monitoring team checks each reefer unit temperature every {n + 2} hours."
            for n in range(8)
        ),
        {
            "kind": "guideline",
            "event": "Course A",
            "year": 2021,
            "topics": ["terminal-operations"],
            "country": "Malaysia",
            "audience": "operators",
        },
    ),
}


def write_library(
    folder: Path,
    names: list[str] | None = None,
    docs: dict[str, tuple[str, dict[str, object]]] = DOCS,
) -> Path:
    """Write the documents of `docs` (all, or those named) and their catalog into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names or list(docs):
        text, meta = docs[name]
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        language = name.split("/")[0]
        rows.append({"file": name, "title": name, "language": language, **meta})
    catalog = {"documents": rows}
    (folder / "catalog.yaml").write_text(
        yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8"
    )
    return folder


def ingested_store(
    root: Path, embedder: Any, docs: dict[str, tuple[str, dict[str, object]]] = DOCS
) -> Store:
    """A test library (`docs`) written under `root` and synced into a fresh store there."""
    store = Store(StoreSettings(path=str(root / "store")), embedder.name, embedder.dim)
    library = write_library(root / "lib", docs=docs)
    Syncer(store, embedder, CHUNKING, sparse_terms=128).sync(library)
    return store


def check_vectors_filled_in_for_an_older_store(
    store: Store, embedder: Any, library: Path, field: str, **leg: Any
) -> tuple[dict[str, Any], dict[str, Any], list[StoredChunk]]:
    """A store synced without a leg's vectors gets them from a sync with the leg.

    `leg` holds the Syncer keywords that turn the leg on, `field` the StoredChunk field its
    vectors land in. Every file is re-read, no chunk vector is computed again, the vectors are
    never shown as chunk metadata, and the next sync finds every file unchanged. Returns the
    filling sync's totals, the next sync's totals and the stored rows.
    """
    Syncer(store, embedder, CHUNKING).sync(library)
    assert not any(getattr(row, field) for row in store.lexical_rows())
    totals = Syncer(store, embedder, CHUNKING, **leg).sync(library).totals()
    assert totals["indexed"] == totals["files"]  # the recipe changed: every file is redone...
    assert totals["embedded"] == 0  # ...but no chunk vector is computed again
    rows = list(store.lexical_rows())
    assert rows
    assert all(field not in c.meta for c in store.chunks([row.id for row in rows]))  # not shown
    again = Syncer(store, embedder, CHUNKING, **leg).sync(library).totals()
    assert again["unchanged"] == totals["files"]
    return totals, again, rows


def check_leg_joins_hybrid_search(
    store: Store, embedder: Any, leg: str, query: str = "Tỷ lệ chiếm dụng cầu bến là gì?"
) -> None:
    """A hybrid leg (`sparse`, `sentence`, `muse`) ranks the library's berth-occupancy documents
    best for a question on berth occupancy (Vietnamese unless given), is timed, and keeps to a
    filter."""
    from kb.types import Filters
    from server.retrieve import Retriever

    retriever = Retriever(store, embedder)
    result = retriever.search(query, k=5)
    assert f"{leg}_ms" in result.timings
    ranked = [h for h in result.hits if leg in h.ranks]
    assert ranked
    best = min(ranked, key=lambda h: h.ranks[leg]).chunk.doc_id
    assert best in {"en/berth-occupancy.txt", "th/berth-th.txt"}  # the two on berth occupancy

    filtered = retriever.search("berth occupancy", k=10, filters=Filters(country=("Thailand",)))
    assert filtered.hits and all(h.chunk.meta["country"] == "Thailand" for h in filtered.hits)


def check_leg_off_at_weight_zero_and_in_single_leg_modes(
    store: Store, embedder: Any, leg: str
) -> None:
    """`{leg}_weight=0` turns the leg off, and the dense and lexical modes run their leg alone."""
    from kb.settings import SearchSettings
    from server.retrieve import Retriever

    off = Retriever(store, embedder, SearchSettings(**{f"{leg}_weight": 0}))
    result = off.search("berth occupancy", k=5)
    assert all(leg not in hit.ranks for hit in result.hits)
    assert f"{leg}_ms" not in result.timings
    on = Retriever(store, embedder)
    for mode in ("dense", "lexical"):
        hits = on.search("berth occupancy", k=5, mode=mode).hits  # type: ignore[arg-type]
        assert all(set(hit.ranks) == {mode} for hit in hits)
