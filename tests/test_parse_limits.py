"""The parser process: a PDF that hangs the parser or blows its memory is stopped, reported, and the
ingest goes on (real child process, real time limit, real RLIMIT_AS memory cap)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.load import load_document
from ingest.pdf import PdfParser
from ingest.pipeline import Syncer
from ingest.worker import Worker, WorkerError
from kb.errors import DocumentReadError
from kb.settings import ChunkSettings, ParseSettings, StoreSettings
from kb.store import Store
from tests.docs import make_operator_pdf, make_pdf

TEXT = "Berth occupancy ratio is the share of time a berth is occupied by ships."


def test_a_pdf_that_hangs_the_parser_is_stopped_and_the_ingest_goes_on(
    tmp_path: Path, tiny: Any
) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    make_operator_pdf(folder / "a-slow.pdf", operators=400_000, pages=30)  # minutes of pypdf work
    make_pdf(folder / "b-good.pdf", [TEXT])
    (folder / "c-notes.md").write_text(f"# Notes\n\n{TEXT}\n", encoding="utf-8")
    store = Store(StoreSettings(path=str(tmp_path / "store")), tiny.name, tiny.dim)
    report = Syncer(store, tiny, ChunkSettings(), parse=ParseSettings(timeout_s=1)).sync(folder)
    results = {f.doc_id: f for f in report.files}
    assert results["a-slow.pdf"].status == "failed"
    assert "a-slow.pdf: parsing took longer than 1 s: the PDF may be malformed" in (
        results["a-slow.pdf"].reason
    )
    assert results["b-good.pdf"].status == results["c-notes.md"].status == "indexed"


def test_a_pdf_that_needs_too_much_memory_is_stopped(tmp_path: Path) -> None:
    bomb = make_operator_pdf(tmp_path / "bomb.pdf", operators=2_000_000)  # 21 KB, ~1 GB for pypdf
    good = make_pdf(tmp_path / "good.pdf", [TEXT])
    with PdfParser(ParseSettings(memory_mb=300, timeout_s=120)) as parser:
        with pytest.raises(DocumentReadError) as caught:
            load_document(bomb, "bomb.pdf", pdf=parser)
        # Python's MemoryError ("needed more than") or a C library aborting ("died"): both name the cap.
        assert "300 MB" in caught.value.message
        assert "needed more than" in caught.value.message or "died" in caught.value.message
        assert "Berth" in load_document(good, "good.pdf", pdf=parser).pages[0].text
        assert parser.worker.starts == 2, "a fresh parser process after the blow-up"


def test_the_worker_reports_each_limit_and_restarts() -> None:
    with Worker(memory_mb=300) as worker:
        assert worker.call(sum, [1, 2], timeout=30) == 3
        with pytest.raises(WorkerError) as caught:
            worker.call(bytearray, 400 * 2**20, timeout=30)
        assert caught.value.kind == "memory"
        with pytest.raises(ValueError, match="invalid literal"):
            worker.call(int, "x", timeout=30)  # the child's own exception, raised here
        assert worker.call(len, "abc", timeout=30) == 3
        assert worker.starts == 2
