"""Crash safety: `portwise ingest` killed with SIGKILL at 20 random moments never leaves a half
document, its parser process never outlives it, and the next ingest completes everything.

Each run is the real command line (`portwise.cli.app`) in its own process, forked from a server that
has imported the heavy libraries once (a cold `python -m portwise` costs ~10 s of imports, twenty of
them would make this test slow); the final run is a fresh `python -m portwise ingest`. The library
changes between runs (a document rewritten, one removed or restored, a scan re-made) so that every
run has real work in which to be killed: reading, OCR, embedding, Chroma writes, the orphan sweep.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ingest.ocr import tesseract_available
from ingest.pipeline import Syncer
from kb.settings import ChunkSettings, StoreSettings
from kb.store import Store
from tests.conftest import marked_processes
from tests.docs import PORT_WORDS, make_docx, make_pdf, make_pptx, make_scanned_pdf

ROOT = Path(__file__).resolve().parents[1]
KILLS = 20
SEED = 8
WORDS = [
    *PORT_WORDS,
    "container",
    "terminal",
    "draft",
    "anchorage",
    "customs",
    "manifest",
    "lashing",
    "stowage",
    "hinterland",
    "rail",
    "barge",
]
PRELOAD = [  # what an ingest imports, lazily included: a forked run starts with it all loaded
    "portwise.cli",
    "ingest.pipeline",
    "kb.store",
    "kb.embedder",
    "chromadb",
    "llama_index.vector_stores.chroma",
    "sentence_transformers",
]
State = dict[str, Any]


def _ingest(folder: str, store: str, env: dict[str, str]) -> None:
    """One `portwise ingest FOLDER --store STORE --json` (runs in a forked process)."""
    os.environ.update(env)
    from portwise.cli import app

    app(["ingest", folder, "--store", store, "--json"])


def _read_state(store: str, embedder: tuple[str, int], out: Any) -> None:
    """Records and chunks of a store (runs in a forked process: Chroma is opened once per process)."""
    from kb.settings import StoreSettings
    from kb.store import Store

    opened = Store(StoreSettings(path=store), *embedder)
    records = {d: (r.content_hash, r.chunk_count) for d, r in opened.documents().items()}
    chunks: dict[str, list[tuple[str, str, str]]] = {}
    for doc_id, rows in opened.chunk_ids().items():
        texts = {c.id: c.text for c in opened.chunks([cid for cid, _ in rows])}
        chunks[doc_id] = [(cid, doc_hash, texts.get(cid, "")) for cid, doc_hash in rows]
    out.put({"records": records, "chunks": chunks})


def _paragraph(rng: random.Random, n: int = 40) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def _write_pdf(folder: Path, name: str, rng: random.Random) -> None:
    pages = [f"{name} page {p}: {_paragraph(rng)}\n{_paragraph(rng)}" for p in range(3)]
    make_pdf(folder / name, pages)


def _library(folder: Path, rng: random.Random, scan: bool) -> Path:
    folder.mkdir()
    for i in range(4):
        _write_pdf(folder, f"doc{i}.pdf", rng)
    make_docx(folder / "paper.docx", [[("Intro", _paragraph(rng))], [("More", _paragraph(rng))]])
    (folder / "faq.md").write_text(f"# FAQ\n\n{_paragraph(rng)}\n", encoding="utf-8")
    if scan:
        make_scanned_pdf(folder / "scan.pdf", ["Reefer plugs in the yard.", _paragraph(rng, 6)])
    return folder


def _change(folder: Path, rng: random.Random, round_: int, scan: bool) -> None:
    """Give the next run work: rewrite two PDFs; every few rounds remove, restore or re-scan a file."""
    for n in rng.sample(range(4), 2):
        _write_pdf(folder, f"doc{n}.pdf", rng)
    faq = folder / "faq.md"
    if round_ % 3 == 0 and faq.exists():
        faq.unlink()
    elif round_ % 3 == 0:
        faq.write_text(f"# FAQ\n\n{_paragraph(rng)}\n", encoding="utf-8")
    if scan and round_ % 3 == 1:
        make_scanned_pdf(folder / "scan.pdf", ["Quay cranes at the berth.", _paragraph(rng, 6)])


def _whole(state: State) -> list[str]:
    """Documents whose record is not matched by exactly its chunks (a half document)."""
    broken = []
    for doc_id, (doc_hash, count) in state["records"].items():
        mine = [c for c in state["chunks"].get(doc_id, []) if c[1] == doc_hash]
        if len(mine) != count:
            broken.append(f"{doc_id}: {len(mine)} chunks for a record of {count}")
    return broken


def _consistent(state: State, files: set[str]) -> list[str]:
    """Everything that is wrong with a store that should hold exactly `files`, completely."""
    problems = _whole(state)
    if set(state["records"]) != files:
        problems.append(f"records {sorted(state['records'])} != files {sorted(files)}")
    for doc_id, rows in state["chunks"].items():
        record = state["records"].get(doc_id)
        if record is None or any(doc_hash != record[0] for _, doc_hash, _ in rows):
            problems.append(f"{doc_id}: chunks with no record or a stale hash")
        for label, values in (("ids", [r[0] for r in rows]), ("texts", [r[2] for r in rows])):
            repeated = [v for v, n in Counter(values).items() if n > 1]
            if repeated:
                problems.append(f"{doc_id}: repeated chunk {label}: {repeated[:2]}")
    return problems


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find orphaned processes")
def test_random_kills_never_leave_a_half_document(
    tmp_path: Path, tiny_model_dir: Path, tiny: Any
) -> None:
    rng = random.Random(SEED)
    scan = tesseract_available()
    folder = _library(tmp_path / "lib", rng, scan)
    store, marker = str(tmp_path / "store"), uuid.uuid4().hex
    env = {
        "PORTWISE_EMBEDDER__BACKEND": "sentence-transformers",
        "PORTWISE_EMBEDDER__MODEL_PATH": str(tiny_model_dir),
        "PORTWISE_CHUNK__MAX_TOKENS": "48",
        "PORTWISE_EMBEDDER__BATCH_SIZE": "4",
        "PORTWISE_TEST_RUN": marker,
    }
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)

    def state(path: str) -> State:
        out = context.Queue()
        reader = context.Process(target=_read_state, args=(path, (tiny.name, tiny.dim), out))
        reader.start()
        found: State = out.get(timeout=120)
        reader.join(timeout=60)
        return found

    def ingest(store: str, kill_after: float = 600.0) -> int | None:
        """Run an ingest; SIGKILL it after `kill_after` seconds; its exit code (-9 when killed)."""
        run = context.Process(target=_ingest, args=(str(folder), store, env))
        run.start()
        run.join(timeout=kill_after)
        if run.exitcode is None:
            os.kill(run.pid, signal.SIGKILL)  # type: ignore[arg-type]
            run.join()
        return run.exitcode

    assert ingest(store) == 0  # everything indexed once
    for round_ in (0, 1):  # every file rewritten or removed: the longest a run gets here
        _change(folder, rng, round_, scan)
    began = time.perf_counter()
    assert ingest(store) == 0
    budget = time.perf_counter() - began  # kills land anywhere within such a run
    codes = []
    for round_ in range(KILLS):
        _change(folder, rng, round_, scan)
        codes.append(ingest(store, kill_after=rng.uniform(0.05, budget)))
        assert _whole(state(store)) == [], f"round {round_}: a half document after the kill"
    assert codes.count(-signal.SIGKILL) >= KILLS // 2, f"too few runs were killed: {codes}"

    done = subprocess.run(
        [sys.executable, "-m", "portwise", "ingest", str(folder), "--store", store, "--json"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    files = {p.name for p in folder.iterdir()}
    final = state(store)
    assert _consistent(final, files) == []
    assert ingest(str(tmp_path / "clean")) == 0
    reference = state(str(tmp_path / "clean"))
    assert final["records"] == reference["records"]
    assert {d: sorted(r[0] for r in rows) for d, rows in final["chunks"].items()} == {
        d: sorted(r[0] for r in rows) for d, rows in reference["chunks"].items()
    }
    deadline = time.monotonic() + 30
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)  # a parser finishing its page sees its parent gone and exits
    assert marked_processes(marker) == [], "a parser process outlived its killed ingest"


def test_the_sweep_keeps_a_document_that_has_no_chunks(tmp_path: Path, tiny: Any) -> None:
    """A deck of title-only slides has a record and no chunks: whole, not re-read on every sync."""
    folder = tmp_path / "lib"
    folder.mkdir()
    make_pptx(folder / "titles.pptx", [("Quay cranes", "", "")])
    store = Store(StoreSettings(path=str(tmp_path / "store")), tiny.name, tiny.dim)
    syncer = Syncer(store, tiny, ChunkSettings())
    assert [(f.status, f.chunks) for f in syncer.sync(folder).files] == [("indexed", 0)]
    assert [f.status for f in syncer.sync(folder).files] == ["unchanged"]
