"""Sync: add, change, remove, catalog edits, and a killed ingest that a re-run completes exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import Syncer
from kb.settings import ChunkSettings, StoreSettings
from kb.store import Store
from tests.docs import make_docx, make_pdf, make_pptx

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = (
    "Berth occupancy ratio is the share of time a berth is occupied by ships. "
    "Quay cranes move containers between ship and quay. "
)


def _library(folder: Path, n_pdfs: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_pdfs):
        make_pdf(
            folder / f"doc{i}.pdf", [f"Document {i} page {p}. {PARAGRAPH * 3}" for p in range(3)]
        )
    make_pptx(
        folder / "deck.pptx", [("Dwell time", "Container dwell time in the yard", "Notes: 5 days")]
    )
    (folder / "faq.md").write_text("# FAQ\n\nA single window lets traders lodge documents once.\n")
    return folder


def _syncer(tiny: object, store_path: str) -> Syncer:
    store = Store(StoreSettings(path=store_path), tiny.name, tiny.dim)  # type: ignore[attr-defined]
    return Syncer(store, tiny, ChunkSettings(max_tokens=48, overlap_tokens=8))  # type: ignore[arg-type]


def _state(store: Store) -> tuple[dict[str, int], list[str]]:
    records = {d: r.chunk_count for d, r in store.documents().items()}
    ids = sorted(cid for rows in store.chunk_ids().values() for cid, _ in rows)
    return records, ids


def test_add_then_rerun_embeds_nothing(tmp_path: Path, tiny: object, store_path: str) -> None:
    folder = _library(tmp_path / "lib")
    syncer = _syncer(tiny, store_path)
    first = syncer.sync(folder)
    assert {f.status for f in first.files} == {"indexed"}
    assert first.totals()["embedded"] == first.totals()["chunks"] > 0
    second = syncer.sync(folder)
    assert {f.status for f in second.files} == {"unchanged"}
    assert second.totals()["embedded"] == 0
    records, ids = _state(syncer.store)
    assert sum(records.values()) == len(ids) == len(set(ids))


def test_change_replaces_and_remove_deletes(tmp_path: Path, tiny: object, store_path: str) -> None:
    folder = _library(tmp_path / "lib")
    syncer = _syncer(tiny, store_path)
    syncer.sync(folder)
    make_pdf(folder / "doc0.pdf", ["Only one page now about dry ports and rail links."])
    (folder / "faq.md").unlink()
    report = syncer.sync(folder)
    status = {f.doc_id: f.status for f in report.files}
    assert status == {
        "doc0.pdf": "indexed",
        "doc1.pdf": "unchanged",
        "deck.pptx": "unchanged",
        "faq.md": "removed",
    }
    chunks = syncer.store.chunks([cid for cid, _ in syncer.store.chunk_ids()["doc0.pdf"]])
    assert len(chunks) == 1 and "dry ports" in chunks[0].text
    assert "faq.md" not in syncer.store.chunk_ids()
    records, ids = _state(syncer.store)
    assert sum(records.values()) == len(ids)


def test_catalog_edits_update_metadata_and_reembed_only_for_a_new_title(
    tmp_path: Path, tiny: object, store_path: str
) -> None:
    folder = _library(tmp_path / "lib", n_pdfs=1)
    catalog = folder / "catalog.yaml"
    entry = (
        "documents:\n  - file: doc0.pdf\n    title: {title}\n    kind: lecture\n    year: {year}\n"
    )
    catalog.write_text(entry.format(title="Port KPIs", year=2020))
    syncer = _syncer(tiny, store_path)
    syncer.sync(folder)
    catalog.write_text(entry.format(title="Port KPIs", year=2021))
    doc0 = next(f for f in syncer.sync(folder).files if f.doc_id == "doc0.pdf")
    assert doc0.status == "indexed"
    assert doc0.embedded == 0, "the year is metadata only: the vectors are reused"
    record = syncer.store.document("doc0.pdf")
    assert record is not None and record.meta["year"] == 2021
    catalog.write_text(entry.format(title="Berth Productivity", year=2021))
    doc0 = next(f for f in syncer.sync(folder).files if f.doc_id == "doc0.pdf")
    assert doc0.embedded == doc0.chunks > 0, "the title is part of what each chunk embeds"
    record = syncer.store.document("doc0.pdf")
    assert record is not None and record.meta["title"] == "Berth Productivity"


def test_a_bad_file_is_reported_and_the_run_goes_on(
    tmp_path: Path, tiny: object, store_path: str
) -> None:
    folder = _library(tmp_path / "lib", n_pdfs=1)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage that is not a PDF body")
    (folder / "fake.pdf").write_text("hello")
    report = _syncer(tiny, store_path).sync(folder)
    reasons = {f.doc_id: f.reason for f in report.files if f.status == "failed"}
    assert set(reasons) == {"broken.pdf", "fake.pdf"}
    assert "not a PDF" in reasons["fake.pdf"]
    assert report.failed and report.totals()["indexed"] == 3


@pytest.mark.slow
def test_killed_ingest_is_completed_by_a_rerun(tmp_path: Path, tiny_model_dir: Path) -> None:
    folder = _library(tmp_path / "lib", n_pdfs=8)
    for i in range(3):
        make_docx(
            folder / f"paper{i}.docx", [[("Intro", PARAGRAPH * 4)], [("More", PARAGRAPH * 4)]]
        )
    env = {
        **os.environ,
        "PORTWISE_EMBEDDER__BACKEND": "sentence-transformers",
        "PORTWISE_EMBEDDER__MODEL_PATH": str(tiny_model_dir),
        "PORTWISE_CHUNK__MAX_TOKENS": "24",
        "PORTWISE_EMBEDDER__BATCH_SIZE": "2",
    }
    command = [sys.executable, "-m", "portwise", "-v", "ingest", str(folder), "--json"]
    killed_store = str(tmp_path / "killed")
    for kill_after in (1, 4, 7):  # kill -9 at several points of the same store's history
        process = subprocess.Popen(
            [*command, "--store", killed_store],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        seen = 0
        for line in process.stderr:
            seen += "indexed " in line
            if seen >= kill_after:
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=120)
        assert process.returncode == -signal.SIGKILL, (
            "the ingest finished before it could be killed"
        )
    done = subprocess.run(
        [*command, "--store", killed_store],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    clean = subprocess.run(
        [*command, "--store", str(tmp_path / "clean")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == clean.returncode == 0, done.stderr + clean.stderr
    settings = StoreSettings(path=killed_store)
    from kb.embedder import make_embedder
    from kb.settings import EmbedderSettings

    tiny = make_embedder(
        EmbedderSettings(
            backend="sentence-transformers",
            model_path=str(tiny_model_dir),
            query_prefix="",
            passage_prefix="",
        )
    )
    killed = _state(Store(settings, tiny.name, tiny.dim))
    reference = _state(Store(StoreSettings(path=str(tmp_path / "clean")), tiny.name, tiny.dim))
    assert killed == reference
    assert len(killed[0]) == 13  # 8 PDFs, 3 DOCX, the deck and the FAQ


def test_uncatalogued_files_get_inferred_metadata(
    tmp_path: Path, tiny: object, store_path: str
) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    make_pdf(folder / "berth-planning_notes.pdf", [PARAGRAPH])
    make_pdf(folder / "titled.pdf", [PARAGRAPH], title="Quay Crane Productivity")
    (folder / "cang.md").write_text("Cảng biển Hải Phòng là cảng lớn ở miền Bắc Việt Nam.\n")
    syncer = _syncer(tiny, store_path)
    syncer.sync(folder)
    untitled = syncer.store.document("berth-planning_notes.pdf")
    titled = syncer.store.document("titled.pdf")
    vietnamese = syncer.store.document("cang.md")
    assert untitled is not None and untitled.meta["title"] == "Berth Planning Notes"
    assert untitled.meta["kind"] == "unknown" and untitled.meta["language"] == "en"
    assert titled is not None and titled.meta["title"] == "Quay Crane Productivity"
    assert vietnamese is not None and vietnamese.meta["language"] == "vi"


def test_a_new_chunking_recipe_reindexes(tmp_path: Path, tiny: object, store_path: str) -> None:
    folder = _library(tmp_path / "lib", n_pdfs=1)
    _syncer(tiny, store_path).sync(folder)
    store = Store(StoreSettings(path=store_path), tiny.name, tiny.dim)  # type: ignore[attr-defined]
    finer = Syncer(store, tiny, ChunkSettings(max_tokens=24, overlap_tokens=4))  # type: ignore[arg-type]
    report = finer.sync(folder)
    assert {f.status for f in report.files} == {"indexed"}
    records, ids = _state(store)
    assert sum(records.values()) == len(ids)
