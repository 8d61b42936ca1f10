"""Every real, awkward PDF in ../shared/eval-data/pdf-robustness gets a clear outcome, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import Syncer
from kb.settings import ChunkSettings, StoreSettings
from kb.store import Store
from tests.conftest import EVAL_DATA

CORPUS = EVAL_DATA / "pdf-robustness"
EXPECTED_REASON = {
    "scanned_image_only": "no text layer: needs OCR",
    "encrypted": "encrypted: supply a password",
}


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/eval-data is not present")
def test_every_robustness_pdf_gets_a_status(tmp_path: Path, tiny: object) -> None:
    index = {
        row["file"]: row
        for row in map(json.loads, (CORPUS / "index.jsonl").read_text().splitlines())
    }
    store = Store(StoreSettings(path=str(tmp_path / "store")), tiny.name, tiny.dim)  # type: ignore[attr-defined]
    report = Syncer(store, tiny, ChunkSettings()).sync(CORPUS)  # type: ignore[arg-type]
    results = {f.doc_id: f for f in report.files}
    assert set(index) <= set(results)  # plus the ground-truth .txt, a plain text file
    for name, row in index.items():
        result = results[name]
        assert result.status in {"indexed", "failed"}
        if result.status == "failed":
            assert result.reason, name
        expected = EXPECTED_REASON.get(row["category"])
        if expected and not (
            row["category"] == "scanned_image_only" and result.status == "indexed"
        ):
            assert expected in result.reason, f"{name}: {result.reason}"
    assert "not a PDF" in results["malformed/ocrmypdf__invalid.pdf"].reason
    geotopo = results["multilingual_text/sample-files__GeoTopo-komprimiert.pdf"]
    assert geotopo.status == "indexed" and geotopo.pages >= 60 and geotopo.language == "de"
